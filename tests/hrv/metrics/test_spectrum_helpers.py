"""The private spectral building blocks against scipy and closed-form integrals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from hrv.config import Detrend
from hrv.metrics._bands import band_power, peak_frequency
from hrv.metrics._spectrum import (
    _taper,
    _welch_blocks,
    _welch_sum,
    lomb_periodogram,
    segment_starts,
)


class TestBandPower:
    def test_linear_psd_integrates_exactly(self) -> None:
        # PSD p(f) = 1 + 2f on a coarse grid: piecewise linear, so the trapezoid with
        # interpolated edges is exact: ∫_a^b (1 + 2f) df = (b - a) + (b² - a²)
        f = np.linspace(0.0, 1.0, 11)
        p = 1.0 + 2.0 * f
        a, b = 0.137, 0.462
        assert band_power(f, p, a, b) == pytest.approx((b - a) + (b * b - a * a), rel=1e-12)

    def test_edges_outside_the_grid_are_clipped(self) -> None:
        f = np.linspace(0.1, 0.5, 5)
        assert band_power(f, np.ones(5), 0.0, 1.0) == pytest.approx(0.4)

    def test_peak_frequency_refines_between_bins(self) -> None:
        f = np.arange(0.0, 1.0, 0.01)
        p = np.exp(-(((f - 0.2537) / 0.02) ** 2))
        # parabola through three bins of a Gaussian: within a tenth of a bin
        assert peak_frequency(f, p, 0.15, 0.4) == pytest.approx(0.2537, abs=0.001)


class TestAgainstScipy:
    def test_welch_sum_matches_scipy_welch(self) -> None:
        rng = np.random.default_rng(0)
        x = np.cumsum(rng.normal(size=3000)) + 50 * np.sin(np.arange(3000) * 0.3)
        nperseg, step = 512, 256
        taper = signal.get_window("hann", nperseg)
        acc, n = _welch_sum(x, nperseg, step, taper, Detrend.LINEAR)
        _f, ref = signal.welch(
            x,
            fs=4.0,
            window="hann",
            nperseg=nperseg,
            noverlap=256,
            detrend="linear",
            scaling="density",
        )
        scale = np.full(acc.size, 2.0 / (4.0 * float(taper @ taper)))
        scale[[0, -1]] /= 2.0
        assert n == 1 + (3000 - nperseg) // step
        np.testing.assert_allclose(acc * scale / n, ref, rtol=1e-9, atol=1e-12 * ref.max())

    def test_spread_segments_are_scipys_when_the_steps_fit(self) -> None:
        # 2 * 256 + 512 = 1024 samples: three segments, exactly scipy's
        np.testing.assert_array_equal(segment_starts(1024, 512, 256), [0, 256, 512])
        x = np.random.default_rng(2).normal(size=1024)
        taper = _taper("hann", 512)
        spread = _welch_blocks(
            lambda lo, hi: x[lo:hi], segment_starts(1024, 512, 256), 512, taper, Detrend.LINEAR
        )
        acc, n = _welch_sum(x, 512, 256, taper, Detrend.LINEAR)
        assert n == 3
        np.testing.assert_allclose(spread, acc, rtol=1e-12)

    def test_lomb_periodogram_matches_scipy(self) -> None:
        rng = np.random.default_rng(1)
        t = np.cumsum(rng.uniform(0.6, 1.1, size=400))
        t -= t[0]
        y = 12 * np.sin(2 * np.pi * 0.23 * t) + rng.normal(0, 4, size=t.size)
        y -= y.mean()
        df, nf = 1.0 / 1200.0, 600
        ours = lomb_periodogram(t, y, df, nf)
        ref = signal.lombscargle(t, y, 2 * np.pi * df * np.arange(1, nf + 1), normalize=False)
        np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-10 * ref.max())


class TestSegmentStarts:
    @pytest.mark.parametrize("n", [600, 601, 899, 900, 901, 1197, 1200, 1201, 5000])
    def test_segments_reach_the_end_at_most_one_step_apart(self, n: int) -> None:
        nperseg, step = 600, 300  # 150 s at 4 Hz, 50 % overlap
        s = segment_starts(n, nperseg, step)
        assert s[0] == 0 and s[-1] + nperseg == n  # first and last sample are used
        assert np.all(np.diff(s) <= step) and np.all(np.diff(s) > 0)
        # the fewest such segments: one fewer could not cover n samples
        assert (s.size - 2) * step + nperseg < n or s.size == 1

    def test_five_minutes_at_4_hz_give_three_segments_of_150_s(self) -> None:
        # a 300-s recording's beat times span a little less than 300 s: 1197 samples;
        # scipy's placement keeps 2 segments (samples 0-1199 would be needed for a third)
        assert segment_starts(1197, 600, 300).size == 3
        assert 1 + (1197 - 600) // 300 == 2

    def test_shorter_than_a_segment_gives_none(self) -> None:
        assert segment_starts(599, 600, 300).size == 0
