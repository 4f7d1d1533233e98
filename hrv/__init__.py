"""hrv: heart-rate-variability analysis from beat intervals, ECG and PPG.

The public API is listed in ``__all__``; everything else is internal.
"""

from hrv._version import __version__
from hrv.analysis import analyze, analyze_beat_times, analyze_intervals, analyze_recording
from hrv.config import AnalysisConfig
from hrv.errors import (
    ConfigError,
    FormatError,
    HRVError,
    InsufficientDataError,
    InvalidInputError,
    UnsupportedFormatError,
)
from hrv.shift import Baseline, Direction, SessionShift, ShiftConfig, compare
from hrv.types import (
    Analysis,
    BeatDetection,
    Beats,
    Grade,
    Intervals,
    Metrics,
    Quality,
    QualityWarning,
    Respiration,
    Signal,
    SignalKind,
)

__all__ = [
    "Analysis",
    "AnalysisConfig",
    "Baseline",
    "BeatDetection",
    "Beats",
    "ConfigError",
    "Direction",
    "FormatError",
    "Grade",
    "HRVError",
    "InsufficientDataError",
    "Intervals",
    "InvalidInputError",
    "Metrics",
    "Quality",
    "QualityWarning",
    "Respiration",
    "SessionShift",
    "ShiftConfig",
    "Signal",
    "SignalKind",
    "UnsupportedFormatError",
    "__version__",
    "analyze",
    "analyze_beat_times",
    "analyze_intervals",
    "analyze_recording",
    "compare",
]
