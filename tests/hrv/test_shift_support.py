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

from hrv.simulate import rr_series
from hrv.types import Analysis

__all__ = ["REST", "SLOW_BREATH", "VAGAL", "State", "analyse", "expected_rmssd_ms", "pair"]


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


def _vagal_from(rest: State, ratio: float = 1.5, hr_drop_bpm: float = 8.0) -> State:
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


VAGAL = _vagal_from(REST)
#: Rest state breathing slowly at 6 breaths/min (0.1 Hz, in the LF band), deep breaths.
SLOW_BREATH = dataclasses.replace(REST, hf_amplitude_ms=45.0, breathing_bpm=(6.0, 6.0))


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
    """The pipeline's analysis of an interval series in ms."""
    try:
        from hrv.pipeline import analyze_intervals

        return analyze_intervals(rr, unit="ms")
    except ImportError:  # the pipeline's modules are still landing
        return _manual(rr, breathing_bpm)


def _manual(rr: np.ndarray, breathing_bpm: float | None) -> Analysis:
    from hrv.config import AnalysisConfig
    from hrv.metrics.frequency import frequency_domain
    from hrv.metrics.nonlinear import poincare
    from hrv.metrics.time import time_domain
    from hrv.types import Beats, Grade, Intervals, Metrics, Quality, Respiration, SignalKind

    nn = Intervals.contiguous(rr)
    fields: dict[str, float | None] = {}
    names = {f.name for f in dataclasses.fields(Metrics)}
    for part in (time_domain(nn), frequency_domain(nn), poincare(nn)):
        fields.update({f.name: getattr(part, f.name) for f in dataclasses.fields(part)
                       if f.name in names})
    dur = float(rr.sum()) / 1000
    valid = None if breathing_bpm is None else 9 <= breathing_bpm <= 24
    return Analysis(
        kind=SignalKind.RR, duration_s=dur, metrics=Metrics(**fields),
        respiration=Respiration(breathing_bpm, valid, "truth"),
        quality=Quality(Grade.GOOD if dur >= 60 else Grade.UNUSABLE, beats=len(rr) + 1,
                        usable_duration_s=dur),
        beats=Beats(nn.t_s), nn=nn, provenance={"config": AnalysisConfig().to_dict()},
    )


def pair(pre: State, post: State, seed: int, duration_s: float = 300.0) -> tuple[Analysis,
                                                                              Analysis]:
    """Pre and post analyses of one synthetic pair (independent seeds per recording)."""
    a, fa = simulate(pre, 2 * seed + 1, duration_s)
    b, fb = simulate(post, 2 * seed + 2, duration_s)
    return analyse(a, fa), analyse(b, fb)
