"""Uneven frames are put on an even grid by one rule, shared by the analysis and the PPG
detector (before, the two used different hole rules and rates)."""

from __future__ import annotations

import numpy as np

from hrv._dsp import GAP_FACTOR, resample_uneven
from hrv.analysis._waveform import _resample_uneven
from hrv.detect._ppg_input import even_ppg


def _frames(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.normal(1 / 30, 0.002, 30 * 60))
    t[900:] += 1.0  # a 1 s dropout: far over 3 median frame intervals
    x = np.sin(2 * np.pi * 1.2 * t)
    return x, t


def test_dropout_is_missing_not_invented() -> None:
    x, t = _frames()
    y, fs, t0 = resample_uneven(x, t)
    grid = t0 + np.arange(len(y)) / fs
    inside = (grid > t[899]) & (grid < t[900])
    assert inside.sum() >= 25 and np.isnan(y[inside]).all()
    assert not np.isnan(y[~inside]).any()
    assert (t[900] - t[899]) > GAP_FACTOR * np.median(np.diff(t))


def test_known_signal_is_interpolated() -> None:
    t = np.cumsum(np.full(3000, 1 / 50.0)) + np.random.default_rng(1).normal(0, 1e-4, 3000)
    t.sort()
    x = 3.0 * t + 1.0  # linear: interpolation is exact
    y, fs, t0 = resample_uneven(x, t)
    grid = t0 + np.arange(len(y)) / fs
    np.testing.assert_allclose(y, 3.0 * grid + 1.0, rtol=0, atol=1e-9)


def test_analysis_and_detector_build_the_same_grid() -> None:
    x, t = _frames(2)
    y_analysis, fs_analysis = _resample_uneven(x, t)
    y_detector, fs_detector, _, _ = even_ppg(x, fs_analysis, t)
    assert fs_detector == fs_analysis
    np.testing.assert_array_equal(y_analysis, y_detector)
