"""Enumerated choices of the configuration; an unknown value lists the valid ones."""

from __future__ import annotations

import enum
from typing import Self

from hrv.errors import ConfigError

__all__ = [
    "Detrend",
    "EcgDetector",
    "Interpolation",
    "IntervalUnit",
    "PpgDetector",
    "PpgFiducial",
    "SpectrumMethod",
]


class Choice(enum.StrEnum):
    """String enum whose lookup failure lists the valid choices."""

    @classmethod
    def parse(cls, value: object) -> Self:
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            valid = ", ".join(repr(m.value) for m in cls)
            raise ConfigError(
                f"unknown {cls.__name__} {value!r}; valid choices are {valid}"
            ) from None


class IntervalUnit(Choice):
    """Unit of beat-to-beat intervals given by a caller.

    ``AUTO`` applies the documented rule of :func:`hrv.intervals.detect_unit`.
    """

    AUTO = "auto"
    MS = "ms"
    S = "s"
    POLAR_1024 = "1/1024s"


class SpectrumMethod(Choice):
    WELCH = "welch"
    LOMB = "lomb"


class Interpolation(Choice):
    CUBIC = "cubic"
    LINEAR = "linear"


class Detrend(Choice):
    NONE = "none"
    CONSTANT = "constant"
    LINEAR = "linear"


class EcgDetector(Choice):
    """ECG R-peak detectors; ``DEFAULT`` is the library's own recommended detector."""

    DEFAULT = "default"


class PpgDetector(Choice):
    DEFAULT = "default"


class PpgFiducial(Choice):
    """Which point of each pulse marks the beat time."""

    MAX_SLOPE = "max_slope"
    PEAK = "peak"
    ONSET = "onset"
