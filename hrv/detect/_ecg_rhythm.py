"""Conduction findings on the detected beats: sinus pauses and runs of 2:1 conduction.

An interval that spans a pause or a blocked beat is no NN interval: in a sinus pause the
sinus node did not fire, in 2:1 atrioventricular block every second P wave is not
conducted. Both would dominate RMSSD. The intervals are measured against the running
rhythm of the ordinary (1:1) intervals between normal beats, so that neither a run of
doubled intervals nor ectopic beats become the reference (in bigeminy the short
coupling intervals would make the sinus intervals after the run look doubled):

* ``av_block_suspected``: at least ``BLOCK_MIN_RUN`` consecutive intervals within
  ``MULTIPLE_TOL`` of twice the running rhythm (2:1 conduction), entered or left by an
  abrupt step of at least ``ABRUPT_STEP`` (breathing changes RR gradually) from or to a
  steady 1:1 rhythm of normal beats;
* ``pause``: any other interval of at least ``PAUSE_MIN_S`` and ``PAUSE_RATIO`` times the
  running rhythm (a single long interval of 2-6 s: sinus arrest or a blocked beat).

Each such interval is returned as an excluded window strictly inside it, so that the
interval, and no neighbouring one, leaves the NN series. A recording that is 2:1 from
start to end has no 1:1 reference in its RR series and is not flagged here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hrv.types import ExcludedWindow, QualityWarning

__all__ = ["conduction_findings"]

FloatArray = npt.NDArray[np.float64]

PAUSE_MIN_S = 1.9  # 2 s, less the detector's timing error
PAUSE_RATIO = 1.6  # of the running 1:1 rhythm
MULTIPLE_TOL = 0.12  # relative: 2 x (1 +- 0.12)
BLOCK_MIN_RUN = 3
ABRUPT_STEP = 1.6  # the doubling (or halving) at the start or end of a run
REF_BEATS = 41  # running median of the 1:1 intervals
# First pass: the lower quartile over this many intervals tells the 1:1 intervals even
# inside a run of doubled ones (up to about three quarters of the window long).
FIRST_PASS_BEATS = 121
FIRST_PASS_PERCENTILE = 25
#: The intervals beside a 2:1 run (up to this many, at least ``STEADY_MIN``) must be a
#: steady 1:1 rhythm of normal beats: each within ``STEADY_MAX`` of the running rhythm
#: (strong sinus arrhythmia swings by up to about a quarter; the coupling and
#: compensatory intervals of bigeminy by a half, fibrillation at random).
STEADY_BEATS = 6
STEADY_MIN = 3
STEADY_MAX = 0.3
ARTEFACT_NEAR_S = 2.0
WINDOW_MARGIN_S = 0.05  # the window leaves this much of the interval at each end


def _runs(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    padded = np.zeros(mask.size + 2, dtype=np.int8)
    padded[1:-1] = mask
    d = padded[1:] - padded[:-1]  # np.diff, with a 0 before and after
    return (d == 1).nonzero()[0], (d == -1).nonzero()[0]


def conduction_findings(
    times_s: FloatArray, artefacts: Sequence[tuple[float, float]] = (),
    normal: npt.NDArray[np.bool_] | None = None,
) -> tuple[tuple[ExcludedWindow, ...], tuple[QualityWarning, ...]]:
    """Excluded windows (reasons ``"pause"``, ``"av_block"``) and rhythm warnings.

    Parameters
    ----------
    times_s : ndarray, shape (n_beats,)
        Sorted beat times in seconds.
    artefacts : sequence of (start_s, end_s)
        Stretches of missing, flat or clipped signal: an interval within
        ``ARTEFACT_NEAR_S`` of one is lost beats, not a rhythm, and is not reported.
    normal : ndarray of bool, shape (n_beats,), optional
        Beats of normal shape and timing. The running rhythm is taken from the intervals
        between two consecutive normal beats, and only such an interval can be a doubled
        (2:1) one: an interval that begins or ends at an ectopic beat is no conduction
        interval. ``None``: every beat is normal.
    """
    if times_s.size < 4:
        return (), ()
    rr = times_s[1:] - times_s[:-1]
    sinus = (np.ones(rr.size, dtype=bool) if normal is None
             else np.asarray(normal[1:] & normal[:-1], dtype=bool))
    idx = sinus.nonzero()[0]
    if idx.size < 3:
        return (), ()
    first = ndimage.percentile_filter(rr[idx], FIRST_PASS_PERCENTILE,
                                      size=min(FIRST_PASS_BEATS, idx.size), mode="nearest")
    ordinary = idx[rr[idx] < PAUSE_RATIO * first]
    if ordinary.size < 3:
        return (), ()
    ref_o = ndimage.median_filter(rr[ordinary], size=min(REF_BEATS, ordinary.size),
                                  mode="nearest")
    at = np.minimum(ordinary.searchsorted(np.arange(rr.size)), ordinary.size - 1)
    ratio = rr / ref_o[at]
    double = (np.abs(ratio - 2.0) <= 2.0 * MULTIPLE_TOL) & sinus
    block = np.zeros(rr.size, dtype=bool)
    starts, ends = _runs(double)
    def steady(a: int, b: int) -> bool:
        """Intervals ``[a, b)`` are a steady 1:1 rhythm of normal beats."""
        a, b = max(a, 0), min(b, rr.size)
        if b - a < STEADY_MIN or not sinus[a:b].all():
            return False
        return bool((np.abs(ratio[a:b] - 1.0) <= STEADY_MAX).all())

    for s, e in zip(starts, ends, strict=True):  # loop per run of doubled intervals
        # Conduction fails from one beat to the next: the run starts or ends with an
        # abrupt doubling or halving, where breathing changes RR gradually, next to a
        # steady 1:1 rhythm (the atria beat on; bigeminy or fibrillation is no such
        # rhythm).
        onset = (s > 0 and rr[s] >= ABRUPT_STEP * rr[s - 1]
                 and steady(s - STEADY_BEATS, s))
        offset = (e < rr.size and rr[e - 1] >= ABRUPT_STEP * rr[e]
                  and steady(e, e + STEADY_BEATS))
        if e - s >= BLOCK_MIN_RUN and (onset or offset):
            block[s:e] = True
    pause = (ratio >= PAUSE_RATIO) & (rr >= PAUSE_MIN_S) & ~block
    for a, b in artefacts:  # loop per artefact stretch
        near = (times_s[1:] > a - ARTEFACT_NEAR_S) & (times_s[:-1] < b + ARTEFACT_NEAR_S)
        block &= ~near
        pause &= ~near
    windows: list[tuple[float, float, str]] = []
    for i in np.flatnonzero(block | pause):
        margin = min(WINDOW_MARGIN_S, 0.25 * float(rr[i]))
        windows.append((float(times_s[i]) + margin, float(times_s[i + 1]) - margin,
                        "av_block" if block[i] else "pause"))
    warnings: list[QualityWarning] = []
    if pause.any():
        n, longest = int(pause.sum()), float(rr[pause].max())
        warnings.append(QualityWarning(
            "pause",
            f"{n} pause(s) without a heartbeat, the longest {longest:.1f} s (sinus pause "
            "or a blocked beat); the intervals spanning them are left out of the NN "
            "intervals (a screening flag, not a diagnosis)",
        ))
    if block.any():
        n_runs = int(np.count_nonzero(np.diff(block.astype(np.int8), prepend=0) == 1))
        warnings.append(QualityWarning(
            "av_block_suspected",
            f"{int(block.sum())} interval(s) in {n_runs} run(s) last twice the surrounding "
            "rhythm, as when every second beat is not conducted (2:1 atrioventricular "
            "block); they are left out of the NN intervals (a screening flag, not a "
            "diagnosis: see a physician)",
        ))
    return tuple(ExcludedWindow(a, b, r) for a, b, r in windows), tuple(warnings)
