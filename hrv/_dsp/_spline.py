"""Not-a-knot cubic spline of an NN series, evaluated on an even time grid.

The same spline as ``scipy.interpolate.CubicSpline(t, y)`` (default ``bc_type=
"not-a-knot"``): the same tridiagonal system for the knot slopes, solved by the same
LAPACK routine (``?gtsv``), and the same piecewise-polynomial coefficients; only the
bookkeeping is leaner (few temporaries: on a 24-h series each fresh array costs page
faults comparable to the arithmetic). The evaluation grid is regular, so the position
of every knot in the grid is computed rather than searched, the interval of each grid
point follows by a ``repeat``, and each point is evaluated by Horner's rule on its
interval's coefficients, a chunk of the grid at a time. Agreement with
``CubicSpline`` is to rounding (tested to 1e-12 relative).

Reference: de Boor C (1978) A Practical Guide to Splines, ch. IV (not-a-knot end
conditions).
"""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt

from hrv.types import FloatArray

__all__ = ["GridSpline", "NotAKnotSpline", "cubic_on_grid"]

#: Knots up to which the slope system is solved here (a 5-minute series has a few
#: hundred) unless ``scipy.linalg`` is loaded already (the waveform path loads it with
#: ``scipy.signal``); longer series use LAPACK's ``dgtsv``, whose import costs more than
#: solving a short system. Both give the same slopes, bit for bit.
SMALL_SYSTEM = 4096

#: Grid points evaluated at a time by :func:`cubic_on_grid`.
CHUNK = 16384

IntArray = npt.NDArray[np.intp]


class NotAKnotSpline:
    """Not-a-knot cubic spline through ``(t, y)`` (the coefficients of
    ``scipy.interpolate.CubicSpline(t, y)``).

    Parameters
    ----------
    t : ndarray of float64, shape (n,)
        Strictly increasing knot times (s), ``n >= 4``.
    y : ndarray of float64, shape (n,)
        Values at the knots (ms).
    """

    def __init__(self, t: FloatArray, y: FloatArray) -> None:
        n = t.size
        h = t[1:] - t[:-1]  # np.diff, without its argument handling
        slope = y[1:] - y[:-1]
        slope /= h
        # Tridiagonal system for the knot slopes, as scipy's CubicSpline builds it
        # (same operations in the same order: same rounding). Five work arrays of
        # length n serve the whole construction (each fresh one costs page faults).
        diag = np.empty(n)
        np.add(h[:-1], h[1:], out=diag[1:-1])
        diag[1:-1] *= 2.0
        rhs = np.empty(n)
        lower = np.empty(n - 1)
        np.multiply(h[1:], slope[:-1], out=rhs[1:-1])
        np.multiply(h[:-1], slope[1:], out=lower[:-1])
        rhs[1:-1] += lower[:-1]
        rhs[1:-1] *= 3.0
        lower[:-1] = h[1:]
        upper = np.empty(n - 1)
        upper[1:] = h[:-1]
        d0 = t[2] - t[0]
        diag[0], upper[0] = h[1], d0
        rhs[0] = ((h[0] + 2.0 * d0) * h[1] * slope[0] + h[0] ** 2 * slope[1]) / d0
        d1 = t[-1] - t[-3]
        diag[-1], lower[-1] = h[-2], d1
        rhs[-1] = (h[-1] ** 2 * slope[-2] + (2.0 * d1 + h[-1]) * h[-2] * slope[-1]) / d1
        if n <= SMALL_SYSTEM and "scipy.linalg" not in sys.modules:
            s = _solve_tridiagonal(lower, diag, upper, rhs)
        else:
            from scipy.linalg import lapack  # loads on first use: long series only

            *_, s, info = lapack.dgtsv(lower, diag, upper, rhs, 1, 1, 1, 1)
            if info != 0:
                raise np.linalg.LinAlgError("singular spline system (repeated knot times)")
        # Piecewise coefficients, as scipy's CubicHermiteSpline: with
        # k = (s0 + s1 - 2 slope) / h, c3 = k / h and c2 = (slope - s0) / h - k
        # (in the arrays the solver overwrote).
        k = np.add(s[:-1], s[1:], out=upper)
        k -= np.multiply(slope, 2.0, out=lower)
        k /= h
        self._c3 = np.divide(k, h, out=lower)
        c2 = np.subtract(slope, s[:-1], out=diag[:-1])
        c2 /= h
        c2 -= k
        del h, slope, k, upper
        self._c2 = c2
        self._c1 = s[:-1]
        self._c0 = y[:-1]
        self._t = t

    def at(self, x: FloatArray) -> FloatArray:
        """The spline at ``x`` (any shape; outside the knots, the end polynomials)."""
        flat = np.ravel(x)
        idx = self._t.searchsorted(flat, side="right")
        idx -= 1
        np.maximum(idx, 0, out=idx)  # np.clip(idx, 0, n - 2), on integers
        np.minimum(idx, self._t.size - 2, out=idx)
        return self._horner(idx, flat - self._t[idx]).reshape(np.shape(x))

    def _horner(self, idx: IntArray, dx: FloatArray, out: FloatArray | None = None) -> FloatArray:
        acc = np.take(self._c3, idx, out=out)
        acc *= dx
        acc += self._c2[idx]
        acc *= dx
        acc += self._c1[idx]
        acc *= dx
        acc += self._c0[idx]
        return acc


class GridSpline(NotAKnotSpline):
    """Not-a-knot cubic spline through ``(t, y)``, sampled at ``t0 + k / fs``.

    Parameters
    ----------
    t, y : ndarray of float64, shape (n,)
        As :class:`NotAKnotSpline`.
    t0 : float
        Time of grid point 0 (s).
    fs : float
        Grid rate (Hz).
    size : int
        Number of grid points. Points outside ``[t[0], t[-1]]`` are extrapolated with
        the end polynomials, as ``CubicSpline`` does.
    """

    def __init__(self, t: FloatArray, y: FloatArray, t0: float, fs: float, size: int) -> None:
        super().__init__(t, y)
        self._t0, self._fs, self.size = float(t0), float(fs), int(size)

    @classmethod
    def of(cls, spline: NotAKnotSpline, t0: float, fs: float, size: int) -> GridSpline:
        """The grid of an existing spline (its coefficients shared, not recomputed)."""
        grid = cls.__new__(cls)
        grid.__dict__.update(spline.__dict__)
        grid._t0, grid._fs, grid.size = float(t0), float(fs), int(size)
        return grid

    def values(self, g0: int, g1: int, out: FloatArray | None = None) -> FloatArray:
        """The spline at grid points ``g0 .. g1 - 1`` (shape ``(g1 - g0,)``)."""
        inner = self._t[1:-1]
        # Knot j (interior knots only) starts the interval of every grid point at or
        # after it: the knots up to grid point g0 give the first point's interval, those
        # up to g1 - 1 the last one's; in between, each knot's place in the grid.
        first = self._t0 + g0 / self._fs
        last = self._t0 + (g1 - 1) / self._fs
        j0 = int(inner.searchsorted(first, side="right"))
        j1 = int(inner.searchsorted(last, side="right"))
        below = _count_below(inner[j0:j1], self._t0, self._fs, self.size)
        # np.diff(below, prepend=g0, append=g1), without its argument handling
        edges = np.empty(below.size + 2, dtype=np.intp)
        edges[0], edges[-1] = g0, g1
        edges[1:-1] = below
        counts = edges[1:] - edges[:-1]
        idx = np.arange(j0, j1 + 1).repeat(counts)
        dx = np.arange(g0, g1, dtype=np.float64)
        dx /= self._fs
        dx += self._t0
        dx -= self._t[idx]
        return self._horner(idx, dx, out)


def cubic_on_grid(t: FloatArray, y: FloatArray, t0: float, fs: float, size: int) -> FloatArray:
    """Not-a-knot cubic spline through ``(t, y)`` at ``t0 + arange(size) / fs``.

    Parameters
    ----------
    t : ndarray of float64, shape (n,)
        Strictly increasing knot times (s), ``n >= 4``.
    y : ndarray of float64, shape (n,)
        Values at the knots (ms).
    t0 : float
        First grid time (s).
    fs : float
        Grid rate (Hz).
    size : int
        Number of grid points.

    Returns
    -------
    ndarray of float64, shape (size,)
        The same values as ``scipy.interpolate.CubicSpline(t, y)(t0 + arange(size) / fs)``
        to rounding.
    """
    spline = GridSpline(t, y, t0, fs, size)
    out = np.empty(size)
    for g0 in range(0, size, CHUNK):
        g1 = min(g0 + CHUNK, size)
        spline.values(g0, g1, out=out[g0:g1])
    return out


def _count_below(x: FloatArray, t0: float, fs: float, size: int) -> IntArray:
    """``np.searchsorted(grid, x, side="left")`` for ``grid = t0 + arange(size) / fs``.

    The position is computed, then checked against the grid values (recomputed with the
    same floating-point operations as the grid itself), so that rounding never
    misplaces a point; a binary search over the grid for every knot costs more than
    the whole evaluation.
    """
    k = np.subtract(x, t0)
    k *= fs
    np.ceil(k, out=k)
    # Rounding errs by far less than one grid step: one check on each side settles it.
    g = k / fs
    g += t0
    k += g < x
    np.subtract(k, 1.0, out=g)
    g /= fs
    g += t0
    k -= g >= x
    np.maximum(k, 0, out=k)  # np.clip(k, 0, size): no NaN here
    np.minimum(k, size, out=k)
    return k.astype(np.intp)


def _solve_tridiagonal(lower: FloatArray, diag: FloatArray, upper: FloatArray,
                       rhs: FloatArray) -> FloatArray:
    """Solve the tridiagonal system by Gaussian elimination with partial pivoting, row
    by row as LAPACK's ``dgtsv`` does (the not-a-knot end rows are not diagonally
    dominant, so the rows are swapped when the sub-diagonal entry is the larger).

    ``lower`` (n - 1), ``diag`` (n), ``upper`` (n - 1), ``rhs`` (n); returns ``x``.
    """
    n = len(diag)
    d = diag.tolist()
    dl = lower.tolist()
    du = upper.tolist()
    b = rhs.tolist()
    du2 = [0.0] * n
    for i in range(n - 1):
        if abs(d[i]) >= abs(dl[i]):
            if d[i] == 0.0:
                raise np.linalg.LinAlgError("singular spline system (repeated knot times)")
            f = dl[i] / d[i]
            d[i + 1] -= f * du[i]
            b[i + 1] -= f * b[i]
            if i < n - 2:
                du2[i] = 0.0
        else:
            f = d[i] / dl[i]
            d[i] = dl[i]
            temp = d[i + 1]
            d[i + 1] = du[i] - f * temp
            if i < n - 2:
                du2[i] = du[i + 1]
                du[i + 1] = -f * du2[i]
            du[i] = temp
            b[i], b[i + 1] = b[i + 1], b[i] - f * b[i + 1]
    if d[n - 1] == 0.0:
        raise np.linalg.LinAlgError("singular spline system (repeated knot times)")
    x = [0.0] * n
    x[n - 1] = b[n - 1] / d[n - 1]
    if n > 1:
        x[n - 2] = (b[n - 2] - du[n - 2] * x[n - 1]) / d[n - 2]
    for i in range(n - 3, -1, -1):
        x[i] = (b[i] - du[i] * x[i + 1] - du2[i] * x[i + 2]) / d[i]
    return np.asarray(x, dtype=np.float64)
