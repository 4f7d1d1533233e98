"""Nonlinear HRV markers: the Poincaré plot descriptors SD1 and SD2."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from hrv.types import Intervals

__all__ = ["Poincare", "poincare"]

#: Minimum number of (RR_n, RR_n+1) pairs for a sample standard deviation.
_MIN_PAIRS = 2


@dataclasses.dataclass(frozen=True)
class Poincare:
    """Poincaré plot descriptors; ``None`` with fewer than two adjacent pairs.

    Attributes
    ----------
    sd1_ms : float or None
        Standard deviation (``ddof=1``) of the points perpendicular to the identity line,
        ``(RR_n+1 - RR_n) / sqrt(2)``: short-term variability. Equals ``SDSD / sqrt(2)``;
        ``SD1**2 = (RMSSD**2 - mean(d)**2) * m / (m - 1) / 2`` exactly for ``m`` pairs with
        successive differences ``d``, hence ``SD1 ≈ RMSSD / sqrt(2)`` for a stationary
        series.
    sd2_ms : float or None
        Standard deviation (``ddof=1``) along the identity line, ``(RR_n+1 + RR_n) / sqrt(2)``:
        long-term variability.
    sd1_sd2_ratio : float or None
        ``sd1_ms / sd2_ms``.
    n_pairs : int
        Number of adjacent pairs used (pairs split by a gap are excluded).
    """

    sd1_ms: float | None = None
    sd2_ms: float | None = None
    sd1_sd2_ratio: float | None = None
    n_pairs: int = 0


def poincare(nn: Intervals) -> Poincare:
    """Poincaré SD1 and SD2 of an NN series.

    Parameters
    ----------
    nn : Intervals
        NN intervals (ms), shape (n,). Pairs ``(RR_n, RR_n+1)`` are formed only between
        adjacent intervals not separated by a gap (``nn.gap_before``).

    Returns
    -------
    Poincare
        SD1 and SD2 in ms (sample SDs, ``ddof=1``) and their ratio.

    References
    ----------
    Brennan M, Palaniswami M, Kamen P (2001). Do existing measures of Poincaré plot
    geometry reflect nonlinear features of heart rate variability? IEEE Trans Biomed Eng
    48:1342-1347.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    if rr.size < 2:
        return Poincare()
    keep = ~np.asarray(nn.gap_before[1:], dtype=bool)
    m = int(np.count_nonzero(keep))
    if m < _MIN_PAIRS:
        return Poincare(n_pairs=m)
    # Pairs (RR_n, RR_n+1) within a segment: differences and sums of the full series,
    # the pairs across a gap left out (no gathered copies when there is no gap).
    every = m == keep.size
    u = np.subtract(rr[1:], rr[:-1])
    u = u if every else u[keep]
    u /= math.sqrt(2.0)
    sd1 = float(np.std(u, ddof=1))
    u = np.add(rr[1:], rr[:-1])
    u = u if every else u[keep]
    u /= math.sqrt(2.0)
    sd2 = float(np.std(u, ddof=1))
    ratio = sd1 / sd2 if sd2 > 0 else None
    return Poincare(sd1_ms=sd1, sd2_ms=sd2, sd1_sd2_ratio=ratio, n_pairs=m)
