"""Uneven sample times (phone-camera frames) onto an even grid, with one rule for holes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv.errors import InvalidInputError
from hrv.types import FloatArray

__all__ = ["GAP_FACTOR", "resample_uneven"]

#: A frame interval over this multiple of the median is a dropout, not a slow frame: the
#: grid points inside it become NaN (missing data), never an invented waveform.
GAP_FACTOR = 3.0


def resample_uneven(
    samples: FloatArray, times_s: npt.ArrayLike, fs_hz: float | None = None, *,
    name: str = "signal",
) -> tuple[FloatArray, float, float]:
    """Linear interpolation of ``samples`` taken at ``times_s`` onto an even grid.

    Parameters
    ----------
    samples : ndarray, shape (n,)
        Values at the uneven times (NaN marks a lost sample).
    times_s : array_like, shape (n,)
        Strictly increasing sample times in seconds.
    fs_hz : float, optional
        Rate of the grid; the median frame rate when ``None``.
    name : str
        Names the signal in error messages.

    Returns
    -------
    (x, fs_hz, t0_s)
        ``x[i]`` is the signal at ``t0_s + i / fs_hz``; NaN inside dropouts (frame
        intervals over :data:`GAP_FACTOR` times the median) and where a sample was lost.
    """
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or len(t) != len(samples):
        raise InvalidInputError(
            f"{name}: times_s must be 1-D with one time per sample ({len(samples)}), got "
            f"shape {t.shape}"
        )
    if len(t) < 2 or not np.isfinite(t).all():
        raise InvalidInputError(f"{name}: times_s must hold at least two finite times")
    dt = np.diff(t)
    if (dt <= 0).any():
        bad = int(np.flatnonzero(dt <= 0)[0]) + 1
        raise InvalidInputError(
            f"{name}: times_s must be strictly increasing (seconds); index {bad} is not"
        )
    med_dt = float(np.median(dt))
    fs = float(fs_hz) if fs_hz is not None else 1.0 / med_dt
    t0 = float(t[0])
    n_out = int(np.floor((t[-1] - t0) * fs)) + 1
    grid = t0 + np.arange(n_out) / fs
    finite = np.isfinite(samples)
    if finite.all():
        x = np.interp(grid, t, samples)
    else:
        x = np.interp(grid, t[finite], samples[finite]) if finite.any() else np.full(n_out, np.nan)
        lost = np.interp(grid, t, (~finite).astype(np.float64)) > 0
        x[lost] = np.nan
    gaps = np.flatnonzero(dt > GAP_FACTOR * med_dt)
    if len(gaps):
        lo = np.searchsorted(grid, t[gaps], side="right")
        hi = np.searchsorted(grid, t[gaps + 1], side="left")
        mark = np.zeros(n_out + 1, dtype=np.int64)
        np.add.at(mark, lo, 1)
        np.add.at(mark, hi, -1)
        x[np.cumsum(mark[:-1]) > 0] = np.nan
    return x, fs, t0
