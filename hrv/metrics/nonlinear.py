"""Nonlinear HRV markers: the Poincaré plot descriptors SD1 and SD2, detrended fluctuation
analysis (DFA α1, α2) and sample entropy."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import numpy.typing as npt

from hrv._dsp import sliding_rows
from hrv.metrics.time import sample_sd
from hrv.types import Intervals, QualityWarning

__all__ = ["DFA", "Poincare", "SampleEntropy", "dfa", "poincare", "sample_entropy"]

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
    sd1 = sample_sd(u)
    u = np.add(rr[1:], rr[:-1])
    u = u if every else u[keep]
    u /= math.sqrt(2.0)
    sd2 = sample_sd(u)
    ratio = sd1 / sd2 if sd2 > 0 else None
    return Poincare(sd1_ms=sd1, sd2_ms=sd2, sd1_sd2_ratio=ratio, n_pairs=m)


# ---------------------------------------------------------------------------------------
# Detrended fluctuation analysis

#: Box sizes (beats) of the short-term exponent α1: every size from 4 to 16 (Peng 1995).
DFA_ALPHA1_BOXES: tuple[int, ...] = tuple(range(4, 17))
#: Box sizes (beats) of the long-term exponent α2: 12 sizes spread evenly in log scale
#: from 16 to 64 (Peng 1995), so the fit is not dominated by the many large sizes.
DFA_ALPHA2_BOXES: tuple[int, ...] = tuple(
    int(b) for b in np.unique(np.round(np.geomspace(16, 64, 12)))
)
#: A fit needs at least this many boxes of its largest size (Hardstone et al. 2012: the
#: largest box at most a tenth of the series): 160 intervals for α1, 640 for α2.
DFA_MIN_BOXES = 10
#: Series up to this many intervals are boxed from both ends in one array; longer ones
#: each way in place, detrended column by column (:func:`_residual_power`).
_DFA_JOIN_MAX = 8_192


@dataclasses.dataclass(frozen=True)
class DFA:
    """Detrended fluctuation analysis exponents; ``None`` when the series is too short.

    Attributes
    ----------
    dfa_alpha1 : float or None
        Short-term scaling exponent (boxes of 4–16 beats; needs 160 intervals).
    dfa_alpha2 : float or None
        Long-term scaling exponent (boxes of 16–64 beats; needs 640 intervals, about
        10 minutes at rest).
    n_intervals : int
    warnings : tuple of QualityWarning
        ``too_short_for_dfa_alpha1`` / ``too_short_for_dfa_alpha2``.
    """

    dfa_alpha1: float | None = None
    dfa_alpha2: float | None = None
    n_intervals: int = 0
    warnings: tuple[QualityWarning, ...] = ()


def _fluctuations(profile: npt.NDArray[np.float64], boxes: tuple[int, ...]
                  ) -> npt.NDArray[np.float64]:
    """F(n) for each box size n: RMS of the residuals of a least-squares line in each box,
    with boxes laid from the start and again from the end (every interval used once
    each way when n does not divide the length; Kantelhardt et al. 2002)."""
    out = np.empty(len(boxes))
    size = profile.size
    for i, n in enumerate(boxes):
        k = size // n
        t, stt = _centred(n)
        head, tail = profile[: k * n], profile[size - k * n:]
        if size <= _DFA_JOIN_MAX:
            # A short series: the boxes from the start and from the end as rows of one
            # array, row-wise operations (the fewest calls). The row means as
            # ndarray.mean takes them (the sum, then divided by the count in place).
            resid = np.concatenate((head, tail)).reshape(2 * k, n)  # a fresh copy
            slope = resid @ t
            slope /= stt
            mean = np.add.reduce(resid, axis=1)
            mean /= n
            resid -= mean[:, None]
            resid -= slope[:, None] * t
            total = float(np.einsum("ij,ij->", resid, resid))
        else:
            total = (_residual_power(head.reshape(k, n), t, stt)
                     + _residual_power(tail.reshape(k, n), t, stt))
        out[i] = math.sqrt(total / (2.0 * k * n))
    return out


@functools.lru_cache(maxsize=64)
def _centred(n: int) -> tuple[npt.NDArray[np.float64], float]:
    """Box positions ``0 .. n - 1`` centred on zero (read-only) and their sum of squares,
    cached per box size."""
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    t.flags.writeable = False
    return t, float(t @ t)


def _residual_power(rows: npt.NDArray[np.float64], t: npt.NDArray[np.float64], stt: float
                    ) -> float:
    """Sum of the squared residuals of each row's least-squares line (a long series,
    in place). Column by column: numpy's row-wise operations on rows of a few values
    cost several times more than on the long columns."""
    slope = (rows @ t) / stt
    mean = np.einsum("ij->i", rows) / rows.shape[1]
    resid = np.empty((rows.shape[1], rows.shape[0]))
    for j, tj in enumerate(t.tolist()):
        np.subtract(rows[:, j], mean, out=resid[j])
        resid[j] -= slope * tj
    return float(np.einsum("ij,ij->", resid, resid))


def _slope(boxes: tuple[int, ...], fluct: npt.NDArray[np.float64]) -> float | None:
    """Least-squares slope of ``log F(n)`` against ``log n``."""
    if (fluct <= 0).any():
        return None
    x, sxx = _log_boxes(boxes)
    y = np.log(fluct)
    return float(x @ (y - y.mean()) / sxx)


@functools.lru_cache(maxsize=8)
def _log_boxes(boxes: tuple[int, ...]) -> tuple[npt.NDArray[np.float64], float]:
    """``log n`` of the box sizes, centred (read-only), and its sum of squares (cached)."""
    x = np.log(np.asarray(boxes, dtype=np.float64))
    x -= x.mean()
    x.flags.writeable = False
    return x, float(x @ x)


def dfa(nn: Intervals) -> DFA:
    """DFA scaling exponents α1 and α2 of an NN series.

    Parameters
    ----------
    nn : Intervals
        NN intervals (ms), shape (n,). Gaps are closed up (the clean intervals are taken
        in order, as in Peng et al.), which leaves the exponents of a stationary series
        unchanged.

    Returns
    -------
    DFA
        ``α`` is the slope of ``log F(n)`` against ``log n``, where ``F(n)`` is the RMS
        deviation of the integrated, mean-removed series from its linear trend within
        boxes of ``n`` beats. White noise gives 0.5, 1/f noise 1.0, Brownian motion 1.5;
        healthy resting adults have α1 of about 1.0–1.2.

    Notes
    -----
    ``O(n)`` time and memory per box size (whole-array reshapes, no loop over boxes).

    References
    ----------
    Peng C-K, Havlin S, Stanley HE, Goldberger AL (1995). Quantification of scaling
    exponents and crossover phenomena in nonstationary heartbeat time series. Chaos
    5:82-87. Hardstone R et al. (2012) Front Physiol 3:450.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    n = int(rr.size)
    warnings: list[QualityWarning] = []
    alphas: list[float | None] = []
    profile = (rr - np.add.reduce(rr) / n).cumsum() if n else rr  # rr - rr.mean()
    for label, boxes in (("alpha1", DFA_ALPHA1_BOXES), ("alpha2", DFA_ALPHA2_BOXES)):
        need = DFA_MIN_BOXES * max(boxes)
        if n < need:
            alphas.append(None)
            warnings.append(QualityWarning(
                f"too_short_for_dfa_{label}",
                f"{n} clean intervals; DFA {label.replace('alpha', 'α')} needs at least "
                f"{need} ({DFA_MIN_BOXES} boxes of {max(boxes)} beats).",
            ))
        else:
            alphas.append(_slope(boxes, _fluctuations(profile, boxes)))
    return DFA(dfa_alpha1=alphas[0], dfa_alpha2=alphas[1], n_intervals=n,
               warnings=tuple(warnings))


# ---------------------------------------------------------------------------------------
# Sample entropy

#: Template length m and tolerance r (times the SD of the series) of sample entropy:
#: m = 2, r = 0.2 SD (Richman & Moorman 2000; the usual choice for RR series).
SAMPEN_M = 2
SAMPEN_R_SD = 0.2
#: Fewest intervals for sample entropy (Yentes et al. 2013 found it unstable below 200
#: points at m = 2).
SAMPEN_MIN_INTERVALS = 200
#: Up to this many templates (about 1.5 h at rest) the value is the exact sample entropy.
SAMPEN_EXACT = 8_192
#: Beyond it, template pairs are counted within :data:`SAMPEN_BLOCKS` blocks of
#: :data:`SAMPEN_BLOCK` consecutive templates spread evenly over the recording, and the
#: value is ``-ln(sum A / sum B)`` over them: sample entropy is a short-term index, and a
#: fixed amount of counting keeps a 24-hour analysis as fast as a 2-hour one.
SAMPEN_BLOCK = 512
SAMPEN_BLOCKS = 8
#: Below this many templates, pairs are counted by direct comparison (no KD-tree import).
_SAMPEN_DIRECT = 1_024


@dataclasses.dataclass(frozen=True)
class SampleEntropy:
    """Sample entropy of an NN series; ``None`` when too short or undefined.

    Attributes
    ----------
    sample_entropy : float or None
        ``-ln(A / B)``: B counts pairs of templates of length m = 2 within r = 0.2 SD of
        each other (Chebyshev distance ≤ r, self-matches excluded), A the pairs that still
        match at length m + 1.
    tolerance_ms : float or None
        The tolerance r used, in ms.
    n_templates : int
        Templates used (those spanning a gap are left out).
    warnings : tuple of QualityWarning
        ``too_short_for_sample_entropy`` or ``sample_entropy_undefined`` (no match at
        length m + 1).
    """

    sample_entropy: float | None = None
    tolerance_ms: float | None = None
    n_templates: int = 0
    warnings: tuple[QualityWarning, ...] = ()


def _pair_counts(emb: npt.NDArray[np.float64], r: float) -> tuple[int, int]:
    """(B, A): template pairs within ``r`` (Chebyshev) on the first m columns, and on all
    m + 1 columns, each unordered pair once."""
    n = emb.shape[0]
    if n <= _SAMPEN_DIRECT:
        # Templates sorted by their first value: the partners of template p that can
        # match it on that value are the next ones up to x0[p] + r, a contiguous range
        # (taken a little wider against rounding; every pair is then checked exactly,
        # |a - b| <= r on each column). Each unordered pair is looked at once; the last
        # column only for the pairs that match on the first m.
        cols = emb[emb[:, 0].argsort(kind="stable")].T.copy()
        x0 = cols[0]
        hi = x0.searchsorted(x0 + r + 1e-9 * (np.abs(x0) + r), side="right")
        first_of = np.arange(n)
        per_row = hi - first_of - 1
        first = first_of.repeat(per_row)
        row_start = per_row.cumsum() - per_row
        second = np.arange(first.size) - row_start.repeat(per_row) + first + 1
        match = np.abs(x0[first] - x0[second]) <= r
        for k in range(1, SAMPEN_M):
            match &= np.abs(cols[k][first] - cols[k][second]) <= r
        pairs = match.nonzero()[0]  # (one pass over the mask for both arrays)
        first, second = first[pairs], second[pairs]
        last = cols[SAMPEN_M]
        return first.size, int(np.count_nonzero(np.abs(last[first] - last[second]) <= r))
    from scipy.spatial import cKDTree

    tree_m = cKDTree(emb[:, :SAMPEN_M])
    tree_m1 = cKDTree(emb)
    # count_neighbors counts ordered pairs and each point with itself.
    b = (int(tree_m.count_neighbors(tree_m, r, p=np.inf)) - n) // 2
    a = (int(tree_m1.count_neighbors(tree_m1, r, p=np.inf)) - n) // 2
    return b, a


def sample_entropy(nn: Intervals) -> SampleEntropy:
    """Sample entropy (m = 2, r = 0.2 SD) of an NN series.

    Parameters
    ----------
    nn : Intervals
        NN intervals (ms), shape (n,), at least :data:`SAMPEN_MIN_INTERVALS`. A template
        (``m + 1`` consecutive intervals) that spans a gap is not used.

    Returns
    -------
    SampleEntropy
        Gaussian white noise gives about 2.2; a regular rhythm gives values near 0.

    Notes
    -----
    The same ``n - m`` templates are used at lengths m and m + 1 (Richman & Moorman), r
    is 0.2 × the sample SD (``ddof=1``) of the whole series. Exact up to
    :data:`SAMPEN_EXACT` templates; a longer record counts pairs within
    :data:`SAMPEN_BLOCKS` evenly spread blocks of :data:`SAMPEN_BLOCK` templates (bounded
    time and memory whatever the length), with a KD-tree beyond a few thousand templates.

    References
    ----------
    Richman JS, Moorman JR (2000). Physiological time-series analysis using approximate
    entropy and sample entropy. Am J Physiol Heart Circ Physiol 278:H2039-H2049.
    Yentes JM et al. (2013) Ann Biomed Eng 41:349-365.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    n = int(rr.size)
    if n < SAMPEN_MIN_INTERVALS:
        return SampleEntropy(warnings=(QualityWarning(
            "too_short_for_sample_entropy",
            f"{n} clean intervals; sample entropy needs at least {SAMPEN_MIN_INTERVALS}.",
        ),))
    r = SAMPEN_R_SD * sample_sd(rr)
    emb = sliding_rows(rr, SAMPEN_M + 1)
    gap = np.asarray(nn.gap_before, dtype=bool).copy()
    gap[0] = False
    if gap.any():  # a template is usable when no gap falls inside its m + 1 intervals
        inside = sliding_rows(gap, SAMPEN_M + 1)[:, 1:].any(axis=1)
        emb = emb[~inside]
    count = int(emb.shape[0])
    if count <= SAMPEN_EXACT:
        starts, size = [0], count
    else:
        starts = np.linspace(0, count - SAMPEN_BLOCK, SAMPEN_BLOCKS).astype(int).tolist()
        size = SAMPEN_BLOCK
    b = a = 0
    for start in starts:
        bb, aa = _pair_counts(np.ascontiguousarray(emb[start:start + size]), r)
        b += bb
        a += aa
    if a == 0 or b == 0:
        return SampleEntropy(tolerance_ms=r, n_templates=count, warnings=(QualityWarning(
            "sample_entropy_undefined",
            "No pair of beat patterns matched within the tolerance; sample entropy is "
            "undefined for this series.",
        ),))
    return SampleEntropy(sample_entropy=-math.log(a / b), tolerance_ms=r, n_templates=count)
