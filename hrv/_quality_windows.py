"""Per-window waveform statistics behind :func:`hrv.quality.assess_waveform`.

Everything here works on whole arrays: windows are index ranges, and per-window sums are
taken with ``np.add.reduceat`` so a long recording costs a few passes over the data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from hrv.errors import InvalidInputError
from hrv.types import BoolArray, FloatArray

__all__ = ["WindowStats", "as_waveform", "bandpass", "fill_nan", "window_stats"]

IntArray = npt.NDArray[np.intp]

MIN_FS_HZ = 1.0
MAX_FS_HZ = 10_000.0


def as_waveform(samples: npt.ArrayLike, fs_hz: float | None, *, name: str = "signal") -> FloatArray:
    """Validate a 1-D waveform and return it as float64 (NaN allowed, inf is not)."""
    if fs_hz is None or isinstance(fs_hz, bool) or not isinstance(fs_hz, int | float | np.number):
        raise InvalidInputError(f"{name}: sampling rate fs_hz must be a number, got {fs_hz!r}")
    fs = float(fs_hz)
    if not np.isfinite(fs) or fs <= 0:
        raise InvalidInputError(f"{name}: sampling rate must be a finite positive number of Hz, "
                                f"got {fs_hz!r}")
    try:
        arr = np.asarray(samples)
    except Exception as exc:  # ragged nested sequences and similar
        raise InvalidInputError(f"{name}: samples are not a numeric array ({exc})") from None
    if arr.ndim != 1:
        raise InvalidInputError(
            f"{name}: expected a 1-D array of samples, got shape {arr.shape}; "
            "pass one channel at a time"
        )
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(
            f"{name}: samples must be integers or floats, got dtype {arr.dtype}"
        )
    x = arr.astype(np.float64, copy=False)
    if np.isinf(x).any():
        raise InvalidInputError(f"{name}: samples contain infinite values")
    return x


def fill_nan(x: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Linearly interpolate over NaN samples; return the filled copy and the NaN mask."""
    nan = np.isnan(x)
    if not nan.any():
        return x, nan
    out = x.copy()
    good = np.flatnonzero(~nan)
    if len(good) == 0:
        out[:] = 0.0
        return out, nan
    out[nan] = np.interp(np.flatnonzero(nan), good, x[good])
    return out, nan


def bandpass(x: FloatArray, fs_hz: float, lo_hz: float, hi_hz: float, order: int = 2) -> FloatArray:
    """Zero-phase Butterworth band-pass (high edge clipped below Nyquist)."""
    nyq = fs_hz / 2.0
    hi = min(hi_hz, 0.45 * fs_hz)
    if hi <= lo_hz:
        sos = sps.butter(order, lo_hz / nyq, btype="highpass", output="sos")
    else:
        sos = sps.butter(order, [lo_hz / nyq, hi / nyq], btype="bandpass", output="sos")
    padlen = min(len(x) - 1, 3 * int(fs_hz / lo_hz))
    return np.asarray(sps.sosfiltfilt(sos, x, padlen=max(padlen, 0)), dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class WindowStats:
    """Raw per-window measurements (one entry per window)."""

    starts: IntArray
    lengths: IntArray
    nan_frac: FloatArray
    const_frac: FloatArray  # share of samples inside constant runs of >= 1 s
    const_at_rail: BoolArray  # those runs sit at the recording's min or max
    rail_frac: FloatArray  # share of samples in repeated-rail runs (clipping)
    rail_runs: IntArray  # number of separate rail runs
    std: FloatArray  # standard deviation of the band-passed signal
    kurtosis: FloatArray  # of the band-passed signal


def window_starts(n: int, win: int) -> IntArray:
    """Start indices of windows of ``win`` samples; a short tail joins the previous window."""
    starts = np.arange(0, n, win, dtype=np.intp)
    if len(starts) > 1 and n - starts[-1] < win // 2:
        starts = starts[:-1]
    return starts


def _runs(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) indices of the ``True`` runs of ``mask``."""
    d = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def window_stats(x: FloatArray, filtered: FloatArray, nan: BoolArray, fs_hz: float,
                 starts: IntArray, *, kurtosis: bool = True) -> WindowStats:
    """Compute :class:`WindowStats` for ``x`` (NaN-filled) and its band-passed version."""
    n = len(x)
    lengths = np.diff(np.append(starts, n))
    nan_frac = np.add.reduceat(nan.astype(np.float64), starts) / lengths

    finite = x[~nan]
    hi = float(finite.max()) if len(finite) else 0.0
    lo = float(finite.min()) if len(finite) else 0.0
    # Constant runs: consecutive equal samples (NaN samples break runs).
    same = np.zeros(n, dtype=bool)
    same[1:] = (x[1:] == x[:-1]) & ~nan[1:] & ~nan[:-1]
    run_mask = same.copy()
    run_mask[:-1] |= same[1:]
    rs, re = _runs(run_mask)
    long_min = max(round(fs_hz), 3)
    long = (re - rs) >= long_min
    const = np.zeros(n, dtype=bool)
    const_rail = np.zeros(n, dtype=bool)
    for s, e in zip(rs[long], re[long], strict=True):  # loop per long run, few of them
        const[s:e] = True
        if x[s] in (hi, lo) or x[s] == 0.0:
            const_rail[s:e] = True
    const_frac = np.add.reduceat(const.astype(np.float64), starts) / lengths
    const_at_rail = np.add.reduceat(const_rail.astype(np.float64), starts) > 0

    # Clipping: short repeated runs at the rail (>= 3 samples), not the long flat runs.
    # A rail counts only if samples pile up on it: many more samples exactly at the
    # extreme than within the next 1 % of the range (a natural extreme is passed
    # through, a saturated one is sat on).
    at_rail = np.zeros(n, dtype=bool)
    span = hi - lo
    for rail, sign in ((hi, -1.0), (lo, 1.0)):
        on = (x == rail) & ~nan
        near = (sign * (x - rail) > 0) & (sign * (x - rail) <= 0.01 * span)
        if span > 0 and on.sum() >= 3 and on.sum() >= 4 * near.sum():
            at_rail |= on
    cs, ce = _runs(at_rail)
    keep = ((ce - cs) >= 3) & ((ce - cs) < long_min)
    clip = np.zeros(n + 1, dtype=np.int64)
    np.add.at(clip, cs[keep], 1)
    np.add.at(clip, ce[keep], -1)
    clip_mask = np.cumsum(clip[:-1]) > 0
    rail_frac = np.add.reduceat(clip_mask.astype(np.float64), starts) / lengths
    run_start = np.zeros(n, dtype=np.float64)
    run_start[cs[keep]] = 1.0
    rail_runs = np.add.reduceat(run_start, starts).astype(np.intp)

    f = filtered
    s1 = np.add.reduceat(f, starts)
    s2 = np.add.reduceat(f * f, starts)
    mean = s1 / lengths
    var = np.maximum(s2 / lengths - mean**2, 0.0)
    if kurtosis:
        f_c = f - np.repeat(mean, lengths)
        f_c *= f_c
        m4 = np.add.reduceat(f_c * f_c, starts) / lengths
        with np.errstate(divide="ignore", invalid="ignore"):
            kurt = np.where(var > 0, m4 / np.maximum(var, 1e-300) ** 2, 0.0)
    else:
        kurt = np.full(len(starts), np.nan)
    return WindowStats(starts, lengths, nan_frac, const_frac, const_at_rail, rail_frac,
                       rail_runs, np.sqrt(var), kurt)


def spectral_purity(filtered: FloatArray, fs_hz: float, starts: IntArray,
                    lengths: IntArray) -> FloatArray:
    """Share of 0.5–8 Hz power near the dominant pulse frequency and its 2nd harmonic.

    A clean pulse wave is a periodic signal: most of its power sits in narrow lines at the
    pulse rate and its harmonics. Motion spreads power over the band.
    """
    out = np.zeros(len(starts))
    win = int(lengths.min()) if len(lengths) else 0
    if win < int(4 * fs_hz):
        return out + 1.0
    seg = np.lib.stride_tricks.sliding_window_view(filtered, win)[starts]
    seg = seg - seg.mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.rfft(seg * np.hanning(win), axis=1)) ** 2
    freqs = np.fft.rfftfreq(win, 1.0 / fs_hz)
    band = (freqs >= 0.5) & (freqs <= 8.0)
    total = spec[:, band].sum(axis=1)
    search = (freqs >= 0.6) & (freqs <= 3.5)
    idx_search = np.flatnonzero(search)
    f0 = freqs[idx_search[np.argmax(spec[:, search], axis=1)]]
    half = 0.15
    near = (np.abs(freqs[None, :] - f0[:, None]) <= half) | (
        np.abs(freqs[None, :] - 2 * f0[:, None]) <= half
    )
    line = (spec * near * band[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, line / total, 0.0)
    return np.asarray(out, dtype=np.float64)


def template_sqi(filtered: FloatArray, fs_hz: float, beat_idx: IntArray, starts: IntArray,
                 lengths: IntArray) -> FloatArray:
    """Mean correlation of each window's beats with that window's average beat.

    After Orphanidou et al. (2015) IEEE J Biomed Health Inform 19:832. Windows holding far
    fewer beats than the recording's median rate implies score 0; windows with fewer than
    three beats (but not suspiciously few) score NaN (undecided).
    """
    n = len(filtered)
    n_win = len(starts)
    out = np.full(n_win, np.nan)
    beat_idx = np.asarray(beat_idx, dtype=np.intp)
    beat_idx = beat_idx[(beat_idx >= 0) & (beat_idx < n)]
    if len(beat_idx) < 3:
        return out
    rr = np.diff(beat_idx)
    med = float(np.median(rr))
    half = max(int(0.5 * med), 2)
    ok = (beat_idx - half >= 0) & (beat_idx + half < n)
    b = beat_idx[ok]
    win_of = np.searchsorted(starts, b, side="right") - 1
    counts = np.bincount(win_of, minlength=n_win)
    expected = lengths / med
    if len(b) == 0:
        return np.where(expected >= 2, 0.0, out)
    segs = filtered[b[:, None] + np.arange(-half, half + 1)[None, :]]
    segs = segs - segs.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(segs, axis=1, keepdims=True)
    segs = segs / np.where(norms > 0, norms, 1.0)
    tmpl = np.zeros((n_win, segs.shape[1]))
    np.add.at(tmpl, win_of, segs)
    tmpl -= tmpl.mean(axis=1, keepdims=True)
    tn = np.linalg.norm(tmpl, axis=1, keepdims=True)
    tmpl = tmpl / np.where(tn > 0, tn, 1.0)
    corr = np.einsum("ij,ij->i", segs, tmpl[win_of])
    sums = np.bincount(win_of, weights=corr, minlength=n_win)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_corr = sums / counts
    out = np.where(counts >= 3, mean_corr, np.nan)
    out = np.where(counts < 0.4 * expected, 0.0, out)
    return np.asarray(out, dtype=np.float64)
