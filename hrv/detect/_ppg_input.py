"""Input checks and even resampling for PPG pulse detection."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv._dsp import as_waveform
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
_GAP_FACTOR = 3.0  # a frame interval over 3× the median is a dropout, not a slow frame
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
        t = np.asarray(times_s, dtype=np.float64)
        if t.ndim != 1 or len(t) != len(x_raw):
            raise InvalidInputError(
                f"PPG: times_s must be 1-D with one time per sample ({len(x_raw)}), "
                f"got shape {t.shape}"
            )
        if len(t) < 2 or not np.isfinite(t).all():
            raise InvalidInputError("PPG: times_s must hold at least two finite times")
        dt = np.diff(t)
        if (dt <= 0).any():
            raise InvalidInputError("PPG: times_s must be strictly increasing (seconds)")
        med_dt = float(np.median(dt))
        fs = float(fs_hz) if fs_hz is not None else 1.0 / med_dt
        _check_rate(fs)
        t0 = float(t[0])
        n_out = int(np.floor((t[-1] - t0) * fs)) + 1
        grid = t0 + np.arange(n_out) / fs
        x = np.interp(grid, t, x_raw)
        gaps = np.flatnonzero(dt > _GAP_FACTOR * med_dt)
        if len(gaps):
            lo = np.searchsorted(grid, t[gaps], side="right")
            hi = np.searchsorted(grid, t[gaps + 1], side="left")
            mark = np.zeros(n_out + 1, dtype=np.int64)
            np.add.at(mark, lo, 1)
            np.add.at(mark, hi, -1)
            x[np.cumsum(mark[:-1]) > 0] = np.nan
        resampled = True
    duration = len(x) / fs
    if duration < MIN_DURATION_S:
        raise InsufficientDataError(
            f"PPG is {duration:.1f} s long; pulse detection needs at least {MIN_DURATION_S:.0f} s"
        )
    return x, fs, t0, resampled
