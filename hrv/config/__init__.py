"""Analysis parameters: one frozen, validated :class:`AnalysisConfig` and its choices.

The config is what goes into every result's provenance; ``AnalysisConfig.from_dict``
reads it back. Choices are string Enums: an unknown value fails with the valid ones.
"""

from hrv.config._choices import (
    Choice,
    Detrend,
    EcgDetector,
    Interpolation,
    IntervalUnit,
    PpgDetector,
    PpgFiducial,
    SpectrumMethod,
)
from hrv.config._config import (
    AnalysisConfig,
    ArtifactConfig,
    Bands,
    DetectionConfig,
    IntervalConfig,
    QualityConfig,
    RespirationConfig,
    SpectrumConfig,
)
from hrv.config._limits import (
    ECG_SAMPLING_RATE_HZ,
    PPG_SAMPLING_RATE_HZ,
    SAMPLING_RATE_HZ,
    RateRange,
)
from hrv.config._units import SECONDS_MEDIAN_LIMIT, detect_unit, unit_detected_message

__all__ = [
    "ECG_SAMPLING_RATE_HZ",
    "PPG_SAMPLING_RATE_HZ",
    "SAMPLING_RATE_HZ",
    "SECONDS_MEDIAN_LIMIT",
    "AnalysisConfig",
    "ArtifactConfig",
    "Bands",
    "Choice",
    "DetectionConfig",
    "Detrend",
    "EcgDetector",
    "Interpolation",
    "IntervalConfig",
    "IntervalUnit",
    "PpgDetector",
    "PpgFiducial",
    "QualityConfig",
    "RateRange",
    "RespirationConfig",
    "SpectrumConfig",
    "SpectrumMethod",
    "detect_unit",
    "unit_detected_message",
]
