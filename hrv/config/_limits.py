"""Input limits declared once: every check of a sampling rate reads its range from here.

A rate outside :data:`SAMPLING_RATE_HZ` almost certainly means a mislabelled unit (kHz
given as Hz); the detectors have narrower ranges of their own, for reasons of method.
"""

from __future__ import annotations

import dataclasses
import math

from hrv.errors import InvalidInputError

__all__ = [
    "ECG_SAMPLING_RATE_HZ", "PPG_SAMPLING_RATE_HZ", "SAMPLING_RATE_HZ", "RateRange",
]


@dataclasses.dataclass(frozen=True)
class RateRange:
    """A closed range of sampling rates in Hz, with the reason it has these ends."""

    min_hz: float
    max_hz: float
    reason: str

    def __contains__(self, fs_hz: object) -> bool:
        if not isinstance(fs_hz, int | float) or isinstance(fs_hz, bool):
            return False
        return math.isfinite(fs_hz) and self.min_hz <= fs_hz <= self.max_hz

    def check(self, fs_hz: float, what: str) -> float:
        """``fs_hz`` as a float, or :class:`InvalidInputError` saying the range and why."""
        fs = float(fs_hz)
        if fs not in self:
            raise InvalidInputError(
                f"{what}: sampling rate {fs_hz!r} Hz is outside {self.min_hz:g}–"
                f"{self.max_hz:g} Hz ({self.reason})"
            )
        return fs


#: Any waveform the library analyses or a reader accepts.
SAMPLING_RATE_HZ = RateRange(10.0, 20_000.0, "check the unit: Hz, not kHz")
#: The ECG detector: below 50 Hz a QRS complex is two or three samples wide.
ECG_SAMPLING_RATE_HZ = RateRange(50.0, 20_000.0, "a QRS complex needs at least 50 Hz")
#: The PPG detector: a pulse needs 25 Hz; above 500 Hz, resample first.
PPG_SAMPLING_RATE_HZ = RateRange(25.0, 500.0, "resample the signal first")
