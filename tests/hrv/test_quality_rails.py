"""Clipping runs of the quality windows, with known positions (both rails, block edges)."""

from __future__ import annotations

import numpy as np

from hrv._dsp import BLOCK_SAMPLES
from hrv.quality import _windows as qw


def test_rail_runs_across_blocks_and_between_rails() -> None:
    fs = 100.0  # runs of 3 samples (30 ms) and more count as clipping
    n = BLOCK_SAMPLES + 5000
    x = np.tile([0.0, 1.0, -1.0, 2.0, -2.0], n // 5)[:n]  # values in (-3, 3), no run
    hi, lo = 3.0, -3.0
    runs = [(100, 104, hi), (2000, 2005, lo), (BLOCK_SAMPLES - 2, BLOCK_SAMPLES + 2, hi)]
    for s, e, v in runs:
        x[s:e] = v
    x[3000:3003] = hi  # a step from one rail straight onto the other: one run of 6
    x[3003:3006] = lo
    x[4000:4002] = hi  # two samples: too short to count
    nan = np.zeros(n, dtype=bool)
    starts = qw.window_starts(n, 2500)
    st = qw.window_stats(x, nan, fs, starts)
    # Windows of 2500 samples: window 0 holds runs of 4 and 5 samples, window 1 the one
    # of 6 (two if the step between the rails split it); the run over the block edge
    # lies in the windows on both sides of it.
    assert st.rail_runs[0] == 2
    assert np.isclose(st.rail_frac[0], 9 / 2500)
    assert st.rail_runs[1] == 1
    assert np.isclose(st.rail_frac[1], 6 / 2500)
    w = BLOCK_SAMPLES // 2500
    assert st.rail_runs[w - 1] + st.rail_runs[w] == 1  # one run, counted where it starts
    assert st.rail_runs.sum() == 4
    assert np.isclose(st.rail_frac[w - 1] * 2500 + st.rail_frac[w] * 2500, 4)
    assert st.peak_rail_runs == 1  # the two-sample run: a cut-off peak, not clipping


def test_nan_bridged_samples_do_not_sit_on_the_rail() -> None:
    fs = 100.0
    n = 20000
    x = np.tile([0.0, 1.0, -1.0], n // 3 + 1)[:n]
    for s in (100, 300, 500, 700):
        x[s:s + 4] = 3.0
    nan = np.zeros(n, dtype=bool)
    nan[301:303] = True  # this run is broken by bridged samples
    st = qw.window_stats(x, nan, fs, qw.window_starts(n, 2500))
    assert st.rail_runs[0] == 3


def _with_rail_runs(fs: float, length: int, count: int = 5) -> np.ndarray:
    """A varying signal in (-3, 3) with ``count`` runs of ``length`` samples at 3.0."""
    n = round(10 * fs)
    x = np.tile([0.0, 1.0, -1.0, 2.0, -2.0], n // 5 + 1)[:n]
    x[-1] = -3.0  # the minimum: a single sample, no rail
    for k in range(count):
        s = 20 + k * (n // count)
        x[s:s + length] = 3.0
    return x


def test_clipping_needs_runs_of_30_ms() -> None:
    """A run at the rail is clipping from 30 ms on; shorter ones only cut off a peak's top
    (an R wave is 40-60 ms wide: the QRS flanks, and the beat time, are intact)."""
    for fs, short, long in ((125.0, 3, 4), (250.0, 7, 8), (360.0, 10, 11), (100.0, 2, 3)):
        starts = qw.window_starts(round(10 * fs), round(10 * fs))
        nan = np.zeros(round(10 * fs), dtype=bool)
        cut = qw.window_stats(_with_rail_runs(fs, short), nan, fs, starts)
        assert cut.rail_runs.sum() == 0 and cut.rail_frac.sum() == 0, fs
        assert cut.peak_rail_runs == 5, fs
        clipped = qw.window_stats(_with_rail_runs(fs, long), nan, fs, starts)
        assert clipped.rail_runs.sum() == 5 and clipped.peak_rail_runs == 0, fs
