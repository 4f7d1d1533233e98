"""Beat selection from QRS-feature candidates: adaptive threshold, T-wave rejection,
search-back for missed beats (after Pan & Tompkins, 1985, vectorised over candidates)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hrv.detect._ecg_feature import Candidates

__all__ = ["select_beats"]

IntArray = npt.NDArray[np.int64]

THRESHOLD_FRACTION = 0.18  # of the local beat level (median of +-1 s maxima)
LEVEL_MEDIAN_CANDIDATES = 15
T_WAVE_WINDOW_S = 0.36
T_WAVE_RATIO = 0.4
SEARCHBACK_RR_FACTOR = 1.6
SEARCHBACK_FRACTION = 0.35  # of the normal threshold
MIN_SEARCH_RR_S = 0.25
FLOOR_FRACTION = 1e-3  # of the recording's typical beat level: below is no beat at all


def _t_wave_reject(
    sel: IntArray, t: npt.NDArray[np.float64], h: npt.NDArray[np.float64]
) -> IntArray:
    """Drop a beat that follows the previous one closely with a much smaller feature.

    Two passes approximate the sequential rule of Pan & Tompkins cheaply.
    """
    for _ in range(2):
        if sel.size < 2:
            return sel
        dt = np.diff(t[sel])
        small = (dt < T_WAVE_WINDOW_S) & (h[sel[1:]] < T_WAVE_RATIO * h[sel[:-1]])
        if not small.any():
            return sel
        keep = np.ones(sel.size, dtype=bool)
        keep[1:][small] = False
        sel = sel[keep]
    return sel


def select_beats(c: Candidates) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Indices (into the candidate arrays) of accepted beats and the threshold used."""
    n = c.index.size
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    t = c.index / c.fs_work
    h = c.height
    level = ndimage.median_filter(c.level, size=min(LEVEL_MEDIAN_CANDIDATES, n), mode="nearest")
    floor = FLOOR_FRACTION * float(np.percentile(c.level, 75))
    thr = np.maximum(THRESHOLD_FRACTION * level, floor)
    thr = np.maximum(thr, np.finfo(np.float64).tiny)
    sel = np.flatnonzero(h > thr).astype(np.int64)
    sel = _t_wave_reject(sel, t, h)
    sel = _search_back(sel, t, h, thr)
    return sel, thr


def _search_back(
    sel: IntArray,
    t: npt.NDArray[np.float64],
    h: npt.NDArray[np.float64],
    thr: npt.NDArray[np.float64],
) -> IntArray:
    """Add the largest sub-threshold candidate inside RR gaps much longer than usual."""
    for _ in range(3):
        if sel.size < 3:
            return sel
        rr = np.diff(t[sel])
        med = ndimage.median_filter(rr, size=min(9, rr.size), mode="nearest")
        gaps = np.flatnonzero(rr > np.maximum(SEARCHBACK_RR_FACTOR * med, 2 * MIN_SEARCH_RR_S))
        if gaps.size == 0:
            return sel
        added: list[int] = []
        low = SEARCHBACK_FRACTION * thr
        for g in gaps.tolist():  # loop per gap: gaps are few
            t0 = t[sel[g]] + MIN_SEARCH_RR_S
            t1 = t[sel[g + 1]] - MIN_SEARCH_RR_S
            lo = int(np.searchsorted(t, t0))
            hi = int(np.searchsorted(t, t1, side="right"))
            if hi <= lo:
                continue
            seg = h[lo:hi]
            ok = seg > low[lo:hi]
            if not ok.any():
                continue
            j = lo + int(np.argmax(np.where(ok, seg, -np.inf)))
            added.append(j)
        if not added:
            return sel
        sel = np.union1d(sel, np.asarray(added, dtype=np.int64))
    return sel
