"""Data and result types of :mod:`hrv`: frozen dataclasses with units in every name."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import math
import types
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "METRIC_UNITS",
    "Analysis",
    "BeatDetection",
    "Beats",
    "ExcludedWindow",
    "Grade",
    "Intervals",
    "Metrics",
    "Quality",
    "QualityWarning",
    "Respiration",
    "Signal",
    "SignalKind",
    "Spectrum",
    "merge_windows",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _readonly(obj: object, *names: str) -> None:
    """Give a frozen result read-only views of its arrays (no copy; the caller's own
    array stays writable), so "frozen" holds for the numbers too."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray) and value.flags.writeable:
            view = value.view()
            view.flags.writeable = False
            object.__setattr__(obj, name, view)


class SignalKind(enum.StrEnum):
    ECG = "ecg"
    PPG = "ppg"
    RR = "rr"


class Grade(enum.StrEnum):
    """Overall data-quality grade of a recording, from best to worst."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    UNUSABLE = "unusable"


@dataclasses.dataclass(frozen=True, eq=False)
class Signal:
    """A uniformly sampled waveform.

    Attributes
    ----------
    samples : ndarray, shape (n,)
        Signal values (any linear unit; amplitude units do not affect beat timing).
    fs_hz : float
        Sampling rate in Hz.
    kind : SignalKind
        ``ECG`` or ``PPG``.
    unit : str or None
        Amplitude unit as declared by the source (``"mV"``, ``"uV"``, ...), informative only.
    """

    samples: FloatArray
    fs_hz: float
    kind: SignalKind
    unit: str | None = None

    def __post_init__(self) -> None:
        _readonly(self, "samples")

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.fs_hz


@dataclasses.dataclass(frozen=True, eq=False)
class Intervals:
    """A beat-to-beat interval series with explicit gaps.

    Attributes
    ----------
    rr_ms : ndarray, shape (n,)
        Interval lengths in milliseconds; every entry is a real interval between two
        beats (an interval that spans a gap in the recording is not stored).
    t_s : ndarray, shape (n,)
        Time in seconds of the beat that ends each interval.
    gap_before : ndarray of bool, shape (n,)
        ``True`` where the interval does not directly follow the previous one (a gap or
        a dropped interval lies between them). Successive differences are never taken
        across such a boundary. ``gap_before[0]`` is ``True`` by convention.
    """

    rr_ms: FloatArray
    t_s: FloatArray
    gap_before: BoolArray

    def __post_init__(self) -> None:
        n = len(self.rr_ms)
        if len(self.t_s) != n or len(self.gap_before) != n:
            raise ValueError("rr_ms, t_s and gap_before must have the same length")
        _readonly(self, "rr_ms", "t_s", "gap_before")

    def __len__(self) -> int:
        return len(self.rr_ms)

    @property
    def successive_diffs_ms(self) -> FloatArray:
        """Differences between adjacent intervals, excluding pairs split by a gap."""
        if len(self.rr_ms) < 2:
            return np.empty(0)
        d = np.diff(self.rr_ms)
        return d[~self.gap_before[1:]]

    @property
    def n_gaps(self) -> int:
        return int(np.count_nonzero(self.gap_before[1:])) if len(self.gap_before) else 0

    @classmethod
    def contiguous(cls, rr_ms: npt.ArrayLike, t0_s: float = 0.0) -> Intervals:
        """Intervals with no gaps; beat times are the cumulative sum from ``t0_s``."""
        rr = np.asarray(rr_ms, dtype=np.float64)
        gap = np.zeros(len(rr), dtype=bool)
        if len(gap):
            gap[0] = True
        return cls(rr, t0_s + np.cumsum(rr) / 1000.0, gap)


@dataclasses.dataclass(frozen=True)
class QualityWarning:
    """A finding about the data, with a stable ``code`` and a human ``message``."""

    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class ExcludedWindow:
    """A stretch of a recording excluded from analysis, in seconds from its start.

    The window is closed, ``[start_s, end_s]``: a beat at either end lies inside it, and an
    interval is out of NN when either of its beats lies inside or it spans the window.
    Every check of a window reads :meth:`contains` and :meth:`touches`.
    """

    start_s: float
    end_s: float
    reason: str

    def contains(self, times_s: npt.NDArray[np.float64]) -> BoolArray:
        """``True`` for the times inside the window (both ends included)."""
        return (times_s >= self.start_s) & (times_s <= self.end_s)

    def touches(self, start_s: npt.NDArray[np.float64], end_s: npt.NDArray[np.float64]
                ) -> BoolArray:
        """``True`` for the spans ``[start_s, end_s]`` that share any time with the window."""
        return (start_s <= self.end_s) & (end_s >= self.start_s)


def merge_windows(windows: Iterable[ExcludedWindow], *, first_reason: bool = False
                  ) -> tuple[ExcludedWindow, ...]:
    """Sorted union of ``windows``: overlapping or touching ones become one window whose
    reason names each reason once, joined by ``+`` (``"motion+flat_line"``); with
    ``first_reason`` the earliest window's reason alone (a detector whose later windows
    are consequences of the first, as motion flagged on a flat line)."""
    out: list[ExcludedWindow] = []
    # Sorted by start only: of windows starting together, the first given leads.
    for w in sorted(windows, key=lambda w: w.start_s):
        if out and w.start_s <= out[-1].end_s:
            last = out[-1]
            reasons = last.reason.split("+")
            keep = first_reason or w.reason in reasons
            reason = last.reason if keep else f"{last.reason}+{w.reason}"
            out[-1] = ExcludedWindow(last.start_s, max(last.end_s, w.end_s), reason)
        else:
            out.append(w)
    return tuple(out)


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


@dataclasses.dataclass(frozen=True)
class Quality:
    """Data quality of a recording and what was done about it."""

    grade: Grade
    beats: int
    corrected_beats: int = 0
    corrected_pct: float = 0.0
    artifacts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    warnings: tuple[QualityWarning, ...] = ()
    excluded_windows: tuple[ExcludedWindow, ...] = ()
    usable_duration_s: float | None = None
    excluded_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade.value,
            "beats": int(self.beats),
            "corrected_beats": int(self.corrected_beats),
            "corrected_pct": float(self.corrected_pct),
            "artifacts": {k: int(v) for k, v in self.artifacts.items()},
            "usable_duration_s": _num(self.usable_duration_s),
            "excluded_s": float(self.excluded_s),
            "excluded_windows": [dataclasses.asdict(w) for w in self.excluded_windows],
            "warnings": [dataclasses.asdict(w) for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quality:
        return cls(
            grade=Grade(data["grade"]),
            beats=int(data["beats"]),
            corrected_beats=int(data.get("corrected_beats", 0)),
            corrected_pct=float(data.get("corrected_pct", 0.0)),
            artifacts={str(k): int(v) for k, v in (data.get("artifacts") or {}).items()},
            warnings=tuple(QualityWarning(**w) for w in data.get("warnings", ())),
            excluded_windows=tuple(ExcludedWindow(**w) for w in data.get("excluded_windows", ())),
            usable_duration_s=data.get("usable_duration_s"),
            excluded_s=float(data.get("excluded_s", 0.0)),
        )

    def has_warning(self, code: str) -> bool:
        return any(w.code == code for w in self.warnings)


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


@dataclasses.dataclass(frozen=True, eq=False)
class Analysis:
    """The result of analysing one recording.

    Attributes
    ----------
    kind : SignalKind
    duration_s : float
        Length of the recording in seconds.
    metrics : Metrics
    respiration : Respiration
    quality : Quality
    beats : Beats
    nn : Intervals
        The clean NN series the metrics were computed from.
    provenance : mapping
        ``hrv_version``, the full configuration and any data-dependent choice
        (detected unit, detector, fiducial point).
    spectrum : Spectrum or None
        The power spectrum the frequency-domain markers were integrated from (``None``
        when the series was too short for one).
    """

    kind: SignalKind
    duration_s: float
    metrics: Metrics
    respiration: Respiration
    quality: Quality
    beats: Beats
    nn: Intervals
    provenance: Mapping[str, Any]
    spectrum: Spectrum | None = None

    @property
    def label(self) -> str:
        """``"HRV"`` for ECG and intervals, ``"PRV"`` (pulse-rate variability) for PPG."""
        return "PRV" if self.kind is SignalKind.PPG else "HRV"

    def to_frame(self, layout: str = "tidy") -> Any:
        """This result as a ``pandas.DataFrame``, built from :mod:`hrv.tables` rows.

        Parameters
        ----------
        layout : {"tidy", "wide"}
            ``"tidy"``: one row per metric (``metric``, ``value``, ``unit`` and the
            recording's grade, warnings, version and configuration hash); ``"wide"``:
            one row, one column per metric.

        Raises
        ------
        ImportError
            pandas is not installed (``pip install 'hrv-session[frames]'``).
        ValueError
            For another ``layout``.
        """
        # hrv.tables lies above the types in the data flow: loaded when called, never
        # at import, so the types keep depending on nothing.
        tables = importlib.import_module("hrv.tables")
        if layout not in ("tidy", "wide"):
            raise ValueError(f"layout must be 'tidy' or 'wide', not {layout!r}")
        build = tables.tidy_table if layout == "tidy" else tables.wide_table
        return tables.to_frame(build([tables.RecordingItem(analysis=self)]))

    def to_dict(self, *, include_beats: bool = True, include_series: bool = False
                ) -> dict[str, Any]:
        """JSON-ready dictionary (the result contract of the service).

        ``include_series`` adds the clean NN series (``nn``) and the power spectrum
        (``spectrum``): what :meth:`from_dict` needs to rebuild a result that a
        comparison, a chart or a table can use without analysing the recording again.
        """
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "variability": self.label,
            "duration_s": float(self.duration_s),
            "metrics": self.metrics.to_dict(),
            "respiration": self.respiration.to_dict(),
            "quality": self.quality.to_dict(),
            "provenance": dict(self.provenance),
        }
        if include_beats:
            out["beats"] = self.beats.to_dict()
        if include_series:
            out["nn"] = {
                "rr_ms": [float(v) for v in self.nn.rr_ms],
                "t_s": [float(v) for v in self.nn.t_s],
                "gap_before": [bool(v) for v in self.nn.gap_before],
            }
            out["spectrum"] = None if self.spectrum is None else self.spectrum.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        """Rebuild a result from :meth:`to_dict` output.

        Without ``nn`` (a dict written with ``include_series=False``) the result has an
        empty NN series: its markers and grade are there, but a comparison that needs
        the series (:func:`hrv.compare`) refuses it.

        Raises
        ------
        ValueError
            ``data`` is not an analysis dictionary.
        """
        try:
            nn = data.get("nn")
            intervals = (
                Intervals(
                    np.asarray(nn["rr_ms"], dtype=np.float64),
                    np.asarray(nn["t_s"], dtype=np.float64),
                    np.asarray(nn["gap_before"], dtype=bool),
                )
                if nn
                else Intervals.contiguous(np.empty(0))
            )
            spectrum = data.get("spectrum")
            return cls(
                kind=SignalKind(data["kind"]),
                duration_s=float(data["duration_s"]),
                metrics=Metrics.from_dict(data.get("metrics") or {}),
                respiration=Respiration.from_dict(data.get("respiration") or {}),
                quality=Quality.from_dict(data["quality"]),
                beats=Beats.from_dict(data.get("beats") or {}),
                nn=intervals,
                provenance=dict(data.get("provenance") or {}),
                spectrum=None if not spectrum else Spectrum.from_dict(spectrum),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an analysis dictionary: missing or bad {exc}") from None


def _num(x: float | None) -> float | None:
    """A finite float or ``None`` (JSON has no NaN)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None
