"""Lazy sliding-window quartile thresholds against ``scipy.ndimage.percentile_filter``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from hrv.intervals._window import AtIndices, WindowThreshold, with_neighbours


def _reference(x: np.ndarray, window: int, scale: float, floor: float) -> np.ndarray:
    a = x.astype(np.float32)
    q1 = ndimage.percentile_filter(a, 25, size=window, mode="reflect")
    q3 = ndimage.percentile_filter(a, 75, size=window, mode="reflect")
    return np.maximum((q3 - q1).astype(np.float64) * scale, floor)


class TestWindowThreshold:
    @pytest.mark.parametrize("window", [5, 10, 31, 90, 91])
    @pytest.mark.parametrize("n", [7, 60, 250, 1001, 5000])
    @pytest.mark.parametrize("quantised", [False, True])
    def test_exact_and_bounds_match_percentile_filter(
        self, window: int, n: int, quantised: bool
    ) -> None:
        rng = np.random.default_rng(n * 1000 + window)
        x = rng.standard_normal(n) * 30.0 + 10.0 * np.sin(np.arange(n) / 7.0)
        x[rng.random(n) < 0.03] *= 8.0  # outliers, as artefacts give
        if quantised:  # 128 Hz annotation timebase: many ties
            x = np.round(x / 7.8125) * 7.8125
        ref = _reference(x, window, 2.6, 1.0)
        th = WindowThreshold(x, window, 2.6, 1.0)
        # Exact values are the same float32 order statistics: equal to the last bit.
        np.testing.assert_array_equal(th.at(np.arange(n)), ref)
        assert np.all(th.lo <= ref) and np.all(ref <= th.hi)
        idx = rng.choice(n, size=min(n, 17), replace=False)
        where = th.where(idx, n)
        np.testing.assert_array_equal(where[idx], ref[idx])
        assert np.isnan(np.delete(where, idx)).all()
        # Every beat above the threshold is in the superset.
        for factor in (1.0, 3.0):
            above = np.flatnonzero(np.abs(x) > factor * ref)
            assert np.isin(above, th.maybe_above(np.abs(x), factor)).all()

    def test_floor_applies(self) -> None:
        th = WindowThreshold(np.zeros(500), 91, 2.6, 1.0)
        np.testing.assert_array_equal(th.at(np.arange(500)), np.ones(500))


class TestWithNeighbours:
    def test_sorted_unique_within_range(self) -> None:
        got = with_neighbours(np.array([0, 5, 4, 9]), (-1, 0, 2), 10)
        # 0 -> {0, 2}; 5 -> {4, 5, 7}; 4 -> {3, 4, 6}; 9 -> {8, 9} (11 out of range)
        np.testing.assert_array_equal(got, [0, 2, 3, 4, 5, 6, 7, 8, 9])


class TestAtIndices:
    def test_stored_values_and_nan_elsewhere(self) -> None:
        s = AtIndices()
        s.add(np.array([7, 2]), np.array([70.0, 20.0]))
        s.add(np.array([4]), np.array([40.0]))
        np.testing.assert_array_equal(s[np.array([2, 4, 7])], [20.0, 40.0, 70.0])
        got = s[np.array([0, 3, 9, 2])]
        assert np.isnan(got[:3]).all() and got[3] == 20.0
        np.testing.assert_array_equal(s.missing(np.array([1, 2, 5, 7])), [1, 5])

    def test_empty(self) -> None:
        assert np.isnan(AtIndices()[np.array([0, 1])]).all()


class TestFloat32Superset:
    def test_float32_series_gives_a_superset(self) -> None:
        # The quartiles of the float32 series; the candidates compared in float64.
        rng = np.random.default_rng(5)
        x = rng.standard_normal(3000) * 20.0
        ref = _reference(x, 91, 2.6, 1.0)
        th = WindowThreshold(x.astype(np.float32), 91, 2.6, 1.0)
        np.testing.assert_array_equal(th.at(np.arange(3000)), ref)
        above = np.flatnonzero(np.abs(x) > ref)
        assert np.isin(above, th.maybe_above(x.astype(np.float32), 1.0)).all()
