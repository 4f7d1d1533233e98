"""Poincaré SD1/SD2 against their definitions and the RMSSD/SDNN identities."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hrv.metrics.nonlinear import poincare
from hrv.metrics.time import time_domain
from hrv.simulate import rr_series
from hrv.types import Intervals


class TestPoincare:
    def test_sd1_exact_relation_to_rmssd(self) -> None:
        # SD1 = SDSD / sqrt(2) (ddof=1), hence exactly
        # SD1² = (RMSSD² − mean(d)²) · m / (m − 1) / 2 for m successive differences d.
        rr = rr_series(300, hf_amplitude_ms=30, lf_amplitude_ms=20, noise_ms=10, seed=1)
        nn = Intervals.contiguous(rr)
        pc, td = poincare(nn), time_domain(nn)
        d = np.diff(rr)
        m = d.size
        assert td.rmssd_ms is not None and pc.sd1_ms is not None
        expected = math.sqrt((td.rmssd_ms**2 - float(d.mean()) ** 2) * m / (m - 1) / 2)
        assert pc.sd1_ms == pytest.approx(expected, rel=1e-9)

    def test_sd1_is_rmssd_over_sqrt2_for_a_stationary_series(self) -> None:
        # mean(d) ≈ 0 and m/(m-1) ≈ 1 + 1/350: within 1 % of RMSSD/√2
        rr = rr_series(300, hf_amplitude_ms=30, noise_ms=10, seed=2)
        nn = Intervals.contiguous(rr)
        pc, td = poincare(nn), time_domain(nn)
        assert td.rmssd_ms is not None
        assert pc.sd1_ms == pytest.approx(td.rmssd_ms / math.sqrt(2), rel=0.01)

    def test_sd2_brennan_identity(self) -> None:
        # Brennan et al. 2001: SD2² ≈ 2 SDNN² − SD1² (exact up to end effects of the pairs);
        # on a 10-min series the end effects are well below 2 %.
        rr = rr_series(600, lf_amplitude_ms=40, hf_amplitude_ms=15, noise_ms=10, seed=3)
        nn = Intervals.contiguous(rr)
        pc, td = poincare(nn), time_domain(nn)
        assert td.sdnn_ms is not None and pc.sd1_ms is not None
        expected = math.sqrt(2 * td.sdnn_ms**2 - pc.sd1_ms**2)
        assert pc.sd2_ms == pytest.approx(expected, rel=0.02)
        assert pc.sd1_sd2_ratio == pytest.approx(pc.sd1_ms / expected, rel=0.02)

    def test_pairs_never_cross_a_gap(self) -> None:
        a = np.array([800.0, 820.0, 790.0, 810.0])
        b = np.array([1100.0, 1130.0, 1090.0, 1120.0])
        rr = np.concatenate([a, b])
        gap = np.zeros(rr.size, dtype=bool)
        gap[[0, a.size]] = True
        t = np.cumsum(rr) / 1000.0
        t[a.size :] += 60.0
        pc = poincare(Intervals(rr, t, gap))
        # independent: perpendicular distances of the within-segment pairs only
        perp = [(y - x) / math.sqrt(2) for s in (a, b) for x, y in itertools.pairwise(s)]
        assert pc.n_pairs == 6
        assert pc.sd1_ms == pytest.approx(float(np.std(perp, ddof=1)), rel=1e-12)

    def test_too_few_pairs_give_none(self) -> None:
        assert poincare(Intervals.contiguous([800.0, 810.0])).sd1_ms is None
        assert poincare(Intervals.contiguous([])).sd2_ms is None
        assert poincare(Intervals.contiguous([800.0, 810.0, 790.0])).sd1_ms is not None
