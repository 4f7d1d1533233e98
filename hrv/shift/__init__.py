"""Before/after comparison of two analyses: marker changes with their uncertainty,
checks that the pair is comparable, and an honest verdict (:func:`compare`)."""

from hrv.shift._compare import (
    Baseline,
    ConfidenceLabel,
    Direction,
    MarkerChange,
    RestComparison,
    RestShift,
    Scale,
    SessionShift,
    ShiftConfig,
    Trend,
    UncertaintyMethod,
    Verdict,
    compare,
    windowed_trend,
)

__all__ = [
    "Baseline",
    "ConfidenceLabel",
    "Direction",
    "MarkerChange",
    "RestComparison",
    "RestShift",
    "Scale",
    "SessionShift",
    "ShiftConfig",
    "Trend",
    "UncertaintyMethod",
    "Verdict",
    "compare",
    "windowed_trend",
]
