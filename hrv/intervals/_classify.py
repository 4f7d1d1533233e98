"""Vectorised beat classification after Lipponen & Tarvainen (2019).

Notation of the paper (J Med Eng Technol 43:173), with interval ``i`` ending at beat
``i + 1``:

* ``dRR[i] = RR[i] - RR[i-1]`` normalised by ``Th1 = alpha * QD(dRR)`` (quartile
  deviation over ``window_beats`` beats; see :func:`_threshold` on signed vs absolute);
* ``S12[i]``: the larger (``dRR[i] > 0``) or smaller (``dRR[i] < 0``) of the two
  neighbours ``dRR[i-1]``, ``dRR[i+1]``: an ectopic beat gives the
  negative-positive-negative pattern (or its mirror) centred on ``i``;
* ``S22[i]``: the smaller (``dRR[i] >= 0``) or larger (``dRR[i] < 0``) of ``dRR[i+1]``,
  ``dRR[i+2]``: a long or short interval that returns to the baseline;
* ``mRR[i] = RR[i] - median_11(RR)[i]`` (negative values doubled) normalised by
  ``Th2 = alpha * QD(mRR)``.

Decision rules: ectopic where ``dRR > 1 and S12 < -c1 dRR - c2`` or
``dRR < -1 and S12 > -c1 dRR + c2``; long where ``dRR > 1 and S22 < -1`` or
``mRR > 3``; short where ``dRR < -1 and S22 > 1`` or ``mRR < -3``; a long interval
whose 1/k (k >= 2 the integer next to RR / median giving parts closest to it; k = 2
in the paper) is within ``Th2`` of the local median is a missed beat; a short interval
that, added to a neighbour, is within ``Th2`` of the local median is an extra beat
(the paper tests only the next neighbour; the closer of the two sums is used here).

Extensions: a missed beat also needs its parts within ``missed_tolerance`` of the local
median (the paper's ``Th2`` alone, inflated where sinus rhythm is irregular, split real
pauses of 1.5 intervals), and a long interval off every multiple of the rhythm that
follows a normal interval is kept as a pause (:func:`_pauses`); ectopic runs are removed
before classification (:mod:`hrv._artifacts_runs`).

Gaps: ``dRR`` is zero at the first interval after a gap and neighbours across a gap are
treated as zero, so no pattern spans a gap; pairs to merge never span a gap. The rolling
quantiles and the local median are taken over the series as stored (gap intervals are
already removed), which only matters for the scale estimates within a few beats of a gap.
"""

from __future__ import annotations

import numpy as np

from hrv._dsp import running_median
from hrv.config import ArtifactConfig
from hrv.intervals._runs import drop_long_runs, ectopic_runs
from hrv.intervals._types import Detection, IntArray, in_sorted, union, unique, without
from hrv.intervals._window import AtIndices, Series, WindowThreshold, with_neighbours
from hrv.types import BoolArray, FloatArray

__all__ = ["Detection", "detect"]

#: Smallest threshold in ms: a perfectly regular series (QD = 0) still gives finite,
#: meaningful normalised values.
MIN_THRESHOLD_MS = 1.0
#: Most parts a missed-beat interval is split into (a longer one is no run of missed
#: beats but a gap in the recording, left to ``IntervalConfig.gap_threshold_ms``).
MAX_MISSED_PARTS = 16.0
#: Sinus pauses are rare, isolated events. A long interval (one no missed beat explains)
#: of at least ``PAUSE_MIN_RATIO`` times the local median is kept as a pause only while
#: at most ``MAX_PAUSES_PER_WINDOW`` such intervals lie within ``PAUSE_WINDOW_BEATS``
#: intervals of it and they make at most ``MAX_PAUSE_SHARE`` of the series. More is a
#: recurrent pattern (blocked premature beats, an intermittent sensor), not sinus arrest:
#: those intervals are corrected like any other long one. (Tuned on the even MIT-BIH
#: records: 108's ECG has three sinus pauses within 47 beats and 0.3 % of its intervals;
#: nsr2db 24-h records have none of 1.2 or more. A sensor lengthening 3 % of the
#: intervals exceeds the share, 7 % also the window.)
PAUSE_MIN_RATIO = 1.2
PAUSE_WINDOW_BEATS = 100
MAX_PAUSES_PER_WINDOW = 3
MAX_PAUSE_SHARE = 0.01


def detect(rr: FloatArray, gap_before: BoolArray, cfg: ArtifactConfig) -> Detection:
    """Classify every interval (see the module docstring for the rules).

    Ectopic runs (:func:`hrv._artifacts_runs.ectopic_runs`) are removed first; the
    remaining intervals are classified as a series in which each removed run is a gap,
    so that neither the local median nor any pattern reaches across it.
    """
    n = len(rr)
    start = gap_before.copy()
    if n:
        start[0] = True
    runs = ectopic_runs(rr, start, cfg) if n >= 3 else np.zeros(n, bool)
    if not runs.any():
        return _classify(rr, start, cfg)
    index = (~runs).nonzero()[0]
    sub_start = start[index]
    # A kept interval right after a removed one starts a new segment.
    sub_start[1:] |= np.diff(index) > 1
    if len(index):
        sub_start[0] = True
    sub = _classify(rr[index], sub_start, cfg)
    return sub.take(index, n, runs.nonzero()[0])


def _classify(rr: FloatArray, start: BoolArray, cfg: ArtifactConfig) -> Detection:
    """The paper's rules on one series; ``start`` marks the first interval of each segment."""
    n = len(rr)
    empty = np.zeros(0, np.int64)
    if n < 3:
        return Detection(n, empty, empty, empty, empty, empty, empty, empty, empty)

    # The thresholds read the series as float32 (as ndimage's percentile filter did),
    # written straight into float32 arrays; every value a rule compares is taken in
    # float64 at its index. Successive differences are zero at segment starts.
    d32 = np.empty(n, np.float32)
    d32[0] = 0.0
    np.subtract(rr[1:], rr[:-1], out=d32[1:], casting="same_kind")
    d32[start] = 0.0

    def d_at(idx: IntArray) -> FloatArray:
        v = rr[idx] - rr[np.maximum(idx - 1, 0)]
        v[start[idx]] = 0.0
        return v

    # The thresholds are exact only where a rule reads them (NaN elsewhere): Th1 at
    # every interval that may exceed it, then at the neighbours the candidates' patterns
    # read; Th2 at every interval that may exceed 3 Th2 (the only ones that can become
    # long or short), then at the candidates, the large ones and, for the pause rule,
    # the interval before each.
    th1 = _threshold(d32, cfg)
    dn = AtIndices()
    maybe = th1.maybe_above(d32, 1.0)
    dn.add(maybe, d_at(maybe) / th1.at(maybe))
    # Everything below runs on the few candidate intervals only.
    cand = maybe[np.abs(dn[maybe]) > 1]
    if cand.size:
        more = dn.missing(with_neighbours(cand, (-1, 1, 2), n))
        dn.add(more, d_at(more) / th1.at(more))

        # dn is zero at each segment start, so neighbours beyond the series read as zero
        # keep patterns inside segments; only the second neighbour ahead can reach into
        # the next segment. (cand >= 1: dn[0] is zero.)
        x = dn[cand]
        prev1 = dn[cand - 1]
        next1 = np.where(cand + 1 < n, dn[np.minimum(cand + 1, n - 1)], 0.0)
        next2 = np.where(cand + 2 < n, dn[np.minimum(cand + 2, n - 1)], 0.0)
        nxt = cand + 1
        crosses = np.zeros(len(cand), bool)
        inside = nxt < n
        crosses[inside] = start[nxt[inside]]
        next2 = np.where(crosses, 0.0, next2)
    else:  # no successive difference beyond Th1: no pattern to read
        x = prev1 = next1 = next2 = np.zeros(0)
    del d32, th1, dn

    med = running_median(rr, cfg.median_window)
    # mRR with negative values doubled (doubling commutes with the float32 cast).
    m32 = np.empty(n, np.float32)
    np.subtract(rr, med, out=m32, casting="same_kind")
    np.multiply(m32, 2.0, out=m32, where=m32 < 0)

    def m_at(idx: IntArray) -> FloatArray:
        v = rr[idx] - med[idx]
        np.multiply(v, 2.0, out=v, where=v < 0)
        return v

    th2_w = _threshold(m32, cfg)
    th2, mn = AtIndices(), AtIndices()
    maybe = th2_w.maybe_above(m32, 3.0)
    th2.add(maybe, th2_w.at(maybe))
    mn.add(maybe, m_at(maybe) / th2[maybe])
    big_m = maybe[np.abs(mn[maybe]) > 3]
    if cand.size == 0 and big_m.size == 0:
        # Nothing beyond either threshold (a clean series): every rule below starts
        # from these candidates, so every class is empty.
        return Detection(n, empty, empty, empty, empty, empty, empty, empty, empty)
    need = th2.missing(with_neighbours(np.concatenate((cand, big_m)), (-1, 0), n))
    th2.add(need, th2_w.at(need))
    mn.add(need, m_at(need) / th2[need])
    del m32, th2_w

    s12 = np.where(x > 0, np.maximum(prev1, next1), np.minimum(prev1, next1))
    s22 = np.where(x >= 0, np.minimum(next1, next2), np.maximum(next1, next2))

    c1, c2 = cfg.c1, cfg.c2
    is_center = ((x > 1) & (s12 < -c1 * x - c2)) | ((x < -1) & (s12 > -c1 * x + c2))
    center = cand[is_center]
    ectopic = union(center - 1, center)

    long_ = union(cand[(x > 1) & (s22 < -1)], big_m[mn[big_m] > 0])
    short = union(cand[(x < -1) & (s22 > 1)], big_m[mn[big_m] < 0])
    center = union(center, _compensated(rr, med, th2, short, long_, start))
    ectopic = union(center - 1, center)
    long_ = without(long_, ectopic)
    short = without(short, ectopic)

    extra_first = _extra_pairs(rr, med, th2, short, ectopic, start)
    merged = union(extra_first, extra_first + 1)
    long_ = without(long_, merged)
    short = without(short, merged)

    missed, parts, long_, off = _missed(rr, med, th2, long_, cfg.missed_tolerance)
    if cfg.keep_pauses:
        long_ = long_[~_pauses(rr, med, mn, long_, off, start)]
    det = Detection(n, center, ectopic, extra_first, missed, parts, long_, short, empty)
    return drop_long_runs(det, start, cfg.max_run_beats)


def _missed(
    rr: FloatArray, med: FloatArray, th2: AtIndices, long_: IntArray, tolerance: float
) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
    """Split the long intervals into missed beats (with their part counts) and the rest.

    A long interval hides ``k - 1`` missed beats when its ``k`` equal parts are within
    ``Th2`` of the local median (the paper, with ``k = 2``) and within ``tolerance``
    times the median; ``k`` is whichever of the two integers around ``RR / median``
    (at least 2) gives parts closer to the median. The last array tells, for each of
    the rest, whether it is off every multiple of the local rhythm (parts farther than
    ``tolerance`` times the median): no missed beat can explain it.
    """
    r, m = rr[long_], med[long_]
    ratio = np.clip(r / m, 2.0, MAX_MISSED_PARTS)
    lo, hi = np.floor(ratio), np.ceil(ratio)
    err_lo, err_hi = np.abs(r / lo - m), np.abs(r / hi - m)
    k = np.where(err_lo <= err_hi, lo, hi)
    err = np.minimum(err_lo, err_hi)
    near = err < tolerance * m
    is_missed = near & (err < th2[long_])
    return long_[is_missed], k[is_missed].astype(np.int64), long_[~is_missed], ~near[~is_missed]


def _pauses(
    rr: FloatArray, med: FloatArray, mn: AtIndices, long_: IntArray, off_multiple: BoolArray,
    start: BoolArray,
) -> BoolArray:
    """Which long intervals (not missed beats) are sinus pauses to keep.

    A long interval that no missed beat explains (``off_multiple``) and that follows a
    normal interval (``|mRR| <= 1``, same segment) is a genuine pause (sinus arrest, a
    strong vagal beat): the NN series keeps it. Near a multiple of the rhythm it may be
    a missed beat or a non-conducted premature beat; after a short interval it is the
    compensatory pause of a premature beat: those are interpolated, as the paper does
    with every long interval. Pauses must also be rare: where intervals of at least
    ``PAUSE_MIN_RATIO`` local medians crowd together (more than ``MAX_PAUSES_PER_WINDOW``
    within ``PAUSE_WINDOW_BEATS`` intervals) or exceed ``MAX_PAUSE_SHARE`` of the series,
    none of those is kept.
    """
    prev = long_ - 1
    ok = off_multiple & (prev >= 0) & ~start[long_]
    ok[ok] = np.abs(mn[prev[ok]]) <= 1.0
    material = long_[rr[long_] >= PAUSE_MIN_RATIO * med[long_]]
    if len(material) > MAX_PAUSE_SHARE * len(rr):
        return ok & (rr[long_] < PAUSE_MIN_RATIO * med[long_])
    if len(material) > MAX_PAUSES_PER_WINDOW:
        half = PAUSE_WINDOW_BEATS // 2
        crowd = (np.searchsorted(material, long_ + half, side="right")
                 - np.searchsorted(material, long_ - half, side="left"))
        ok &= (crowd <= MAX_PAUSES_PER_WINDOW) | (rr[long_] < PAUSE_MIN_RATIO * med[long_])
    return ok


def _threshold(x: Series, cfg: ArtifactConfig) -> WindowThreshold:
    """``alpha`` times the quartile deviation of ``x`` over ``window_beats`` beats.

    The quartile deviation is taken of the signed series, so that ``alpha = 5.2`` is
    3.5 standard deviations of normally distributed values (QD = 0.674 SD), the
    coverage the paper states (99.95 % of normal beats). Taken of ``|x|`` instead (as
    NeuroKit2 and systole do) it is only 2.2 SD: on artefact-free MIT-BIH records
    (112, 115, 122) that corrected 1.8-3.8 % of sinus beats and lowered RMSSD by 7-10 %,
    against 0.1-0.4 % and under 2 % here (``benchmarks/mitdb_rmssd.py``).

    The quartiles are those of ``scipy.ndimage.percentile_filter`` on the float32
    series (edges reflected), bounded everywhere and exact where asked for
    (:class:`hrv._artifacts_window.WindowThreshold`).
    """
    return WindowThreshold(x, cfg.window_beats, cfg.alpha / 2.0, MIN_THRESHOLD_MS)


def _compensated(
    rr: FloatArray,
    med: FloatArray,
    th2: AtIndices,
    short: IntArray,
    long_: IntArray,
    start: BoolArray,
) -> IntArray:
    """Ectopic beats with a compensatory pause missed by the ``S12`` rule.

    Where ectopic beats are frequent the quartile deviation of ``dRR`` (hence ``Th1``)
    is inflated by the ectopic beats themselves, and a premature beat may only show as a
    short interval (``|mRR| > 3``) followed by a long one. A short interval followed by
    a longer-than-median one (or a long one followed by a shorter one) whose sum is
    within ``Th2`` of twice the local median is one displaced beat: it is labelled
    ectopic (``center`` = the second interval). An extension of the paper's rules.
    """
    n = len(rr)
    first = union(short, long_)
    first = first[first + 1 < n]
    nxt = first + 1
    first, nxt = first[~start[nxt]], nxt[~start[nxt]]
    a, b, m2 = rr[first], rr[nxt], med[first]
    opposite = ((a < m2) & (b > med[nxt])) | ((a > m2) & (b < med[nxt]))
    pause = np.abs(a + b - 2.0 * m2) < th2[first]
    return nxt[opposite & pause]


def _extra_pairs(
    rr: FloatArray,
    med: FloatArray,
    th2: AtIndices,
    short: IntArray,
    ectopic: IntArray,
    start: BoolArray,
) -> IntArray:
    """First interval of each pair of intervals to merge (an extra beat between them).

    A short interval is merged with the neighbour (same segment, not ectopic) whose sum
    with it is closest to the local median, if that sum is within ``Th2`` of it.
    Overlapping pairs are resolved left to right; the loop runs over candidates only.
    """
    n = len(rr)
    if len(short) == 0:
        return np.zeros(0, np.int64)
    nxt, prv = short + 1, short - 1
    ok_next = nxt < n
    ok_next[ok_next] = ~start[nxt[ok_next]] & ~in_sorted(nxt[ok_next], ectopic)
    ok_prev = ~start[short] & ~in_sorted(prv, ectopic)
    here = rr[short]
    err_next = np.full(len(short), np.inf)
    err_next[ok_next] = np.abs(here[ok_next] + rr[nxt[ok_next]] - med[short[ok_next]])
    err_prev = np.full(len(short), np.inf)
    err_prev[ok_prev] = np.abs(here[ok_prev] + rr[prv[ok_prev]] - med[short[ok_prev]])
    use_next = err_next <= err_prev
    best = np.where(use_next, err_next, err_prev)
    good = best < th2[short]
    firsts = np.where(use_next, short, prv)[good]
    out: list[int] = []
    last = -2
    for f in unique(firsts).tolist():
        if f > last + 1:
            out.append(f)
            last = f
    return np.asarray(out, dtype=np.int64)
