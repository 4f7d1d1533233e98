"""Inputs: the kind of signal, a sampled waveform, an interval series."""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np
import numpy.typing as npt

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


def _num(x: float | None) -> float | None:
    """A finite float or ``None`` (JSON has no NaN)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None
