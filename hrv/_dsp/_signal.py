"""Validation and gap filling of a raw waveform, shared by detection, quality and the
derived respiration: one rule for what a waveform is and how missing samples are bridged;
and the cached taper tables of their spectra."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hrv._dsp._parallel import map_chunks
from hrv.errors import InvalidInputError
from hrv.types import BoolArray, FloatArray

__all__ = ["all_finite", "as_waveform", "fill_nan", "hanning"]

FINITE_BLOCK = 1 << 21  # samples per block of the finiteness test of a long recording


@lru_cache(maxsize=16)
def hanning(n: int) -> FloatArray:
    """``np.hanning(n)`` (the symmetric Hann window), cached and read-only."""
    w = np.hanning(n)
    w.flags.writeable = False
    return w


def as_waveform(samples: npt.ArrayLike, fs_hz: float | None, *, name: str = "signal") -> FloatArray:
    """Validate a 1-D waveform and return it as float64 (NaN allowed, inf is not)."""
    if fs_hz is None or isinstance(fs_hz, bool) or not isinstance(fs_hz, int | float | np.number):
        raise InvalidInputError(f"{name}: sampling rate fs_hz must be a number, got {fs_hz!r}")
    fs = float(fs_hz)
    if not np.isfinite(fs) or fs <= 0:
        raise InvalidInputError(f"{name}: sampling rate must be a finite positive number of Hz, "
                                f"got {fs_hz!r}")
    try:
        arr = np.asarray(samples)
    except Exception as exc:  # ragged nested sequences and similar
        raise InvalidInputError(f"{name}: samples are not a numeric array ({exc})") from None
    if arr.ndim != 1:
        raise InvalidInputError(
            f"{name}: expected a 1-D array of samples, got shape {arr.shape}; "
            "pass one channel at a time"
        )
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(
            f"{name}: samples must be integers or floats, got dtype {arr.dtype}"
        )
    x = arr.astype(np.float64, copy=False)
    if not all_finite(x) and np.isinf(x).any():
        raise InvalidInputError(f"{name}: samples contain infinite values")
    return x


def all_finite(x: npt.NDArray[np.floating[Any]]) -> bool:
    """Whether every sample is finite, in one summing pass and no mask.

    The sum is finite unless a sample is NaN or infinite (or the sum overflows, which
    only sends the caller to its exact test). A long 1-D recording is summed in blocks
    on the available threads: every block's sum finite, every sample finite.
    """
    if x.ndim != 1 or len(x) < 2 * FINITE_BLOCK:
        return _sum_finite(x)
    return all(map_chunks(lambda a: _sum_finite(x[a: a + FINITE_BLOCK]),
                          range(0, len(x), FINITE_BLOCK)))


def _sum_finite(x: npt.NDArray[np.floating[Any]]) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(x, axis=None)))


def fill_nan(x: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Linearly interpolate over NaN samples; return the filled copy and the NaN mask."""
    if all_finite(x):
        return x, np.zeros(len(x), dtype=bool)
    nan = np.isnan(x)
    if not nan.any():
        return x, nan
    out = x.copy()
    bad = np.flatnonzero(nan)
    if len(bad) == len(x):
        out[:] = 0.0
        return out, nan
    # Only the finite samples next to a gap bracket it: interpolating between them gives
    # what interpolating over every finite sample gives, without an index of them all.
    first = np.concatenate(([True], np.diff(bad) > 1))
    last = np.concatenate((first[1:], [True]))
    ends = np.concatenate((bad[first] - 1, bad[last] + 1))
    ends = np.unique(ends[(ends >= 0) & (ends < len(x))])
    out[bad] = np.interp(bad, ends, x[ends])
    return out, nan
