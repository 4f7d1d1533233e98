"""The shared tail of every analysis: intervals (gaps kept) -> artefact correction ->
metrics and respiration -> rhythm -> quality grade -> :class:`~hrv.Analysis`.

Each entry point (:mod:`._intervals` for intervals and beat times, :mod:`._waveform` for
ECG/PPG) prepares the intervals its own way and then calls :func:`finish` (or
:func:`finish_waveform` once beats are detected). Every number the service returns comes
from here, and every parameter that changed a number goes into ``provenance``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from hrv._version import __version__
from hrv.config import AnalysisConfig
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.intervals import PreparedIntervals, correct, prepare_beat_times
from hrv.metrics import shared_resampling
from hrv.metrics.frequency import frequency_domain
from hrv.metrics.nonlinear import dfa, poincare, sample_entropy
from hrv.metrics.time import geometric, time_domain
from hrv.quality import grade_quality
from hrv.respiration import fuse_respiration, rsa_estimate
from hrv.types import (
    Analysis,
    BeatDetection,
    Beats,
    ExcludedWindow,
    Grade,
    Intervals,
    Metrics,
    Quality,
    QualityWarning,
    Respiration,
    SignalKind,
)

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["finish", "finish_waveform", "unusable"]


def finish_waveform(
    kind: SignalKind,
    duration_s: float,
    detection: BeatDetection,
    excluded: Sequence[ExcludedWindow],
    waveform_warnings: Sequence[QualityWarning],
    respiration_estimates: Mapping[str, float | None],
    cfg: AnalysisConfig,
    info: Mapping[str, Any],
) -> Analysis:
    """Shared tail of :func:`hrv.analyze` once beats are detected.

    A waveform in which too few usable beats were found is not an error of the caller's
    making (a saturated camera, a loose electrode): it gives an ``unusable`` result that
    says why, rather than an exception.
    """
    beats = Beats(times_s=detection.times_s, normal=detection.normal)
    try:
        prepared = prepare_beat_times(
            detection.times_s, config=cfg.intervals, normal=detection.normal, excluded=excluded
        )
    except (InsufficientDataError, InvalidInputError) as exc:
        # The caller gave a waveform, not beat times: word the reason for that.
        n_found = len(detection.times_s)
        reason = ("no beats were found in the signal" if n_found == 0 else
                  f"only {n_found} beat{'s' if n_found != 1 else ''} found"
                  if n_found < 3 else str(exc))
        return unusable(
            kind, duration_s, beats, cfg, info, tuple(excluded),
            (*detection.warnings, *waveform_warnings), reason,
        )
    return finish(
        kind,
        duration_s,
        prepared,
        beats,
        cfg,
        extra=dict(info),
        excluded=tuple(excluded),
        more_warnings=tuple(detection.warnings) + tuple(waveform_warnings),
        respiration_estimates=respiration_estimates,
        normal=detection.normal,
    )


def _sharing_resampling(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run within :func:`hrv.metrics.shared_resampling`."""
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with shared_resampling():
            return fn(*args, **kwargs)
    return run


# The spectrum, the breath count and the sub-window spectra resample the same NN
# stretches: within one analysis each spline is set up once (values-keyed memo, dropped
# when the analysis ends).
@_sharing_resampling
def finish(
    kind: SignalKind,
    duration_s: float,
    prepared: PreparedIntervals,
    beats: Beats,
    cfg: AnalysisConfig,
    *,
    extra: Mapping[str, Any],
    excluded: tuple[ExcludedWindow, ...] = (),
    more_warnings: tuple[QualityWarning, ...] = (),
    respiration_estimates: Mapping[str, float | None] | None = None,
    normal: npt.NDArray[np.bool_] | None = None,
) -> Analysis:
    from hrv.rhythm import screen_rhythm

    warnings: list[QualityWarning] = list(prepared.warnings) + list(more_warnings)
    if cfg.artifacts.enabled:
        correction = correct(prepared.intervals, cfg.artifacts)
        nn = correction.nn
        counts = dict(correction.counts)
        corrected_beats = correction.corrected_beats
        corrected_pct = correction.corrected_pct
    else:
        nn = prepared.intervals
        counts, corrected_beats, corrected_pct = {}, 0, 0.0

    td = time_domain(nn)
    too_many = corrected_pct > cfg.artifacts.max_corrected_pct
    fd = frequency_domain(nn, cfg.spectrum, cfg.bands)
    warnings.extend(fd.warnings)
    nl = poincare(nn)
    # Geometric, DFA and entropy markers: each None with a warning below its length.
    longer = (geometric(nn), dfa(nn), sample_entropy(nn))
    for extra_part in longer:
        warnings.extend(extra_part.warnings)

    fields: dict[str, float | None] = {}
    for part in (td, nl, *longer):
        fields.update(_fields_of(part))
    freq_fields = _fields_of(fd)
    if too_many:
        freq_fields = dict.fromkeys(freq_fields)
        warnings.append(
            QualityWarning(
                "too_many_corrections",
                f"{corrected_pct:.1f}% of beats were corrected (limit "
                f"{cfg.artifacts.max_corrected_pct:g}%); frequency-domain values are not "
                "reported. Record again with a better sensor contact or less movement.",
            )
        )
    fields.update(freq_fields)
    metrics = Metrics(**{k: v for k, v in fields.items() if k in _METRIC_FIELDS})

    rsa = None if too_many else rsa_estimate(fd, cfg.respiration, nn=nn)
    estimates: dict[str, float | None] = {"rsa": None if rsa is None else rsa.rate_bpm}
    if respiration_estimates:
        estimates.update(respiration_estimates)
    respiration = fuse_respiration(
        estimates, cfg.respiration, rsa_confidence=None if rsa is None else rsa.confidence
    )
    if respiration.source == "conflict":
        shown = ", ".join(
            f"{k} {v:.1f}/min" for k, v in respiration.estimates_bpm.items() if v is not None
        )
        warnings.append(
            QualityWarning(
                "breathing_estimates_disagree",
                f"The breathing-rate estimates disagree ({shown}); the rate is reported as "
                "unknown, so HF power and LF/HF cannot be checked against the HF band.",
            )
        )
    if respiration.hf_band_valid is False and respiration.rate_bpm is not None:
        warnings.append(
            QualityWarning(
                "breathing_outside_hf_band",
                f"Breathing rate is about {respiration.rate_bpm:.1f} breaths/min, outside "
                f"the HF band ({cfg.respiration.hf_valid_min_bpm:g}–"
                f"{cfg.respiration.hf_valid_max_bpm:g}/min): HF power and LF/HF do not "
                "reflect vagal activity in this recording.",
            )
        )

    rr_all = prepared.intervals.rr_ms
    warnings.extend(screen_rhythm(rr_all, normal))

    nn_duration_s = float(np.add.reduce(nn.rr_ms)) / 1000.0 if len(nn) else 0.0  # np.sum
    excluded_s = float(sum(w.end_s - w.start_s for w in excluded))
    grade, grade_warnings = grade_quality(
        n_beats=len(beats.times_s),
        n_intervals=len(nn),
        nn_duration_s=nn_duration_s,
        duration_s=duration_s,
        corrected_pct=corrected_pct,
        excluded_s=excluded_s,
        warnings=warnings,
        config=cfg.quality,
    )
    warnings.extend(grade_warnings)
    quality = Quality(
        grade=grade,
        beats=len(beats.times_s),
        corrected_beats=corrected_beats,
        corrected_pct=corrected_pct,
        artifacts=counts,
        warnings=tuple(_dedupe(warnings)),
        excluded_windows=excluded,
        usable_duration_s=nn_duration_s,
        excluded_s=excluded_s,
    )
    # The configuration dict is plain already; only the data-dependent parts need it.
    provenance: dict[str, Any] = {
        "hrv_version": __version__,
        "config": cfg.to_dict(),
        **_plain({**extra, "spectrum": dict(fd.info), "gaps": prepared.n_gaps}),
    }
    return Analysis(
        kind=kind,
        duration_s=duration_s,
        metrics=metrics,
        respiration=respiration,
        quality=quality,
        beats=beats,
        nn=nn,
        provenance=provenance,
        spectrum=None if too_many else fd.spectrum,
    )


def unusable(
    kind: SignalKind,
    duration_s: float,
    beats: Beats,
    cfg: AnalysisConfig,
    info: Mapping[str, Any],
    excluded: tuple[ExcludedWindow, ...],
    warnings: tuple[QualityWarning, ...],
    reason: str,
) -> Analysis:
    excluded_s = float(sum(w.end_s - w.start_s for w in excluded))
    why = QualityWarning(
        "no_usable_beats",
        f"Too few usable beats to measure anything ({reason}). "
        + (
            f"{excluded_s:.0f} s of {duration_s:.0f} s were excluded as unusable signal. "
            if excluded_s > 0
            else ""
        )
        + "Check the sensor contact and record again sitting still.",
    )
    empty = np.zeros(0)
    quality = Quality(
        grade=Grade.UNUSABLE,
        beats=len(beats.times_s),
        warnings=tuple(_dedupe([*warnings, why])),
        excluded_windows=excluded,
        usable_duration_s=0.0,
        excluded_s=excluded_s,
    )
    return Analysis(
        kind=kind,
        duration_s=duration_s,
        metrics=Metrics(),
        respiration=Respiration(),
        quality=quality,
        beats=beats,
        nn=Intervals(empty, empty, np.zeros(0, dtype=bool)),
        provenance={"hrv_version": __version__, "config": cfg.to_dict(), **_plain(info)},
    )


def _plain(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python numbers and lists, NaN to None."""
    kind = type(obj)
    if kind is float:
        return obj if math.isfinite(obj) else None
    if kind is str or kind is int or kind is bool or obj is None:
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


_METRIC_FIELDS = frozenset(f.name for f in dataclasses.fields(Metrics))


#: The fields of each metric part's class that are :class:`Metrics` fields (filled on
#: first use: a handful of classes).
_METRIC_NAMES: dict[type, tuple[str, ...]] = {}


def _fields_of(part: object) -> dict[str, float | None]:
    kind = type(part)
    names = _METRIC_NAMES.get(kind)
    if names is None:
        names = _METRIC_NAMES[kind] = tuple(
            f.name for f in dataclasses.fields(kind)  # type: ignore[arg-type]
            if f.name in _METRIC_FIELDS)
    return {name: getattr(part, name) for name in names}


def _dedupe(warnings: Sequence[QualityWarning]) -> list[QualityWarning]:
    seen: set[tuple[str, str]] = set()
    out = []
    for w in warnings:
        key = (w.code, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
