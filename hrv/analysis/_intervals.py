"""Analysis of beat-to-beat intervals and of beat times: prepare the intervals, then the
shared tail (:func:`hrv.analysis._tail.finish`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from hrv.analysis._tail import finish, unusable
from hrv.config import AnalysisConfig, IntervalConfig, IntervalUnit
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.intervals import PreparedIntervals, prepare_beat_times, prepare_rr
from hrv.types import Analysis, Beats, SignalKind

__all__ = ["analyze_beat_times", "analyze_intervals"]

_DEFAULT_CONFIG = AnalysisConfig()  # frozen: one instance serves every call


def analyze_intervals(
    rr: npt.ArrayLike,
    *,
    config: AnalysisConfig | None = None,
    unit: IntervalUnit | str | None = None,
    gap_flags: npt.ArrayLike | None = None,
) -> Analysis:
    """Analyse a series of beat-to-beat intervals.

    Parameters
    ----------
    rr : array_like, shape (n,)
        Successive intervals between beats, in ``unit``.
    config : AnalysisConfig, optional
        Analysis parameters; defaults follow ``hrv-methods``: Lipponen–Tarvainen
        correction, Welch on a 4 Hz cubic-spline resampling, Task Force bands.
    unit : {"auto", "ms", "s", "1/1024s"}, optional
        Overrides ``config.intervals.unit``. ``"auto"`` applies the rule documented in
        :func:`hrv.intervals.detect_unit` and says in a warning what it chose.
    gap_flags : array_like of bool, shape (n,), optional
        ``True`` for an interval the device marked invalid or that follows a gap in the
        recording: it is dropped and no successive difference is taken across it.

    Returns
    -------
    Analysis

    Raises
    ------
    InvalidInputError
        Empty input, NaN or infinite values, zero or negative intervals, 2-D input.
    InsufficientDataError
        Too few intervals for any metric.

    References
    ----------
    Task Force of ESC/NASPE (1996) Circulation 93:1043.
    Lipponen & Tarvainen (2019) J Med Eng Technol 43:173.

    Examples
    --------
    >>> import hrv
    >>> from hrv.simulate import rr_series
    >>> a = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=30, seed=1), unit="ms")
    >>> round(a.metrics.rmssd_ms) > 0
    True
    """
    cfg = config or _DEFAULT_CONFIG
    icfg = _interval_config(cfg, unit)
    prepared = prepare_rr(rr, config=icfg, gap_flags=gap_flags)
    rr_ms = _as_ms(np.asarray(rr, dtype=np.float64).ravel(), prepared)
    duration_s = float(np.sum(rr_ms)) / 1000.0
    beats = Beats(times_s=prepared.beat_times_s)
    return finish(
        SignalKind.RR,
        duration_s,
        prepared,
        beats,
        cfg,
        extra={"input": "intervals", "unit": prepared.unit.value},
    )


def analyze_beat_times(
    times_s: npt.ArrayLike,
    *,
    config: AnalysisConfig | None = None,
    normal: npt.ArrayLike | None = None,
    gap_flags: npt.ArrayLike | None = None,
) -> Analysis:
    """Analyse beat (R-peak or pulse) times given in seconds.

    Parameters
    ----------
    times_s : array_like, shape (n,)
        Strictly increasing beat times in seconds.
    config : AnalysisConfig, optional
    normal : array_like of bool, shape (n,), optional
        Per-beat classification; intervals touching a non-normal beat are excluded.
    gap_flags : array_like of bool, shape (n - 1,), optional
        ``True`` for an interval that spans a gap (as HealthKit's "preceded by gap").

    Returns
    -------
    Analysis
    """
    cfg = config or _DEFAULT_CONFIG
    normal_arr = None if normal is None else np.asarray(normal, dtype=bool).ravel()
    try:
        prepared = prepare_beat_times(
            times_s, config=cfg.intervals, normal=normal, gap_flags=gap_flags
        )
    except InsufficientDataError as exc:
        if normal_arr is None:
            raise
        # Valid beats, but too few between two normal beats (paced rhythm, frequent
        # ectopy): a result that says so is more useful than an error.
        from hrv.rhythm import screen_rhythm

        t_all = np.asarray(times_s, dtype=np.float64).ravel()
        beats = Beats(times_s=t_all, normal=normal_arr)
        rhythm = screen_rhythm(np.diff(t_all) * 1000.0, normal_arr)
        return unusable(
            SignalKind.RR, float(t_all[-1] - t_all[0]), beats, cfg,
            {"input": "beat_times"}, (), tuple(rhythm), str(exc),
        )
    t = prepared.beat_times_s
    duration_s = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    beats = Beats(times_s=np.asarray(times_s, dtype=np.float64).ravel(), normal=normal_arr)
    return finish(
        SignalKind.RR, duration_s, prepared, beats, cfg, extra={"input": "beat_times"},
        normal=normal_arr,
    )


def _interval_config(cfg: AnalysisConfig, unit: IntervalUnit | str | None) -> IntervalConfig:
    if unit is None:
        return cfg.intervals
    return dataclasses.replace(cfg.intervals, unit=IntervalUnit.parse(unit))


def _as_ms(raw: npt.NDArray[np.float64], prepared: PreparedIntervals) -> npt.NDArray[np.float64]:
    scale = {IntervalUnit.MS: 1.0, IntervalUnit.S: 1000.0, IntervalUnit.POLAR_1024: 1000.0 / 1024}
    try:
        return raw * scale[prepared.unit]
    except KeyError:  # pragma: no cover - prepare_rr always resolves the unit
        raise InvalidInputError(f"unresolved interval unit {prepared.unit}") from None
