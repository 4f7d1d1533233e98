"""Synthetic request bodies whose true heart rate is known."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hrv.simulate import rr_series


def rr_ms(
    hr_bpm: float = 65.0, hf_ms: float = 25.0, seed: int = 1, dur_s: float = 300
) -> list[float]:
    rr = rr_series(
        dur_s, mean_hr_bpm=hr_bpm, hf_amplitude_ms=hf_ms, lf_amplitude_ms=15, noise_ms=3, seed=seed
    )
    return [round(float(x), 3) for x in rr]


def rr_body(**kw: Any) -> dict[str, Any]:
    return {"kind": "rr", "rr_ms": rr_ms(**kw)}


def ecg(
    hr_bpm: float = 60.0, fs_hz: float = 250.0, dur_s: float = 120, seed: int = 3
) -> npt.NDArray[np.float64]:
    """Gaussian QRS-like spikes at the beats of a simulated RR series, plus a T wave."""
    rr = rr_series(dur_s, mean_hr_bpm=hr_bpm, hf_amplitude_ms=20, seed=seed)
    beats = np.cumsum(rr) / 1000.0
    n = int((beats[-1] + 1.0) * fs_hz)
    t = np.arange(n) / fs_hz
    x = np.zeros(n)
    for tb in beats:
        i0 = int(tb * fs_hz)
        lo, hi = max(i0 - 10, 0), min(i0 + 60, n)
        seg = t[lo:hi] - tb
        x[lo:hi] += np.exp(-0.5 * (seg / 0.012) ** 2) + 0.2 * np.exp(
            -0.5 * ((seg - 0.2) / 0.04) ** 2
        )
    return x + np.random.default_rng(seed).normal(0, 0.01, n)
