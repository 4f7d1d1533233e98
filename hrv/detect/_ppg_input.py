"""Input checks and even resampling for PPG pulse detection."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv._dsp import as_waveform, resample_uneven
from hrv.config import PPG_SAMPLING_RATE_HZ
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.types import FloatArray

__all__ = [
    "MAX_FRAME_JITTER",
    "MAX_FS_HZ",
    "MIN_DURATION_S",
    "MIN_FS_HZ",
    "even_ppg",
    "frame_jitter_s",
]

MIN_FS_HZ = PPG_SAMPLING_RATE_HZ.min_hz
MAX_FS_HZ = PPG_SAMPLING_RATE_HZ.max_hz
MIN_DURATION_S = 10.0
# Frame-time jitter (robust SD of the frame intervals) above this fraction of the frame
# interval makes beat-to-beat timing unreliable. Phone cameras fall into two groups:
# steady ones (jitter 0–1 ms at 30 frames/s) and irregular ones (3–15 ms); on the
# Welltory recordings the irregular group times beats with 12–15 ms interval error
# against a Polar H10 chest strap instead of 4–9 ms, which inflates RMSSD by 15–25 %.
MAX_FRAME_JITTER = 0.05


def frame_jitter_s(times_s: FloatArray) -> float:
    """Robust SD (1.4826 × MAD, seconds) of the intervals between frames (dropouts too)."""
    dt = np.diff(times_s)
    if len(dt) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(dt - np.median(dt))))


def _check_rate(fs: float) -> None:
    if not (MIN_FS_HZ * 0.9 <= fs <= MAX_FS_HZ * 1.001):
        raise InvalidInputError(
            f"PPG sampling rate {fs:g} Hz is outside the supported range "
            f"{MIN_FS_HZ:g}–{MAX_FS_HZ:g} Hz; resample the signal first"
        )


def even_ppg(
    samples: npt.ArrayLike, fs_hz: float | None, times_s: npt.ArrayLike | None
) -> tuple[FloatArray, float, float, bool]:
    """Return ``(x, fs_hz, t0_s, resampled)``: an evenly sampled float64 PPG.

    With ``times_s`` (uneven frame times, e.g. a phone camera), the samples are linearly
    interpolated onto an even grid at ``fs_hz`` (or the median frame rate when ``fs_hz``
    is None); stretches where frames are missing for more than three median frame
    intervals become NaN (missing data), never invented pulses.
    """
    if times_s is None:
        if fs_hz is None:
            raise InvalidInputError("PPG: give either fs_hz or the sample times times_s")
        x = as_waveform(samples, fs_hz, name="PPG")
        fs = float(fs_hz)
        _check_rate(fs)
        t0 = 0.0
        resampled = False
    else:
        x_raw = as_waveform(samples, 1.0 if fs_hz is None else fs_hz, name="PPG")
        x, fs, t0 = resample_uneven(x_raw, times_s, fs_hz, name="PPG")
        _check_rate(fs)
        resampled = True
    duration = len(x) / fs
    if duration < MIN_DURATION_S:
        raise InsufficientDataError(
            f"PPG is {duration:.1f} s long; pulse detection needs at least {MIN_DURATION_S:.0f} s"
        )
    return x, fs, t0, resampled
