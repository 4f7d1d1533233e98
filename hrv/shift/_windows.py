"""Markers over sliding sub-windows of one NN series: the shift's uncertainty and trend.

The markers themselves come from :mod:`hrv.metrics` (the same functions, with the same
recorded settings, as the whole recording); this module only cuts the series into
windows and summarises the spread (:func:`window_uncertainty`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from hrv.config import AnalysisConfig, Bands, RespirationConfig, SpectrumConfig
from hrv.errors import ConfigError, InvalidInputError
from hrv.metrics.frequency import frequency_domain
from hrv.metrics.nonlinear import poincare
from hrv.metrics.time import time_domain
from hrv.respiration import rsa_rate_bpm
from hrv.types import Analysis, FloatArray, Intervals

__all__ = ["WindowSeries", "analysis_config_of", "config_status", "window_series",
           "window_uncertainty"]

#: A window whose clean NN intervals cover less than this share of it is skipped.
_MIN_COVERAGE = 0.5

#: Markers computed on the short windows (time domain, HF, breathing) and on the long ones:
#: LF and LF/HF, which need about 2 min, and the short markers but the breathing rate a
#: second time, to check that the short windows' spread does not understate a slow
#: wander (see :func:`hrv.shift._changes.compute_changes`).
SHORT_MARKERS = ("rmssd_ms", "ln_rmssd", "mean_hr_bpm", "sd1_ms", "hf_power_ms2", "ln_hf",
                 "respiration_rate_bpm")
LONG_MARKERS = ("lf_power_ms2", "lf_hf_ratio", "rmssd_ms", "ln_rmssd", "mean_hr_bpm",
                "sd1_ms", "hf_power_ms2", "ln_hf")


@dataclasses.dataclass(frozen=True, eq=False)
class WindowSeries:
    """Per-window marker values of one recording (NaN where not computable)."""

    window_s: float
    t_start_s: FloatArray
    t_end_s: FloatArray
    n_beats: np.ndarray
    values: Mapping[str, FloatArray]


NOT_RECORDED = "no analysis settings are recorded with it"


def analysis_config_of(analysis: Analysis) -> AnalysisConfig:
    """The configuration an analysis was made with (the defaults if none is recorded).

    Raises
    ------
    InvalidInputError
        When a configuration is recorded but cannot be read (another library version,
        a damaged provenance): the analysis is then not silently re-read with defaults.
    """
    cfg, problem = config_status(analysis)
    if problem is not None and problem != NOT_RECORDED:
        raise InvalidInputError(f"The analysis cannot be compared: {problem}.")
    return cfg


def config_status(analysis: Analysis) -> tuple[AnalysisConfig, str | None]:
    """``(config, problem)``: the recorded configuration, or the defaults and why.

    ``problem`` is ``None`` when a configuration was recorded and read; a sentence when
    none was recorded or it could not be read (only errors of reading it are caught).
    """
    raw = analysis.provenance.get("config") if analysis.provenance else None
    if raw is None:
        return AnalysisConfig(), NOT_RECORDED
    if not isinstance(raw, Mapping):
        return AnalysisConfig(), "its recorded analysis settings are not a mapping"
    try:
        return AnalysisConfig.from_dict(raw), None
    except (ConfigError, InvalidInputError, KeyError, TypeError, ValueError) as exc:
        return AnalysisConfig(), f"its recorded analysis settings cannot be read ({exc})"


def window_starts(
    start_s: float, end_s: float, window_s: float, step_s: float, *, fit: bool
) -> FloatArray:
    """Start times of windows of ``window_s`` stepping ``step_s`` inside ``[start, end]``.

    With ``fit`` the step is shrunk so that the windows reach the end of the recording
    (a 299.5 s recording gets four 120 s windows, not three).
    """
    span = end_s - start_s
    if span + 1e-9 < window_s:
        return np.empty(0)
    if not fit:
        n = math.floor((span - window_s) / step_s + 1e-9) + 1
        return start_s + step_s * np.arange(n, dtype=np.float64)
    n = math.ceil((span - window_s) / step_s - 1e-9) + 1
    if n == 1:
        return np.array([start_s])
    return start_s + (span - window_s) / (n - 1) * np.arange(n, dtype=np.float64)


def _cut(nn: Intervals, a: float, b: float) -> Intervals:
    begin = nn.t_s - nn.rr_ms / 1000.0
    i0 = int(np.searchsorted(begin, a - 1e-9, side="left"))
    i1 = int(np.searchsorted(nn.t_s, b + 1e-9, side="right"))
    gap = nn.gap_before[i0:i1].copy()
    if len(gap):
        gap[0] = True
    return Intervals(nn.rr_ms[i0:i1], nn.t_s[i0:i1], gap)


def window_series(
    nn: Intervals,
    *,
    window_s: float,
    step_s: float,
    spectrum: SpectrumConfig,
    bands: Bands,
    markers: tuple[str, ...],
    fit: bool,
    respiration: RespirationConfig | None = None,
) -> WindowSeries:
    """Compute ``markers`` on each sliding window of ``nn``.

    The spectrum's minimum durations are relaxed to 75 % of the window, since a window is
    by construction as long as the marker needs (60 s for HF, 120 s for LF).
    """
    if len(nn) == 0:
        starts = np.empty(0)
    else:
        starts = window_starts(
            float(nn.t_s[0] - nn.rr_ms[0] / 1000.0), float(nn.t_s[-1]), window_s, step_s,
            fit=fit,
        )
    relaxed = dataclasses.replace(
        spectrum,
        hf_min_s=min(spectrum.hf_min_s, 0.75 * window_s),
        lf_min_s=min(spectrum.lf_min_s, 0.75 * window_s),
    )
    respiration = respiration or RespirationConfig()
    want_freq = any(m in markers for m in ("hf_power_ms2", "ln_hf", "respiration_rate_bpm",
                                           "lf_power_ms2", "lf_hf_ratio"))
    values = {m: np.full(len(starts), np.nan) for m in markers}
    n_beats = np.zeros(len(starts), dtype=np.int64)
    for j, a in enumerate(starts):
        w = _cut(nn, float(a), float(a) + window_s)
        n_beats[j] = len(w)
        if len(w) < 3 or float(np.sum(w.rr_ms)) / 1000.0 < _MIN_COVERAGE * window_s:
            continue
        row: dict[str, float | None] = {}
        td = time_domain(w)
        row.update(rmssd_ms=td.rmssd_ms, ln_rmssd=td.ln_rmssd, mean_hr_bpm=td.mean_hr_bpm)
        if "sd1_ms" in markers:
            row["sd1_ms"] = poincare(w).sd1_ms
        if want_freq:
            fd = frequency_domain(w, relaxed, bands)
            row.update(
                hf_power_ms2=fd.hf_power_ms2,
                ln_hf=fd.ln_hf,
                lf_power_ms2=fd.lf_power_ms2,
                lf_hf_ratio=fd.lf_hf_ratio,
            )
            if "respiration_rate_bpm" in markers:
                row["respiration_rate_bpm"] = rsa_rate_bpm(fd, respiration)
        for m in markers:
            v = row.get(m)
            if v is not None and math.isfinite(v):
                values[m][j] = v
    return WindowSeries(
        window_s=window_s,
        t_start_s=starts,
        t_end_s=starts + window_s,
        n_beats=n_beats,
        values=values,
    )


def window_uncertainty(
    ws: WindowSeries, marker: str, duration_s: float, *, log: bool
) -> tuple[float, float] | None:
    """Standard error of a whole-recording marker from its spread over the sub-windows,
    and the degrees of freedom of that spread: ``(se, df)``, or ``None`` with fewer than
    two usable windows.

    The variance of an average over a stationary series falls in proportion to its
    length, so the whole recording (``duration_s`` of NN intervals) varies
    ``duration / window`` times less than one window: ``SE² = σ_w² · window / duration``,
    with ``σ_w²`` the variance of a single window's value. Overlapping windows share
    data, so their sample variance ``s²`` underestimates ``σ_w²``: with ``R`` the
    windows' correlation matrix under uncorrelated data (``R_ij`` = the share of a
    window that windows ``i`` and ``j`` have in common) and ``C = (I - J/m) / (m - 1)``
    the matrix of the sample variance of ``m`` values, ``E[s²] = σ_w² · tr(CR)``
    (``1 - `` the mean correlation between two windows: 0.89 for nine 60-s windows 30 s
    apart in 5 min, 0.75 for four 120-s windows 60 s apart). ``s²`` is divided by it,
    the overlapping-batch-means correction (Meketon & Schmeiser 1984) for the windows
    actually used. The degrees of freedom are Satterthwaite's for that quadratic form,
    ``tr(CR)² / tr((CR)²)`` (5.4 for the nine windows, where the non-overlapping count
    less one would say 4). On the log scale when ``log`` (ratio markers).
    """
    vals = np.asarray(ws.values[marker], dtype=np.float64)
    ok = np.isfinite(vals)
    if log:
        ok &= vals > 0
    v = np.log(vals[ok]) if log else vals[ok]
    m = v.size
    b = float(ws.window_s)
    if m < 2 or duration_s <= 0 or b <= 0:
        return None
    starts = np.asarray(ws.t_start_s, dtype=np.float64)[ok]
    shared = np.clip(b - np.abs(starts[:, None] - starts[None, :]), 0.0, None) / b
    cr = (shared - shared.mean(axis=0, keepdims=True)) / (m - 1)  # C @ R
    bias = float(np.trace(cr))
    if not bias > 1e-9:  # windows that (nearly) coincide say nothing about the spread
        return None
    df = bias * bias / float(np.einsum("ij,ji->", cr, cr))
    var_w = float(np.var(v, ddof=1)) / bias
    return math.sqrt(var_w * min(1.0, b / duration_s)), df
