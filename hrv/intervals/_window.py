"""Sliding-window quartile thresholds of the beat classification, computed lazily.

The Lipponen–Tarvainen thresholds are ``alpha / 2`` times the inter-quartile range of a
series over ``window`` beats (:func:`hrv._artifacts_classify._threshold`). Only a few
beats ever need the exact value: those whose normalised value is near a decision limit
and their neighbours. :class:`WindowThreshold` therefore gives cheap guaranteed bounds
for every beat and the exact value (identical to ``scipy.ndimage.percentile_filter``
with ``mode="reflect"`` on the float32 series) at the beats asked for.

Bounds: the outputs are taken in blocks of ``B`` consecutive beats. The ``B`` windows of
a block all lie in their union ``U`` of ``window + B - 1`` values, and each leaves out
exactly ``B - 1`` of them, so the rank-``r`` value of any of these windows lies between
the rank-``r`` and the rank-``r + B - 1`` values of ``U``. One sort of every block's
union (a strided view; numpy's vectorised sort of float32 rows) gives both bounds for
both quartiles. Rounding of the float32 difference and the scaling are monotone, so the
bounds on the quartiles carry over to the threshold.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv._dsp import percentile_rank, rank_filter, sliding_rows
from hrv.types import FloatArray

__all__ = ["AtIndices", "WindowThreshold", "with_neighbours"]

#: Outputs per block of the bounds. Smaller blocks give tighter bounds (fewer beats
#: computed exactly) at the price of sorting more overlapping values.
BLOCK = 8
#: Blocks sorted at a time.
CHUNK_BLOCKS = 512

IntArray = npt.NDArray[np.intp]
#: A series as float64 or already cast to float32.
Series = npt.NDArray[np.float64] | npt.NDArray[np.float32]


class WindowThreshold:
    """``max(scale * (Q3 - Q1), floor)`` of ``x`` over ``window`` beats, lazily.

    ``Q1`` and ``Q3`` are the 25th and 75th percentiles as ``scipy.ndimage``'s
    ``percentile_filter`` takes them (the values of rank ``int(0.25 window)`` and
    ``int(0.75 window)`` in the window centred on each beat, edges reflected) of ``x``
    cast to float32, the difference cast back to float64 before scaling.

    Bounds ``lo <= threshold <= hi`` hold at every beat (:attr:`lo`, :attr:`hi`,
    :meth:`maybe_above`); :meth:`at` and :meth:`where` give exact values.
    """

    def __init__(self, x: Series, window: int, scale: float, floor: float) -> None:
        self._w = int(window)
        self._scale = float(scale)
        self._floor = float(floor)
        n = self._n = int(x.size)
        self._r1 = _rank(self._w, 25.0)
        self._r3 = _rank(self._w, 75.0)
        self._exact_all: FloatArray | None = None
        half = self._w // 2
        # Small series (reflection more than once at the edges): the filter itself.
        if n < 2 * self._w + 2 * BLOCK:
            x32 = np.asarray(x, dtype=np.float32)
            q1 = rank_filter(x32, _rank(self._w, 25), self._w)
            q3 = rank_filter(x32, _rank(self._w, 75), self._w)
            self._exact_all = self._finish(q3 - q1)
            return
        n_blocks = -(-n // BLOCK)
        pad_right = self._w - 1 - half + n_blocks * BLOCK - n
        # The float32 series with its edges reflected (d c b a | a b c d | d c b a), as
        # np.pad(mode="symmetric") and ndimage's mode="reflect"; n > pad widths here.
        padded = np.empty(half + n + pad_right, np.float32)
        padded[half : half + n] = x
        padded[:half] = x[:half][::-1]
        padded[half + n :] = x[::-1][:pad_right]
        self._padded = padded
        width = self._w + BLOCK - 1
        union = sliding_rows(self._padded, width)[::BLOCK]
        r1, r3, extra = self._r1, self._r3, BLOCK - 1
        ranks = np.array([r1, r1 + extra, r3, r3 + extra])
        q = np.empty((n_blocks, 4), np.float32)
        # In chunks: the sorted copies stay small (in cache, no fresh pages).
        for b0 in range(0, n_blocks, CHUNK_BLOCKS):
            b1 = min(b0 + CHUNK_BLOCKS, n_blocks)
            q[b0:b1] = np.sort(union[b0:b1], axis=1)[:, ranks]
        self._lo_blocks = self._finish(q[:, 2] - q[:, 1])
        self._hi_blocks = self._finish(q[:, 3] - q[:, 0])
        self._n = n

    @property
    def lo(self) -> FloatArray:
        """Lower bound of the threshold at every beat, shape (n,)."""
        if self._exact_all is not None:
            return self._exact_all
        return np.repeat(self._lo_blocks, BLOCK)[: self._n]

    @property
    def hi(self) -> FloatArray:
        """Upper bound of the threshold at every beat, shape (n,)."""
        if self._exact_all is not None:
            return self._exact_all
        return np.repeat(self._hi_blocks, BLOCK)[: self._n]

    def maybe_above(self, x: Series, factor: float) -> IntArray:
        """Sorted beats where ``|x| > factor * threshold`` may hold (a superset).

        ``x`` has shape (n,), float64 or float32 (the series as the quartiles read it);
        the bound is widened by a relative ``1e-9`` (``1e-6`` for float32, whose
        rounding is larger) so that no rounding of the value or of a later division can
        decide.
        """
        f = factor * (1.0 - (1e-6 if x.dtype == np.float32 else 1e-9))
        if self._exact_all is not None:
            lim = f * self._exact_all
            return ((x > lim) | (x < -lim)).nonzero()[0]
        n_full = (self._n // BLOCK) * BLOCK
        lim = self._lo_blocks * f
        head = x[:n_full].reshape(-1, BLOCK)
        col = lim[: n_full // BLOCK, None]
        out = ((head > col) | (head < -col)).ravel().nonzero()[0]
        if n_full < self._n:
            tail = x[n_full:]
            out = np.concatenate((out, ((tail > lim[-1]) | (tail < -lim[-1])).nonzero()[0]
                                  + n_full))
        return out

    def _finish(self, iqr32: npt.NDArray[np.float32]) -> FloatArray:
        th = iqr32.astype(np.float64)
        th *= self._scale
        return np.maximum(th, self._floor, out=th)

    def at(self, idx: IntArray) -> FloatArray:
        """The exact threshold at the beats ``idx`` (shape ``idx.shape``)."""
        if self._exact_all is not None:
            return np.asarray(self._exact_all[idx], dtype=np.float64)
        if idx.size == 0:
            return np.zeros(0)
        windows = sliding_rows(self._padded, self._w)
        q = np.empty((idx.size, 2), np.float32)
        ranks = np.array([self._r1, self._r3])
        for i0 in range(0, idx.size, CHUNK_BLOCKS):
            part = idx[i0 : i0 + CHUNK_BLOCKS]
            q[i0 : i0 + part.size] = np.sort(windows[part], axis=1)[:, ranks]
        return self._finish(q[:, 1] - q[:, 0])

    def where(self, idx: IntArray, n: int) -> FloatArray:
        """Length-``n`` array: the exact threshold at ``idx``, NaN elsewhere.

        NaN makes any comparison at a beat that was not asked for false, and any value
        derived from it NaN, so an index missing from ``idx`` cannot pass unnoticed as
        a plausible threshold.
        """
        out = np.full(n, np.nan)
        out[idx] = self.at(idx)
        return out


_rank = percentile_rank


def with_neighbours(idx: IntArray, offsets: tuple[int, ...], n: int) -> IntArray:
    """Sorted unique ``idx + k`` for every ``k`` in ``offsets``, kept within ``[0, n)``."""
    if idx.size == 0:
        return idx
    mark = np.zeros(n + max(offsets) - min(0, *offsets) + 1, bool)
    base = -min(0, *offsets)
    for k in offsets:
        mark[idx + (k + base)] = True
    out = mark.nonzero()[0] - base
    return out[(out >= 0) & (out < n)]


class AtIndices:
    """Values known at a few indices of a length-n series, NaN elsewhere.

    A sparse stand-in for a full array that is only ever read at those indices (the
    normalised values and thresholds of the beat classification): indexing with an
    integer array gives the stored values, NaN where none is stored, so a missing
    index cannot pass unnoticed as a plausible value.
    """

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.intp)
        self._vals = np.zeros(0)

    def add(self, idx: IntArray, values: FloatArray) -> None:
        """Store ``values`` at ``idx`` (indices not stored yet)."""
        keys = np.concatenate((self._keys, idx))
        order = keys.argsort(kind="stable")
        self._keys = keys[order]
        self._vals = np.concatenate((self._vals, values))[order]

    def missing(self, idx: IntArray) -> IntArray:
        """The entries of ``idx`` with no stored value."""
        return idx[np.isnan(self[idx])]

    def __getitem__(self, idx: IntArray) -> FloatArray:
        idx = np.asarray(idx)
        if self._keys.size == 0:
            return np.full(idx.shape, np.nan)
        pos = np.minimum(self._keys.searchsorted(idx), self._keys.size - 1)
        return np.where(self._keys[pos] == idx, self._vals[pos], np.nan)
