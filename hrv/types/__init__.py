"""Data and result types of :mod:`hrv`: frozen dataclasses with units in every name.

Inputs (:class:`Signal`, :class:`Intervals`), the quality summary (:class:`Quality` with
its :class:`QualityWarning` and :class:`ExcludedWindow`), the results (:class:`Metrics`,
:class:`Respiration`, :class:`Beats`, :class:`Spectrum`) and :class:`Analysis`, which holds
them all.
"""

from __future__ import annotations

from hrv.types._analysis import Analysis
from hrv.types._quality import ExcludedWindow, Grade, Quality, QualityWarning, merge_windows
from hrv.types._results import METRIC_UNITS, BeatDetection, Beats, Metrics, Respiration, Spectrum
from hrv.types._series import BoolArray as BoolArray
from hrv.types._series import FloatArray as FloatArray
from hrv.types._series import Intervals, Signal, SignalKind

__all__ = [
    "METRIC_UNITS",
    "Analysis",
    "BeatDetection",
    "Beats",
    "ExcludedWindow",
    "Grade",
    "Intervals",
    "Metrics",
    "Quality",
    "QualityWarning",
    "Respiration",
    "Signal",
    "SignalKind",
    "Spectrum",
    "merge_windows",
]

# The face is where these live for users: reprs, pickles and docs name hrv.types.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
