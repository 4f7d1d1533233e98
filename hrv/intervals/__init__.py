"""From raw input to clean NN intervals.

Intervals or beat times are validated, units resolved and gaps kept as gaps
(:func:`prepare_rr`, :func:`prepare_beat_times`); then each interval is classified
(normal, ectopic, long, short, missed, extra; Lipponen & Tarvainen 2019) and corrected
(:func:`correct`).
"""

from hrv.intervals._correct import (
    LABEL_NAMES,
    BeatType,
    Correction,
    classify,
    correct,
)
from hrv.intervals._prepare import (
    PreparedIntervals,
    detect_unit,
    prepare_beat_times,
    prepare_rr,
)

__all__ = [
    "LABEL_NAMES",
    "BeatType",
    "Correction",
    "PreparedIntervals",
    "classify",
    "correct",
    "detect_unit",
    "prepare_beat_times",
    "prepare_rr",
]
