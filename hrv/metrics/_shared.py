"""Work shared between the parts of one analysis that read the same NN series.

The spectrum (Welch segments of two lengths), the breath count and the sub-window
spectra of the respiration estimate each resample the same gap-free stretches by a cubic
spline and split the series at the same gaps. Within :func:`shared_resampling` (one
analysis), :func:`spline_through`, :func:`grid_values` and :func:`shared` compute each
such result once and hand the same object to every caller that asks with the same
values; outside it they simply compute. The memo is keyed by the *values* (the bytes of
the arrays, never their identity), holds copies of its inputs, lives only as long as the
block and belongs to one thread or task (a context variable).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

from hrv._dsp import GridSpline, NotAKnotSpline, cubic_on_grid
from hrv.types import FloatArray

__all__ = ["grid_values", "shared", "shared_resampling", "spline_through"]

T = TypeVar("T")

#: Splines of series up to this many knots, and grids up to this many points, are kept
#: (a 5-minute stretch has a few hundred knots and about 1200 grid points at 4 Hz);
#: longer ones are computed each time, in pieces, as before.
MAX_KNOTS = 4096
MAX_GRID = 16384
#: Entries kept in one block; the oldest goes first.
MEMO_SIZE = 32

_memo_var: contextvars.ContextVar[dict[tuple[object, ...], object] | None] = (
    contextvars.ContextVar("hrv_shared_memo", default=None))


@contextlib.contextmanager
def shared_resampling() -> Iterator[None]:
    """Within this block, equal requests to :func:`spline_through`, :func:`grid_values`
    and :func:`shared` share one result (see the module docstring)."""
    token = _memo_var.set({})
    try:
        yield
    finally:
        _memo_var.reset(token)


def shared(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` within :func:`shared_resampling` (every time
    outside it). ``key`` must determine the result: build it from the values it depends
    on. The result is shared: callers must not change it."""
    memo = _memo_var.get()
    if memo is None:
        return compute()
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    value = compute()
    while len(memo) >= MEMO_SIZE:
        del memo[next(iter(memo))]  # dicts keep insertion order: the oldest
    memo[key] = value
    return value


def _contiguous(t: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    return (np.ascontiguousarray(t, dtype=np.float64),
            np.ascontiguousarray(y, dtype=np.float64))


def spline_through(t: FloatArray, y: FloatArray) -> NotAKnotSpline:
    """``NotAKnotSpline(t, y)``, shared within :func:`shared_resampling` (the spline
    holds copies of ``t`` and ``y``, so a caller's later change to them cannot reach it)."""
    if t.size > MAX_KNOTS or _memo_var.get() is None:
        return NotAKnotSpline(t, y)
    t, y = _contiguous(t, y)
    return shared(("spline", t.tobytes(), y.tobytes()),
                  lambda: NotAKnotSpline(t.copy(), y.copy()))


def grid_values(t: FloatArray, y: FloatArray, t0: float, fs: float, size: int) -> FloatArray:
    """``cubic_on_grid(t, y, t0, fs, size)``, read-only, shared within
    :func:`shared_resampling` (the same values: each grid point is computed alone, so
    the whole grid at once equals any piece of it)."""
    if size > MAX_GRID or t.size > MAX_KNOTS or _memo_var.get() is None:
        out = cubic_on_grid(t, y, t0, fs, size)
        out.flags.writeable = False
        return out
    t, y = _contiguous(t, y)

    def compute() -> FloatArray:
        grid = GridSpline.of(spline_through(t, y), t0, fs, size)
        values = np.empty(size)
        grid.values(0, size, out=values)
        values.flags.writeable = False
        return values

    return shared(("grid", t.tobytes(), y.tobytes(), float(t0), float(fs), int(size)), compute)
