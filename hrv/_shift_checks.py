"""Whether two recordings can be compared: caveats and reasons for an inconclusive verdict."""

from __future__ import annotations

import dataclasses

from hrv._shift_types import Baseline, ShiftConfig
from hrv.types import Analysis, Grade, QualityWarning

__all__ = ["Checks", "check_pair"]

#: Rhythm findings after which HRV does not reflect vagal activity at all.
_AF_CODES = frozenset({"possible_atrial_fibrillation"})
#: Rhythm findings that weaken, but do not void, a comparison.
_ECTOPY_CODES = frozenset({"high_ectopic_burden", "rhythm_not_interpretable"})
#: Caveats that cap the confidence (one: below "high"; two or more: "low").
SERIOUS = frozenset({"poor_quality", "arrhythmia", "many_corrections", "different_kind",
                     "short_recording", "sparse_intervals"})

#: Quality-grade findings that explain an "unusable" grade (see ``hrv._grading``).
_GRADE_CODES = frozenset({"too_short", "excessive_artifacts", "too_many_corrections",
                          "mostly_excluded", "rhythm_not_interpretable", "short_recording"})
#: Below this share of the recording covered by NN intervals, a caveat is given.
_MIN_NN_SHARE = 0.8
#: Below this share, the NN series no longer represents the recording: inconclusive.
_MIN_NN_SHARE_VERDICT = 0.5

_ADVICE_STILL = (
    "Record at least 3 minutes (5 minutes is the standard) sitting or lying still, "
    "breathing normally, before and after the session."
)
_ADVICE_CONTACT = (
    "Check the sensor contact (moisten a chest strap's electrodes, tighten a watch or "
    "finger sensor) and keep still while recording."
)


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


def _nn_s(a: Analysis) -> float:
    return float(a.nn.rr_ms.sum()) / 1000.0 if len(a.nn) else 0.0


def check_pair(
    pre: Analysis, post: Analysis, cfg: ShiftConfig, baseline: Baseline | None
) -> Checks:
    """Apply the comparison rules to a pair of recordings (see :func:`hrv.shift.compare`)."""
    bad: list[QualityWarning] = []
    cav: list[QualityWarning] = []
    advice: list[str] = []
    recs = (("pre", pre), ("post", post))

    for name, a in recs:
        unusable = a.quality.grade is Grade.UNUSABLE
        if unusable:
            why = [w.message.rstrip(".") for w in a.quality.warnings if w.code in _GRADE_CODES]
            if not why and a.quality.warnings:
                why = [a.quality.warnings[-1].message.rstrip(".")]
            bad.append(QualityWarning(
                "unusable_recording",
                f"The {name} recording was graded unusable: "
                f"{'; '.join(why) or 'no reason recorded'}.",
            ))
            advice.append(_ADVICE_STILL)
        nn_s = _nn_s(a)
        share = nn_s / a.duration_s if a.duration_s > 0 else 1.0
        if share < _MIN_NN_SHARE_VERDICT and not unusable:
            bad.append(QualityWarning(
                "too_few_normal_intervals",
                f"Only {100 * share:.0f}% of the {name} recording is covered by clean "
                "normal-to-normal intervals; the rest touches extra (ectopic) beats or gaps, "
                "so the remaining pieces do not represent the recording.",
            ))
            advice.append("If extra heartbeats are frequent for this client, HRV cannot "
                          "track relaxation reliably; otherwise check the sensor contact.")
        elif share < _MIN_NN_SHARE and not unusable:
            cav.append(QualityWarning(
                "sparse_intervals",
                f"Only {100 * nn_s / a.duration_s:.0f}% of the {name} recording is covered "
                "by clean normal-to-normal intervals (the rest touches ectopic beats or gaps).",
            ))
        if unusable:
            pass  # the grade's own reason (usually the same shortness) is already given
        elif nn_s < cfg.min_duration_s:
            bad.append(QualityWarning(
                "too_short",
                f"The {name} recording has only {nn_s:.0f} s of clean beat intervals; at "
                f"least {cfg.min_duration_s:.0f} s are needed to compare RMSSD.",
            ))
            advice.append(_ADVICE_STILL)
        elif nn_s < cfg.recommended_duration_s:
            cav.append(QualityWarning(
                "short_recording",
                f"The {name} recording has {nn_s:.0f} s of clean beat intervals; "
                f"{cfg.recommended_duration_s / 60:.0f} minutes or more give steadier values "
                "(LF power needs 2 minutes, 5 minutes is the standard).",
            ))
            advice.append(_ADVICE_STILL)
        if a.quality.corrected_pct > cfg.max_corrected_pct:
            bad.append(QualityWarning(
                "too_many_corrections",
                f"{a.quality.corrected_pct:.1f}% of the {name} recording's beats had to be "
                f"corrected (limit {cfg.max_corrected_pct:g}%).",
            ))
            advice.append(_ADVICE_CONTACT)
        elif a.quality.corrected_pct > cfg.caveat_corrected_pct:
            cav.append(QualityWarning(
                "many_corrections",
                f"{a.quality.corrected_pct:.1f}% of the {name} recording's beats were "
                "corrected; corrected beats bias RMSSD and HF power.",
            ))
            advice.append(_ADVICE_CONTACT)
        codes = {w.code for w in a.quality.warnings}
        if codes & _AF_CODES:
            bad.append(QualityWarning(
                "irregular_rhythm",
                f"The {name} recording's rhythm looks irregular (possible atrial "
                "fibrillation): beat-to-beat variability then reflects the arrhythmia, "
                "not vagal activity.",
            ))
            advice.append("Ask the client's physician about the irregular rhythm; HRV "
                          "cannot track relaxation while it persists.")
        elif codes & _ECTOPY_CODES:
            cav.append(QualityWarning(
                "arrhythmia",
                f"The {name} recording contains many extra (ectopic) beats; they were "
                "removed, but the remaining variability is less reliable.",
            ))
        elif a.quality.grade is Grade.POOR:
            cav.append(QualityWarning(
                "poor_quality", f"The {name} recording's data quality is poor."))
            advice.append(_ADVICE_CONTACT)
        if a.metrics.rmssd_ms is None:
            bad.append(QualityWarning(
                "rmssd_unavailable", f"RMSSD could not be computed for the {name} recording."))

    if pre.kind is not post.kind:
        cav.append(QualityWarning(
            "different_kind",
            f"The recordings are of different kinds ({pre.kind.value} before, "
            f"{post.kind.value} after); pulse-rate variability from PPG runs higher than "
            "HRV from ECG, so part of the change may be the sensor.",
        ))
        advice.append("Use the same sensor before and after the session.")
    d_pre, d_post = pre.duration_s, post.duration_s
    if min(d_pre, d_post) > 0 and max(d_pre, d_post) / min(d_pre, d_post) > cfg.max_duration_ratio:
        cav.append(QualityWarning(
            "different_duration",
            f"The recordings differ in length ({d_pre:.0f} s before, {d_post:.0f} s after); "
            "compare recordings of the same length.",
        ))
        advice.append("Record for the same length of time before and after.")
    if pre.quality.grade is not post.quality.grade:
        cav.append(QualityWarning(
            "different_quality",
            f"The recordings differ in data quality ({pre.quality.grade.value} before, "
            f"{post.quality.grade.value} after).",
        ))

    hf_reasons = []
    for name, a in recs:
        r = a.respiration
        if r.hf_band_valid is False:
            rate = f"about {r.rate_bpm:.1f} breaths/min" if r.rate_bpm is not None else "slow"
            hf_reasons.append(f"breathing was {rate} in the {name} recording, outside the "
                              "HF band (9–24 breaths/min)")
        elif r.hf_band_valid is None:
            hf_reasons.append(f"the breathing rate of the {name} recording is unknown")
    hf_invalid = "; ".join(hf_reasons) if hf_reasons else None
    if hf_invalid is not None:
        code = ("breathing_outside_hf_band" if any("outside" in h for h in hf_reasons)
                else "breathing_rate_unknown")
        cav.append(QualityWarning(
            code,
            f"HF power and LF/HF are not used as evidence because {hf_invalid}: they then "
            "reflect the breathing pattern rather than vagal activity.",
        ))

    if baseline is not None and baseline.n_sessions < cfg.min_baseline_sessions:
        cav.append(QualityWarning(
            "baseline_too_small",
            f"Only {baseline.n_sessions} earlier session(s); the client's own smallest "
            f"worthwhile change needs {cfg.min_baseline_sessions}, so published typical "
            "errors were used.",
        ))
    return Checks(tuple(bad), tuple(cav), hf_invalid, tuple(dict.fromkeys(advice)))
