"""Running rank filters (median, percentiles) with reflected edges, as
``scipy.ndimage.rank_filter(x, rank, size, mode="reflect")`` computes them.

A 5-minute series (a few hundred beats) is filtered here with numpy alone, so the
interval path never imports ``scipy.ndimage`` (a fifth of a second, more than the whole
analysis of such a series); long series go to ``scipy.ndimage``, whose sliding
selection is faster there. Both give the same values: the ``rank``-th smallest of the
window centred on each sample (``size // 2`` before it, the rest after), edges reflected
``d c b a | a b c d | d c b a``.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from hrv._dsp._views import sliding_rows

__all__ = [
    "median_of", "median_rows", "percentile_linear", "percentile_rank", "rank_filter",
    "reflect_pad", "running_median",
]

#: Windows x samples up to which numpy's partition is used (beyond: scipy.ndimage).
NUMPY_MAX_ELEMENTS = 1 << 20

F = TypeVar("F", bound=np.floating[Any])


def percentile_rank(size: int, percentile: float) -> int:
    """The rank ``scipy.ndimage.percentile_filter`` takes for ``percentile``."""
    return int(float(size) * percentile / 100.0)


def rank_filter(x: npt.NDArray[F], rank: int, size: int) -> npt.NDArray[F]:
    """The ``rank``-th smallest value (0-based) of the ``size`` samples around each one.

    Same dtype as ``x``; ``x`` is 1-D and free of NaN.
    """
    n = len(x)
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"rank {rank} is not in [0, {size}) ")
    if n == 0:
        return np.array(x, copy=True)
    if n * size > NUMPY_MAX_ELEMENTS or n < size:
        # Long series; or windows wider than the series (reflected more than once).
        from scipy import ndimage  # loads on first use

        out: npt.NDArray[F] = ndimage.rank_filter(x, rank, size=size, mode="reflect")
        return out
    half = size // 2
    windows = sliding_rows(reflect_pad(x, half, size - 1 - half), size)
    # numpy sorts short rows with vectorised sorting networks, faster than partition.
    return np.sort(windows, axis=1)[:, rank].copy()


def reflect_pad(x: npt.NDArray[F], before: int, after: int) -> npt.NDArray[F]:
    """``np.pad(x, (before, after), mode="symmetric")`` (``d c b a | a b c d | d c b a``),
    without its overhead when both widths are within the length of ``x``."""
    n = len(x)
    if not (0 <= before <= n and 0 <= after <= n):
        return np.pad(x, (before, after), mode="symmetric")
    return np.concatenate((x[:before][::-1], x, x[n - after:][::-1]))


def median_rows(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``np.median(a, axis=-1)`` for NaN-free ``a``, by sorting (may sort ``a`` in place).

    numpy sorts short rows with vectorised sorting networks, several times faster than
    the selection behind :func:`numpy.median`; the middle value (or the mean of the
    two middle values, as ``np.median`` takes it) is the same.
    """
    m = a.shape[-1]
    a.sort(axis=-1)
    if m % 2:
        return np.asarray(a[..., m // 2], dtype=np.float64)
    return np.asarray((a[..., m // 2 - 1] + a[..., m // 2]) / 2, dtype=np.float64)


def median_of(x: npt.NDArray[np.float64]) -> float:
    """``float(np.median(x))`` of a 1-D NaN-free ``x`` (not modified), by sorting a copy
    (:func:`median_rows`), without :func:`numpy.median`'s argument handling."""
    if x.size == 0:
        return float(np.median(x))
    return float(median_rows(np.array(x, dtype=np.float64)))


def percentile_linear(x: npt.NDArray[np.float64], q: float) -> float:
    """``float(np.percentile(x, q))`` (numpy's default "linear" rule) of a 1-D finite
    ``x``, from the two order statistics about the virtual index by a partial sort.

    The index and the interpolation take numpy's steps in the same order (the index
    ``(n - 1) q`` for the fraction ``q``; from the upper statistic at a weight of 0.5
    or more), so the value is numpy's to the last bit.
    """
    n = x.size
    if n == 0 or not 0.0 <= q <= 100.0 or not np.isfinite(x).all():
        return float(np.percentile(x, q))
    frac = q / 100.0
    v = (n - 1) * frac
    if v >= n - 1:
        return float(np.max(x))
    if v <= 0:
        return float(np.min(x))
    lo = math.floor(v)
    part = np.partition(x, (lo, lo + 1))
    a, b = float(part[lo]), float(part[lo + 1])
    g = v - lo
    d = b - a
    return b - d * (1.0 - g) if g >= 0.5 else a + d * g


def running_median(x: npt.NDArray[F], size: int) -> npt.NDArray[F]:
    """``scipy.ndimage.median_filter(x, size, mode="reflect")``: rank ``size // 2``."""
    return rank_filter(x, size // 2, size)
