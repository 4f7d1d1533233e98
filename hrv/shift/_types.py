"""Result and configuration types of :mod:`hrv.shift` (re-exported there)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hrv.config import Choice
from hrv.errors import ConfigError, InvalidInputError
from hrv.types import Analysis, FloatArray, QualityWarning

__all__ = [
    "Baseline",
    "ConfidenceLabel",
    "Direction",
    "MarkerChange",
    "Scale",
    "ShiftConfig",
    "Trend",
    "UncertaintyMethod",
    "Verdict",
]


class Direction(Choice):
    """The verdict on the autonomic shift between two recordings."""

    PARASYMPATHETIC_INCREASE = "parasympathetic_increase"
    PARASYMPATHETIC_DECREASE = "parasympathetic_decrease"
    NO_CLEAR_CHANGE = "no_clear_change"
    INCONCLUSIVE = "inconclusive"


class ConfidenceLabel(Choice):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class UncertaintyMethod(Choice):
    """How the measurement uncertainty of each recording's marker is estimated.

    ``SUBWINDOWS``: the marker is computed on overlapping sub-windows of the recording
    (60 s, 50 % overlap; 120 s for LF and LF/HF); the standard error of the
    whole-recording value is the between-window SD, corrected for the overlap of the
    windows, scaled by ``sqrt(window / duration)`` and checked against the 120-s windows
    (the larger is used), with the degrees of freedom of that spread (a t interval).
    """

    SUBWINDOWS = "subwindows"


class Scale(Choice):
    """``LOG``: changes are judged as ratios (ln post − ln pre); ``LINEAR``: as differences."""

    LOG = "log"
    LINEAR = "linear"


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


@dataclasses.dataclass(frozen=True)
class ShiftConfig:
    """Parameters of :func:`hrv.shift.compare`; goes into the result's provenance.

    Parameters
    ----------
    uncertainty : UncertaintyMethod
        Measurement-uncertainty method (see :class:`UncertaintyMethod`).
    window_s, step_s : float
        Sub-window length and step for RMSSD, HF, HR, SD1 and breathing rate (and the trend).
    long_window_s, long_step_s : float
        Sub-window length and step for LF power and LF/HF (LF needs about 2 min).
    ci_level : float
        Two-sided confidence level of each change's interval.
    swc_ln_rmssd, swc_ln_hf, swc_ln_lf, swc_ln_lf_hf : float
        Smallest worthwhile change without a baseline, in natural-log units. Defaults are
        the middle of the between-day typical errors of Al Haddad et al. (2011):
        10 % for time-domain indices, 17 % for spectral powers, 60 % for ratio indices.
    swc_hr_pct : float
        Smallest worthwhile change of mean HR without a baseline, in % of the pre value
        (4 %: the low end of the time-domain typical errors, HR being the most
        reproducible index).
    swc_respiration_bpm : float
        Smallest worthwhile change of the breathing rate in breaths/min (a pragmatic
        choice: the resolution of the spectral breathing-rate estimate over 60 s windows).
    baseline_swc_factor : float
        With a baseline, SWC = this factor × the client's own between-session SD.
    min_baseline_sessions : int
        Fewer earlier sessions than this and the published SWC is used instead.
    min_duration_s : float
        Clean NN duration below which a recording cannot support a verdict.
    recommended_duration_s : float
        Clean NN duration below which a ``short_recording`` caveat is given.
    max_duration_ratio : float
        Longer / shorter recording above this ratio gives a ``different_duration`` caveat.
    caveat_corrected_pct, max_corrected_pct : float
        Corrected-beat shares giving a caveat and an ``inconclusive`` verdict.
    high_confidence, moderate_confidence : float
        Thresholds of the confidence labels.
    """

    uncertainty: UncertaintyMethod = UncertaintyMethod.SUBWINDOWS
    window_s: float = 60.0
    step_s: float = 30.0
    long_window_s: float = 120.0
    long_step_s: float = 60.0
    ci_level: float = 0.95
    swc_ln_rmssd: float = math.log(1.10)
    swc_ln_hf: float = math.log(1.17)
    swc_ln_lf: float = math.log(1.17)
    swc_ln_lf_hf: float = math.log(1.60)
    swc_hr_pct: float = 4.0
    swc_respiration_bpm: float = 2.0
    baseline_swc_factor: float = 0.5
    min_baseline_sessions: int = 3
    min_duration_s: float = 60.0
    recommended_duration_s: float = 180.0
    max_duration_ratio: float = 1.5
    caveat_corrected_pct: float = 5.0
    max_corrected_pct: float = 15.0
    high_confidence: float = 0.85
    moderate_confidence: float = 0.6

    def __post_init__(self) -> None:
        object.__setattr__(self, "uncertainty", UncertaintyMethod.parse(self.uncertainty))
        for name in ("window_s", "step_s", "long_window_s", "long_step_s", "min_duration_s",
                     "recommended_duration_s", "swc_ln_rmssd", "swc_ln_hf", "swc_ln_lf",
                     "swc_ln_lf_hf", "swc_hr_pct", "swc_respiration_bpm",
                     "baseline_swc_factor"):
            v = getattr(self, name)
            _check(isinstance(v, int | float) and math.isfinite(v) and v > 0,
                   f"{name} must be a finite positive number, got {v!r}")
        _check(self.step_s <= self.window_s, "step_s must not exceed window_s")
        _check(self.long_step_s <= self.long_window_s, "long_step_s must not exceed long_window_s")
        _check(0.5 < self.ci_level < 1, "ci_level must be in (0.5, 1)")
        _check(self.min_baseline_sessions >= 2, "min_baseline_sessions must be at least 2")
        _check(self.max_duration_ratio >= 1, "max_duration_ratio must be at least 1")
        _check(0 <= self.caveat_corrected_pct <= self.max_corrected_pct <= 100,
               "need 0 <= caveat_corrected_pct <= max_corrected_pct <= 100")
        _check(0 < self.moderate_confidence < self.high_confidence < 1,
               "need 0 < moderate_confidence < high_confidence < 1")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["uncertainty"] = self.uncertainty.value
        return out


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A client's earlier sessions, summarised for the smallest worthwhile change.

    Build it with :meth:`from_analyses` from earlier :class:`~hrv.Analysis` results (one
    per session, e.g. each session's pre recording) or directly from summary statistics.
    The SWC of each marker is ``ShiftConfig.baseline_swc_factor`` (0.5) × its SD here.

    Attributes
    ----------
    n_sessions : int
        Number of earlier sessions the statistics come from.
    ln_rmssd_mean, ln_rmssd_sd : float
        Mean and SD (ddof=1) of ln(RMSSD in ms) across sessions.
    mean_hr_bpm_mean, mean_hr_bpm_sd : float or None
        Mean and SD of mean heart rate in bpm.
    ln_hf_mean, ln_hf_sd : float or None
        Mean and SD of ln(HF power in ms²), from sessions with valid breathing only.
    """

    n_sessions: int
    ln_rmssd_mean: float
    ln_rmssd_sd: float
    mean_hr_bpm_mean: float | None = None
    mean_hr_bpm_sd: float | None = None
    ln_hf_mean: float | None = None
    ln_hf_sd: float | None = None

    def __post_init__(self) -> None:
        if self.n_sessions < 1:
            raise InvalidInputError("a baseline needs at least one session")
        for name in ("ln_rmssd_sd", "mean_hr_bpm_sd", "ln_hf_sd"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v >= 0):
                raise InvalidInputError(f"{name} must be finite and >= 0, got {v!r}")

    @classmethod
    def from_analyses(cls, analyses: Sequence[Analysis]) -> Baseline:
        """Summarise earlier sessions; recordings without an RMSSD are skipped."""
        ln_r = [a.metrics.ln_rmssd for a in analyses if a.metrics.ln_rmssd is not None]
        if not ln_r:
            raise InvalidInputError("no earlier session has an RMSSD; cannot form a baseline")
        hr = [a.metrics.mean_hr_bpm for a in analyses if a.metrics.mean_hr_bpm is not None]
        ln_hf = [
            a.metrics.ln_hf
            for a in analyses
            if a.metrics.ln_hf is not None and a.respiration.hf_band_valid is not False
        ]
        return cls(
            n_sessions=len(ln_r),
            ln_rmssd_mean=float(np.mean(ln_r)),
            ln_rmssd_sd=_sd(ln_r) or 0.0,
            mean_hr_bpm_mean=float(np.mean(hr)) if hr else None,
            mean_hr_bpm_sd=_sd(hr),
            ln_hf_mean=float(np.mean(ln_hf)) if ln_hf else None,
            ln_hf_sd=_sd(ln_hf),
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: _num(v) for k, v in dataclasses.asdict(self).items()}


def _sd(values: Sequence[float]) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) >= 2 else None


@dataclasses.dataclass(frozen=True)
class MarkerChange:
    """The change of one marker from the pre to the post recording.

    Attributes
    ----------
    pre, post : float or None
        Whole-recording values, in the marker's unit.
    delta : float or None
        ``post − pre`` in the marker's unit.
    pct_change : float or None
        ``100 × (post − pre) / pre``.
    ci_low, ci_high : float or None
        Confidence interval of ``delta`` (marker unit) at ``ShiftConfig.ci_level``; for
        ``LOG``-scale markers it is computed on the log ratio and mapped back.
    meaningful : bool or None
        ``True`` when the change exceeds both its measurement uncertainty (the interval
        excludes zero) and the smallest worthwhile change; ``None`` when not computable.
    swc : float or None
        Smallest worthwhile change used, in the marker's unit (for ``LOG`` markers: the
        rise ``pre × (exp(swc_ln) − 1)``).
    swc_source : str
        ``"baseline"`` or ``"published"``.
    scale : Scale
        Whether the change was judged as a ratio or a difference.
    se : float or None
        Standard error of the change on that scale (log units or marker units).
    uncertainty_method : UncertaintyMethod
    note : str or None
        Why a field is missing, when one is.
    df : float or None
        Degrees of freedom of ``se`` (Welch-Satterthwaite over the two recordings'
        sub-window SDs); the interval uses the Student-t quantile with them.
    """

    pre: float | None
    post: float | None
    delta: float | None
    pct_change: float | None
    ci_low: float | None
    ci_high: float | None
    meaningful: bool | None
    swc: float | None
    swc_source: str
    scale: Scale
    se: float | None
    uncertainty_method: UncertaintyMethod
    note: str | None = None
    df: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pre": _num(self.pre),
            "post": _num(self.post),
            "delta": _num(self.delta),
            "pct_change": _num(self.pct_change),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "meaningful": self.meaningful,
            "swc": _num(self.swc),
            "swc_source": self.swc_source,
            "scale": self.scale.value,
            "se": _num(self.se),
            "uncertainty_method": self.uncertainty_method.value,
            "note": self.note,
            "df": _num(self.df),
        }


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The plain-language conclusion of a comparison.

    Attributes
    ----------
    direction : Direction
    confidence : float or None
        0–1: for a direction, the weighted mean probability that the evidence markers
        truly changed by more than their SWC that way; for ``no_clear_change``, the
        probability that ln RMSSD truly changed by less than its SWC. ``None`` when
        inconclusive.
    confidence_label : ConfidenceLabel or None
    summary : str
        One paragraph naming the evidence, for a therapist.
    evidence : tuple of str
        Markers the direction rests on (never HF when breathing was outside the HF
        band, never LF or LF/HF).
    caveats : tuple of QualityWarning
    next_time : str or None
        Advice for the next recording when the verdict is inconclusive or weakened.
    """

    direction: Direction
    confidence: float | None
    confidence_label: ConfidenceLabel | None
    summary: str
    evidence: tuple[str, ...] = ()
    caveats: tuple[QualityWarning, ...] = ()
    next_time: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction.value,
            "confidence": _num(self.confidence),
            "confidence_label": None if self.confidence_label is None
            else self.confidence_label.value,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "caveats": [{"code": c.code, "message": c.message} for c in self.caveats],
            "next_time": self.next_time,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Trend:
    """Markers over sliding windows of one recording, for charts.

    Attributes
    ----------
    window_s, step_s : float
    t_start_s, t_end_s : ndarray, shape (k,)
        Window bounds in seconds on the recording's beat-time axis.
    rmssd_ms, hf_power_ms2, mean_hr_bpm : ndarray, shape (k,)
        Per-window values; NaN where not computable (serialised as ``None``).
    n_beats : ndarray of int, shape (k,)
    """

    window_s: float
    step_s: float
    t_start_s: FloatArray
    t_end_s: FloatArray
    rmssd_ms: FloatArray
    hf_power_ms2: FloatArray
    mean_hr_bpm: FloatArray
    n_beats: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        def arr(a: np.ndarray) -> list[float | None]:
            return [_num(float(x)) for x in a]

        return {
            "window_s": float(self.window_s),
            "step_s": float(self.step_s),
            "t_start_s": arr(self.t_start_s),
            "t_end_s": arr(self.t_end_s),
            "rmssd_ms": arr(self.rmssd_ms),
            "hf_power_ms2": arr(self.hf_power_ms2),
            "mean_hr_bpm": arr(self.mean_hr_bpm),
            "n_beats": [int(n) for n in self.n_beats],
        }


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None
