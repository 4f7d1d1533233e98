"""Beat-matching evaluation in the style of ANSI/AAMI EC57.

A detected beat is a true positive when it lies within a tolerance (150 ms by default)
of a reference beat, each reference beat being matched to at most one detection and
vice versa. Used by the tests and the accuracy benchmarks.

References
----------
ANSI/AAMI EC57:2012, *Testing and reporting performance results of cardiac rhythm and
ST segment measurement algorithms*. Association for the Advancement of Medical
Instrumentation, 2012.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from hrv.errors import InvalidInputError

__all__ = ["MatchResult", "best_lag_s", "match_beats"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Mutual-nearest matching converges in a handful of rounds; this bounds pathological input.
_MAX_ROUNDS = 16


@dataclasses.dataclass(frozen=True, eq=False)
class MatchResult:
    """Result of matching detected beats to reference beats.

    Attributes
    ----------
    tp : int
        Detections matched one-to-one to a reference beat within the tolerance.
    fp : int
        Detections left unmatched (false positives).
    fn : int
        Reference beats left unmatched (missed beats, false negatives).
    sensitivity : float
        ``tp / (tp + fn)``; NaN when there is no reference beat.
    ppv : float
        Positive predictive value ``tp / (tp + fp)``; NaN when nothing was detected.
    f1 : float
        ``2 tp / (2 tp + fp + fn)``; NaN when both sets are empty.
    timing_errors_s : ndarray, shape (tp,)
        Detected minus reference time in seconds of each matched pair (after the lag
        shift), in reference-time order.
    median_abs_error_ms : float
        Median absolute timing error of the matched pairs in milliseconds; NaN if none.
    matched_reference : ndarray of int, shape (tp,)
        Index (into the sorted reference) of each matched pair.
    matched_detected : ndarray of int, shape (tp,)
        Index (into the sorted detections) of each matched pair.
    """

    tp: int
    fp: int
    fn: int
    sensitivity: float
    ppv: float
    f1: float
    timing_errors_s: FloatArray
    median_abs_error_ms: float
    matched_reference: IntArray = dataclasses.field(
        default_factory=lambda: np.empty(0, dtype=np.intp)
    )
    matched_detected: IntArray = dataclasses.field(
        default_factory=lambda: np.empty(0, dtype=np.intp)
    )


def _as_times(name: str, values: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be a 1-D array of times in seconds")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{name} contains NaN or infinite times")
    if arr.size > 1 and np.any(np.diff(arr) < 0):
        arr = np.sort(arr)
    return arr


def _nearest(sorted_a: FloatArray, x: FloatArray) -> tuple[IntArray, FloatArray]:
    """Index into ``sorted_a`` of the element nearest each ``x``, and the distance."""
    j = np.searchsorted(sorted_a, x)
    left = np.clip(j - 1, 0, len(sorted_a) - 1)
    right = np.clip(j, 0, len(sorted_a) - 1)
    d_left = np.abs(x - sorted_a[left])
    d_right = np.abs(sorted_a[right] - x)
    take_right = d_right < d_left
    idx = np.where(take_right, right, left)
    return idx.astype(np.intp), np.where(take_right, d_right, d_left)


def _match_indices(
    ref: FloatArray, det: FloatArray, tolerance_s: float
) -> tuple[IntArray, IntArray]:
    """One-to-one matching by repeated mutual-nearest pairing within the tolerance.

    Each round pairs every unmatched detection with its nearest unmatched reference beat
    when that reference beat's nearest unmatched detection is the same one, which is the
    closest-first rule of EC57 beat-by-beat comparison, computed with ``searchsorted``
    (O(n log n) per round).
    """
    ref_free = np.ones(len(ref), dtype=bool)
    det_free = np.ones(len(det), dtype=bool)
    out_r: list[IntArray] = []
    out_d: list[IntArray] = []
    for _ in range(_MAX_ROUNDS):
        r_idx = np.flatnonzero(ref_free)
        d_idx = np.flatnonzero(det_free)
        if r_idx.size == 0 or d_idx.size == 0:
            break
        r_t = ref[r_idx]
        d_t = det[d_idx]
        near_r, dist = _nearest(r_t, d_t)  # for each free detection
        near_d, _ = _nearest(d_t, r_t)  # for each free reference beat
        local = np.arange(d_idx.size)
        mutual = (near_d[near_r] == local) & (dist <= tolerance_s)
        if not np.any(mutual):
            break
        new_d = d_idx[mutual]
        new_r = r_idx[near_r[mutual]]
        ref_free[new_r] = False
        det_free[new_d] = False
        out_r.append(new_r)
        out_d.append(new_d)
    if not out_r:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    mr = np.concatenate(out_r)
    md = np.concatenate(out_d)
    order = np.argsort(mr, kind="stable")
    return mr[order], md[order]


def _ratio(num: int, den: int) -> float:
    return num / den if den > 0 else math.nan


def match_beats(
    reference_s: npt.ArrayLike,
    detected_s: npt.ArrayLike,
    *,
    tolerance_s: float = 0.150,
    lag_s: float = 0.0,
) -> MatchResult:
    """Match detected beats to reference beats one-to-one within a tolerance.

    Parameters
    ----------
    reference_s : array_like, shape (n_ref,)
        Reference beat times in seconds (e.g. cardiologists' annotations).
    detected_s : array_like, shape (n_det,)
        Detected beat times in seconds.
    tolerance_s : float
        Largest absolute time difference of a matched pair, in seconds (EC57: 150 ms).
    lag_s : float
        Subtracted from every detection before matching (e.g. the pulse arrival time of
        a PPG against ECG R peaks), in seconds.

    Returns
    -------
    MatchResult
        Counts, sensitivity, PPV, F1 and the timing errors of matched pairs.

    Raises
    ------
    InvalidInputError
        If an input is not one-dimensional, contains NaN, or the tolerance is not a
        finite positive number.

    Notes
    -----
    Pairs are formed closest-first (repeated mutual-nearest matching), as in the
    beat-by-beat comparison of ANSI/AAMI EC57:2012; vectorised with ``searchsorted``.
    """
    if not (math.isfinite(tolerance_s) and tolerance_s > 0):
        raise InvalidInputError(f"tolerance_s must be a finite positive number, got {tolerance_s}")
    if not math.isfinite(lag_s):
        raise InvalidInputError(f"lag_s must be finite, got {lag_s}")
    ref = _as_times("reference_s", reference_s)
    det = _as_times("detected_s", detected_s) - lag_s
    mr, md = _match_indices(ref, det, tolerance_s)
    tp = int(mr.size)
    fp = int(det.size) - tp
    fn = int(ref.size) - tp
    errors = det[md] - ref[mr]
    med = float(np.median(np.abs(errors)) * 1000.0) if tp else math.nan
    return MatchResult(
        tp=tp,
        fp=fp,
        fn=fn,
        sensitivity=_ratio(tp, tp + fn),
        ppv=_ratio(tp, tp + fp),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        timing_errors_s=errors,
        median_abs_error_ms=med,
        matched_reference=mr,
        matched_detected=md,
    )


def best_lag_s(
    reference_s: npt.ArrayLike,
    detected_s: npt.ArrayLike,
    *,
    max_lag_s: float = 1.0,
    step_s: float = 0.004,
    tolerance_s: float = 0.150,
) -> float:
    """Lag of the detections behind the reference that maximises the matched beats.

    Parameters
    ----------
    reference_s, detected_s : array_like, shape (n,)
        Beat times in seconds.
    max_lag_s : float
        Lags from ``-max_lag_s`` to ``+max_lag_s`` are searched, in seconds.
    step_s : float
        Grid step of the search in seconds.
    tolerance_s : float
        Matching tolerance used to count matches at each lag, in seconds.

    Returns
    -------
    float
        The lag in seconds (positive: detections come after the reference), to pass as
        ``lag_s`` to :func:`match_beats`. It is the centre of the plateau of lags with
        the most matches, refined by the median timing error at that lag. ``0.0`` when
        either input is empty.

    Notes
    -----
    Used to align a pulse train with ECG R peaks (pulse arrival time plus any channel
    offset), as recommended when scoring PPG detectors against ECG.
    """
    for name, v in (("max_lag_s", max_lag_s), ("step_s", step_s), ("tolerance_s", tolerance_s)):
        if not (math.isfinite(v) and v > 0):
            raise InvalidInputError(f"{name} must be a finite positive number, got {v}")
    ref = _as_times("reference_s", reference_s)
    det = _as_times("detected_s", detected_s)
    if ref.size == 0 or det.size == 0:
        return 0.0
    n_steps = math.floor(max_lag_s / step_s)
    lags = np.arange(-n_steps, n_steps + 1) * step_s
    counts = np.empty(lags.size, dtype=np.int64)
    for i, lag in enumerate(lags):  # one vectorised nearest-neighbour pass per lag
        _, dist = _nearest(ref, det - lag)
        counts[i] = np.count_nonzero(dist <= tolerance_s)
    best = counts.max()
    # Centre of the longest run of maximal counts: the middle of the tolerance plateau.
    is_max = np.concatenate(([False], counts == best, [False]))
    edges = np.flatnonzero(np.diff(is_max.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    lag0 = float(lags[(starts[k] + ends[k] - 1) // 2])
    res = match_beats(ref, det, tolerance_s=tolerance_s, lag_s=lag0)
    if res.tp == 0:
        return lag0
    return lag0 + float(np.median(res.timing_errors_s))
