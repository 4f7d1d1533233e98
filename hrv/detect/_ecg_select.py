"""Beat selection from QRS-feature candidates (after Pan & Tompkins, 1985, vectorised over
candidates): adaptive threshold, T- and P-wave rejection, search-back for missed beats.

Each rule acts on whole arrays of candidates; the few loops run per gap or per pass,
never per sample.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hrv._dsp import percentile_linear
from hrv.detect._ecg_feature import Candidates

__all__ = ["select_beats"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

THRESHOLD_FRACTION = 0.18  # of the local beat level (median of +-1 s maxima)
LEVEL_MEDIAN_CANDIDATES = 15
# T wave: a small candidate soon after a beat, nearer to it than to the next beat.
T_WAVE_WINDOW_S = 0.36
T_WAVE_RATIO = 0.4
T_WAVE_SPLIT = 0.8  # interval before / interval after below which it is a T wave
# P wave: a small candidate just before a much larger beat (PR interval 120-250 ms).
P_WAVE_WINDOW_S = 0.27
P_WAVE_RATIO = 0.4
# Search-back over long gaps, with a lower threshold (Pan & Tompkins).
SEARCHBACK_RR_FACTOR = 1.5
SEARCHBACK_FRACTION = 0.35  # of the normal threshold
# ... and above the noise peaks (Pan & Tompkins keep every threshold above the noise-peak
# level): in a sinus pause or a blocked beat's interval the largest candidate is noise, a
# P or a T wave, at about the level of the rejected candidates (beats found by the
# search-back in MIT-BIH stand at least 2x above it).
SEARCHBACK_NOISE_RATIO = 1.5
RR_MEDIAN_BEATS = 9
# An isolated smaller beat (ectopic beats of another axis) far from both neighbours:
# outside the T wave of the previous beat and the P wave of the next one.
ISOLATED_FRACTION = 0.06  # of the local beat level
ISOLATED_AFTER_S = 0.36
ISOLATED_BEFORE_S = 0.30
ISOLATED_NOISE_RATIO = 10.0  # and this many times the local noise level
NOISE_CANDIDATES = 61  # rejected candidates whose median height is the noise level
MIN_SEARCH_RR_S = 0.25
FLOOR_FRACTION = 1e-3  # of the recording's typical beat level: below is no beat at all


def _wave_reject(sel: IntArray, t: FloatArray, h: FloatArray) -> IntArray:
    """Drop T waves (small, soon after a beat) and P waves (small, just before a beat).

    A few passes approximate the sequential rules of Pan & Tompkins cheaply. The T-wave
    rule needs the candidate to sit nearer to the previous beat than to the next one, so
    that a regular fast rhythm (RR below the T window) is not thinned out.
    """
    for _ in range(3):
        if sel.size < 2:
            return sel
        ts, hs = t[sel], h[sel]
        dt = ts[1:] - ts[:-1]
        after = np.concatenate((dt[1:], [np.inf]))  # interval from beat j to beat j + 1
        before = np.concatenate(([np.inf], dt[:-1]))  # interval into beat j - 1
        t_wave = (
            (dt < T_WAVE_WINDOW_S) & (hs[1:] < T_WAVE_RATIO * hs[:-1]) & (dt < T_WAVE_SPLIT * after)
        )
        p_wave = (dt < P_WAVE_WINDOW_S) & (hs[:-1] < P_WAVE_RATIO * hs[1:]) & (dt < before)
        drop = np.zeros(sel.size, dtype=bool)
        drop[1:] |= t_wave
        drop[:-1] |= p_wave
        if not drop.any():
            return sel
        sel = sel[~drop]
    return sel


def select_beats(c: Candidates) -> tuple[IntArray, FloatArray]:
    """Indices (into the candidate arrays) of accepted beats and the threshold used."""
    n = c.index.size
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    t = c.index / c.fs_work
    h = c.height
    level = ndimage.median_filter(c.level, size=min(LEVEL_MEDIAN_CANDIDATES, n), mode="nearest")
    floor = FLOOR_FRACTION * percentile_linear(c.level, 75)
    thr = np.maximum(THRESHOLD_FRACTION * level, floor)
    thr = np.maximum(thr, np.finfo(np.float64).tiny)
    sel = (h > thr).nonzero()[0].astype(np.int64)
    noise = _noise_level(sel, h)
    sel = _wave_reject(sel, t, h)
    sel = _search_back(sel, t, h, np.maximum(thr * SEARCHBACK_FRACTION,
                                              SEARCHBACK_NOISE_RATIO * noise))
    low = np.maximum(np.maximum(ISOLATED_FRACTION * level, ISOLATED_NOISE_RATIO * noise), floor)
    sel = _isolated(sel, t, h, low)
    return sel, thr


def _noise_level(sel: IntArray, h: FloatArray) -> FloatArray:
    """Running median height of the rejected candidates (T, P waves, noise) near each one.

    The noise-peak level of Pan & Tompkins, as a median over ``NOISE_CANDIDATES``
    rejected candidates instead of a recursive average.
    """
    rejected = np.ones(h.size, dtype=bool)
    rejected[sel] = False
    idx = rejected.nonzero()[0]
    if idx.size == 0:
        return np.zeros_like(h)
    med = ndimage.median_filter(h[idx], size=min(NOISE_CANDIDATES, idx.size), mode="nearest")
    # For each candidate, the first rejected one at or after it: the number of rejected
    # candidates before it (``searchsorted(idx, arange(n))``, counted in one pass).
    before = np.concatenate(([0], rejected[:-1].cumsum(dtype=np.intp)))
    near = np.minimum(before, idx.size - 1)
    return np.asarray(med[near], dtype=np.float64)


def _best_in_gaps(
    sel: IntArray,
    gaps: IntArray,
    t: FloatArray,
    score: FloatArray,
    after_s: float,
    before_s: float,
) -> IntArray:
    """Candidate of highest positive ``score`` in each gap, away from its two beats.

    The search windows are disjoint, so one ``maximum.reduceat`` gives every window's
    maximum at once (no loop per gap: in a slow rhythm nearly every RR is a gap here).
    """
    lo = t.searchsorted(t[sel[gaps]] + after_s)
    hi = t.searchsorted(t[sel[gaps + 1]] - before_s, side="right")
    ok = hi > lo
    lo, hi = lo[ok], hi[ok]
    if lo.size == 0:
        return np.empty(0, dtype=np.int64)
    bounds = np.empty(2 * lo.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = lo, hi
    seg_max = np.maximum.reduceat(np.append(score, -np.inf), bounds)[0::2]
    lengths = hi - lo
    seg = np.arange(lo.size).repeat(lengths)
    starts = np.concatenate(([0], lengths.cumsum()[:-1]))
    pos = np.arange(int(lengths.sum())) - (starts - lo).repeat(lengths)
    hit = score[pos] == seg_max[seg]
    # The first hit of each window: ``seg`` increases, so where its value changes (what
    # ``np.unique(..., return_index=True)`` finds, without its sort).
    sh = seg[hit]
    change = np.empty(sh.size, dtype=bool)
    change[:1] = True
    np.not_equal(sh[1:], sh[:-1], out=change[1:])
    first = change.nonzero()[0]
    best = pos[hit][first]
    return best[score[best] > 0].astype(np.int64)


def _search_back(sel: IntArray, t: FloatArray, h: FloatArray, low: FloatArray) -> IntArray:
    """Add the largest candidate above ``low`` (a fraction of the normal threshold, and
    above the noise peaks) inside RR gaps much longer than usual."""
    for _ in range(3):
        if sel.size < 3:
            return sel
        ts = t[sel]
        rr = ts[1:] - ts[:-1]
        med = ndimage.median_filter(rr, size=min(RR_MEDIAN_BEATS, rr.size), mode="nearest")
        gaps = (rr > np.maximum(SEARCHBACK_RR_FACTOR * med, 2 * MIN_SEARCH_RR_S)).nonzero()[0]
        if gaps.size == 0:
            return sel
        score = np.where(h > low, h, 0.0)
        added = _best_in_gaps(sel, gaps, t, score, MIN_SEARCH_RR_S, MIN_SEARCH_RR_S)
        if added.size == 0:
            return sel
        sel = _wave_reject(np.union1d(sel, added), t, h)
    return sel


def _isolated(sel: IntArray, t: FloatArray, h: FloatArray, low: FloatArray) -> IntArray:
    """Add a smaller beat that stands alone between the T wave and the next P wave.

    Aberrant and ectopic beats seen along another axis can be far smaller in this lead
    than the dominant beats; when such a candidate is the largest one between two beats
    and lies well clear of both, it is a beat, however long the surrounding intervals
    (the running RR median is no guide when every other beat is missed).
    """
    for _ in range(2):
        if sel.size < 2:
            return sel
        ts = t[sel]
        rr = ts[1:] - ts[:-1]
        gaps = (rr > ISOLATED_AFTER_S + ISOLATED_BEFORE_S).nonzero()[0]
        if gaps.size == 0:
            return sel
        score = np.where(h > low, h, 0.0)
        added = _best_in_gaps(sel, gaps, t, score, ISOLATED_AFTER_S, ISOLATED_BEFORE_S)
        if added.size == 0:
            return sel
        sel = _wave_reject(np.union1d(sel, added), t, h)
    return sel
