"""Runs of intervals that no local correction can repair: found and dropped as gaps.

Two rules, both departures from Lipponen & Tarvainen (2019), whose method corrects
isolated artefacts from their neighbours:

* **Ectopic runs** (:func:`ectopic_runs`): a burst of ventricular or atrial tachycardia
  (three or more premature beats in a row) drags the 11-beat median with it, so its
  intervals look like a genuine rate change and are neither flagged nor corrected.
  Against a median over ``window_beats`` beats the burst stands out. A run starts
  where the interval shortens abruptly (by more than ``1 - run_ratio`` of the one before);
  it is at least ``run_min_beats`` intervals shorter than ``run_ratio`` times the median
  of the ``window_beats`` intervals centred on that onset, and it ends with an abrupt
  lengthening (by more than ``1 - run_ratio`` of the longer interval) or at the end of
  its segment. It is removed together with the interval that ends on the first beat after
  it (ectopic beat to sinus beat). A sinus rate change, however large, moves the
  interval gradually from beat to beat and is kept. Where the rhythm is irregular (the
  median absolute successive difference around the onset exceeds
  ``run_max_irregularity`` times the median interval, as in atrial fibrillation: 0.17-0.5
  on MIT-BIH 201, 203, 207 against 0.02-0.04 around the bursts of 205, 215, 220) a fast
  stretch is part of the rhythm and no run is sought.
* **Long flagged runs** (:func:`drop_long_runs`): more than ``max_run_beats``
  consecutive flagged intervals (bigeminy, a noisy stretch) have no trusted neighbours to
  rebuild them from, so they are removed rather than invented.
"""

from __future__ import annotations

import numpy as np

from hrv._dsp import median_rows, reflect_pad, running_median
from hrv.config import ArtifactConfig
from hrv.intervals._types import Detection, IntArray, in_sorted, union, without
from hrv.types import BoolArray, FloatArray

__all__ = ["drop_long_runs", "ectopic_runs"]


def ectopic_runs(rr: FloatArray, start: BoolArray, cfg: ArtifactConfig) -> BoolArray:
    """Mask of the intervals of ectopic runs (see the module docstring).

    ``start`` marks the first interval of each segment; a run never spans a segment
    start, and a run at the start or end of a segment needs only its inner step.
    """
    n = len(rr)
    drop = np.zeros(n, bool)
    ratio = cfg.run_ratio
    if n < cfg.run_min_beats + 1 or ratio <= 0:
        return drop
    # A cheap candidate screen first: the long median is only needed near short steps.
    prev = np.empty(n)
    prev[0] = np.inf
    prev[1:] = rr[:-1]
    prev[start] = np.inf
    step_down = rr < ratio * prev
    onsets = step_down.nonzero()[0]
    if len(onsets) == 0:
        return drop
    # Each interval is judged against the median around the latest abrupt shortening
    # (the only places where a run can begin), so the median is needed there only.
    base_at_onset = _window_median(rr, onsets, cfg.window_beats)
    # In an irregular rhythm (atrial fibrillation) fast stretches are part of the rhythm.
    abs_d = np.subtract(rr, prev, out=prev)  # |successive difference|, 0 at starts
    np.abs(abs_d, out=abs_d)
    abs_d[start] = 0.0
    spread = _window_median(abs_d, onsets, cfg.window_beats)
    del abs_d, prev
    regular = spread <= cfg.run_max_irregularity * base_at_onset
    if not regular.all():
        step_down[onsets[~regular]] = False
        onsets, base_at_onset = onsets[regular], base_at_onset[regular]
        if len(onsets) == 0:
            return drop
    # The base of each interval: the median at the latest onset (0 before the first).
    base = np.concatenate(([0.0], base_at_onset))[step_down.cumsum()]
    fast = rr < np.multiply(base, ratio, out=base)
    del base
    # Runs of consecutive fast intervals, split at segment starts.
    fast_prev = np.zeros(n, bool)
    fast_prev[1:] = fast[:-1]
    is_first = fast & (start | ~fast_prev)
    firsts = is_first.nonzero()[0]
    if len(firsts) == 0:
        return drop
    # ... each ending where the next interval is not fast or starts a segment.
    goes_on = np.zeros(n, bool)
    np.logical_and(fast[1:], ~start[1:], out=goes_on[:-1])
    ends = (fast & ~goes_on).nonzero()[0] + 1
    long_enough = ends - firsts >= cfg.run_min_beats
    firsts, ends = firsts[long_enough], ends[long_enough]
    enters = start[firsts] | step_down[firsts]
    last = ends - 1
    at_end = ends >= n
    after = np.minimum(ends, n - 1)
    leaves = at_end | start[after] | (rr[last] < ratio * rr[after])
    ok = enters & leaves
    firsts, ends = firsts[ok], ends[ok]
    if len(firsts) == 0:
        return drop
    # The interval after the run ends on the first sinus beat: it is not sinus-to-sinus.
    closes = (ends < n) & ~start[np.minimum(ends, n - 1)]
    ends = ends + closes
    marks = np.zeros(n + 1, np.int32)
    np.add.at(marks, firsts, 1)
    np.add.at(marks, ends, -1)
    return np.cumsum(marks[:-1], dtype=np.int32) > 0


def _window_median(rr: FloatArray, at: IntArray, window: int) -> FloatArray:
    """Median of the ``window`` intervals centred on each index of ``at`` (edges
    reflected, as ``scipy.ndimage.median_filter`` with ``mode="reflect"``)."""
    n = len(rr)
    if len(at) * window > 4 * n:  # many onsets: one pass over the series is cheaper
        full = running_median(rr, window)
        return np.asarray(full[at], dtype=np.float64)
    half = window // 2
    padded = reflect_pad(rr, half, window - 1 - half)
    windows = padded[at[:, None] + np.arange(window)]
    return median_rows(windows)


def drop_long_runs(det: Detection, start: BoolArray, max_run: int) -> Detection:
    """Drop runs of more than ``max_run`` consecutive flagged intervals."""
    flagged = det.flagged
    if len(flagged) <= max_run:
        return det
    new_run = np.ones(len(flagged), bool)
    new_run[1:] = (np.diff(flagged) > 1) | start[flagged[1:]]
    run = np.cumsum(new_run) - 1
    too_long = np.bincount(run)[run] > max_run
    if not too_long.any():
        return det
    drop = flagged[too_long]

    def keep(a: IntArray) -> IntArray:
        return without(a, drop)

    missed_kept = ~in_sorted(det.missed, drop)
    return Detection(
        det.n,
        keep(det.ectopic_center),
        keep(det.ectopic),
        keep(det.extra_first),
        det.missed[missed_kept],
        det.missed_parts[missed_kept],
        keep(det.long),
        keep(det.short),
        union(det.dropped, drop),
    )
