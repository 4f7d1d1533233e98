"""Interval classification and artefact correction after Lipponen & Tarvainen (2019).

Each interval is classified as normal, ectopic, long, short, missed or extra from the
successive differences (dRR) and the deviation from the local median (mRR), both scaled by
time-varying thresholds; then extra beats are removed (merged), missed beats inserted
(split), ectopic and long/short intervals interpolated. Gaps are respected throughout.

Departures from the paper, each measured on the MIT-BIH Arrhythmia Database against the
annotated NN series (``benchmarks/mitdb_rmssd.py``): thresholds from the signed quartile
deviation; ectopic beats recognised by a compensatory pause; bursts of ectopic beats
(three or more premature beats entered and left by abrupt steps, judged against a
median over ``window_beats`` beats) and runs of more than ``max_run_beats`` flagged
intervals are dropped as gaps rather than rebuilt; a long interval is split as missed
beats only when its parts are within ``missed_tolerance`` of the local median, and a
long interval that is off every multiple of the rhythm and follows a normal interval is
kept as a genuine pause.

Reference: Lipponen JA, Tarvainen MP (2019) A robust algorithm for heart rate
variability time series artefact correction using novel beat classification. J Med Eng
Technol 43(3):173-181. doi:10.1080/03091902.2019.1640306
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from hrv.config import ArtifactConfig
from hrv.errors import InvalidInputError
from hrv.intervals._apply import apply
from hrv.intervals._classify import Detection, detect
from hrv.types import Intervals

__all__ = ["LABEL_NAMES", "BeatType", "Correction", "classify", "correct"]

Labels = npt.NDArray[np.str_]

COUNT_KEYS = ("ectopic", "long", "short", "missed", "extra", "out_of_range", "dropped")


class BeatType(enum.StrEnum):
    """Class of an input interval. Values are the strings stored in the label arrays."""

    NORMAL = "normal"
    ECTOPIC = "ectopic"
    LONG = "long"
    SHORT = "short"
    MISSED = "missed"
    EXTRA = "extra"
    #: Not a class of the paper: a normal interval dropped by the physiological limits.
    OUT_OF_RANGE = "out_of_range"
    #: Not a class of the paper: part of a run removed as a gap (an ectopic run such as
    #: a burst of tachycardia, or more than ``max_run_beats`` flagged intervals in a row).
    DROPPED = "dropped"


#: Label strings indexed by the codes stored in :attr:`Correction.label_codes`.
LABEL_NAMES: npt.NDArray[np.str_] = np.array([b.value for b in BeatType])
_CODE = {b: np.int8(i) for i, b in enumerate(BeatType)}


@dataclasses.dataclass(frozen=True, eq=False)
class Correction:
    """Result of :func:`correct`.

    Attributes
    ----------
    nn : Intervals
        Corrected NN series in ms, gaps preserved (plus a gap wherever an interval was
        dropped). Its length differs from the input when beats were added or removed.
    label_codes : ndarray of int8, shape (n,)
        Compact form of :attr:`labels`: index into ``LABEL_NAMES`` (the order of
        :class:`BeatType`).
    counts : mapping of str to int
        Events by type: ``ectopic`` beats, ``long`` and ``short`` intervals
        interpolated, ``missed`` beats inserted, ``extra`` beats removed,
        ``out_of_range`` output intervals dropped by the physiological limits,
        ``dropped`` input intervals removed as part of a run (each run leaves a gap).
    corrected_beats : int
        Input intervals whose value was changed or that were dropped (labels other than
        ``"normal"``).
    corrected_pct : float
        ``corrected_beats`` as a percentage of the input intervals.
    """

    nn: Intervals
    label_codes: npt.NDArray[np.int8]
    counts: Mapping[str, int]
    corrected_beats: int
    corrected_pct: float

    @property
    def labels(self) -> Labels:
        """One :class:`BeatType` value per *input* interval, as an ndarray of str.

        An ectopic beat labels both intervals around it ``"ectopic"``; an extra beat
        labels both intervals merged ``"extra"``; ``"out_of_range"`` marks a normal
        interval dropped by the physiological limits, ``"dropped"`` an interval of a run
        removed as a gap.
        """
        return LABEL_NAMES[self.label_codes]


def classify(
    rr_ms: npt.ArrayLike,
    config: ArtifactConfig = ArtifactConfig(),
    *,
    gap_before: npt.ArrayLike | None = None,
) -> Labels:
    """Classify each interval after Lipponen & Tarvainen (2019).

    Parameters
    ----------
    rr_ms : array_like, shape (n,)
        Intervals in ms, all positive and finite.
    config : ArtifactConfig
        ``alpha`` (5.2), ``window_beats`` (91), ``median_window`` (11), ``c1`` (0.13),
        ``c2`` (0.17).
    gap_before : array_like of bool, shape (n,), optional
        Breaks in the series (as :attr:`hrv.types.Intervals.gap_before`); no pattern is
        read across one. Default: contiguous.

    Returns
    -------
    ndarray of str, shape (n,)
        :class:`BeatType` values; see :class:`Correction` for the conventions.

    Raises
    ------
    InvalidInputError
        Not 1-D, non-finite or non-positive values, mismatched ``gap_before``.

    Notes
    -----
    ``dRR`` is scaled by ``Th1 = alpha * QD(dRR)`` and ``mRR`` (deviation from the
    11-beat median, negative values doubled) by ``Th2 = alpha * QD(mRR)``, quartile
    deviations taken over 91 beats. Ectopic: ``dRR > 1 and S12 < -c1 dRR - c2`` or
    ``dRR < -1 and S12 > -c1 dRR + c2``. Long/short: ``|dRR| > 1`` with ``S22`` on the
    other side of ``-/+1``, or ``|mRR| > 3``. Missed: a long interval whose half (or
    1/k) is within ``Th2`` and ``missed_tolerance`` times the local median. Extra: a
    short interval whose sum with a neighbour is within ``Th2`` of the local median.
    Before these rules, ectopic runs are removed (``run_ratio``, ``run_min_beats``) and
    the rest is classified with each run as a gap; after them, a long interval that is
    off every multiple of the rhythm and follows a normal one is kept (``keep_pauses``).

    References
    ----------
    Lipponen & Tarvainen (2019) J Med Eng Technol 43:173.
    """
    rr = _check_rr(rr_ms)
    gap = _gap(gap_before, len(rr))
    return LABEL_NAMES[_codes(detect(rr, gap, config))]


def correct(intervals: Intervals, config: ArtifactConfig = ArtifactConfig()) -> Correction:
    """Classify and correct an interval series after Lipponen & Tarvainen (2019).

    Parameters
    ----------
    intervals : Intervals
        Intervals in ms with their gaps (as from :func:`hrv.intervals.prepare_rr`).
    config : ArtifactConfig
        Thresholds of the method and the physiological limits ``min_nn_ms`` /
        ``max_nn_ms``. With ``enabled=False`` the series is returned unchanged.

    Returns
    -------
    Correction
        The corrected NN series, per-interval labels and counts.

    Raises
    ------
    InvalidInputError
        Non-finite or non-positive intervals.

    Notes
    -----
    Extra beats: the two intervals around the extra beat are merged. Missed beats: the
    interval is split into equal parts. Ectopic, long and short intervals: replaced by
    linear interpolation between the nearest trusted intervals of the same segment.
    Nothing is merged, split or interpolated across a gap; an interval with no trusted
    neighbour in its segment is dropped. Intervals outside ``[min_nn_ms, max_nn_ms]``
    after correction are dropped (a sanity net): each drop leaves a gap.

    References
    ----------
    Lipponen & Tarvainen (2019) J Med Eng Technol 43:173.

    Examples
    --------
    >>> import numpy as np
    >>> from hrv.types import Intervals
    >>> rr = np.full(200, 800.0) + 20 * np.sin(np.arange(200))
    >>> rr[100] += 800.0                       # a missed beat
    >>> c = correct(Intervals.contiguous(rr))
    >>> c.counts["missed"], len(c.nn)
    (1, 201)
    """
    rr = _check_rr(intervals.rr_ms)
    n = len(rr)
    if not config.enabled or n == 0:
        codes = np.zeros(n, np.int8)
        return Correction(intervals, codes, dict.fromkeys(COUNT_KEYS, 0), 0, 0.0)
    gap = _gap(intervals.gap_before, n)
    iv = Intervals(rr, np.asarray(intervals.t_s, dtype=np.float64), gap)
    det = detect(rr, gap, config)
    applied = apply(iv, det, config.min_nn_ms, config.max_nn_ms)
    clean = det.clean
    codes = np.zeros(n, np.int8) if clean else _codes(det)
    oor = applied.out_of_range_src
    oor = oor[codes[oor] == _CODE[BeatType.NORMAL]]
    codes[oor] = _CODE[BeatType.OUT_OF_RANGE]
    counts = {
        "ectopic": len(det.ectopic_center),
        "long": len(det.long),
        "short": len(det.short),
        "missed": 0 if clean else int(np.sum(det.missed_parts - 1)),
        "extra": len(det.extra_first),
        "out_of_range": applied.n_out_of_range,
        "dropped": len(det.dropped),
    }
    corrected = (0 if clean else len(det.flagged)) + len(oor)
    return Correction(applied.nn, codes, counts, corrected, 100.0 * corrected / n)


def _codes(det: Detection) -> npt.NDArray[np.int8]:
    codes = np.zeros(det.n, np.int8)
    codes[det.long] = _CODE[BeatType.LONG]
    codes[det.short] = _CODE[BeatType.SHORT]
    codes[det.missed] = _CODE[BeatType.MISSED]
    codes[det.extra_first] = _CODE[BeatType.EXTRA]
    codes[det.extra_first + 1] = _CODE[BeatType.EXTRA]
    codes[det.ectopic] = _CODE[BeatType.ECTOPIC]
    codes[det.dropped] = _CODE[BeatType.DROPPED]
    return codes


def _check_rr(rr_ms: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        rr = np.asarray(rr_ms, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"intervals must be numbers: {exc}") from None
    if rr.ndim != 1:
        raise InvalidInputError(f"intervals must be 1-D, got shape {rr.shape}")
    bad = ~np.isfinite(rr) | (rr <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"interval {i} is {rr[i]}; intervals must be finite and positive "
            "(prepare them with hrv.intervals.prepare_rr)"
        )
    return rr


def _gap(gap_before: npt.ArrayLike | None, n: int) -> npt.NDArray[np.bool_]:
    if gap_before is None:
        gap = np.zeros(n, bool)
    else:
        gap = np.asarray(gap_before, dtype=bool).copy()
        if gap.shape != (n,):
            raise InvalidInputError(
                f"gap_before must have one entry per interval ({n}), got shape {gap.shape}"
            )
    if n:
        gap[0] = True
    return gap
