"""hrv: heart-rate-variability analysis from beat intervals, ECG and PPG.

The public API is listed in ``__all__``; everything else is internal. Data flows one way:
bytes -> :mod:`hrv.io` -> :mod:`hrv.detect` -> :mod:`hrv.quality` -> :mod:`hrv.intervals`
-> :mod:`hrv.metrics` + :mod:`hrv.respiration` + :mod:`hrv.rhythm` -> :class:`Analysis`
(:mod:`hrv.analysis`) -> :class:`SessionShift` (:mod:`hrv.shift`). The subpackages load
on first use (``hrv.io``, ``hrv.detect``, ...), so ``import hrv`` stays cheap and an
interval analysis never loads the waveform filters.
"""

import importlib
from types import ModuleType

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

# Subpackages reachable as attributes (``hrv.io.read_recording``) without importing them,
# and what they cost, at ``import hrv``.
_SUBPACKAGES = frozenset({
    "analysis", "config", "detect", "errors", "evaluation", "intervals", "io", "metrics",
    "quality", "respiration", "rhythm", "shift", "simulate", "tables", "types",
})


def __getattr__(name: str) -> ModuleType:
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"hrv.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'hrv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | _SUBPACKAGES)
