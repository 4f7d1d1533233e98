"""The overall quality grade of a recording, from usable duration and corrections."""

from __future__ import annotations

from collections.abc import Sequence

from hrv.config import QualityConfig
from hrv.types import Grade, QualityWarning

# Recordings shorter than this cannot support any short-term HRV marker: ln RMSSD from
# 60 s agrees with 5 min (Esco & Flatt 2014), 10 s does not; 30 s is a floor, not a target.
_MIN_ANY_S = 30.0
_MIN_BEATS = 20
# Rhythm findings under which HRV is not interpretable.
_RHYTHM_CODES = frozenset({"possible_atrial_fibrillation", "high_ectopic_burden"})
# Detector findings under which beat-to-beat timing (RMSSD, HF) is unreliable.
_TIMING_CODES = frozenset({"irregular_frame_timing", "sampling_rate_implausible"})
# Detector findings under which beat-to-beat timing is doubtful, though not unreliable:
# the pulses are found, but their times move with pulse shape (PPG).
_DOUBT_CODES = frozenset({"pulse_timing_uncertain"})

_ORDER = [Grade.GOOD, Grade.FAIR, Grade.POOR, Grade.UNUSABLE]


def _short_of(value: float, limit: float, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals, or more until it no longer reads like the
    ``limit`` it falls short of or exceeds (59.6 s against 60 s: "59.6", not "60")."""
    for d in range(digits, digits + 4):
        text = f"{value:.{d}f}"
        if value == limit or text != f"{limit:.{d}f}":
            return text
    return f"{value:.{digits + 3}f}"


def grade_quality(
    *,
    n_beats: int,
    n_intervals: int,
    nn_duration_s: float,
    duration_s: float,
    corrected_pct: float,
    excluded_s: float,
    warnings: Sequence[QualityWarning],
    config: QualityConfig,
) -> tuple[Grade, list[QualityWarning]]:
    """Grade a recording; the grade is the worst that any single rule gives.

    Rules (each adds a warning saying why):

    - usable NN duration (with two mean intervals for the parts of the recording before
      its first and after its last beat) below 30 s or fewer than 20 beats:
      ``unusable``; below ``config.min_usable_s``: ``poor``;
    - corrected beats above ``poor_max_corrected_pct``: ``unusable``; above
      ``fair_max_corrected_pct``: ``poor``; above ``good_max_corrected_pct``: ``fair``;
    - more than half of the recording excluded: ``poor``; more than 10 %: ``fair``;
    - a rhythm finding (atrial-fibrillation-like irregularity, high ectopic burden): ``poor``;
    - unreliable beat timing (irregular camera frame timing, a declared sampling rate
      that the signal's mains line contradicts): ``poor``;
    - doubtful beat timing (PPG pulses whose shape, amplitude or fiducials vary from beat
      to beat): ``fair``.
    """
    grade = Grade.GOOD
    out: list[QualityWarning] = []

    def worsen(to: Grade, code: str, message: str) -> None:
        nonlocal grade
        if _ORDER.index(to) > _ORDER.index(grade):
            grade = to
        out.append(QualityWarning(code, message))

    # The part of a recording before its first beat and the part after its last are
    # each shorter than one interval, and hold none: a full 60-s recording at 70 beats
    # per minute has 58.3-60 s of intervals. Two mean intervals are allowed for them.
    covered = nn_duration_s + (2.0 * nn_duration_s / n_intervals if n_intervals > 0 else 0.0)
    if n_beats < _MIN_BEATS or covered < _MIN_ANY_S:
        worsen(
            Grade.UNUSABLE,
            "too_short",
            f"Only {_short_of(nn_duration_s, config.min_usable_s)} s of clean beat intervals "
            f"({n_intervals} intervals between normal beats, from {n_beats} beats); at least "
            f"{config.min_usable_s:g} s are needed (record at least 3 minutes sitting still).",
        )
    elif covered < config.min_usable_s:
        worsen(
            Grade.POOR,
            "short_recording",
            f"Only {_short_of(nn_duration_s, config.min_usable_s)} s of clean beat intervals; "
            f"{config.min_usable_s:g} s or more give reliable values (5 minutes is the "
            "short-term standard).",
        )

    if corrected_pct > config.poor_max_corrected_pct:
        worsen(
            Grade.UNUSABLE,
            "excessive_artifacts",
            f"{_short_of(corrected_pct, config.poor_max_corrected_pct, 1)}% of beats needed "
            f"correction; above {config.poor_max_corrected_pct:g}% the values are not "
            "trustworthy.",
        )
    elif corrected_pct > config.fair_max_corrected_pct:
        worsen(
            Grade.POOR,
            "many_artifacts",
            f"{_short_of(corrected_pct, config.fair_max_corrected_pct, 1)}% of beats needed "
            "correction.",
        )
    elif corrected_pct > config.good_max_corrected_pct:
        worsen(Grade.FAIR, "some_artifacts",
               f"{_short_of(corrected_pct, config.good_max_corrected_pct, 1)}% of beats "
               "needed correction.")

    if duration_s > 0:
        share = excluded_s / duration_s
        if share > 0.5:
            worsen(
                Grade.POOR,
                "mostly_excluded",
                f"{_short_of(100 * share, 50.0)}% of the recording was excluded as unusable "
                "signal.",
            )
        elif share > 0.1:
            worsen(
                Grade.FAIR,
                "partly_excluded",
                f"{_short_of(100 * share, 10.0)}% of the recording was excluded as unusable "
                "signal.",
            )

    for w in warnings:
        if w.code in _RHYTHM_CODES:
            worsen(Grade.POOR, "rhythm_not_interpretable", "HRV is not interpretable: " + w.message)
            break
    for w in warnings:
        if w.code in _TIMING_CODES:
            worsen(Grade.POOR, "beat_timing_unreliable", "Beat timing is unreliable: " + w.message)
            break
    for w in warnings:
        if w.code in _DOUBT_CODES:
            worsen(Grade.FAIR, "beat_timing_doubtful", "Beat timing is doubtful: " + w.message)
            break
    return grade, out
