"""From raw interval or beat-time input to an :class:`~hrv.types.Intervals` series.

Units are resolved (or detected by a stated rule), bad input is refused with a message a
person can act on, and gaps stay gaps: an interval that spans a gap in the recording is
dropped, never split into invented beats, and ``gap_before`` marks every break so that
no successive difference is taken across it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hrv.config import IntervalConfig, IntervalUnit, detect_unit, unit_detected_message
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.types import BoolArray, ExcludedWindow, FloatArray, Intervals, QualityWarning

__all__ = ["PreparedIntervals", "detect_unit", "prepare_beat_times", "prepare_rr"]

#: Median below which AUTO reads the values as seconds (no RR interval lasts 10 s, and
#: no interval in ms or in 1/1024 s ticks is shorter than 10 units).
#: Longest interval accepted at all, in ms (one day); larger values are data errors.
MAX_INTERVAL_MS = 86_400_000.0
#: Fewest intervals that can be prepared for analysis.
MIN_INTERVALS = 2

_TO_MS = {IntervalUnit.MS: 1.0, IntervalUnit.S: 1000.0, IntervalUnit.POLAR_1024: 1000.0 / 1024.0}


@dataclasses.dataclass(frozen=True, eq=False)
class PreparedIntervals:
    """Intervals ready for artefact correction.

    Attributes
    ----------
    intervals : Intervals
        Intervals in ms; intervals spanning a gap (flagged, longer than
        ``gap_threshold_ms``, touching a non-normal beat or an excluded window) are
        removed and ``gap_before`` marks each break.
    unit : IntervalUnit
        The unit the input was read in (never ``AUTO``).
    beat_times_s : ndarray, shape (m,)
        Times in seconds of the beats of the accepted input (for interval input the
        first beat is at ``t0_s``; for beat-time input, beats inside an excluded
        window are left out).
    warnings : tuple of QualityWarning
        What was decided about the data (detected unit, gaps, dropped intervals).
    n_gaps : int
        Number of gaps found: runs of consecutive dropped intervals.
    """

    intervals: Intervals
    unit: IntervalUnit
    beat_times_s: FloatArray
    warnings: tuple[QualityWarning, ...]
    n_gaps: int


def prepare_rr(
    rr: npt.ArrayLike,
    *,
    config: IntervalConfig = IntervalConfig(),
    gap_flags: npt.ArrayLike | None = None,
    t0_s: float = 0.0,
) -> PreparedIntervals:
    """Validate beat-to-beat intervals, resolve their unit and mark the gaps.

    Parameters
    ----------
    rr : array_like, shape (n,)
        Successive intervals between beats, in ``config.unit``.
    config : IntervalConfig
        Unit (``AUTO`` applies :func:`detect_unit`) and the gap threshold in ms.
    gap_flags : array_like of bool, shape (n,), optional
        ``True`` where interval ``i`` is invalid or follows a gap (wearables send such
        validity codes). A flagged interval is dropped and no successive difference is
        taken across it; its value may be NaN or non-positive (its duration then counts
        as zero on the time axis, and a warning says so).
    t0_s : float
        Time in seconds of the beat that starts the first interval.

    Returns
    -------
    PreparedIntervals
        Intervals in ms. Intervals longer than ``config.gap_threshold_ms`` are gaps:
        they are dropped, still advance the time axis, and are never split.

    Raises
    ------
    InvalidInputError
        2-D or non-numeric input, empty input, NaN/inf or zero/negative values in an
        unflagged interval (the message names the first index), flags of the wrong
        length, values above one day.
    InsufficientDataError
        Fewer than 2 intervals remain after removing the gaps.

    References
    ----------
    Lipponen & Tarvainen (2019) J Med Eng Technol 43:173 (the correction this feeds).
    """
    values = _as_1d(rr, "intervals")
    n = len(values)
    flags = _flags(gap_flags, n, "gap_flags", "intervals")
    # Without flags (the common case) the "& ~flags" masks are skipped: same result,
    # fewer passes over a long series.
    flagged = bool(flags.any())
    bad = ~np.isfinite(values)
    if flagged:
        bad &= ~flags
    _refuse_first(bad, "interval {i} is {v}; remove it or flag it in gap_flags", values)
    nonpos = values <= 0
    if flagged:
        nonpos &= ~flags
    _refuse_first(
        nonpos, "interval {i} is {v}; intervals must be positive (remove or flag it)", values
    )
    warnings: list[QualityWarning] = []
    unit = config.unit
    if unit is IntervalUnit.AUTO:
        unit = detect_unit(values[~flags] if np.any(~flags) else values)
        warnings.append(_unit_warning(unit, values[~flags]))
    rr_ms = values * _TO_MS[unit]
    too_big = rr_ms > MAX_INTERVAL_MS
    if flagged:
        too_big &= ~flags
    _refuse_first(
        too_big, "interval {i} is {v} " + unit.value + ", longer than a day; check the unit",
        values,
    )
    duration_ms = rr_ms
    if flagged:
        unknown = flags & ~(np.isfinite(rr_ms) & (rr_ms > 0) & (rr_ms <= MAX_INTERVAL_MS))
        if np.any(unknown):
            duration_ms = np.where(unknown, 0.0, rr_ms)
            warnings.append(
                QualityWarning(
                    "unknown_gap_duration",
                    f"{int(np.count_nonzero(unknown))} flagged interval(s) have no valid "
                    "length; the time axis after them is continued without their duration",
                )
            )
    # Beat times: t0 then the cumulative durations, built in place.
    beat_times = np.empty(n + 1)
    beat_times[0] = float(t0_s)
    ends_s = beat_times[1:]
    np.cumsum(duration_ms, out=ends_s)
    ends_s /= 1000.0
    ends_s += t0_s
    long_gap = rr_ms > config.gap_threshold_ms
    if flagged:
        long_gap &= ~flags
    drop = flags | long_gap
    if np.any(drop):
        intervals, n_gaps = _build(np.where(drop, np.nan, rr_ms), ends_s, drop)
    else:
        gap_before = np.zeros(n, bool)
        gap_before[0] = True
        intervals, n_gaps = Intervals(rr_ms, ends_s.copy(), gap_before), 0
    warnings.extend(_gap_warnings(int(np.count_nonzero(flags)), int(np.count_nonzero(long_gap)),
                                  n_gaps, config.gap_threshold_ms))
    _require(intervals, n)
    return PreparedIntervals(intervals, unit, beat_times, tuple(warnings), n_gaps)


def prepare_beat_times(
    times_s: npt.ArrayLike,
    *,
    config: IntervalConfig = IntervalConfig(),
    normal: npt.ArrayLike | None = None,
    excluded: Sequence[ExcludedWindow] = (),
    gap_flags: npt.ArrayLike | None = None,
) -> PreparedIntervals:
    """Turn beat times into intervals between consecutive normal beats.

    Parameters
    ----------
    times_s : array_like, shape (n,)
        Strictly increasing beat times in seconds (``config.unit`` does not apply).
    config : IntervalConfig
        ``gap_threshold_ms``: a longer interval is a time jump (dropped).
    normal : array_like of bool, shape (n,), optional
        Per-beat classification; only intervals between two consecutive normal beats
        are kept. ``None``: every beat is normal.
    excluded : sequence of ExcludedWindow
        Stretches judged unusable; an interval overlapping one is dropped, and beats
        inside one are left out of ``beat_times_s``.
    gap_flags : array_like of bool, shape (n - 1,) or (n,), optional
        Shape ``(n - 1,)``: ``True`` for interval ``i`` (from beat ``i`` to ``i + 1``)
        spanning a gap. Shape ``(n,)``: ``True`` for beat ``i`` preceded by a gap (as
        HealthKit's heartbeat series), i.e. interval ``i - 1`` is dropped.

    Returns
    -------
    PreparedIntervals
        Interval ``i`` ends at beat ``i + 1``; ``unit`` is ``S``.

    Raises
    ------
    InvalidInputError
        2-D, empty or non-numeric input, NaN/inf (with index), times not strictly
        increasing (first offending index), masks of the wrong length.
    InsufficientDataError
        Fewer than 2 intervals remain.
    """
    t = _as_1d(times_s, "beat times")
    if not np.isfinite(t).all():
        _refuse_first(~np.isfinite(t), "beat time {i} is {v}; remove it", t)
    n = len(t)
    if n < MIN_INTERVALS + 1:
        raise InsufficientDataError(
            f"{n} beat time(s) given; at least {MIN_INTERVALS + 1} beats are needed"
        )
    d = t[1:] - t[:-1]  # np.diff(t)
    if (d <= 0).any():
        i = int(np.argmax(d <= 0)) + 1
        raise InvalidInputError(
            f"beat times must be strictly increasing: beat {i} ({t[i]:g} s) is not after "
            f"beat {i - 1} ({t[i - 1]:g} s); sort the times and remove duplicates"
        )
    is_normal = np.ones(n, bool) if normal is None else _flags(normal, n, "normal", "beats")
    drop = ~(is_normal[:-1] & is_normal[1:])
    n_abnormal = int(np.count_nonzero(drop))
    if gap_flags is not None:
        g = np.asarray(gap_flags)
        if g.ndim == 1 and len(g) == n:
            drop |= _flags(g, n, "gap_flags", "beats")[1:]
        else:
            drop |= _flags(g, n - 1, "gap_flags", "intervals (or beats)")
    rr_ms = d * 1000.0
    drop |= rr_ms > config.gap_threshold_ms
    keep_beat = np.ones(n, bool)
    for w in excluded:
        drop |= w.touches(t[:-1], t[1:])
        keep_beat &= ~w.contains(t)
    intervals, n_gaps = _build(np.where(drop, np.nan, rr_ms), t[1:], drop)
    warnings: list[QualityWarning] = []
    if n_abnormal:
        warnings.append(
            QualityWarning(
                "non_normal_beats",
                f"{n_abnormal} interval(s) touching a non-normal beat were left out",
            )
        )
    if n_gaps:
        warnings.append(
            QualityWarning(
                "gaps",
                f"{n_gaps} break(s) in the beat series (time jumps over "
                f"{config.gap_threshold_ms:g} ms, flagged gaps, non-normal beats or excluded "
                "windows); "
                "no interval is invented across them",
            )
        )
    _require(intervals, n - 1)
    return PreparedIntervals(intervals, IntervalUnit.S, t[keep_beat], tuple(warnings), n_gaps)


def _as_1d(x: npt.ArrayLike, what: str) -> FloatArray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be a 1-D sequence of numbers: {exc}") from None
    if arr.ndim != 1:
        raise InvalidInputError(
            f"{what} must be a 1-D sequence, got an array of shape {arr.shape}; "
            "pass one series at a time"
        )
    if len(arr) == 0:
        raise InvalidInputError(f"no {what} given (empty input)")
    return arr


def _flags(x: npt.ArrayLike | None, n: int, name: str, of: str) -> BoolArray:
    if x is None:
        return np.zeros(n, bool)
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # pragma: no cover - ragged input
        raise InvalidInputError(f"{name} must be a 1-D boolean sequence: {exc}") from None
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInputError(
            f"{name} must have one entry per {of.rstrip('s')} ({n}), got shape {arr.shape}"
        )
    if arr.dtype != bool:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{name} must be booleans (or 0/1)") from None
        if not np.all(np.isfinite(arr)):
            raise InvalidInputError(f"{name} must be booleans (or 0/1), got NaN or inf")
        arr = arr != 0
    return arr


def _refuse_first(mask: BoolArray, template: str, values: FloatArray) -> None:
    if np.any(mask):
        i = int(np.argmax(mask))
        raise InvalidInputError(template.format(i=i, v=values[i]))


def _build(rr_ms: FloatArray, ends_s: FloatArray, drop: BoolArray) -> tuple[Intervals, int]:
    """Keep the undropped intervals; each kept one after a dropped one starts a segment."""
    keep = ~drop
    prev_dropped = np.concatenate(([True], drop[:-1]))
    gap_before = prev_dropped[keep]
    starts = drop & ~np.concatenate(([False], drop[:-1]))
    n_gaps = int(np.count_nonzero(starts))
    return Intervals(rr_ms[keep], ends_s[keep], gap_before), n_gaps


def _require(intervals: Intervals, n_in: int) -> None:
    if len(intervals) < MIN_INTERVALS:
        raise InsufficientDataError(
            f"only {len(intervals)} usable interval(s) out of {n_in} after removing gaps "
            "and intervals next to non-normal beats; "
            f"at least {MIN_INTERVALS} are needed"
        )


def _unit_warning(unit: IntervalUnit, valid: FloatArray) -> QualityWarning:
    return QualityWarning("unit_detected", unit_detected_message(unit, valid))


def _gap_warnings(
    n_flagged: int, n_long: int, n_gaps: int, threshold_ms: float
) -> list[QualityWarning]:
    if not n_gaps:
        return []
    parts = []
    if n_flagged:
        parts.append(f"{n_flagged} flagged interval(s)")
    if n_long:
        parts.append(f"{n_long} interval(s) longer than {threshold_ms:g} ms")
    return [
        QualityWarning(
            "gaps",
            f"{n_gaps} gap(s) in the interval series ({', '.join(parts)}) were dropped; "
            "no interval is invented across them",
        )
    ]
