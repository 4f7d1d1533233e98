"""The report and course charts, drawn as SVG from ``hrv`` results.

Every plotted number comes from ``hrv``: the NN series, beat times, quality windows,
respiration and metrics of each :class:`hrv.Analysis`, the spectrum from
:func:`hrv.metrics.frequency_domain` and the windowed trend of the stored
``SessionShift``. This module only scales and draws them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import hrv
from app.web.svg import (
    POST,
    PRE,
    FloatArray,
    Panel,
    SeriesStyle,
    fmt,
    legend_item,
    nice_range,
    svg_document,
    swatch,
)
from hrv.metrics import frequency_domain

__all__ = [
    "CourseRow",
    "RecordingSeries",
    "course_chart",
    "poincare_chart",
    "recording_series",
    "report_charts",
    "spectrum_chart",
    "tachogram_chart",
    "windowed_chart",
]

EXCLUDED_FILL = "#7f7f7f"
CORRECTED_FILL = "#e0a100"
LF_FILL = "#9ecae1"
HF_FILL = "#c7e9c0"
MAX_LINE_POINTS = 2400
MAX_SCATTER_POINTS = 3000


@dataclass(frozen=True, eq=False)
class RecordingSeries:
    """What the charts of one recording need, taken from its :class:`hrv.Analysis`."""

    label: str
    duration_s: float
    nn_t_s: FloatArray
    nn_rr_ms: FloatArray
    gap_before: np.ndarray
    corrected_t_s: FloatArray
    excluded: tuple[tuple[float, float], ...]
    freq_hz: FloatArray
    psd_ms2_per_hz: FloatArray
    lf_hz: tuple[float, float]
    hf_hz: tuple[float, float]
    lf_power_ms2: float | None
    hf_power_ms2: float | None
    breathing_bpm: float | None
    hf_band_valid: bool | None
    sd1_ms: float | None
    sd2_ms: float | None
    mean_hr_bpm: float | None
    trend_t_s: FloatArray
    trend_rmssd_ms: FloatArray
    trend_hr_bpm: FloatArray
    trend_window_s: float


def _arr(values: Sequence[Any] | None) -> FloatArray:
    return np.array([np.nan if v is None else float(v) for v in (values or [])],
                    dtype=np.float64)


def _corrected_times(analysis: hrv.Analysis) -> FloatArray:
    """End times of NN intervals that are not an interval between two raw beats.

    Those are the intervals the artefact correction changed or inserted.
    """
    beats = np.asarray(analysis.beats.times_s, dtype=np.float64)
    nn = analysis.nn
    if len(beats) < 2 or len(nn) == 0:
        return np.empty(0)
    idx = np.clip(np.searchsorted(beats, nn.t_s), 1, len(beats) - 1)
    # The nearer of the two neighbouring raw beats.
    left = np.abs(beats[idx - 1] - nn.t_s) < np.abs(beats[idx] - nn.t_s)
    idx = np.where(left & (idx > 1), idx - 1, idx)
    same_beat = np.abs(beats[idx] - nn.t_s) < 0.002
    raw_rr = (beats[idx] - beats[idx - 1]) * 1000.0
    changed = ~same_beat | (np.abs(raw_rr - nn.rr_ms) > 0.5)
    return np.asarray(nn.t_s[changed], dtype=np.float64)


def recording_series(
    label: str, analysis: hrv.Analysis, trend: Mapping[str, Any] | None
) -> RecordingSeries:
    """Chart data of one recording: its analysis plus the shift report's trend."""
    cfg = hrv.AnalysisConfig.from_dict((analysis.provenance or {}).get("config"))
    spec = getattr(analysis, "spectrum", None)
    if spec is None:
        spec = frequency_domain(analysis.nn, cfg.spectrum, cfg.bands).spectrum
    trend = trend or {}
    t0, t1 = _arr(trend.get("t_start_s")), _arr(trend.get("t_end_s"))
    m = analysis.metrics
    return RecordingSeries(
        label=label,
        duration_s=float(analysis.duration_s),
        nn_t_s=np.asarray(analysis.nn.t_s, dtype=np.float64),
        nn_rr_ms=np.asarray(analysis.nn.rr_ms, dtype=np.float64),
        gap_before=np.asarray(analysis.nn.gap_before, dtype=bool),
        corrected_t_s=_corrected_times(analysis),
        excluded=tuple((w.start_s, w.end_s) for w in analysis.quality.excluded_windows),
        freq_hz=np.asarray(spec.freq_hz if spec is not None else [], dtype=np.float64),
        psd_ms2_per_hz=np.asarray(spec.psd_ms2_per_hz if spec is not None else [],
                                  dtype=np.float64),
        lf_hz=tuple(cfg.bands.lf_hz),  # type: ignore[arg-type]
        hf_hz=tuple(cfg.bands.hf_hz),  # type: ignore[arg-type]
        lf_power_ms2=m.lf_power_ms2,
        hf_power_ms2=m.hf_power_ms2,
        breathing_bpm=analysis.respiration.rate_bpm,
        hf_band_valid=analysis.respiration.hf_band_valid,
        sd1_ms=m.sd1_ms,
        sd2_ms=m.sd2_ms,
        mean_hr_bpm=m.mean_hr_bpm,
        trend_t_s=(t0 + t1) / 2.0 if len(t0) == len(t1) else t0,
        trend_rmssd_ms=_arr(trend.get("rmssd_ms")),
        trend_hr_bpm=_arr(trend.get("mean_hr_bpm")),
        trend_window_s=float(trend.get("window_s") or 0.0),
    )


def _thin(n: int, limit: int) -> np.ndarray:
    return np.arange(n) if n <= limit else np.unique(np.linspace(0, n - 1, limit).astype(int))


def _finite_range(*arrays: FloatArray) -> tuple[float, float]:
    vals = [a[np.isfinite(a)] for a in arrays if len(a)]
    vals = [v for v in vals if len(v)]
    if not vals:
        return math.nan, math.nan
    joined = np.concatenate(vals)
    return float(joined.min()), float(joined.max())


def _two_panels(width: int) -> tuple[float, float, float]:
    """Left x, panel width and gap of two side-by-side panels."""
    left, gap, right = 62.0, 40.0, 12.0
    return left, (width - left - gap - right) / 2, gap


def tachogram_chart(chart_id: str, pre: RecordingSeries, post: RecordingSeries) -> str:
    width, height = 760, 290
    hr_pre = 60000.0 / pre.nn_rr_ms if len(pre.nn_rr_ms) else np.empty(0)
    hr_post = 60000.0 / post.nn_rr_ms if len(post.nn_rr_ms) else np.empty(0)
    lo, hi = _finite_range(hr_pre, hr_post)
    ylim = nice_range(lo, hi, 0.08)
    left, pw, gap = _two_panels(width)
    body: list[str] = []
    descs: list[str] = []
    for i, (s, hr, style) in enumerate(((pre, hr_pre, PRE), (post, hr_post, POST))):
        panel = Panel(left + i * (pw + gap), 34, pw, 190, (0.0, max(s.duration_s, 1.0)), ylim)
        for a, b in s.excluded:
            panel.vband(a, b, EXCLUDED_FILL, opacity=0.45)
        # Gaps in the NN series (dropped or excluded beats) are shaded like exclusions.
        gap_idx = np.flatnonzero(s.gap_before[1:]) + 1
        for j in gap_idx:
            start = s.nn_t_s[j] - s.nn_rr_ms[j] / 1000.0
            if start - s.nn_t_s[j - 1] > 0.25:
                panel.vband(float(s.nn_t_s[j - 1]), float(start), EXCLUDED_FILL, opacity=0.45)
        for t in s.corrected_t_s:
            panel.vband(float(t) - 0.6, float(t) + 0.6, CORRECTED_FILL, opacity=0.85)
        panel.axes("time in recording (s)", "heart rate (beats/min)" if i == 0 else "",
                   title=f"{s.label}")
        keep = _thin(len(hr), MAX_LINE_POINTS)
        panel.line(s.nn_t_s[keep], hr[keep], style, breaks=_breaks(s.gap_before, keep))
        body.extend(panel.parts)
        fin = hr[np.isfinite(hr)]
        descs.append(
            f"{s.label}: {len(s.nn_rr_ms)} beat-to-beat intervals over {fmt(s.duration_s, 0)} s, "
            f"heart rate {fmt(float(fin.min()) if len(fin) else None, 0)} to "
            f"{fmt(float(fin.max()) if len(fin) else None, 0)} beats/min "
            f"(mean {fmt(s.mean_hr_bpm)}); {len(s.excluded)} excluded stretch(es), "
            f"{len(s.corrected_t_s)} corrected interval(s)."
        )
    y = height - 14
    body.append(legend_item(left, y, PRE, "Before"))
    body.append(legend_item(left + 110, y, POST, "After"))
    body.append(swatch(left + 220, y, EXCLUDED_FILL, "excluded (noise, gaps)", opacity=0.45))
    body.append(swatch(left + 420, y, CORRECTED_FILL, "corrected beat", opacity=0.85))
    title = "Beat-to-beat heart rate before and after the session, on one scale"
    return svg_document(chart_id, width, height, title, " ".join(descs), body)


def _breaks(gap_before: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Where a thinned polyline must break: a gap lies between two kept points."""
    if len(keep) == 0:
        return np.zeros(0, dtype=bool)
    cum = np.cumsum(gap_before.astype(np.int64))
    out = np.zeros(len(keep), dtype=bool)
    out[1:] = cum[keep[1:]] != cum[keep[:-1]]
    return out


def spectrum_chart(chart_id: str, pre: RecordingSeries, post: RecordingSeries) -> str:
    width, height = 760, 290
    left, pw, gap = _two_panels(width)
    fmax = 0.5
    vals = [s.psd_ms2_per_hz[s.freq_hz <= fmax] for s in (pre, post)]
    _, top = _finite_range(*vals)
    ylim = (0.0, (top if math.isfinite(top) and top > 0 else 1.0) * 1.08)
    body: list[str] = []
    descs: list[str] = []
    for i, (s, style) in enumerate(((pre, PRE), (post, POST))):
        panel = Panel(left + i * (pw + gap), 34, pw, 190, (0.0, fmax), ylim)
        panel.vband(*s.lf_hz, LF_FILL, opacity=0.6)
        panel.vband(*s.hf_hz, HF_FILL, opacity=0.7)
        panel.axes("frequency (Hz)", "power density (ms²/Hz)" if i == 0 else "",
                   title=s.label)
        panel.text(panel.sx(sum(s.lf_hz) / 2), panel.y0 + panel.height - 6, "LF", anchor="middle")
        panel.text(panel.sx(sum(s.hf_hz) / 2), panel.y0 + panel.height - 6, "HF", anchor="middle")
        sel = s.freq_hz <= fmax
        panel.line(s.freq_hz[sel], s.psd_ms2_per_hz[sel], style, width=1.8)
        breathing = ""
        if s.breathing_bpm is not None:
            f = s.breathing_bpm / 60.0
            panel.vline(f, "#1a1a1a", "2 2", f"breathing {fmt(s.breathing_bpm)}/min")
            where = ("inside" if s.hf_band_valid else "outside") + " the HF band"
            breathing = f"breathing {fmt(s.breathing_bpm)} breaths/min ({fmt(f, 2)} Hz), {where}"
        else:
            breathing = "breathing rate unknown"
        if not len(s.freq_hz):
            panel.text(panel.x0 + panel.width / 2, panel.y0 + panel.height / 2,
                       "too few beats for a spectrum", anchor="middle")
        body.extend(panel.parts)
        descs.append(f"{s.label}: LF power {fmt(s.lf_power_ms2, 0)} ms², HF power "
                     f"{fmt(s.hf_power_ms2, 0)} ms², {breathing}.")
    y = height - 14
    body.append(legend_item(left, y, PRE, "Before"))
    body.append(legend_item(left + 110, y, POST, "After"))
    body.append(swatch(left + 220, y, LF_FILL, f"LF {pre.lf_hz[0]}–{pre.lf_hz[1]} Hz", opacity=0.6))
    body.append(swatch(left + 380, y, HF_FILL, f"HF {pre.hf_hz[0]}–{pre.hf_hz[1]} Hz", opacity=0.7))
    body.append('<line x1="560" x2="580" y1="{0}" y2="{0}" stroke="#1a1a1a" '
                'stroke-dasharray="2 2" stroke-width="1.5"/>'.format(y - 4)
                + f'<text x="585" y="{y}" font-size="12">breathing rate</text>')
    title = "Power spectrum of beat-to-beat intervals before and after, LF and HF bands shaded"
    return svg_document(chart_id, width, height, title, " ".join(descs), body)


def poincare_chart(chart_id: str, pre: RecordingSeries, post: RecordingSeries) -> str:
    width, height = 420, 400
    pairs: list[tuple[RecordingSeries, SeriesStyle, FloatArray, FloatArray]] = []
    for s, style in ((pre, PRE), (post, POST)):
        ok = ~s.gap_before[1:] if len(s.gap_before) > 1 else np.zeros(0, dtype=bool)
        x, y = s.nn_rr_ms[:-1][ok], s.nn_rr_ms[1:][ok]
        pairs.append((s, style, x, y))
    lo, hi = _finite_range(*(p[2] for p in pairs), *(p[3] for p in pairs))
    lim = nice_range(lo, hi, 0.05)
    panel = Panel(70, 30, 320, 300, lim, lim)
    panel.axes("interval n (ms)", "interval n+1 (ms)", title="")
    a, b = panel.sx(lim[0]), panel.sx(lim[1])
    panel.parts.append(f'<line x1="{a:.1f}" y1="{panel.sy(lim[0]):.1f}" x2="{b:.1f}" '
                       f'y2="{panel.sy(lim[1]):.1f}" stroke="#999999" stroke-dasharray="3 3"/>')
    descs = []
    for s, style, x, y in pairs:
        keep = _thin(len(x), MAX_SCATTER_POINTS // 2)
        panel.scatter(x[keep], y[keep], style)
        descs.append(f"{s.label}: {len(x)} pairs, SD1 {fmt(s.sd1_ms)} ms, SD2 {fmt(s.sd2_ms)} ms.")
    body = panel.parts
    body.append(legend_item(70, height - 14, PRE, f"Before (SD1 {fmt(pre.sd1_ms)} ms)"))
    body.append(legend_item(235, height - 14, POST, f"After (SD1 {fmt(post.sd1_ms)} ms)"))
    title = "Poincaré plot: each interval against the next, before and after"
    return svg_document(chart_id, width, height, title, " ".join(descs), body)


def windowed_chart(chart_id: str, pre: RecordingSeries, post: RecordingSeries) -> str:
    width, height = 760, 300
    left, pw, gap = _two_panels(width)
    body: list[str] = []
    descs: list[str] = []
    xmax = max(pre.duration_s, post.duration_s, 1.0)
    for i, (key, name, unit) in enumerate((("rmssd", "RMSSD", "ms"),
                                           ("hr", "Heart rate", "beats/min"))):
        arrays = [getattr(s, f"trend_{key}_ms" if key == "rmssd" else "trend_hr_bpm")
                  for s in (pre, post)]
        lo, hi = _finite_range(*arrays)
        ylim = nice_range(min(lo, 0.0) if key == "rmssd" else lo, hi, 0.08)
        panel = Panel(left + i * (pw + gap), 34, pw, 190, (0.0, xmax), ylim)
        panel.axes("window centre in recording (s)", f"{name} ({unit})", title=name)
        parts = []
        for s, style, values in ((pre, PRE, arrays[0]), (post, POST, arrays[1])):
            n = min(len(s.trend_t_s), len(values))
            panel.line(s.trend_t_s[:n], values[:n], style, width=1.8)
            for t, v in zip(s.trend_t_s[:n], values[:n], strict=True):
                panel.marker(float(t), float(v), style, size=3.0)
            fin = values[np.isfinite(values)]
            parts.append(f"{s.label} {fmt(float(fin.min()) if len(fin) else None)} to "
                         f"{fmt(float(fin.max()) if len(fin) else None)} {unit} over "
                         f"{len(fin)} windows")
        body.extend(panel.parts)
        descs.append(f"{name} per {fmt(pre.trend_window_s, 0)} s window: " + "; ".join(parts) + ".")
    y = height - 14
    body.append(legend_item(left, y, PRE, "Before"))
    body.append(legend_item(left + 110, y, POST, "After"))
    title = "RMSSD and heart rate over sliding windows within each recording"
    return svg_document(chart_id, width, height, title, " ".join(descs), body)


def report_charts(pre: RecordingSeries, post: RecordingSeries) -> dict[str, str]:
    """The four report charts by name, as SVG text."""
    return {
        "tachogram": tachogram_chart("chart-tachogram", pre, post),
        "spectrum": spectrum_chart("chart-spectrum", pre, post),
        "poincare": poincare_chart("chart-poincare", pre, post),
        "windowed": windowed_chart("chart-windowed", pre, post),
    }


@dataclass(frozen=True)
class CourseRow:
    """One session of a client's course, as the course chart needs it."""

    label: str  # date or session number
    rmssd_pre: float | None
    rmssd_post: float | None
    hr_pre: float | None
    hr_post: float | None
    anxiety_pre: float | None
    anxiety_post: float | None
    questionnaire_pre: float | None
    questionnaire_post: float | None
    verdict_symbol: str  # "▲", "▼", "●", "?" or "" (no report yet)
    verdict_words: str


def _course_panel(panel: Panel, rows: Sequence[CourseRow], pre_attr: str, post_attr: str) -> None:
    for attr, style in ((pre_attr, PRE), (post_attr, POST)):
        xs = np.arange(len(rows), dtype=np.float64)
        ys = _arr([getattr(r, attr) for r in rows])
        panel.line(xs, ys, style, width=1.6)
        for x, y in zip(xs, ys, strict=True):
            panel.marker(float(x), float(y), style, size=3.5)


def course_chart(chart_id: str, rows: Sequence[CourseRow], questionnaire: str | None) -> str:
    """Pre/post RMSSD, heart rate and self-reports per session, verdict marks on top."""
    n = max(len(rows), 1)
    width = 760
    has_q = any(r.questionnaire_pre is not None or r.questionnaire_post is not None for r in rows)
    panels = [("RMSSD (ms)", "rmssd_pre", "rmssd_post"),
              ("heart rate (beats/min)", "hr_pre", "hr_post"),
              ("anxiety (0–10)", "anxiety_pre", "anxiety_post")]
    if has_q:
        panels.append((f"{questionnaire or 'questionnaire'} score", "questionnaire_pre",
                       "questionnaire_post"))
    ph, top, step = 120.0, 56.0, 160.0
    height = int(top + step * len(panels) + 30)
    xlim = (-0.5, n - 0.5)
    ticks = [(float(i), r.label) for i, r in enumerate(rows)]
    body: list[str] = []
    mark_panel = Panel(70, top, width - 90, ph, xlim, (0.0, 1.0))
    body.append('<text x="70" y="20" font-size="12" font-weight="bold">Verdict per session: '
                '▲ calmer · ▼ more activated · ● no clear change · ? inconclusive</text>')
    for i, r in enumerate(rows):
        body.append(f'<text x="{mark_panel.sx(i):.1f}" y="42" font-size="16" '
                    f'text-anchor="middle">{r.verdict_symbol or "–"}</text>')
    descs = []
    for k, (label, a, b) in enumerate(panels):
        vals = [getattr(r, a) for r in rows] + [getattr(r, b) for r in rows]
        fin = [float(v) for v in vals if v is not None]
        lo, hi = (min(fin), max(fin)) if fin else (0.0, 1.0)
        if label.startswith("anxiety"):
            lo, hi = 0.0, 10.0
        panel = Panel(70, top + k * step, width - 90, ph, xlim, nice_range(lo, hi, 0.1))
        panel.axes("session" if k == len(panels) - 1 else "", label, xtick_labels=ticks)
        _course_panel(panel, rows, a, b)
        body.extend(panel.parts)
        per = "; ".join(f"{r.label}: {fmt(getattr(r, a))} before, {fmt(getattr(r, b))} after"
                        for r in rows)
        descs.append(f"{label} — {per}.")
    verdicts = "; ".join(f"{r.label}: {r.verdict_words}" for r in rows)
    body.append(legend_item(70, height - 8, PRE, "before the session"))
    body.append(legend_item(260, height - 8, POST, "after the session"))
    title = f"Course over {len(rows)} session(s): RMSSD, heart rate and self-reports"
    return svg_document(chart_id, width, height, title,
                        f"Verdicts — {verdicts}. " + " ".join(descs), body)
