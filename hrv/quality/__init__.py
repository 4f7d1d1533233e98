"""Waveform quality: per-window checks (missing, flat, clipped, noisy, motion) that
exclude stretches from analysis, and the overall grade of an analysis."""

from hrv.quality._assess import (
    WaveformQuality,
    assess_filled,
    assess_waveform,
    raw_window_stats,
)
from hrv.quality._grading import (
    grade_quality,
)

__all__ = [
    "WaveformQuality",
    "assess_filled",
    "assess_waveform",
    "grade_quality",
    "raw_window_stats",
]
