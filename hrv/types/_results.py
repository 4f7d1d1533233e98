"""Results: metrics with their units, respiration, beats, the spectrum, a detection."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from hrv.types._quality import ExcludedWindow, QualityWarning
from hrv.types._series import BoolArray, FloatArray, _num, _readonly


def _marker(unit: str) -> Any:
    """A :class:`Metrics` field: ``None`` by default, its unit declared beside its name."""
    return dataclasses.field(default=None, metadata={"unit": unit})


@dataclasses.dataclass(frozen=True)
class Metrics:
    """HRV markers. ``None`` means not computable for this recording (see the warnings).

    Each field declares its unit (``dataclasses.fields(Metrics)[i].metadata["unit"]``;
    :data:`METRIC_UNITS` maps every name to it): ``"1"`` is dimensionless, ``"count"`` a
    number of intervals, ``"n.u."`` normalised units.
    """

    mean_nn_ms: float | None = _marker("ms")
    mean_hr_bpm: float | None = _marker("1/min")
    sdnn_ms: float | None = _marker("ms")
    rmssd_ms: float | None = _marker("ms")
    ln_rmssd: float | None = _marker("ln(ms)")
    sdsd_ms: float | None = _marker("ms")
    pnn50_pct: float | None = _marker("%")
    nn50_count: float | None = _marker("count")
    cvnn_pct: float | None = _marker("%")
    hrv_triangular_index: float | None = _marker("1")
    tinn_ms: float | None = _marker("ms")
    vlf_power_ms2: float | None = _marker("ms^2")
    lf_power_ms2: float | None = _marker("ms^2")
    hf_power_ms2: float | None = _marker("ms^2")
    total_power_ms2: float | None = _marker("ms^2")
    ln_vlf: float | None = _marker("ln(ms^2)")
    ln_lf: float | None = _marker("ln(ms^2)")
    ln_hf: float | None = _marker("ln(ms^2)")
    vlf_pct: float | None = _marker("%")
    lf_pct: float | None = _marker("%")
    hf_pct: float | None = _marker("%")
    lf_hf_ratio: float | None = _marker("1")
    lf_nu: float | None = _marker("n.u.")
    hf_nu: float | None = _marker("n.u.")
    vlf_peak_hz: float | None = _marker("Hz")
    lf_peak_hz: float | None = _marker("Hz")
    hf_peak_hz: float | None = _marker("Hz")
    sd1_ms: float | None = _marker("ms")
    sd2_ms: float | None = _marker("ms")
    sd1_sd2_ratio: float | None = _marker("1")
    dfa_alpha1: float | None = _marker("1")
    dfa_alpha2: float | None = _marker("1")
    sample_entropy: float | None = _marker("1")

    def to_dict(self) -> dict[str, float | None]:
        return {f.name: _num(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metrics:
        """The metrics of a stored result; keys this version does not know are ignored
        (a newer result read by an older library keeps the markers both know)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


#: Unit of every :class:`Metrics` field, in field order (derived from the fields).
METRIC_UNITS: Mapping[str, str] = types.MappingProxyType(
    {f.name: str(f.metadata["unit"]) for f in dataclasses.fields(Metrics)}
)


@dataclasses.dataclass(frozen=True)
class Respiration:
    """Breathing-rate estimate and whether HF power is interpretable.

    Attributes
    ----------
    rate_bpm : float or None
        Fused breathing-rate estimate in breaths per minute.
    hf_band_valid : bool or None
        ``False`` when the rate lies outside the HF band (9–24 breaths/min by default):
        HF power and LF/HF then do not reflect respiratory sinus arrhythmia.
    source : str
        Which estimate(s) the rate came from (``"rsa"``, ``"edr"``, ``"fused"``, ...).
    estimates_bpm : mapping
        Each individual estimate, for audit.
    confidence : float or None
        Confidence in ``[0, 1]`` of the RR-only (RSA-peak) estimate when the rate rests on
        it (``source`` ``"rsa"``) or when no rate could be given (``"none"``: how weak the
        RSA evidence was); ``None`` when not assessed (waveform-derived sources). A rate
        left unknown gives ``hf_band_valid`` ``None``, not ``False``.
    """

    rate_bpm: float | None = None
    hf_band_valid: bool | None = None
    source: str = "none"
    estimates_bpm: Mapping[str, float | None] = dataclasses.field(default_factory=dict)
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate_bpm": _num(self.rate_bpm),
            "hf_band_valid": self.hf_band_valid,
            "source": self.source,
            "estimates_bpm": {k: _num(v) for k, v in self.estimates_bpm.items()},
            "confidence": _num(self.confidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Respiration:
        return cls(
            rate_bpm=data.get("rate_bpm"),
            hf_band_valid=data.get("hf_band_valid"),
            source=str(data.get("source", "none")),
            estimates_bpm=dict(data.get("estimates_bpm") or {}),
            confidence=data.get("confidence"),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class Beats:
    """Beat times of a recording.

    Attributes
    ----------
    times_s : ndarray, shape (n,)
        Beat times in seconds from the start of the recording (detected or given).
    normal : ndarray of bool, shape (n,) or None
        Per-beat classification where known (``True`` = normal-looking beat).
    """

    times_s: FloatArray
    normal: BoolArray | None = None

    def __post_init__(self) -> None:
        _readonly(self, "times_s", "normal")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"times_s": [round(float(t), 6) for t in self.times_s]}
        if self.normal is not None:
            out["normal"] = [bool(b) for b in self.normal]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Beats:
        normal = data.get("normal")
        return cls(
            times_s=np.asarray(data.get("times_s", ()), dtype=np.float64),
            normal=None if normal is None else np.asarray(normal, dtype=bool),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class Spectrum:
    """A power spectral density of an NN series.

    Attributes
    ----------
    freq_hz : ndarray, shape (m,)
        Frequencies in Hz, increasing.
    psd_ms2_per_hz : ndarray, shape (m,)
        One-sided power spectral density in ms²/Hz.
    method : str
        ``"welch"`` or ``"lomb"``.
    """

    freq_hz: FloatArray
    psd_ms2_per_hz: FloatArray
    method: str

    def __post_init__(self) -> None:
        _readonly(self, "freq_hz", "psd_ms2_per_hz")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "freq_hz": [float(f) for f in self.freq_hz],
            "psd_ms2_per_hz": [float(p) for p in self.psd_ms2_per_hz],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spectrum:
        return cls(
            freq_hz=np.asarray(data["freq_hz"], dtype=np.float64),
            psd_ms2_per_hz=np.asarray(data["psd_ms2_per_hz"], dtype=np.float64),
            method=str(data["method"]),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class BeatDetection:
    """Beats found in a raw ECG or PPG waveform.

    Attributes
    ----------
    times_s : ndarray, shape (n,)
        Beat times in seconds from the first sample, refined to sub-sample precision.
    normal : ndarray of bool, shape (n,)
        ``True`` for a normal-looking beat; ``False`` for ectopic/abnormal beats, whose
        adjacent intervals are excluded from the NN series.
    excluded_windows : tuple of ExcludedWindow
        Stretches judged unusable (noise, motion, flat line, clipping, disconnection);
        no beat inside them is used and no interval spans them.
    warnings : tuple of QualityWarning
    info : mapping
        Detector name, fiducial point, filter settings and scores, for provenance.
    """

    times_s: FloatArray
    normal: BoolArray
    excluded_windows: tuple[ExcludedWindow, ...] = ()
    warnings: tuple[QualityWarning, ...] = ()
    info: Mapping[str, Any] = dataclasses.field(default_factory=dict)

