"""NN50, CVNN, HRV triangular index, TINN, DFA α1/α2 and sample entropy against known
answers (analytic values, published exponents of synthetic noises) and NeuroKit2."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import hrv
from hrv.metrics.nonlinear import (
    DFA_MIN_BOXES,
    SAMPEN_BLOCK,
    SAMPEN_EXACT,
    SAMPEN_MIN_INTERVALS,
    dfa,
    sample_entropy,
)
from hrv.metrics.time import HISTOGRAM_BIN_MS, geometric, time_domain
from hrv.types import Intervals


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise: white noise shaped by 1/sqrt(f) in the Fourier domain."""
    f = np.fft.rfftfreq(n)
    spec = rng.normal(size=f.size) + 1j * rng.normal(size=f.size)
    spec[0] = 0.0
    spec[1:] /= np.sqrt(f[1:])
    return np.fft.irfft(spec, n)


def _scaled(x: np.ndarray) -> np.ndarray:
    return 800.0 + 20.0 * (x - x.mean()) / x.std()


class TestNN50AndCVNN:
    def test_alternating_series(self) -> None:
        rr = np.tile([800.0, 860.0, 800.0, 830.0], 50)  # |diffs| 60, 60, 30, 30, ...
        td = time_domain(Intervals.contiguous(rr))
        d = np.abs(np.diff(rr))
        assert td.nn50_count == float(np.count_nonzero(d > 50))
        assert td.nn50_count == 100.0
        assert td.cvnn_pct == pytest.approx(100 * rr.std(ddof=1) / rr.mean(), rel=1e-12)

    def test_no_count_across_a_gap(self) -> None:
        rr = np.array([800.0, 900.0, 800.0, 900.0])
        gap = np.array([True, False, True, False])  # the 900 -> 800 step spans a gap
        td = time_domain(Intervals(rr, np.cumsum(rr) / 1000, gap))
        assert td.nn50_count == 2.0

    def test_against_neurokit2(self) -> None:
        nk = pytest.importorskip("neurokit2")
        rng = np.random.default_rng(7)
        rr = 850 + np.cumsum(rng.normal(0, 15, 400)) * 0.2 + rng.normal(0, 30, 400)
        td = time_domain(Intervals.contiguous(rr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = nk.hrv_time({"RRI": rr, "RRI_Time": np.cumsum(rr) / 1000})
        assert td.cvnn_pct == pytest.approx(100 * float(ref["HRV_CVNN"].iloc[0]), rel=1e-9)
        # NeuroKit2 divides NN50 by the number of intervals (400), not of differences.
        assert td.nn50_count == pytest.approx(float(ref["HRV_pNN50"].iloc[0]) * 400 / 100)


class TestGeometric:
    def test_triangular_distribution_known_answer(self) -> None:
        # Intervals drawn from a triangle 700-800-900 ms: the fitted base is 200 ms and
        # the index is n / (peak density x bin) = 200 / (2 x 7.8125) = 12.8.
        rng = np.random.default_rng(0)
        rr = rng.triangular(700, 800, 900, 20000)
        g = geometric(Intervals.contiguous(rr))
        assert g.tinn_ms is not None and g.hrv_triangular_index is not None
        assert abs(g.tinn_ms - 200.0) <= 2 * HISTOGRAM_BIN_MS
        assert g.hrv_triangular_index == pytest.approx(12.8, rel=0.05)
        assert g.warnings == ()

    def test_wider_histogram_gives_larger_values(self) -> None:
        rng = np.random.default_rng(1)
        narrow = geometric(Intervals.contiguous(rng.triangular(750, 800, 850, 2000)))
        wide = geometric(Intervals.contiguous(rng.triangular(650, 800, 950, 2000)))
        assert wide.tinn_ms > narrow.tinn_ms  # type: ignore[operator]
        assert wide.hrv_triangular_index > narrow.hrv_triangular_index  # type: ignore[operator]

    def test_below_five_minutes_is_null_with_warning(self) -> None:
        rr = np.full(350, 800.0)  # 280 s
        g = geometric(Intervals.contiguous(rr))
        assert g.hrv_triangular_index is None and g.tinn_ms is None
        assert [w.code for w in g.warnings] == ["too_short_for_triangular"]

    def test_warning_states_the_measured_span_with_its_decimal(self) -> None:
        rr = np.full(367, 800.0)  # 293.6 s, just under the limit of 294 s
        (w,) = geometric(Intervals.contiguous(rr)).warnings
        assert "span 293.6 s;" in w.message

    def test_five_minute_recording_qualifies(self) -> None:
        rng = np.random.default_rng(2)
        rr = 800 + rng.normal(0, 30, 375)  # 300 s
        assert geometric(Intervals.contiguous(rr)).tinn_ms is not None

    def test_against_neurokit2(self) -> None:
        nk = pytest.importorskip("neurokit2")
        rng = np.random.default_rng(3)
        rr = rng.triangular(700, 800, 900, 2000)
        g = geometric(Intervals.contiguous(rr))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = nk.hrv_time({"RRI": rr, "RRI_Time": np.cumsum(rr) / 1000})
        # Same 1/128-s bins anchored at 0 ms: the same highest bin, the same index.
        assert g.hrv_triangular_index == pytest.approx(float(ref["HRV_HTI"].iloc[0]))
        # NeuroKit2 fits the triangle over [N, M] only; the bases agree within 3 bins.
        assert abs(g.tinn_ms - float(ref["HRV_TINN"].iloc[0])) <= 3 * HISTOGRAM_BIN_MS  # type: ignore[operator]


class TestDFA:
    @pytest.mark.parametrize(
        ("noise", "alpha1", "alpha2"),
        [
            # White noise: 0.5 (short boxes bias alpha1 up by about 0.05-0.1).
            ("white", (0.45, 0.65), (0.44, 0.56)),
            ("pink", (0.9, 1.1), (0.88, 1.1)),  # 1/f noise: 1.0
            ("brown", (1.4, 1.6), (1.35, 1.6)),  # Brownian motion: 1.5
        ],
    )
    def test_known_exponents(self, noise: str, alpha1: tuple[float, float],
                             alpha2: tuple[float, float]) -> None:
        rng = np.random.default_rng(11)
        n = 8000
        x = {"white": rng.normal(size=n), "pink": _pink(n, rng),
             "brown": np.cumsum(rng.normal(size=n))}[noise]
        d = dfa(Intervals.contiguous(_scaled(x)))
        assert d.dfa_alpha1 is not None and d.dfa_alpha2 is not None
        assert alpha1[0] < d.dfa_alpha1 < alpha1[1]
        assert alpha2[0] < d.dfa_alpha2 < alpha2[1]

    def test_lengths_needed(self) -> None:
        rng = np.random.default_rng(4)
        short = dfa(Intervals.contiguous(_scaled(rng.normal(size=10 * 16 - 1))))
        assert short.dfa_alpha1 is None and short.dfa_alpha2 is None
        assert {w.code for w in short.warnings} == {
            "too_short_for_dfa_alpha1", "too_short_for_dfa_alpha2"}
        mid = dfa(Intervals.contiguous(_scaled(rng.normal(size=400))))
        assert mid.dfa_alpha1 is not None and mid.dfa_alpha2 is None
        assert [w.code for w in mid.warnings] == ["too_short_for_dfa_alpha2"]
        long = dfa(Intervals.contiguous(_scaled(rng.normal(size=DFA_MIN_BOXES * 64))))
        assert long.dfa_alpha2 is not None and long.warnings == ()

    def test_against_neurokit2(self) -> None:
        nk = pytest.importorskip("neurokit2")
        rng = np.random.default_rng(5)
        rr = _scaled(_pink(3000, rng))
        d = dfa(Intervals.contiguous(rr))
        ref, _ = nk.fractal_dfa(rr, scale=np.arange(4, 17), overlap=False)
        # Same boxes; NeuroKit2 lays them from the start only.
        assert d.dfa_alpha1 == pytest.approx(float(ref), abs=0.03)


class TestSampleEntropy:
    def test_white_noise_analytic(self) -> None:
        # For Gaussian white noise, P(|x - y| <= r) = erf(r / (2 sigma)), so the sample
        # entropy at r = 0.2 SD is -ln(erf(0.1)) = 2.185.
        rng = np.random.default_rng(8)
        se = sample_entropy(Intervals.contiguous(800 + 40 * rng.normal(size=5000)))
        assert se.sample_entropy == pytest.approx(-math.log(math.erf(0.1)), abs=0.05)

    def test_regular_rhythm_is_low(self) -> None:
        t = np.arange(600)
        rr = 800 + 40 * np.sin(2 * np.pi * t / 12.0)
        se = sample_entropy(Intervals.contiguous(rr))
        assert se.sample_entropy is not None and se.sample_entropy < 0.3

    @pytest.mark.parametrize("n", [400, 6000])  # direct counting, then the KD-tree
    def test_against_neurokit2(self, n: int) -> None:
        nk = pytest.importorskip("neurokit2")
        rng = np.random.default_rng(n)
        rr = 820 + np.cumsum(rng.normal(0, 5, n)) * 0.3 + rng.normal(0, 25, n)
        se = sample_entropy(Intervals.contiguous(rr))
        ref, _ = nk.entropy_sample(rr, dimension=2, tolerance=0.2 * np.std(rr, ddof=1))
        assert se.sample_entropy == pytest.approx(float(ref), rel=1e-9)

    def test_blocks_of_a_long_record(self) -> None:
        rng = np.random.default_rng(9)
        n = SAMPEN_EXACT + 3 * SAMPEN_BLOCK
        se = sample_entropy(Intervals.contiguous(800 + 40 * rng.normal(size=n)))
        assert se.n_templates == n - 2
        assert se.sample_entropy == pytest.approx(-math.log(math.erf(0.1)), abs=0.03)

    def test_templates_across_a_gap_are_left_out(self) -> None:
        rng = np.random.default_rng(10)
        rr = 800 + 40 * rng.normal(size=500)
        gap = np.zeros(500, dtype=bool)
        gap[0] = gap[250] = True
        se = sample_entropy(Intervals(rr, np.cumsum(rr) / 1000, gap))
        # 498 templates of 3 intervals; the 2 that contain the gap are dropped.
        assert se.n_templates == 496

    def test_too_short_is_null_with_warning(self) -> None:
        rr = 800 + np.arange(SAMPEN_MIN_INTERVALS - 1) % 7
        se = sample_entropy(Intervals.contiguous(rr))
        assert se.sample_entropy is None
        assert [w.code for w in se.warnings] == ["too_short_for_sample_entropy"]


class TestInAnalysis:
    NEW = ("nn50_count", "cvnn_pct", "hrv_triangular_index", "tinn_ms", "dfa_alpha1",
           "dfa_alpha2", "sample_entropy")

    def test_five_minute_series(self) -> None:
        rng = np.random.default_rng(12)
        a = hrv.analyze_intervals(800 + rng.normal(0, 35, 390))
        d = a.to_dict()["metrics"]
        for key in self.NEW:
            assert key in d
        assert d["tinn_ms"] is not None and d["dfa_alpha1"] is not None
        assert d["sample_entropy"] is not None
        assert d["dfa_alpha2"] is None
        assert a.quality.has_warning("too_short_for_dfa_alpha2")

    def test_two_minute_series_gives_nulls_and_warnings(self) -> None:
        rng = np.random.default_rng(13)
        a = hrv.analyze_intervals(800 + rng.normal(0, 35, 150))
        m = a.metrics
        assert m.tinn_ms is None and m.dfa_alpha1 is None and m.sample_entropy is None
        assert m.nn50_count is not None and m.cvnn_pct is not None
        for code in ("too_short_for_triangular", "too_short_for_dfa_alpha1",
                     "too_short_for_sample_entropy"):
            assert a.quality.has_warning(code)
