"""Whether two recordings can be compared: caveats and reasons for an inconclusive verdict."""

from __future__ import annotations

import dataclasses

from hrv.rhythm import ECTOPIC_MAX_SHARE
from hrv.shift._facts import recording_facts, rhythm_finding
from hrv.shift._types import Baseline, ShiftConfig
from hrv.shift._windows import NOT_RECORDED, config_status
from hrv.types import Analysis, QualityWarning, SignalKind

__all__ = ["Checks", "check_pair"]

#: Caveats that cap the confidence (one: below "high"; two or more: "low").
SERIOUS = frozenset({"poor_quality", "arrhythmia", "many_corrections", "different_kind",
                     "short_recording", "sparse_intervals"})


@dataclasses.dataclass(frozen=True)
class Checks:
    """Outcome of :func:`check_pair`.

    ``inconclusive``: reasons that void the comparison; ``caveats``: weaknesses reported
    with the verdict; ``hf_invalid_reason``: why HF and LF/HF are not evidence (or
    ``None``); ``advice``: what to do next time.
    """

    inconclusive: tuple[QualityWarning, ...]
    caveats: tuple[QualityWarning, ...]
    hf_invalid_reason: str | None
    advice: tuple[str, ...]
    breathing_change: str | None = None


def check_pair(
    pre: Analysis, post: Analysis, cfg: ShiftConfig, baseline: Baseline | None
) -> Checks:
    """Apply the comparison rules to a pair of recordings (see :func:`hrv.shift.compare`)."""
    facts = recording_facts(pre, post, cfg)
    bad = list(facts.inconclusive)
    cav = list(facts.caveats)
    advice = list(facts.advice)
    rhythm: dict[str, list[tuple[str, float | None]]] = {}
    for name, a in (("pre", pre), ("post", post)):
        finding = rhythm_finding(a)
        if finding is not None:
            rhythm.setdefault(finding[0], []).append((name, finding[1]))
    _rhythm_reasons(rhythm, bad, cav, advice)

    if pre.kind is not post.kind:
        kinds = {pre.kind, post.kind}
        kind_why = ("pulse-rate variability from a PPG runs higher than heart-rate variability "
               "from an ECG or chest strap, so part of the change may be the sensor"
               if SignalKind.PPG in kinds else
               "the beats were timed by different devices, so part of the change may be "
               "the device")
        cav.append(QualityWarning(
            "different_kind",
            f"The recordings are of different kinds ({_KIND[pre.kind]} before, "
            f"{_KIND[post.kind]} after); {kind_why}.",
        ))
        advice.append("Use the same sensor before and after the session.")
    _settings(pre, post, cav, advice)
    d_pre, d_post = pre.duration_s, post.duration_s
    if min(d_pre, d_post) > 0 and max(d_pre, d_post) / min(d_pre, d_post) > cfg.max_duration_ratio:
        cav.append(QualityWarning(
            "different_duration",
            f"The recordings differ in length ({d_pre:.0f} s before, {d_post:.0f} s after); "
            "compare recordings of the same length.",
        ))
        advice.append("Record for the same length of time before and after.")
    # A poor recording's caveat already names the other one's grade: one sentence.
    poor_told = any(c.code == "poor_quality" for c in cav)
    if pre.quality.grade is not post.quality.grade and not poor_told:
        cav.append(QualityWarning(
            "different_quality",
            f"The recordings differ in data quality ({pre.quality.grade.value} before, "
            f"{post.quality.grade.value} after).",
        ))

    hf_invalid, code, hf_caveat = _breathing(pre, post)
    change = breathing_change(pre, post)
    if change is not None:
        cav.append(QualityWarning("breathing_changed", change))
        advice.append("Ask the client to breathe normally, not slowly or paced, during both "
                      "recordings.")
    if hf_caveat is not None and code is not None:
        cav.append(QualityWarning(code, hf_caveat))

    if baseline is not None and baseline.n_sessions < cfg.min_baseline_sessions:
        cav.append(QualityWarning(
            "baseline_too_small",
            f"Only {_sessions(baseline.n_sessions)}; the client's own smallest "
            f"worthwhile change needs {cfg.min_baseline_sessions}, so published typical "
            "errors were used.",
        ))
    return Checks(tuple(bad), tuple(cav), hf_invalid, tuple(dict.fromkeys(advice)), change)


def _sessions(n: int) -> str:
    return f"{n} earlier session" + ("" if n == 1 else "s")


_KIND = {SignalKind.ECG: "ECG", SignalKind.PPG: "PPG (pulse)",
         SignalKind.RR: "beat intervals"}


def _settings(pre: Analysis, post: Analysis, cav: list[QualityWarning],
              advice: list[str]) -> None:
    """Caveats when the two analyses were not made alike: library version, settings."""
    v_pre = (pre.provenance or {}).get("hrv_version")
    v_post = (post.provenance or {}).get("hrv_version")
    if v_pre != v_post:
        cav.append(QualityWarning(
            "different_version",
            f"The recordings were analysed by different versions of the library "
            f"({v_pre or 'unknown'} before, {v_post or 'unknown'} after); part of the "
            "change may come from the software.",
        ))
        advice.append("Analyse both recordings again with the same version.")
    (c_pre, p_pre), (c_post, p_post) = config_status(pre), config_status(post)
    problems = [f"the {n} recording ({_plain_problem(p)})"
                for n, p in (("pre", p_pre), ("post", p_post)) if p is not None]
    if problems:
        cav.append(QualityWarning(
            "settings_unknown",
            "The analysis settings could not be checked for " + " and ".join(problems)
            + "; the default settings were assumed.",
        ))
    elif c_pre.to_dict() != c_post.to_dict():
        diff = _differing(c_pre.to_dict(), c_post.to_dict())
        parts = list(dict.fromkeys(_SECTION.get(d.split(".")[0], "other settings")
                                   for d in diff))
        cav.append(QualityWarning(
            "different_settings",
            f"The recordings were analysed with different settings ({_and(parts)}); part "
            "of the change may come from the settings (each recording's settings are in "
            "its provenance).",
        ))
        advice.append("Analyse both recordings with the same settings.")


#: Plain names of the sections of the analysis settings (``hrv.AnalysisConfig``).
_SECTION = {
    "intervals": "reading of the intervals",
    "artifacts": "beat correction",
    "spectrum": "frequency analysis",
    "bands": "frequency bands",
    "respiration": "breathing-rate estimate",
    "detection": "beat detection",
    "quality": "quality grading",
}


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _plain_problem(problem: str) -> str:
    """Why a recording's settings could not be read, without the reader's own error text."""
    if problem == NOT_RECORDED:
        return "no analysis settings are recorded with it"
    if "not a mapping" in problem:
        return "its recorded analysis settings are damaged"
    return "its recorded analysis settings cannot be read"


def _differing(a: object, b: object, prefix: str = "") -> list[str]:
    """Dotted names of the fields in which two nested settings dictionaries differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += _differing(a.get(k), b.get(k), f"{prefix}{k}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]


#: Below this rate (breaths/min; the HF band's lower limit) breathing is "slow": heart
#: rate then swings with each breath in a large, narrow LF peak, and RMSSD and HF follow
#: the breathing pattern.
SLOW_BREATHING_BPM = 9.0


def breathing_change(pre: Analysis, post: Analysis) -> str | None:
    """A sentence when breathing was slow in one recording and not in the other.

    Slow breathing (below 9/min: relaxation, meditation, paced breathing at 3-7/min)
    enlarges the breath-by-breath swing of heart rate; RMSSD and HF then rise or fall with
    the breathing, not with vagal activity. "Slow" is a rate below 9/min (from the RSA
    peak of the intervals alone too: a dominant, steady narrow peak at 0.05-0.12 Hz, see
    :func:`hrv.respiration.rsa_estimate`); "not slow" a known rate inside the HF band or an
    unknown one (no dominant slow peak).
    """
    rates = {n: a.respiration.rate_bpm for n, a in (("pre", pre), ("post", post))}
    slow = {n: r is not None and r < SLOW_BREATHING_BPM for n, r in rates.items()}
    if slow["pre"] == slow["post"]:
        return None
    a, b = rates["pre"], rates["post"]
    if a is not None and b is not None:
        verb = "slowed" if slow["post"] else "quickened"
        fact = (f"Breathing {verb} from about {a:.0f} to about {b:.0f} breaths/min "
                "between the pre and the post recording")
    else:
        which, other = ("post", "pre") if slow["post"] else ("pre", "post")
        fact = (f"Breathing was slow (about {(b if slow['post'] else a) or 0:.0f} "
                f"breaths/min) during the {which} recording but not during the {other} one")
    return (f"{fact}; the change in RMSSD and HF reflects breathing, not vagal activity.")


def _which(names: list[str]) -> str:
    return "both recordings" if len(names) == 2 else f"the {names[0]} recording"


def _breathing(pre: Analysis, post: Analysis) -> tuple[str | None, str | None, str | None]:
    """Why HF and LF/HF are not evidence: ``(reason, caveat code, caveat message)``.

    Outside the HF band (9–24 breaths/min) HF follows the breathing pattern, not vagal
    activity; with an unknown rate that cannot be checked, so HF is set aside as well
    (``hrv-methods`` §4). All ``None`` when both rates are known and inside the band.
    """
    outside: list[str] = []
    unknown: list[str] = []
    conflict: list[str] = []
    for name, a in (("pre", pre), ("post", post)):
        r = a.respiration
        if r.hf_band_valid is False:
            rate = (f"about {r.rate_bpm:.0f} breaths/min" if r.rate_bpm is not None
                    else "slow")
            outside.append(f"breathing was {rate} in the {name} recording")
        elif r.hf_band_valid is None:
            (conflict if r.source == "conflict" else unknown).append(name)
    parts = list(outside)
    if unknown:
        parts.append(f"the breathing rate is unknown in {_which(unknown)} (no clear "
                     "breathing rhythm shows in the heartbeat)")
    if conflict:
        parts.append(f"the breathing rate is unknown in {_which(conflict)} (the estimates "
                     "from the heart rhythm and from the waveform disagree)")
    if not parts:
        return None, None, None
    reason = "; ".join(parts)
    why = ("outside 9–24 breaths/min they follow the breathing pattern, not vagal activity"
           if outside else
           "they reflect vagal activity only while breathing is 9–24 breaths/min")
    code = "breathing_outside_hf_band" if outside else "breathing_rate_unknown"
    message = (f"HF power and LF/HF (breathing-linked measures) are not used as evidence: "
               f"{reason}, and {why}.")
    return reason, code, message


def _share_of(found: list[tuple[str, float | None]]) -> str:
    """``"18% of the pre and 45% of the post recording's beats"`` and the like."""
    if all(f is not None for _, f in found):
        parts = [f"{100 * (f or 0.0):.0f}% of the {n}" for n, f in found]
        return " and ".join(parts) + " recording's beats"
    return "many of the " + " and ".join(n for n, _ in found) + " recording's beats"


def _rhythm_reasons(
    found: dict[str, list[tuple[str, float | None]]],
    bad: list[QualityWarning],
    cav: list[QualityWarning],
    advice: list[str],
) -> None:
    """One reason per rhythm finding, naming both recordings when both have it."""
    if "af" in found:
        names = [n for n, _ in found["af"]]
        whose = "Both recordings' rhythms look" if len(names) == 2 else \
            f"The {names[0]} recording's rhythm looks"
        bad.append(QualityWarning(
            "irregular_rhythm",
            f"{whose} irregular (possible atrial fibrillation): beat-to-beat variability "
            "then reflects the arrhythmia, not vagal activity.",
        ))
        advice.append("Ask the client's physician about the irregular rhythm; HRV "
                      "cannot track relaxation while it persists.")
    if "ectopy" in found:
        many = _share_of(found["ectopy"])
        bad.append(QualityWarning(
            "rhythm_not_interpretable",
            f"{many[0].upper() + many[1:]} are not normal heartbeats (the limit is "
            f"{100 * ECTOPIC_MAX_SHARE:.0f}%): they are extra (ectopic) beats or beats set "
            "by a pacemaker, and only the timing of normal heartbeats reflects vagal "
            "activity.",
        ))
        advice.append("If the client has frequent extra heartbeats or a pacemaker, HRV "
                      "cannot track relaxation; otherwise check the sensor contact.")
    if "ectopic_caveat" in found:
        many = _share_of(found["ectopic_caveat"])
        cav.append(QualityWarning(
            "arrhythmia",
            f"{many[0].upper() + many[1:]} are extra (ectopic) beats; the intervals "
            "around them were left out, but the remaining variability is less reliable.",
        ))
