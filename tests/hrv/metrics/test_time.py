"""Time-domain markers against textbook formulas computed independently here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hrv.metrics.time import time_domain
from hrv.simulate import rr_series
from hrv.types import Intervals


def _with_gaps(rr: np.ndarray, gap_at: list[int], gap_s: float = 30.0) -> Intervals:
    """Intervals with a hole of ``gap_s`` seconds before each index in ``gap_at``."""
    t = np.cumsum(rr) / 1000.0
    gap = np.zeros(rr.size, dtype=bool)
    gap[0] = True
    for i in gap_at:
        t[i:] += gap_s
        gap[i] = True
    return Intervals(rr.astype(float), t, gap)


def _textbook_rmssd(segments: list[list[float]]) -> float:
    """sqrt of the mean squared successive difference, a plain loop per segment."""
    total, count = 0.0, 0
    for seg in segments:
        for a, b in itertools.pairwise(seg):
            total += (b - a) ** 2
            count += 1
    return math.sqrt(total / count)


class TestTextbook:
    def test_rmssd_equals_textbook_formula(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, lf_amplitude_ms=15, noise_ms=12, seed=4)
        td = time_domain(Intervals.contiguous(rr))
        expected = _textbook_rmssd([list(rr)])
        # same formula, different summation order: agreement to floating-point precision
        assert td.rmssd_ms == pytest.approx(expected, rel=1e-12)
        assert td.ln_rmssd == pytest.approx(math.log(expected), rel=1e-12)

    def test_sdnn_mean_and_hr_match_numpy(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=30, noise_ms=20, seed=7)
        td = time_domain(Intervals.contiguous(rr))
        assert td.sdnn_ms == pytest.approx(float(np.std(rr, ddof=1)), rel=1e-12)
        assert td.mean_nn_ms == pytest.approx(sum(rr) / len(rr), rel=1e-12)
        assert td.mean_hr_bpm == pytest.approx(60000.0 * len(rr) / sum(rr), rel=1e-12)
        assert td.n_intervals == len(rr)

    def test_pnn50_and_sdsd_on_a_hand_made_series(self) -> None:
        # diffs: +60, -10, -60, +55 -> three of four exceed 50 ms in magnitude
        td = time_domain(Intervals.contiguous([800, 860, 850, 790, 845]))
        assert td.pnn50_pct == pytest.approx(75.0)
        d = [60.0, -10.0, -60.0, 55.0]
        mean = sum(d) / 4
        sdsd = math.sqrt(sum((x - mean) ** 2 for x in d) / 3)
        assert td.sdsd_ms == pytest.approx(sdsd, rel=1e-12)

    def test_exactly_50_ms_is_not_counted(self) -> None:
        # pNN50 counts differences strictly greater than 50 ms
        td = time_domain(Intervals.contiguous([800, 850, 800, 851]))
        assert td.pnn50_pct == pytest.approx(100.0 / 3.0)


class TestGaps:
    def test_no_successive_difference_across_a_gap(self) -> None:
        a = [800.0, 810.0, 790.0, 805.0, 795.0]
        b = [1200.0, 1220.0, 1190.0, 1210.0]  # a jump of 400 ms across the gap
        nn = _with_gaps(np.array(a + b), gap_at=[len(a)])
        td = time_domain(nn)
        assert td.n_diffs == len(a) - 1 + len(b) - 1
        assert td.rmssd_ms == pytest.approx(_textbook_rmssd([a, b]), rel=1e-12)
        # with the cross-gap difference the value would be far larger
        assert td.rmssd_ms < 0.5 * _textbook_rmssd([a + b])
        assert td.pnn50_pct == pytest.approx(0.0)

    def test_gap_flags_alone_split_pairs(self) -> None:
        # a flagged gap with no time jump (a dropped interval) also splits the pairs
        rr = np.array([800.0, 900.0, 800.0, 900.0])
        nn = Intervals(rr, np.cumsum(rr) / 1000.0, np.array([True, False, True, False]))
        td = time_domain(nn)
        assert td.n_diffs == 2
        assert td.rmssd_ms == pytest.approx(100.0)


class TestTooShort:
    def test_empty_series_gives_none_everywhere(self) -> None:
        td = time_domain(Intervals.contiguous([]))
        assert td.mean_nn_ms is None and td.sdnn_ms is None and td.rmssd_ms is None
        assert td.pnn50_pct is None and td.sdsd_ms is None and td.mean_hr_bpm is None

    def test_single_interval_gives_mean_only(self) -> None:
        td = time_domain(Intervals.contiguous([1000.0]))
        assert td.mean_nn_ms == pytest.approx(1000.0)
        assert td.mean_hr_bpm == pytest.approx(60.0)
        assert td.sdnn_ms is None and td.rmssd_ms is None and td.ln_rmssd is None

    def test_two_intervals_split_by_gap_have_no_rmssd(self) -> None:
        nn = _with_gaps(np.array([800.0, 900.0]), gap_at=[1])
        td = time_domain(nn)
        assert td.sdnn_ms is not None
        assert td.rmssd_ms is None and td.pnn50_pct is None and td.sdsd_ms is None

    def test_one_difference_gives_rmssd_but_no_sdsd(self) -> None:
        td = time_domain(Intervals.contiguous([800.0, 830.0]))
        assert td.rmssd_ms == pytest.approx(30.0)
        assert td.sdsd_ms is None
