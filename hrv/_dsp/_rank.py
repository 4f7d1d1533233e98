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

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["percentile_rank", "rank_filter", "running_median"]

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
    padded = np.pad(x, (half, size - 1 - half), mode="symmetric")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    return np.partition(windows, rank, axis=1)[:, rank].copy()


def running_median(x: npt.NDArray[F], size: int) -> npt.NDArray[F]:
    """``scipy.ndimage.median_filter(x, size, mode="reflect")``: rank ``size // 2``."""
    return rank_filter(x, size // 2, size)
