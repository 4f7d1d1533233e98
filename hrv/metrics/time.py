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
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from hrv.types import Intervals

__all__ = ["TimeDomain", "time_domain"]

#: Minimum number of intervals for mean NN / HR, and for SDNN (sample SD).
_MIN_INTERVALS_MEAN = 1
_MIN_INTERVALS_SD = 2
#: Minimum number of successive differences for RMSSD / pNN50, and for SDSD (sample SD).
_MIN_DIFFS_RMSSD = 1
_MIN_DIFFS_SD = 2


@dataclasses.dataclass(frozen=True)
class TimeDomain:
    """Time-domain markers; ``None`` when there are too few intervals or differences.

    Attributes
    ----------
    mean_nn_ms, mean_hr_bpm, sdnn_ms, rmssd_ms, ln_rmssd, sdsd_ms, pnn50_pct : float or None
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
    n_intervals: int = 0
    n_diffs: int = 0


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
        SDSD (ms, ``ddof=1``) and pNN50 (%). Successive differences are never taken across
        a gap (``nn.gap_before``).

    References
    ----------
    Task Force of the European Society of Cardiology and the North American Society of
    Pacing and Electrophysiology (1996). Heart rate variability: standards of measurement,
    physiological interpretation and clinical use. Circulation 93:1043-1065.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    n = int(rr.size)
    d = np.diff(rr) if n >= 2 else np.empty(0)
    if n >= 2:  # never across a gap (as nn.successive_diffs_ms, without a copy if none)
        keep = ~np.asarray(nn.gap_before[1:], dtype=bool)
        if not keep.all():
            d = d[keep]
    m = int(d.size)

    mean_nn = float(rr.mean()) if n >= _MIN_INTERVALS_MEAN else None
    mean_hr = 60000.0 / mean_nn if mean_nn is not None and mean_nn > 0 else None
    sdnn = float(rr.std(ddof=1)) if n >= _MIN_INTERVALS_SD else None

    rmssd: float | None = None
    pnn50: float | None = None
    if m >= _MIN_DIFFS_RMSSD:
        rmssd = math.sqrt(float(np.einsum("i,i->", d, d)) / m)
        pnn50 = 100.0 * float(np.count_nonzero(d > 50.0) + np.count_nonzero(d < -50.0)) / m
    ln_rmssd = math.log(rmssd) if rmssd is not None and rmssd > 0 else None
    sdsd = float(d.std(ddof=1)) if m >= _MIN_DIFFS_SD else None

    return TimeDomain(
        mean_nn_ms=mean_nn,
        mean_hr_bpm=mean_hr,
        sdnn_ms=sdnn,
        rmssd_ms=rmssd,
        ln_rmssd=ln_rmssd,
        sdsd_ms=sdsd,
        pnn50_pct=pnn50,
        n_intervals=n,
        n_diffs=m,
    )
