"""Time-domain HRV markers (Task Force of ESC/NASPE 1996).

Definitions (all on NN intervals in ms):

* ``mean_nn_ms``: arithmetic mean of the intervals.
* ``mean_hr_bpm``: ``60000 / mean_nn_ms`` (heart rate of the mean interval, not the mean of
  instantaneous rates; the two differ by the variance term, < 1 % at rest).
* ``sdnn_ms``: sample standard deviation of the intervals (``ddof=1``).
* ``rmssd_ms``: root mean square of successive differences, ``sqrt(mean(d**2))``, over the
  differences of adjacent intervals that are not separated by a gap (``gap_before``).
* ``ln_rmssd``: natural logarithm of RMSSD in ms.
* ``sdsd_ms``: sample standard deviation (``ddof=1``) of the same successive differences.
* ``pnn50_pct``: percentage of those differences whose magnitude exceeds 50 ms.
* ``nn50_count``: the number of those differences whose magnitude exceeds 50 ms.
* ``cvnn_pct``: coefficient of variation, ``100 * sdnn_ms / mean_nn_ms``.

Geometric markers (:func:`geometric`, Task Force 1996), on the histogram of the intervals
with bins of 1/128 s (7.8125 ms) anchored at 0 ms, from NN series spanning at least
5 minutes (:data:`MIN_GEOMETRIC_SPAN_S`; shorter: ``None`` and a warning):

* ``hrv_triangular_index``: number of intervals divided by the height of the histogram's
  highest bin (dimensionless).
* ``tinn_ms``: the base ``M - N`` of the triangle ``q`` (zero outside ``[N, M]``, rising
  linearly from ``N`` to the highest bin ``(X, Y)`` and falling to ``M``) that best fits the
  histogram ``D`` by least squares, ``sum((D - q)**2)`` over all bins; ``N`` and ``M`` are
  searched over bin centres (one empty bin beyond each end included).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from hrv.types import Intervals, QualityWarning

__all__ = ["MIN_GEOMETRIC_SPAN_S", "Geometric", "TimeDomain", "geometric", "sample_sd",
           "time_domain"]

#: Minimum number of intervals for mean NN / HR, and for SDNN (sample SD).
_MIN_INTERVALS_MEAN = 1
_MIN_INTERVALS_SD = 2
#: Minimum number of successive differences for RMSSD / pNN50, and for SDSD (sample SD).
_MIN_DIFFS_RMSSD = 1
_MIN_DIFFS_SD = 2

#: Histogram bin width of the geometric markers: 1/128 s (Task Force 1996).
HISTOGRAM_BIN_MS = 1000.0 / 128.0
#: Span of NN series the geometric markers need: 5 min (Task Force 1996: "at least 20 min,
#: 5 min at the least"), less 2 % so a 5-min recording whose first and last beats fall
#: just inside its ends still qualifies.
MIN_GEOMETRIC_SPAN_S = 0.98 * 300.0


@dataclasses.dataclass(frozen=True)
class TimeDomain:
    """Time-domain markers; ``None`` when there are too few intervals or differences.

    Attributes
    ----------
    mean_nn_ms, mean_hr_bpm, sdnn_ms, rmssd_ms, ln_rmssd, sdsd_ms, pnn50_pct, nn50_count,
    cvnn_pct : float or None
        See the module docstring for the exact definitions.
    n_intervals : int
        Number of NN intervals used.
    n_diffs : int
        Number of successive differences used (pairs split by a gap are excluded).
    """

    mean_nn_ms: float | None = None
    mean_hr_bpm: float | None = None
    sdnn_ms: float | None = None
    rmssd_ms: float | None = None
    ln_rmssd: float | None = None
    sdsd_ms: float | None = None
    pnn50_pct: float | None = None
    nn50_count: float | None = None
    cvnn_pct: float | None = None
    n_intervals: int = 0
    n_diffs: int = 0


def sample_sd(x: npt.NDArray[np.float64]) -> float:
    """``float(x.std(ddof=1))`` of a 1-D float64 array of two or more values, by numpy's
    own steps (the pairwise sum over the count for the mean, the squared deviations
    summed the same way over ``n - 1``, the square root) without its argument handling:
    the same number, bit for bit."""
    n = x.size
    d = x - np.add.reduce(x) / n
    np.square(d, out=d)
    return math.sqrt(np.add.reduce(d) / (n - 1))


def time_domain(nn: Intervals) -> TimeDomain:
    """Time-domain HRV markers of an NN series.

    Parameters
    ----------
    nn : Intervals
        Clean NN intervals (ms) with their gap flags, shape (n,).

    Returns
    -------
    TimeDomain
        Mean NN (ms), mean HR (beats/min), SDNN (ms, ``ddof=1``), RMSSD (ms), ln RMSSD,
        SDSD (ms, ``ddof=1``), pNN50 (%), NN50 (count) and CVNN (%). Successive
        differences are never taken across a gap (``nn.gap_before``).

    References
    ----------
    Task Force of the European Society of Cardiology and the North American Society of
    Pacing and Electrophysiology (1996). Heart rate variability: standards of measurement,
    physiological interpretation and clinical use. Circulation 93:1043-1065.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    n = int(rr.size)
    d = rr[1:] - rr[:-1] if n >= 2 else np.empty(0)  # np.diff(rr)
    if n >= 2:  # never across a gap (as nn.successive_diffs_ms, without a copy if none)
        keep = ~np.asarray(nn.gap_before[1:], dtype=bool)
        if not keep.all():
            d = d[keep]
    m = int(d.size)

    mean_nn = float(np.add.reduce(rr) / n) if n >= _MIN_INTERVALS_MEAN else None  # rr.mean()
    mean_hr = 60000.0 / mean_nn if mean_nn is not None and mean_nn > 0 else None
    sdnn = sample_sd(rr) if n >= _MIN_INTERVALS_SD else None

    rmssd: float | None = None
    pnn50: float | None = None
    nn50: float | None = None
    if m >= _MIN_DIFFS_RMSSD:
        rmssd = math.sqrt(float(np.einsum("i,i->", d, d)) / m)
        nn50 = float(np.count_nonzero(d > 50.0) + np.count_nonzero(d < -50.0))
        pnn50 = 100.0 * nn50 / m
    ln_rmssd = math.log(rmssd) if rmssd is not None and rmssd > 0 else None
    sdsd = sample_sd(d) if m >= _MIN_DIFFS_SD else None
    cvnn = 100.0 * sdnn / mean_nn if sdnn is not None and mean_nn else None

    return TimeDomain(
        mean_nn_ms=mean_nn,
        mean_hr_bpm=mean_hr,
        sdnn_ms=sdnn,
        rmssd_ms=rmssd,
        ln_rmssd=ln_rmssd,
        sdsd_ms=sdsd,
        pnn50_pct=pnn50,
        nn50_count=nn50,
        cvnn_pct=cvnn,
        n_intervals=n,
        n_diffs=m,
    )


@dataclasses.dataclass(frozen=True)
class Geometric:
    """Geometric markers of the NN-interval histogram; ``None`` below 5 min.

    Attributes
    ----------
    hrv_triangular_index : float or None
        Intervals per count of the highest histogram bin (dimensionless).
    tinn_ms : float or None
        Base width of the least-squares triangle fitted to the histogram, in ms.
    warnings : tuple of QualityWarning
        ``too_short_for_triangular`` when the series spans less than 5 min.
    """

    hrv_triangular_index: float | None = None
    tinn_ms: float | None = None
    warnings: tuple[QualityWarning, ...] = ()


def _span_s(nn: Intervals) -> float:
    """Time the NN series covers: first interval's start to last beat."""
    if len(nn) == 0:
        return 0.0
    return float(nn.t_s[-1] - nn.t_s[0]) + float(nn.rr_ms[0]) / 1000.0


def geometric(nn: Intervals) -> Geometric:
    """HRV triangular index and TINN of an NN series (see the module docstring).

    Parameters
    ----------
    nn : Intervals
        Clean NN intervals (ms), shape (n,), spanning at least
        :data:`MIN_GEOMETRIC_SPAN_S` seconds.

    Returns
    -------
    Geometric
        Both markers, or ``None`` and a ``too_short_for_triangular`` warning.

    Notes
    -----
    The triangle's two sides are fitted independently (the squared error splits at the
    highest bin), each by trying every candidate end at once: ``O(k^2)`` for ``k``
    histogram bins (about 100 at rest), whatever the recording length.

    References
    ----------
    Task Force of ESC/NASPE (1996) Circulation 93:1043-1065 (section "Geometrical methods").
    """
    span = _span_s(nn)
    if span < MIN_GEOMETRIC_SPAN_S:
        from hrv.metrics.frequency import seconds

        return Geometric(warnings=(QualityWarning(
            "too_short_for_triangular",
            f"The clean intervals span {seconds(span)}; the HRV triangular index and TINN "
            "need at least 5 minutes.",
        ),))
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    idx = np.floor(rr / HISTOGRAM_BIN_MS).astype(np.int64)
    lo = int(idx.min())
    counts = np.bincount(idx - lo).astype(np.float64)
    hti = float(rr.size) / float(counts.max())
    return Geometric(hrv_triangular_index=hti, tinn_ms=_tinn(counts, lo))


def _tinn(counts: npt.NDArray[np.float64], lo: int) -> float:
    """Base width (ms) of the least-squares triangle fitted to a histogram whose bin ``i``
    covers ``[(lo + i) w, (lo + i + 1) w)`` ms."""
    d = np.concatenate(([0.0], counts, [0.0]))  # one empty bin beyond each end
    x = (np.arange(d.size) + lo - 1 + 0.5) * HISTOGRAM_BIN_MS  # bin centres
    p = int(d.argmax())
    xp, yp = x[p], d[p]
    # Left side: for a start N = x[j] (j < p), q rises from 0 at N to yp at the peak.
    j = np.arange(p)[:, None]
    k = np.arange(p)[None, :]
    left_x = x[:p][None, :]
    ramp = yp * (left_x - x[:p][:, None]) / (xp - x[:p][:, None])
    q_left = np.where(k > j, ramp, 0.0)
    err_left = ((d[:p][None, :] - q_left) ** 2).sum(axis=1)
    # Right side: for an end M = x[j] (j > p), q falls from yp at the peak to 0 at M.
    tail = d[p + 1:]
    jr = np.arange(tail.size)[:, None]
    kr = np.arange(tail.size)[None, :]
    xr = x[p + 1:]
    fall = yp * (xr[:, None] - xr[None, :]) / (xr[:, None] - xp)
    q_right = np.where(kr < jr, fall, 0.0)
    err_right = ((tail[None, :] - q_right) ** 2).sum(axis=1)
    n_at = float(x[int(err_left.argmin())])
    m_at = float(xr[int(err_right.argmin())])
    return m_at - n_at
