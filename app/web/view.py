"""Words and tables for the pages, from the ``SessionShift`` dictionary ``hrv`` produced.

Nothing here computes a marker: values, intervals, verdicts, caveats and advice are
read from the report; this module only chooses the words around them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from app.web.svg import fmt

__all__ = [
    "DIRECTION_WORDS",
    "MarkerRow",
    "ReportView",
    "confidence_words",
    "report_view",
    "verdict_symbol",
]

DIRECTION_WORDS: dict[str, tuple[str, str, str]] = {
    # direction: (headline, short word for the course, symbol)
    "parasympathetic_increase": (
        "The client's body relaxed: calming (parasympathetic) activity rose during the "
        "session.", "calmer", "▲"),
    "parasympathetic_decrease": (
        "The client's body became more activated: calming (parasympathetic) activity fell "
        "during the session.", "more activated", "▼"),
    "no_clear_change": (
        "No clear change: the client's heart rhythm after the session was within "
        "measurement noise of before.", "no clear change", "●"),
    "inconclusive": (
        "No conclusion is possible from these recordings.", "inconclusive", "?"),
}

_MARKERS: tuple[tuple[str, str, str, int], ...] = (
    # key in report["changes"], name, unit, decimals
    ("rmssd_ms", "RMSSD (beat-to-beat variation)", "ms", 1),
    ("mean_hr_bpm", "Heart rate", "beats/min", 1),
    ("hf_power_ms2", "HF power (breathing-linked variation)", "ms²", 0),
    ("lf_power_ms2", "LF power", "ms²", 0),
    ("lf_hf_ratio", "LF/HF ratio", "", 2),
    ("sd1_ms", "SD1 (Poincaré)", "ms", 1),
    ("respiration_rate_bpm", "Breathing rate", "breaths/min", 1),
)


def confidence_words(verdict: dict[str, Any]) -> str:
    label = verdict.get("confidence_label")
    value = verdict.get("confidence")
    if label is None or value is None:
        return "Confidence: cannot be judged from these recordings."
    return f"Confidence: {label} ({round(100 * float(value))} in 100)."


def verdict_symbol(direction: str | None) -> tuple[str, str]:
    words = DIRECTION_WORDS.get(direction or "")
    return (words[2], words[1]) if words else ("", "no report yet")


@dataclass(frozen=True)
class MarkerRow:
    name: str
    unit: str
    pre: str
    post: str
    change: str
    interval: str
    beyond_noise: str  # words, with a symbol
    symbol: str
    note: str | None
    evidence: bool


@dataclass(frozen=True)
class MetricRow:
    key: str
    unit: str
    pre: str
    post: str


@dataclass(frozen=True)
class ReportView:
    direction: str
    headline: str
    confidence: str
    summary: str
    markers: list[MarkerRow]
    caveats: list[str]
    next_time: str | None
    anxiety_pre: float | None
    anxiety_post: float | None
    questionnaire: str | None
    questionnaire_pre: float | None
    questionnaire_post: float | None
    metrics: list[MetricRow]
    quality: dict[str, dict[str, Any]]
    warnings: dict[str, list[dict[str, str]]]
    provenance_json: str
    hrv_version: str
    grade_pre: str
    grade_post: str
    baseline: dict[str, Any] | None


def _signed(x: float | None, digits: int) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if round(x, digits) == 0:
        return f"{0:.{digits}f}"  # no "-0": the change rounds to nothing
    return f"{x:+,.{digits}f}"


def _marker_rows(report: dict[str, Any]) -> list[MarkerRow]:
    changes = report.get("changes") or {}
    evidence = set((report.get("verdict") or {}).get("evidence") or [])
    rows = []
    for key, name, unit, digits in _MARKERS:
        c = changes.get(key)
        if not c:
            continue
        pct = c.get("pct_change")
        change = _signed(c.get("delta"), digits)
        if pct is not None:
            change += f" ({_signed(pct, 0)}%)"
        lo, hi = c.get("ci_low"), c.get("ci_high")
        interval = (f"{_signed(lo, digits)} to {_signed(hi, digits)}"
                    if lo is not None and hi is not None else "n/a")
        meaningful = c.get("meaningful")
        if meaningful is True:
            words, symbol = "yes: beyond noise", "✔"
        elif meaningful is False:
            words, symbol = "no: within noise", "–"
        else:
            words, symbol = "not assessable", "?"
        ln_key = {"rmssd_ms": "ln_rmssd", "hf_power_ms2": "ln_hf"}.get(key, key)
        rows.append(MarkerRow(
            name=name, unit=unit, pre=fmt(c.get("pre"), digits), post=fmt(c.get("post"), digits),
            change=change, interval=interval, beyond_noise=words, symbol=symbol,
            note=c.get("note"), evidence=key in evidence or ln_key in evidence,
        ))
    return rows


_UNITS = (("_ms2", "ms²"), ("_ms", "ms"), ("_bpm", "beats/min"), ("_pct", "%"),
          ("_hz", "Hz"), ("_nu", "n.u."))


def metric_unit(key: str) -> str:
    if key.startswith("ln_"):
        return "ln(ms)" if key == "ln_rmssd" else "ln(ms²)"
    for suffix, unit in _UNITS:
        if key.endswith(suffix):
            return unit
    return "ratio"


def report_view(report: dict[str, Any]) -> ReportView:
    verdict = report.get("verdict") or {}
    direction = str(verdict.get("direction") or "inconclusive")
    headline = DIRECTION_WORDS.get(direction, DIRECTION_WORDS["inconclusive"])[0]
    pre, post = report.get("pre") or {}, report.get("post") or {}
    pm, qm = pre.get("metrics") or {}, post.get("metrics") or {}
    metrics = [MetricRow(k, metric_unit(k), fmt(pm.get(k), 3), fmt(qm.get(k), 3))
               for k in dict.fromkeys([*pm, *qm])]
    self_report = report.get("self_report") or {}
    sp, sq = self_report.get("pre") or {}, self_report.get("post") or {}
    quality = {}
    for phase, a in (("pre", pre), ("post", post)):
        q = dict(a.get("quality") or {})
        q.pop("warnings", None)
        q["respiration"] = a.get("respiration")
        q["duration_s"] = a.get("duration_s")
        q["kind"] = a.get("kind")
        quality[phase] = q
    provenance = {"shift": report.get("provenance"), "pre": pre.get("provenance"),
                  "post": post.get("provenance"), "baseline": report.get("baseline")}
    return ReportView(
        direction=direction,
        headline=headline,
        confidence=confidence_words(verdict),
        summary=str(verdict.get("summary") or ""),
        markers=_marker_rows(report),
        caveats=[str(c.get("message", "")) for c in verdict.get("caveats") or []],
        next_time=verdict.get("next_time"),
        anxiety_pre=sp.get("anxiety"),
        anxiety_post=sq.get("anxiety"),
        questionnaire=self_report.get("questionnaire"),
        questionnaire_pre=sp.get("questionnaire_score"),
        questionnaire_post=sq.get("questionnaire_score"),
        metrics=metrics,
        quality=quality,
        warnings={phase: list((a.get("quality") or {}).get("warnings") or [])
                  for phase, a in (("pre", pre), ("post", post))},
        provenance_json=json.dumps(provenance, indent=2, sort_keys=True, default=str),
        hrv_version=str((report.get("provenance") or {}).get("hrv_version", "")),
        grade_pre=str((pre.get("quality") or {}).get("grade", "")),
        grade_post=str((post.get("quality") or {}).get("grade", "")),
        baseline=report.get("baseline"),
    )
