"""Synthetic interval series with known properties, for tests, examples and benchmarks."""

from __future__ import annotations

import numpy as np

from hrv.types import FloatArray

__all__ = ["rr_series"]


def rr_series(
    duration_s: float,
    *,
    mean_hr_bpm: float = 65.0,
    lf_amplitude_ms: float = 0.0,
    lf_hz: float = 0.1,
    hf_amplitude_ms: float = 0.0,
    hf_hz: float = 0.25,
    noise_ms: float = 0.0,
    noise_ar: float = 0.0,
    seed: int | None = None,
) -> FloatArray:
    """Beat-to-beat intervals modulated by sinusoids of known amplitude.

    Each interval is ``mean + A_lf sin(2π f_lf t) + A_hf sin(2π f_hf t) + noise`` with
    ``t`` the time of the beat that starts it, so the NN tachogram sampled in time holds
    sinusoids of amplitude ``A`` ms, whose power is ``A² / 2`` ms².

    Parameters
    ----------
    duration_s : float
        Approximate length of the series in seconds.
    mean_hr_bpm : float
        Mean heart rate in beats per minute.
    lf_amplitude_ms, lf_hz : float
        Amplitude (ms) and frequency (Hz) of the low-frequency (Mayer-wave) component.
    hf_amplitude_ms, hf_hz : float
        Amplitude (ms) and frequency (Hz) of the respiratory sinus arrhythmia; ``hf_hz``
        is the breathing rate in Hz (0.25 Hz = 15 breaths/min).
    noise_ms : float
        Standard deviation of additive beat-to-beat noise in ms.
    noise_ar : float
        AR(1) coefficient of that noise (0 = white), in [0, 1).
    seed : int, optional
        Seed for the noise and the random phases.

    Returns
    -------
    ndarray, shape (n,)
        Intervals in milliseconds.
    """
    rng = np.random.default_rng(seed)
    mean_rr = 60000.0 / mean_hr_bpm
    n = int(np.ceil(duration_s * 1000.0 / mean_rr)) + 1
    phase_lf, phase_hf = rng.uniform(0, 2 * np.pi, size=2)
    white = rng.normal(0.0, 1.0, size=n)
    noise = np.empty(n)
    acc = 0.0
    scale = noise_ms * np.sqrt(1.0 - noise_ar**2)
    for i in range(n):
        acc = noise_ar * acc + scale * white[i]
        noise[i] = acc
    rr = np.empty(n)
    t = 0.0
    for i in range(n):
        rr[i] = (
            mean_rr
            + lf_amplitude_ms * np.sin(2 * np.pi * lf_hz * t + phase_lf)
            + hf_amplitude_ms * np.sin(2 * np.pi * hf_hz * t + phase_hf)
            + noise[i]
        )
        t += rr[i] / 1000.0
    keep = np.cumsum(rr) <= duration_s * 1000.0
    return rr[keep]
