"""The grid spline against scipy's CubicSpline (the reference implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from hrv._dsp._spline import GridSpline, NotAKnotSpline, _count_below, cubic_on_grid


class TestCubicOnGrid:
    @pytest.mark.parametrize("seed", range(12))
    def test_matches_scipy_not_a_knot(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        n = int(rng.integers(4, 400))
        t = np.cumsum(rng.uniform(0.3, 1.8, n)) + rng.uniform(0, 1e4)
        y = rng.normal(800.0, 60.0, n)
        fs = float(rng.choice([2.0, 4.0, 7.0]))
        t0 = float(t[0] - rng.choice([0.0, 0.3]))  # also a little extrapolation
        size = int((t[-1] - t0) * fs) + int(rng.integers(0, 3))
        ref = CubicSpline(t, y)(t0 + np.arange(size) / fs)
        got = cubic_on_grid(t, y, t0, fs, size)
        # Same system, same LAPACK solver, same coefficients: only the evaluation order
        # (Horner vs power sum) differs, a few ulp of the 800-ms values.
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0.0)

    def test_chunks_agree_with_the_whole(self) -> None:
        rng = np.random.default_rng(3)
        t = np.cumsum(rng.uniform(0.5, 1.2, 2000))
        y = rng.normal(800.0, 40.0, 2000)
        size = int((t[-1] - t[0]) * 4.0)
        sp = GridSpline(t, y, float(t[0]), 4.0, size)
        whole = sp.values(0, size)
        parts = np.concatenate([sp.values(a, min(a + 333, size)) for a in range(0, size, 333)])
        np.testing.assert_array_equal(parts, whole)

    def test_knot_positions_equal_searchsorted(self) -> None:
        rng = np.random.default_rng(4)
        fs, t0, size = 4.0, 12.345, 5000
        grid = t0 + np.arange(size) / fs
        # exact grid values, values a hair off them, random ones and out-of-range ones
        x = np.sort(np.concatenate([grid[::7], np.nextafter(grid[3::11], np.inf),
                                    np.nextafter(grid[5::13], -np.inf),
                                    rng.uniform(t0 - 5, grid[-1] + 5, 500)]))
        np.testing.assert_array_equal(_count_below(x, t0, fs, size), np.searchsorted(grid, x))


class TestNotAKnotAt:
    def test_arbitrary_points_match_scipy(self) -> None:
        rng = np.random.default_rng(9)
        t = np.cumsum(rng.uniform(0.4, 1.5, 300))
        y = rng.normal(800.0, 50.0, 300)
        x = rng.uniform(t[0] - 2.0, t[-1] + 2.0, (7, 50))  # 2-D, unsorted, extrapolated
        x[0, :5] = t[:5]  # exactly on knots
        # Same coefficients as scipy; Horner vs power-sum evaluation: a few ulp.
        np.testing.assert_allclose(NotAKnotSpline(t, y).at(x), CubicSpline(t, y)(x),
                                   rtol=1e-12, atol=0.0)
