"""Synthetic RR series for the RSA breathing-rate benchmark (``respiration_rsa.py``).

Three generators: :func:`hrv.simulate.rr_series` (pure sinusoids plus AR(1) noise),
:func:`variable_series`, closer to real recordings: breath-by-breath varying breathing
periods (coefficient of variation ``breath_cv``) and a Mayer wave that is narrow-band
noise around 0.1 Hz (an AR(2) resonance) rather than a pure sinusoid; and
:func:`pink_series`, 1/f-shaped fluctuation without any oscillation.
:func:`synthetic_cases` names the benchmark's scenarios built from them, each with its
true breathing rate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from hrv.simulate import rr_series

__all__ = ["SEEDS", "pink_series", "synthetic_cases", "variable_series"]

FloatArray = npt.NDArray[np.float64]

_GRID_HZ = 10.0


def _breath_phase(duration_s: float, rate_bpm: float, cv: float,
                  rng: np.random.Generator) -> FloatArray:
    """Breathing phase (rad) on a 10-Hz grid, each breath with its own period."""
    t = np.arange(0.0, duration_s + 5.0, 1.0 / _GRID_HZ)
    period = 60.0 / rate_bpm
    n_breaths = int(duration_s / period * 2) + 10
    periods = np.clip(rng.normal(period, cv * period, n_breaths), 0.4 * period, 2.5 * period)
    edges = np.concatenate(([-rng.uniform(0, period)], np.cumsum(periods)))
    k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_breaths - 1)
    return np.asarray(2 * np.pi * (k + (t - edges[k]) / periods[k]), dtype=np.float64)


def _mayer(duration_s: float, amplitude_ms: float, rng: np.random.Generator,
           f0_hz: float = 0.1, bandwidth_hz: float = 0.02) -> FloatArray:
    """Narrow-band noise around ``f0_hz`` with standard deviation ``amplitude/√2`` ms.

    An AR(2) resonance (pole radius from the bandwidth), so its power, like a sinusoid of
    amplitude ``A``, is ``A² / 2`` ms².
    """
    n = int((duration_s + 5.0) * _GRID_HZ)
    r = np.exp(-np.pi * bandwidth_hz / _GRID_HZ)
    a1, a2 = 2 * r * np.cos(2 * np.pi * f0_hz / _GRID_HZ), -r * r
    e = rng.normal(0.0, 1.0, n + 2000)
    x = np.zeros(n + 2000)
    for i in range(2, x.size):  # a few thousand samples: cheap
        x[i] = a1 * x[i - 1] + a2 * x[i - 2] + e[i]
    x = x[2000:]
    return np.asarray(x / x.std() * amplitude_ms / np.sqrt(2.0), dtype=np.float64)


def variable_series(
    duration_s: float,
    *,
    mean_hr_bpm: float = 65.0,
    breath_bpm: float = 15.0,
    breath_cv: float = 0.15,
    rsa_ms: float = 20.0,
    mayer_ms: float = 20.0,
    noise_ms: float = 5.0,
    seed: int = 0,
) -> FloatArray:
    """RR intervals (ms) with variable-rate RSA, a narrow-band Mayer wave and noise.

    Each interval is ``mean + rsa_ms·sin(phase(t)) + mayer(t) + noise`` at the time of
    the beat that starts it (as :func:`hrv.simulate.rr_series`). Returns shape ``(n,)``.
    """
    rng = np.random.default_rng(seed)
    phase = _breath_phase(duration_s, breath_bpm, breath_cv, rng)
    mod = rsa_ms * np.sin(phase) + _mayer(duration_s, mayer_ms, rng)
    mean_rr = 60000.0 / mean_hr_bpm
    n = int(np.ceil(duration_s * 1000.0 / mean_rr * 1.5)) + 1
    noise = rng.normal(0.0, noise_ms, n)
    rr = np.empty(n)
    t = 0.0
    for i in range(n):  # one step per beat
        rr[i] = mean_rr + mod[min(int(t * _GRID_HZ), mod.size - 1)] + noise[i]
        t += rr[i] / 1000.0
    keep = np.cumsum(rr) <= duration_s * 1000.0
    return np.asarray(rr[keep], dtype=np.float64)


def pink_series(duration_s: float, *, mean_rr_ms: float = 900.0, sd_ms: float = 30.0,
                seed: int = 0) -> FloatArray:
    """RR intervals (ms) whose fluctuation has a 1/f power spectrum (per beat), no peak.

    White Gaussian noise shaped in the frequency domain (amplitude ``1/sqrt(f)``), scaled
    to standard deviation ``sd_ms``. Returns shape ``(n,)``.
    """
    n = int(duration_s * 1000.0 / mean_rr_ms)
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return np.asarray(mean_rr_ms + sd_ms * x / x.std(), dtype=np.float64)


# ---------------------------------------------------------------- scenarios

SEEDS = range(40)


def _sinusoids(seed: int, ratio: float, hf_hz: float) -> FloatArray:
    return rr_series(300, lf_amplitude_ms=15 * ratio, hf_amplitude_ms=15, hf_hz=hf_hz,
                     noise_ms=8, noise_ar=0.3, seed=seed)


def _variable(seed: int, ratio: float) -> FloatArray:
    return variable_series(300, rsa_ms=15, mayer_ms=15 * ratio, noise_ms=8, seed=seed)


def _slow(seed: int, bpm: float) -> FloatArray:
    return variable_series(300, breath_bpm=bpm, breath_cv=0.08, rsa_ms=40, mayer_ms=10,
                           noise_ms=8, seed=seed)


def _slow_sinusoid(seed: int) -> FloatArray:
    return rr_series(300, lf_amplitude_ms=40, hf_amplitude_ms=8, noise_ms=5, seed=seed)


def _white(seed: int) -> FloatArray:
    return rr_series(300, noise_ms=20, seed=seed)


def _pink(seed: int) -> FloatArray:
    return pink_series(300, seed=seed)


def _red(seed: int) -> FloatArray:
    return rr_series(300, noise_ms=30, noise_ar=0.9, seed=seed)


def _variable_rate(seed: int, bpm: float, cv: float) -> FloatArray:
    return variable_series(300, breath_bpm=bpm, breath_cv=cv, rsa_ms=15, mayer_ms=15,
                           noise_ms=8, seed=seed)


def synthetic_cases() -> dict[str, tuple[float, Callable[[int], FloatArray]]]:
    """Scenario name -> (true breathing rate in breaths/min, generator of a seed)."""
    cases: dict[str, tuple[float, Callable[[int], FloatArray]]] = {}
    for ratio in (0.5, 1.0, 1.5, 2.0, 3.0):
        for hf_hz in (0.2, 0.3):
            cases[f"sinusoids: Mayer/RSA amplitude {ratio:g}, RSA {60 * hf_hz:.0f}/min"] = (
                60 * hf_hz, functools.partial(_sinusoids, ratio=ratio, hf_hz=hf_hz))
    for ratio in (0.5, 1.0, 2.0, 3.0):
        cases[f"variable 15/min (CV 15%), narrow-band Mayer/RSA {ratio:g}"] = (
            15.0, functools.partial(_variable, ratio=ratio))
    for bpm, cv in ((12.0, 0.2), (18.0, 0.2), (15.0, 0.25)):
        cases[f"variable {bpm:g}/min (CV {100 * cv:.0f}%), narrow-band Mayer/RSA 1"] = (
            bpm, functools.partial(_variable_rate, bpm=bpm, cv=cv))
    for bpm in (5.0, 6.0, 7.0):
        cases[f"slow breathing {bpm:g}/min (CV 8%), RSA 40 ms, Mayer 10 ms"] = (
            bpm, functools.partial(_slow, bpm=bpm))
    cases["slow breathing 6/min (sinusoid 40 ms, HF 8 ms)"] = (6.0, _slow_sinusoid)
    cases["no breathing peak (white noise 20 ms)"] = (float("nan"), _white)
    cases["no breathing peak (1/f noise, SD 30 ms)"] = (float("nan"), _pink)
    cases["no breathing peak (red AR(1) noise 0.9, 30 ms)"] = (float("nan"), _red)
    return cases
