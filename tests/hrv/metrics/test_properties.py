"""Property tests: any interval series gives a result (values finite or None), never a crash."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hrv.config import SpectrumConfig
from hrv.metrics import frequency_domain, poincare, time_domain
from hrv.respiration import fuse_respiration, rsa_rate_bpm
from hrv.types import Intervals


@st.composite
def interval_series(draw: st.DrawFn) -> Intervals:
    n = draw(st.integers(min_value=0, max_value=400))
    rr = np.array(
        draw(st.lists(st.floats(200.0, 2500.0), min_size=n, max_size=n)), dtype=np.float64
    )
    gaps = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    hole_s = draw(st.sampled_from([0.0, 1.5, 60.0]))
    t = np.cumsum(rr) / 1000.0 + np.cumsum(gaps) * hole_s
    if n:
        gaps[0] = True
    return Intervals(rr, t, gaps)


def _finite_or_none(obj: object, names: tuple[str, ...]) -> None:
    for name in names:
        v = getattr(obj, name)
        assert v is None or math.isfinite(v), name


class TestNeverCrash:
    @settings(max_examples=60, deadline=None)
    @given(nn=interval_series(), method=st.sampled_from(["welch", "lomb"]))
    def test_all_metric_functions(self, nn: Intervals, method: str) -> None:
        td = time_domain(nn)
        _finite_or_none(td, ("mean_nn_ms", "sdnn_ms", "rmssd_ms", "pnn50_pct", "sdsd_ms"))
        # short minimum durations so that the spectral code runs on most examples
        cfg = SpectrumConfig(method=method, hf_min_s=20, lf_min_s=30, vlf_min_s=40)
        fd = frequency_domain(nn, cfg)
        _finite_or_none(fd, ("vlf_power_ms2", "lf_power_ms2", "hf_power_ms2", "lf_hf_ratio"))
        for name in ("vlf_power_ms2", "lf_power_ms2", "hf_power_ms2"):
            v = getattr(fd, name)
            # a PSD integral cannot be negative (tiny rounding below zero allowed)
            assert v is None or v > -1e-9
        _finite_or_none(poincare(nn), ("sd1_ms", "sd2_ms", "sd1_sd2_ratio"))
        rate = rsa_rate_bpm(fd)
        assert rate is None or 0 < rate < 60 * 0.5 + 1e-9
        assert fuse_respiration({"rsa": rate}).rate_bpm == rate
