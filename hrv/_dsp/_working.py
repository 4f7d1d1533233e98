"""The working-rate signal: a recording block-averaged to 100-200 Hz.

The ECG detector, the waveform quality and the ECG-derived respiration all need no more
than 100-200 Hz for QRS-band statistics, so they share one block-averaged copy instead of
filtering the full-rate recording three times.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

__all__ = ["WorkingSignal", "block_mean", "fill_missing", "working_factor", "working_signal"]

Float32Array = npt.NDArray[np.float32]


def working_factor(fs_hz: float) -> int:
    """Integer decimation factor giving a working rate in [100, 200) Hz (1 below)."""
    return max(1, math.floor(fs_hz / 100.0))


@dataclasses.dataclass(frozen=True, eq=False)
class WorkingSignal:
    """The recording at the detector's working rate, before its band-pass.

    ``samples[i]`` is the mean of raw samples ``[i * factor, (i + 1) * factor)`` (float32,
    ``len(x) // factor`` samples; NaN gaps bridged linearly). Shared with the waveform
    quality and the derived respiration, whose QRS-band statistics need no more than
    100-200 Hz: filtering a quarter of the samples instead of the full-rate recording.
    """

    samples: Float32Array
    factor: int
    fs_hz: float


def block_mean(x: npt.NDArray[np.generic], k: int) -> npt.NDArray[np.float32]:
    """Block average by ``k`` in float32 (a crude anti-alias filter; the band-pass does the
    rest). Strided sums avoid a reduction over a reshaped copy."""
    n = (len(x) // k) * k
    if k == 1:
        return np.array(x[:n], dtype=np.float32)
    # Each term is rounded to float32 and summed in float32; the ufunc casts the strided
    # input on the fly (no float32 copy of each term).
    out = np.add(x[0:n:k], x[1:n:k], dtype=np.float32)
    for j in range(2, k):
        np.add(out, x[j:n:k], out=out, dtype=np.float32)
    out *= np.float32(1.0 / k)
    return out


def fill_missing(w: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_] | None:
    """Linearly bridge NaN samples in place; return the NaN mask (None if none)."""
    nan = np.isnan(w)
    if not nan.any():
        return None
    good = np.flatnonzero(~nan)
    if good.size == 0:
        w[:] = 0.0
    else:
        bad = np.flatnonzero(nan)
        w[bad] = np.interp(bad, good, w[good])
    return nan


def working_signal(x: npt.NDArray[np.generic], fs_hz: float) -> WorkingSignal:
    """:class:`WorkingSignal` of ``x`` alone (what :func:`hrv.detect` (the ECG detector) keeps)."""
    k = working_factor(fs_hz)
    w = block_mean(x, k)
    fill_missing(w)
    return WorkingSignal(w, k, fs_hz / k)
