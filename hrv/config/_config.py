"""Frozen, validated analysis configuration.

Every parameter that changes a number lives here; :meth:`AnalysisConfig.to_dict` is what
goes into each result's provenance, and :meth:`AnalysisConfig.from_dict` rebuilds the
same configuration from it, so a stored result can be reproduced exactly.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from hrv.config._choices import (
    Detrend,
    EcgDetector,
    Interpolation,
    IntervalUnit,
    PpgDetector,
    PpgFiducial,
    SpectrumMethod,
)
from hrv.errors import ConfigError

__all__ = [
    "AnalysisConfig",
    "ArtifactConfig",
    "Bands",
    "DetectionConfig",
    "Detrend",
    "EcgDetector",
    "Interpolation",
    "IntervalConfig",
    "IntervalUnit",
    "PpgDetector",
    "PpgFiducial",
    "QualityConfig",
    "RespirationConfig",
    "SpectrumConfig",
    "SpectrumMethod",
]


_C = TypeVar("_C")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def _finite_positive(name: str, value: float) -> None:
    _check(
        isinstance(value, int | float) and math.isfinite(value) and value > 0,
        f"{name} must be a finite positive number, got {value!r}",
    )


@dataclasses.dataclass(frozen=True)
class IntervalConfig:
    """How raw interval input is interpreted.

    Parameters
    ----------
    unit : IntervalUnit
        Unit of the values passed to :func:`hrv.analyze_intervals`.
    gap_threshold_ms : float
        An interval longer than this is treated as a gap in the recording (lost
        connection, removed segment): it is dropped, and no successive difference is
        taken across it. It is never split into invented beats.
    """

    unit: IntervalUnit = IntervalUnit.AUTO
    gap_threshold_ms: float = 3000.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", IntervalUnit.parse(self.unit))
        _finite_positive("gap_threshold_ms", self.gap_threshold_ms)


@dataclasses.dataclass(frozen=True)
class ArtifactConfig:
    """Interval classification and correction after Lipponen & Tarvainen (2019).

    Parameters
    ----------
    enabled : bool
        Whether to classify and correct intervals at all.
    alpha : float
        Threshold scale: the time-varying thresholds are ``alpha`` times the
        quartile deviation of the series over ``window_beats`` beats (5.2 in the paper).
    window_beats : int
        Beats over which the quartile deviation is estimated (91 in the paper).
    median_window : int
        Beats of the local median used to judge long/short intervals (11 in the paper).
    c1, c2 : float
        Slope and offset of the ectopic decision boundary (0.13 and 0.17 in the paper).
    min_nn_ms, max_nn_ms : float
        Physiological limits applied after correction as a sanity net.
    max_corrected_pct : float
        Above this share of corrected beats, frequency-domain values are not reported
        (the PhysioNet HRV toolbox uses 15 %).
    max_run_beats : int
        Longest run of consecutive flagged intervals that is corrected; a longer run
        (tachycardia burst, bigeminy, noise) is dropped and leaves a gap.
    run_ratio : float
        Ectopic runs (an extension of the paper): at least ``run_min_beats``
        intervals shorter than ``run_ratio`` times the median over ``window_beats``
        beats, entered and left by abrupt steps (the interval shortens, then lengthens,
        by more than ``1 - run_ratio``), are a burst of ectopic beats (ventricular or
        atrial tachycardia): they are dropped, with the interval that ends on the beat
        after them, and leave a gap. ``0`` disables the rule.
    run_min_beats : int
        Fewest consecutive fast intervals that make an ectopic run (3: a pair of
        premature beats is corrected by the paper's rules instead).
    run_max_irregularity : float
        Ectopic runs are sought only where the rhythm is regular: the median absolute
        successive difference over ``window_beats`` beats around the onset is at most
        this fraction of the median interval (sinus rhythm 0.02-0.06; atrial
        fibrillation 0.15-0.5, where fast stretches belong to the rhythm).
    missed_tolerance : float
        A long interval is split as a missed beat only when its parts are within this
        fraction of the local median (as well as within ``Th2`` of it, the paper's
        rule): a sinus pause of 1.5 median intervals is not two beats.
    keep_pauses : bool
        Keep a long interval that is no missed beat and follows a normal interval: a
        genuine pause (sinus arrest, sino-atrial block). After a short interval it is a
        compensatory pause and is interpolated, as the paper does with every long one.
    """

    enabled: bool = True
    alpha: float = 5.2
    window_beats: int = 91
    median_window: int = 11
    c1: float = 0.13
    c2: float = 0.17
    min_nn_ms: float = 300.0
    max_nn_ms: float = 2000.0
    max_corrected_pct: float = 15.0
    max_run_beats: int = 3
    run_ratio: float = 0.75
    run_min_beats: int = 3
    run_max_irregularity: float = 0.1
    missed_tolerance: float = 0.2
    keep_pauses: bool = True

    def __post_init__(self) -> None:
        _finite_positive("alpha", self.alpha)
        _check(self.window_beats >= 5, "window_beats must be at least 5")
        _check(self.median_window >= 3, "median_window must be at least 3")
        _check(0 < self.min_nn_ms < self.max_nn_ms, "need 0 < min_nn_ms < max_nn_ms")
        _check(0 <= self.max_corrected_pct <= 100, "max_corrected_pct must be in [0, 100]")
        _check(
            isinstance(self.max_run_beats, int) and self.max_run_beats >= 2,
            "max_run_beats must be an integer of at least 2",
        )
        _check(
            isinstance(self.run_ratio, int | float) and 0 <= self.run_ratio < 1,
            f"run_ratio must be in [0, 1), got {self.run_ratio!r}",
        )
        _check(
            isinstance(self.run_min_beats, int) and self.run_min_beats >= 2,
            "run_min_beats must be an integer of at least 2",
        )
        _check(
            isinstance(self.run_max_irregularity, int | float)
            and 0 < self.run_max_irregularity <= 1,
            f"run_max_irregularity must be in (0, 1], got {self.run_max_irregularity!r}",
        )
        _check(
            isinstance(self.missed_tolerance, int | float) and 0 < self.missed_tolerance <= 1,
            f"missed_tolerance must be in (0, 1], got {self.missed_tolerance!r}",
        )


@dataclasses.dataclass(frozen=True)
class Bands:
    """Frequency bands in Hz (Task Force of ESC/NASPE 1996)."""

    vlf_hz: tuple[float, float] = (0.0033, 0.04)
    lf_hz: tuple[float, float] = (0.04, 0.15)
    hf_hz: tuple[float, float] = (0.15, 0.40)

    def __post_init__(self) -> None:
        for name in ("vlf_hz", "lf_hz", "hf_hz"):
            lo, hi = getattr(self, name)
            object.__setattr__(self, name, (float(lo), float(hi)))
            _check(0 <= lo < hi, f"{name} must satisfy 0 <= low < high, got {(lo, hi)}")


@dataclasses.dataclass(frozen=True)
class SpectrumConfig:
    """Power spectrum of the NN series.

    Parameters
    ----------
    method : SpectrumMethod
        ``WELCH`` (default) on the NN series resampled at ``resample_hz``, or ``LOMB``
        (Lomb–Scargle on the uneven series, no interpolation).
    resample_hz : float
        Rate of the evenly resampled NN series for Welch (4 Hz).
    interpolation : Interpolation
        Resampling method (cubic spline by default).
    detrend : Detrend
        Detrending of each Welch segment (linear by default).
    segment_s : float
        Welch (and Lomb) segment length in seconds, shortened to the longest gap-free
        stretch when that is shorter. 150 s: a 5-min recording averages three segments
        (50 % overlap) instead of giving one 256-s periodogram, which cuts the scatter of
        each PSD bin about threefold, while the resolution (1/150 Hz; Hann main lobe
        ±0.013 Hz) still separates LF from VLF at the 0.04 Hz edge, which needs segments
        of at least about 100-150 s. The length is fixed rather than a fraction of the
        recording, so a pre and a post recording of different lengths (both at least
        150 s) share the same frequency grid. VLF power is read from segments of
        ``vlf_min_s`` instead (its periods reach 300 s).
    overlap : float
        Least fraction of overlap between segments: the segments are spread evenly to
        reach the end of each stretch, so the overlap is at least this (a little more
        when the stretch is not a whole number of steps long) and no data is left over.
    window : str
        Taper applied to each segment (a name accepted by ``scipy.signal.get_window``).
    hf_min_s, lf_min_s, vlf_min_s : float
        Minimum durations for reporting HF, LF and VLF power.
    max_bridged_gap_s : float
        Holes in the NN series (dropped intervals) up to this long are bridged by the
        interpolation (Welch) or simply left uneven (Lomb); a longer gap splits the series
        into stretches that are analysed separately and never interpolated across.
    """

    method: SpectrumMethod = SpectrumMethod.WELCH
    resample_hz: float = 4.0
    interpolation: Interpolation = Interpolation.CUBIC
    detrend: Detrend = Detrend.LINEAR
    segment_s: float = 150.0
    overlap: float = 0.5
    window: str = "hann"
    hf_min_s: float = 60.0
    lf_min_s: float = 120.0
    vlf_min_s: float = 300.0
    max_bridged_gap_s: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", SpectrumMethod.parse(self.method))
        object.__setattr__(self, "interpolation", Interpolation.parse(self.interpolation))
        object.__setattr__(self, "detrend", Detrend.parse(self.detrend))
        _finite_positive("resample_hz", self.resample_hz)
        _check(self.resample_hz <= 100, "resample_hz above 100 Hz is not useful")
        _finite_positive("segment_s", self.segment_s)
        _check(0 <= self.overlap < 1, "overlap must be in [0, 1)")
        for name in ("hf_min_s", "lf_min_s", "vlf_min_s", "max_bridged_gap_s"):
            _finite_positive(name, getattr(self, name))


@dataclasses.dataclass(frozen=True)
class RespirationConfig:
    """Breathing-rate limits within which HF power reflects respiratory sinus arrhythmia.

    The remaining fields tune the RSA-peak rule of :func:`hrv.respiration.rsa_rate_bpm`
    and the fusion rule of :func:`hrv.respiration.fuse_respiration` (see there).
    """

    hf_valid_min_bpm: float = 9.0
    hf_valid_max_bpm: float = 24.0
    rsa_search_hz: tuple[float, float] = (0.12, 0.5)
    slow_search_hz: tuple[float, float] = (0.05, 0.12)
    slow_dominance_ratio: float = 4.0
    max_disagreement_bpm: float = 3.0
    min_confidence: float = 0.5
    slow_min_confidence: float = 0.7

    def __post_init__(self) -> None:
        _check(
            0 < self.hf_valid_min_bpm < self.hf_valid_max_bpm,
            "need 0 < hf_valid_min_bpm < hf_valid_max_bpm",
        )
        for name in ("rsa_search_hz", "slow_search_hz"):
            lo, hi = getattr(self, name)
            object.__setattr__(self, name, (float(lo), float(hi)))
            _check(0 < lo < hi, f"{name} must satisfy 0 < low < high, got {(lo, hi)}")
        _finite_positive("slow_dominance_ratio", self.slow_dominance_ratio)
        _finite_positive("max_disagreement_bpm", self.max_disagreement_bpm)
        for name in ("min_confidence", "slow_min_confidence"):
            v = getattr(self, name)
            _check(0 < v <= 1, f"{name} must be in (0, 1], got {v!r}")


@dataclasses.dataclass(frozen=True)
class DetectionConfig:
    """Beat detection from raw ECG or PPG."""

    ecg_detector: EcgDetector = EcgDetector.DEFAULT
    ppg_detector: PpgDetector = PpgDetector.DEFAULT
    ppg_fiducial: PpgFiducial = PpgFiducial.MAX_SLOPE
    powerline_hz: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ecg_detector", EcgDetector.parse(self.ecg_detector))
        object.__setattr__(self, "ppg_detector", PpgDetector.parse(self.ppg_detector))
        object.__setattr__(self, "ppg_fiducial", PpgFiducial.parse(self.ppg_fiducial))
        if self.powerline_hz is not None:
            _check(self.powerline_hz in (50, 60), "powerline_hz must be 50, 60 or None")


@dataclasses.dataclass(frozen=True)
class QualityConfig:
    """Waveform quality windows and grading thresholds.

    ``window_s`` is the ECG quality window; ``ppg_window_s`` the PPG detector's, shorter
    because a motion burst in a wrist or camera PPG is often only a few seconds long.
    """

    window_s: float = 10.0
    ppg_window_s: float = 8.0
    min_usable_s: float = 60.0
    good_max_corrected_pct: float = 2.0
    fair_max_corrected_pct: float = 5.0
    poor_max_corrected_pct: float = 15.0

    def __post_init__(self) -> None:
        _finite_positive("window_s", self.window_s)
        _finite_positive("ppg_window_s", self.ppg_window_s)
        _finite_positive("min_usable_s", self.min_usable_s)
        _check(
            0 <= self.good_max_corrected_pct
            <= self.fair_max_corrected_pct
            <= self.poor_max_corrected_pct,
            "corrected-share thresholds must be ordered good <= fair <= poor",
        )


@dataclasses.dataclass(frozen=True)
class AnalysisConfig:
    """Everything that changes a number in an :class:`hrv.Analysis`.

    Examples
    --------
    >>> from hrv import AnalysisConfig
    >>> cfg = AnalysisConfig.from_dict({"spectrum": {"method": "lomb"}})
    >>> cfg.spectrum.method.value
    'lomb'
    """

    intervals: IntervalConfig = dataclasses.field(default_factory=IntervalConfig)
    artifacts: ArtifactConfig = dataclasses.field(default_factory=ArtifactConfig)
    spectrum: SpectrumConfig = dataclasses.field(default_factory=SpectrumConfig)
    bands: Bands = dataclasses.field(default_factory=Bands)
    respiration: RespirationConfig = dataclasses.field(default_factory=RespirationConfig)
    detection: DetectionConfig = dataclasses.field(default_factory=DetectionConfig)
    quality: QualityConfig = dataclasses.field(default_factory=QualityConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary of every parameter (enums as their values).

        A fresh copy each call (built once per configuration: it goes into every result).
        """
        return _copy_plain(_plain_config(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AnalysisConfig:
        """Build a configuration from a (possibly partial) nested dictionary.

        Unknown sections or keys raise :class:`hrv.errors.ConfigError` naming the valid ones.
        """
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError("configuration must be a mapping of sections")
        kwargs: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for section, values in data.items():
            if section not in fields:
                raise ConfigError(
                    f"unknown configuration section {section!r}; "
                    f"valid sections are {', '.join(sorted(fields))}"
                )
            section_cls = type(getattr(cls(), section))
            kwargs[section] = _build(section_cls, values, section)
        return cls(**kwargs)

    def replace(self, **sections: Any) -> AnalysisConfig:
        """Return a copy with whole sections replaced."""
        return dataclasses.replace(self, **sections)


def _build(section_cls: type[_C], values: Any, section: str) -> _C:
    if not isinstance(values, Mapping):
        raise ConfigError(f"configuration section {section!r} must be a mapping")
    names = {f.name for f in dataclasses.fields(section_cls)}  # type: ignore[arg-type]
    unknown = set(values) - names
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(sorted(map(repr, unknown)))} in section {section!r}; "
            f"valid keys are {', '.join(sorted(names))}"
        )
    clean = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return section_cls(**clean)
    except TypeError as exc:
        raise ConfigError(f"invalid value in section {section!r}: {exc}") from None


def _copy_plain(obj: Any) -> Any:
    """A copy of the nested plain dicts and lists of :func:`_plain_config` (which holds
    no subclasses of them: exact type tests suffice); other values are shared."""
    t = type(obj)
    if t is dict:
        return {k: v if type(v) not in _CONTAINERS else _copy_plain(v) for k, v in obj.items()}
    if t is list:
        return [v if type(v) not in _CONTAINERS else _copy_plain(v) for v in obj]
    return obj


_CONTAINERS = (dict, list)


@functools.lru_cache(maxsize=64)
def _plain_config(cfg: AnalysisConfig) -> dict[str, Any]:
    plain: dict[str, Any] = _to_plain(cfg)
    return plain


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, tuple | list):
        return [_to_plain(v) for v in obj]
    return obj
