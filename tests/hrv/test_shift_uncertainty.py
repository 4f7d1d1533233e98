"""The sub-window standard error of :func:`hrv.shift.compare` on series with a known answer.

The sub-window machinery is fed window averages of synthetic series whose whole-series
mean has a known sampling distribution (white noise: variance ``σ² / n``), so the
standard error, its degrees of freedom and the interval's coverage can be checked
against theory rather than against the code's own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hrv.shift._changes import MARKERS, recording_uncertainty, t_value
from hrv.shift._windows import WindowSeries, window_starts, window_uncertainty

SPEC = next(m for m in MARKERS if m.name == "ln_rmssd")  # a marker judged on its own scale


def _windows(x: np.ndarray, window: float, step: float, *, fit: bool) -> WindowSeries:
    """Means of ``x`` (one value per unit of time) over windows as ``compare`` cuts them."""
    starts = window_starts(0.0, float(x.size), window, step, fit=fit)
    c = np.concatenate([[0.0], np.cumsum(x)])
    lo = np.round(starts).astype(int)
    vals = (c[lo + int(window)] - c[lo]) / window
    return WindowSeries(
        window, starts, starts + window, np.zeros(lo.size, dtype=np.int64), {SPEC.name: vals}
    )


def _pair(x: np.ndarray) -> dict[str, WindowSeries]:
    return {"short": _windows(x, 60.0, 30.0, fit=False), "long": _windows(x, 120.0, 60.0, fit=True)}


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    e = rng.normal(size=n)
    out = np.empty(n)
    out[0] = e[0] / math.sqrt(1.0 - phi * phi)  # stationary from the start
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


class TestOverlapCorrection:
    def test_non_overlapping_windows_give_the_classic_formula(self) -> None:
        # five disjoint 60-s windows of 300 s: SE = SD · sqrt(60 / 300), df = 5 - 1
        vals = np.array([3.1, 3.3, 3.0, 3.4, 3.2])
        starts = 60.0 * np.arange(5)
        ws = WindowSeries(60.0, starts, starts + 60.0, np.zeros(5, dtype=np.int64), {"x": vals})
        got = window_uncertainty(ws, "x", 300.0, log=False)
        assert got is not None
        se, df = got
        assert se == pytest.approx(float(np.std(vals, ddof=1)) * math.sqrt(0.2), rel=1e-12)
        assert df == pytest.approx(4.0, rel=1e-12)

    def test_half_overlapping_windows_are_corrected_for_the_data_they_share(self) -> None:
        # nine 60-s windows 30 s apart: 8 of the 36 pairs share half their data, so
        # E[s²] = (1 - 8 · 0.5 / 36) σ_w² and the sample variance is divided by 8/9
        vals = np.linspace(3.0, 3.4, 9)
        starts = 30.0 * np.arange(9)
        ws = WindowSeries(60.0, starts, starts + 60.0, np.zeros(9, dtype=np.int64), {"x": vals})
        got = window_uncertainty(ws, "x", 300.0, log=False)
        assert got is not None
        se, df = got
        want = math.sqrt(float(np.var(vals, ddof=1)) / (8.0 / 9.0) * 0.2)
        assert se == pytest.approx(want, rel=1e-12)
        assert 4.0 < df < 9.0 - 1.0  # more than the disjoint count less one, fewer than m - 1

    def test_degrees_of_freedom_match_the_scatter_of_the_variance(self) -> None:
        # white noise: the Satterthwaite df of the overlapping-window variance is
        # 2 E[s²]² / Var(s²); measured by simulation over many series
        rng = np.random.default_rng(3)
        reps = 4000
        se2 = np.empty(reps)
        df = 0.0
        for i in range(reps):
            got = window_uncertainty(
                _windows(rng.normal(size=300), 60.0, 30.0, fit=False), SPEC.name, 300.0, log=False
            )
            assert got is not None
            se2[i], df = got[0] ** 2, got[1]
        # unbiased for the variance of the whole mean, 1 / 300
        assert float(np.mean(se2)) == pytest.approx(1.0 / 300.0, rel=0.04)
        measured_df = 2.0 * float(np.mean(se2)) ** 2 / float(np.var(se2))
        assert measured_df == pytest.approx(df, rel=0.12)

    def test_white_noise_interval_covers_at_its_level(self) -> None:
        rng = np.random.default_rng(5)
        hits = []
        for _ in range(2000):
            x = rng.normal(size=300)
            got = window_uncertainty(
                _windows(x, 60.0, 30.0, fit=False), SPEC.name, 300.0, log=False
            )
            assert got is not None
            hits.append(abs(x.mean()) <= t_value(0.95, got[1]) * got[0])
        assert 0.935 <= float(np.mean(hits)) <= 0.965


class TestSlowWander:
    def test_longer_windows_are_used_when_a_slow_wander_correlates_the_short_ones(self) -> None:
        # AR(1) with a 20-s correlation time on top of white noise: neighbouring 60-s
        # windows are alike, so their spread understates the whole mean's scatter
        rng = np.random.default_rng(7)
        short_hits, checked_hits, wider = [], [], 0
        for _ in range(1500):
            x = rng.normal(size=300) + 0.3 * _ar1(rng, 300, 0.95)
            series = _pair(x)
            short = window_uncertainty(series["short"], SPEC.name, 300.0, log=False)
            checked = recording_uncertainty(SPEC, series, 300.0)
            assert short is not None and checked is not None
            assert checked[0] >= short[0]  # never narrower than the short windows alone
            wider += checked[0] > short[0]
            short_hits.append(abs(x.mean()) <= t_value(0.95, short[1]) * short[0])
            checked_hits.append(abs(x.mean()) <= t_value(0.95, checked[1]) * checked[0])
        assert float(np.mean(short_hits)) < 0.92
        assert float(np.mean(checked_hits)) >= 0.92
        assert float(np.mean(checked_hits)) > float(np.mean(short_hits)) + 0.02
        assert wider > 0

    def test_no_check_below_two_long_windows(self) -> None:
        # 3 min hold one and a half 120-s windows: the short windows' estimate stands
        rng = np.random.default_rng(8)
        x = rng.normal(size=180)
        series = _pair(x)
        assert recording_uncertainty(SPEC, series, 180.0) == window_uncertainty(
            series["short"], SPEC.name, 180.0, log=False
        )

    def test_fewer_than_two_windows_give_no_uncertainty(self) -> None:
        ws = WindowSeries(
            60.0,
            np.array([0.0]),
            np.array([60.0]),
            np.zeros(1, dtype=np.int64),
            {"x": np.array([3.2])},
        )
        assert window_uncertainty(ws, "x", 60.0, log=False) is None


class TestPairSpectra:
    def test_pre_and_post_of_different_lengths_share_the_spectral_grid(self) -> None:
        # 4 and 6 min: both hold a 150-s segment, so the HF powers compared are
        # integrated over the same bins (with 256-s segments a 4-min recording got one
        # 240-s segment and a grid of its own)
        import hrv
        from hrv.shift import compare
        from hrv.simulate import rr_series

        pre = hrv.analyze_intervals(
            rr_series(240, hf_amplitude_ms=20, noise_ms=8, seed=1), unit="ms"
        )
        post = hrv.analyze_intervals(
            rr_series(360, hf_amplitude_ms=30, noise_ms=8, seed=2), unit="ms"
        )
        assert pre.spectrum is not None and post.spectrum is not None
        np.testing.assert_array_equal(pre.spectrum.freq_hz, post.spectrum.freq_hz)
        sp_pre, sp_post = pre.provenance["spectrum"], post.provenance["spectrum"]
        assert sp_pre["segment_s"] == sp_post["segment_s"] == 150.0
        assert sp_pre["n_segments"] >= 2 and sp_post["n_segments"] >= 4
        s = compare(pre, post)
        assert "different_settings" not in {c.code for c in s.verdict.caveats}
        hf = s.changes["hf_power_ms2"]
        assert hf.se is not None and hf.df is not None and hf.df > 1
