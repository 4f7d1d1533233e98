"""Row-wise helpers of the ECG detector's per-beat arrays agree with numpy's definitions."""

from __future__ import annotations

import numpy as np
import pytest

from hrv.detect._ecg_beats import block_medians, median_rows


@pytest.mark.parametrize("width", [1, 2, 5, 12, 50, 64])
def test_median_rows_is_numpy_median(width: int) -> None:
    rng = np.random.default_rng(width)
    a = rng.standard_normal((37, 3, width))
    a[0, 0, :] = 1.0  # ties
    want = np.median(a, axis=-1)
    assert np.array_equal(median_rows(a.copy()), want)


def test_block_medians_known_values() -> None:
    # Rows 0..9 of value i in every column; blocks of 4: [0-3], [4-7], [8, 9 + rows 6, 7].
    a = np.repeat(np.arange(10.0)[:, None], 3, axis=1)
    med = block_medians(a, 4)
    assert med.shape == (3, 3)
    assert np.array_equal(med[:, 0], [1.5, 5.5, 7.5])
    assert np.array_equal(med[:, 2], med[:, 0])


def _synthetic_ecg(n_beats: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    rr = 0.8 + 0.05 * rng.standard_normal(n_beats)
    beats = np.cumsum(rr) + 0.5
    t = np.arange(int((beats[-1] + 1.0) * fs)) / fs
    x = 0.02 * rng.standard_normal(t.size)
    for i, b in enumerate(beats):
        lo, hi = np.searchsorted(t, [b - 0.1, b + 0.1])
        amp = -1.0 if (i // 200) % 3 == 2 else 1.0  # some template blocks inverted
        x[lo:hi] += amp * np.exp(-0.5 * ((t[lo:hi] - b) / 0.01) ** 2)
    return x, beats


def test_refinement_in_runs_is_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from hrv.detect import _ecg_beats

    fs = 250.0
    x, beats = _synthetic_ecg(1111, fs)
    approx = np.rint(beats * fs).astype(np.int64) + 2  # off by a few samples
    monkeypatch.setattr(_ecg_beats, "REFINE_CHUNK", 10**9)
    whole = _ecg_beats.refine_peaks(x, fs, approx)
    monkeypatch.setattr(_ecg_beats, "REFINE_CHUNK", 200)
    runs = _ecg_beats.refine_peaks(x, fs, approx)
    assert np.array_equal(whole[0], runs[0]) and whole[1] == runs[1]
    assert np.max(np.abs(runs[0] - beats)) < 2.0 / fs  # and the peaks are found
