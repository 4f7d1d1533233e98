"""Apply a :class:`~hrv._artifacts_classify.Detection` to an interval series.

Extra beats are removed (the pair of intervals around them merged), missed beats are
inserted (the interval split into equal parts), ectopic and long/short intervals are
replaced by linear interpolation between the nearest trusted intervals of the same
segment. Nothing is merged, split or interpolated across a gap; an interval that has no
trusted neighbour in its segment is dropped (and becomes a gap) rather than guessed.
Finally intervals outside the physiological limits are dropped (a sanity net, not a
correction method).

Beat times: every output interval ends at its original beat, except intervals ending
at an ectopic beat (moved by the interpolation: placed at the interpolated distance from
the previous beat) and the beats inserted for missed beats (equally spaced).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hrv.intervals._types import Detection, IntArray, union, unique
from hrv.types import BoolArray, FloatArray, Intervals

__all__ = ["Applied", "apply"]


@dataclasses.dataclass(frozen=True, eq=False)
class Applied:
    """The corrected series and what the physiological limits dropped.

    ``out_of_range_src``: sorted input intervals with an output dropped by the limits;
    ``n_out_of_range``: number of output intervals dropped by them; ``orphans``: input
    intervals dropped for want of a trusted neighbour in their segment.
    """

    nn: Intervals
    out_of_range_src: IntArray
    n_out_of_range: int
    orphans: IntArray


def apply(iv: Intervals, det: Detection, min_nn_ms: float, max_nn_ms: float) -> Applied:
    rr, t, gap = iv.rr_ms, iv.t_s, iv.gap_before
    n = len(rr)
    ef, mi, mk = det.extra_first, det.missed, det.missed_parts
    if len(ef) or len(mi) or len(det.dropped):
        rep = np.ones(n, np.int64)
        rep[mi] = mk
        rep[ef + 1] = 0
        rep[det.dropped] = 0
        pos = np.cumsum(rep)
        pos -= rep  # output position of each input's first piece
        # Each input interval repeated into its pieces; merged pairs and split
        # intervals then get their new values (and a merged pair its later end).
        out_val, out_t, out_gap = np.repeat(rr, rep), np.repeat(t, rep), np.repeat(gap, rep)
        # (An interval that produced nothing has no output of its own to change.)
        ef = ef[rep[ef] > 0]
        out_val[pos[ef]] = rr[ef] + rr[ef + 1]
        out_t[pos[ef]] = t[ef + 1]
        # Inserted beats: equally spaced before the original ending beat.
        mi, mk = mi[rep[mi] > 0], mk[rep[mi] > 0]
        first = np.repeat(pos[mi], mk)
        piece = np.arange(len(first)) - np.repeat(np.cumsum(mk) - mk, mk)
        at = first + piece
        out_val[at] = np.repeat(rr[mi] / mk, mk)
        left = np.repeat(mk, mk) - 1 - piece
        out_t[at] = out_t[at] - left * out_val[at] / 1000.0
        out_gap[at[piece > 0]] = False
        # A dropped run leaves a gap before the next interval.
        after = det.dropped + 1
        after = after[after < n]
        after = after[rep[after] > 0]
        out_gap[pos[after]] = True
        del rep
        split = True
    else:
        pos = np.arange(n)
        out_val, out_t, out_gap = rr.copy(), t.copy(), gap.copy()
        split = False
    m = len(out_val)
    if m == 0:
        empty = np.zeros(0, np.int64)
        return Applied(Intervals(out_val, out_t, out_gap), empty, 0, empty)
    out_gap[0] = True

    if det.clean:  # nothing to interpolate or move
        orphan_out = np.zeros(0, np.intp)
    else:
        fix = pos[union(det.ectopic, union(det.long, det.short))]
        orphan_out = _interpolate(out_val, fix, out_gap)
        moved = pos[det.ectopic_center - 1]
        _place_moved(out_t, out_val, moved, out_gap, rr, t, pos)

    bad = (out_val < min_nn_ms) | (out_val > max_nn_ms)
    bad[orphan_out] = False
    oor_out = bad.nonzero()[0]
    drop_out = union(oor_out, orphan_out) if orphan_out.size else oor_out
    if len(drop_out) == 0:
        nn = Intervals(out_val, out_t, out_gap)
    else:
        keep = np.ones(m, bool)
        keep[drop_out] = False
        kept = keep.nonzero()[0]
        # A dropped interval leaves a gap before the next kept one.
        g = out_gap[kept]
        if len(kept) > 1:
            g[1:] |= np.diff(kept) > 1
        if len(kept):
            g[0] = True
        nn = Intervals(out_val[kept], out_t[kept], g)

    def source(out_idx: IntArray) -> IntArray:
        """Input interval of each output position (the last input placed at or before
        it: inputs that produced nothing share the position of the next one)."""
        if not split:
            return unique(out_idx)
        return unique(np.searchsorted(pos, out_idx, side="right") - 1)

    return Applied(nn, source(oor_out), len(oor_out), source(orphan_out))


def _interpolate(val: FloatArray, fix: IntArray, gap: BoolArray) -> IntArray:
    """Replace ``val[fix]`` in place by linear interpolation (by beat index) between the
    nearest trusted intervals of the same segment; return the positions that have none."""
    if len(fix) == 0:
        return fix
    m = len(val)
    # Runs of consecutive positions to fix, split where a segment starts.
    new_run = np.ones(len(fix), bool)
    new_run[1:] = (np.diff(fix) > 1) | gap[fix[1:]]
    run = np.cumsum(new_run) - 1
    run_first = fix[new_run]
    run_last = fix[np.r_[new_run.nonzero()[0][1:] - 1, len(fix) - 1]]
    left = run_first - 1
    right = run_last + 1
    has_l = ~gap[run_first]
    has_r = right < m
    has_r[has_r] = ~gap[right[has_r]]
    lv = np.where(has_l, val[np.maximum(left, 0)], np.nan)
    rv = np.where(has_r, val[np.minimum(right, m - 1)], np.nan)
    lv = np.where(has_l, lv, rv)
    rv = np.where(has_r, rv, lv)
    r = run
    w = (fix - left[r]) / (right[r] - left[r])
    new = lv[r] * (1.0 - w) + rv[r] * w
    orphan = ~(has_l | has_r)[r]
    val[fix[~orphan]] = new[~orphan]
    return fix[orphan]


def _place_moved(
    t_out: FloatArray,
    val: FloatArray,
    moved: IntArray,
    gap: BoolArray,
    rr_in: FloatArray,
    t_in: FloatArray,
    pos: IntArray,
) -> None:
    """Move each ectopic beat (in place) between its fixed neighbouring beats.

    A run of moved beats lies between the fixed beat before it (at a segment start, the
    segment's original first beat) and the fixed beat that ends the next interval; the
    moved beats divide that span in proportion to the corrected intervals, so beat
    times stay increasing and the fixed beats keep their times. At the end of a segment
    the beats are placed at the corrected intervals after the fixed beat before them.
    """
    if len(moved) == 0:
        return
    moved = unique(moved)
    new_run = np.ones(len(moved), bool)
    new_run[1:] = (np.diff(moved) > 1) | gap[moved[1:]]
    run = np.cumsum(new_run) - 1
    firsts = moved[new_run]
    base = np.where(gap[firsts], 0.0, t_out[np.maximum(firsts - 1, 0)])
    # A segment's first interval starts at its original starting beat.
    seg_start = gap[firsts]
    if seg_start.any():
        src_first = np.searchsorted(pos, firsts[seg_start], side="right") - 1
        base[seg_start] = t_in[src_first] - rr_in[src_first] / 1000.0
    cs = np.cumsum(val[moved]) / 1000.0
    cs_before_run = np.r_[0.0, cs][new_run.nonzero()[0]]
    within = cs - cs_before_run[run]
    lasts = moved[np.r_[new_run.nonzero()[0][1:] - 1, len(moved) - 1]]
    after = lasts + 1
    m = len(val)
    closed = after < m
    closed[closed] = ~gap[after[closed]]
    end = t_out[np.minimum(after, m - 1)]
    run_total = within[np.r_[new_run.nonzero()[0][1:] - 1, len(moved) - 1]]
    span_new = run_total + val[np.minimum(after, m - 1)] / 1000.0
    scale = np.where(closed, (end - base) / span_new, 1.0)
    t_out[moved] = base[run] + within * scale[run]
