"""Synthetic before/after pairs whose truth is known, shared by the shift tests and benchmark.

RMSSD of a series from :func:`hrv.simulate.rr_series` is known analytically: a sinusoid of
amplitude ``A`` ms at ``f`` Hz sampled once per beat (interval ``T`` s) has successive
differences of mean square ``2 A² sin²(π f T)``, white noise of SD ``σ`` contributes
``2 σ²``, and the components are independent, so

    RMSSD² = 2 A_hf² sin²(π f_hf T) + 2 A_lf² sin²(π f_lf T) + 2 σ².

The "vagal" state scales the HF amplitude and the noise so that its expected RMSSD is
exactly 1.5 × the "rest" state's at a heart rate 8 bpm lower.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from hrv.analysis import analyze_intervals
from hrv.simulate import rr_series
from hrv.types import Analysis

__all__ = [
    "REST",
    "SLOW_BREATH",
    "VAGAL",
    "State",
    "analyse",
    "expected_rmssd_ms",
    "pair",
    "simulate",
    "slow_breathing",
    "vagal_from",
]


@dataclasses.dataclass(frozen=True)
class State:
    """Generator settings of one autonomic state."""

    mean_hr_bpm: float
    hf_amplitude_ms: float
    lf_amplitude_ms: float
    noise_ms: float
    breathing_bpm: tuple[float, float] = (14.0, 16.0)
    lf_hz: float = 0.1


def expected_rmssd_ms(s: State, breathing_bpm: float) -> float:
    """Expected RMSSD (ms) of ``rr_series`` with these settings (formula above)."""
    t = 60.0 / s.mean_hr_bpm
    f = breathing_bpm / 60.0
    ms = (2 * s.hf_amplitude_ms**2 * math.sin(math.pi * f * t) ** 2
          + 2 * s.lf_amplitude_ms**2 * math.sin(math.pi * s.lf_hz * t) ** 2
          + 2 * s.noise_ms**2)
    return math.sqrt(ms)


REST = State(mean_hr_bpm=70.0, hf_amplitude_ms=25.0, lf_amplitude_ms=20.0, noise_ms=10.0)


def vagal_from(rest: State, ratio: float = 1.5, hr_drop_bpm: float = 8.0) -> State:
    """The state with ``ratio`` × RMSSD at ``hr_drop_bpm`` lower HR (at 15 breaths/min)."""
    hr = rest.mean_hr_bpm - hr_drop_bpm
    t = 60.0 / hr
    target = (ratio * expected_rmssd_ms(rest, 15.0)) ** 2
    lf = 2 * rest.lf_amplitude_ms**2 * math.sin(math.pi * rest.lf_hz * t) ** 2
    scalable = (2 * rest.hf_amplitude_ms**2 * math.sin(math.pi * 0.25 * t) ** 2
                + 2 * rest.noise_ms**2)
    k = math.sqrt((target - lf) / scalable)
    return dataclasses.replace(rest, mean_hr_bpm=hr, hf_amplitude_ms=k * rest.hf_amplitude_ms,
                               noise_ms=k * rest.noise_ms)


VAGAL = vagal_from(REST)


def slow_breathing(s: State, breathing_bpm: float = 6.0) -> State:
    """``s`` breathing at ``breathing_bpm`` with the same expected RMSSD as at 15/min.

    Deeper, slower breaths: the RSA amplitude grows so that the successive differences
    (and so the vagal marker RMSSD) are unchanged, while the RSA peak leaves the HF band.
    The separate Mayer wave is dropped (slow breathing entrains it) and its share of the
    successive differences is given to the RSA, so the expectation stays exact.
    """
    t = 60.0 / s.mean_hr_bpm
    target = expected_rmssd_ms(s, 15.0) ** 2 - 2 * s.noise_ms**2
    amp = math.sqrt(target / 2) / math.sin(math.pi * breathing_bpm / 60.0 * t)
    return dataclasses.replace(s, hf_amplitude_ms=amp, lf_amplitude_ms=0.0,
                               breathing_bpm=(breathing_bpm, breathing_bpm))


#: Rest state breathing slowly at 6 breaths/min (0.1 Hz, in the LF band), same RMSSD.
SLOW_BREATH = slow_breathing(REST)


def simulate(s: State, seed: int, duration_s: float = 300.0) -> tuple[np.ndarray, float]:
    """Intervals (ms) of one recording and its breathing rate (breaths/min)."""
    rng = np.random.default_rng(seed)
    bpm = float(rng.uniform(*s.breathing_bpm))
    rr = rr_series(
        duration_s,
        mean_hr_bpm=s.mean_hr_bpm,
        lf_amplitude_ms=s.lf_amplitude_ms,
        lf_hz=s.lf_hz,
        hf_amplitude_ms=s.hf_amplitude_ms,
        hf_hz=bpm / 60.0,
        noise_ms=s.noise_ms,
        seed=seed + 10_000,
    )
    return rr, bpm


def analyse(rr: np.ndarray, breathing_bpm: float | None = None) -> Analysis:
    """The pipeline's analysis of an interval series in ms.

    ``breathing_bpm`` (the generator's truth) is not given to the pipeline: it estimates
    the breathing rate itself; the argument only keeps call sites uniform.
    """
    del breathing_bpm
    return analyze_intervals(rr, unit="ms")


def pair(pre: State, post: State, seed: int, duration_s: float = 300.0) -> tuple[Analysis,
                                                                              Analysis]:
    """Pre and post analyses of one synthetic pair (independent seeds per recording)."""
    a, fa = simulate(pre, 2 * seed + 1, duration_s)
    b, fb = simulate(post, 2 * seed + 2, duration_s)
    return analyse(a, fa), analyse(b, fb)
