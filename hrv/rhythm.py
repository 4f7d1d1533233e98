"""Rhythm screening: is HRV interpretable for this recording at all?

HRV markers assume sinus rhythm. In atrial fibrillation the RR series is irregularly
irregular and RMSSD measures the arrhythmia, not vagal tone; with many ectopic beats the
NN series is too fragmented. Both are flagged, never silently measured.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from hrv.types import BoolArray, FloatArray, QualityWarning

__all__ = ["screen_rhythm"]

WINDOW_BEATS = 64
STEP_BEATS = 32
NRMSSD_MIN = 0.10
SHANNON_MIN = 0.70
TPR_RANGE = (0.54, 0.77)
AF_WINDOW_SHARE = 0.30
ECTOPIC_MAX_SHARE = 0.10
# Respiratory sinus arrhythmia is periodic: a window whose RR series correlates with
# itself shifted by one breath (2-12 beats) above this is sinus rhythm, however large
# and fast the modulation (3 beats per breath defeat the turning-point ratio).
PERIODIC_AUTOCORR = 0.5
PERIODIC_LAGS = (2, 12)
#: Windows sorted at a time for the histogram entropy.
_CHUNK = 1024


def _clean_intervals(rr: FloatArray, normal: BoolArray | None) -> FloatArray:
    """Intervals between two normal beats (``normal`` per beat or per interval)."""
    if normal is None:
        return rr
    if len(normal) == len(rr) + 1:
        keep = normal[1:] & normal[:-1]
    elif len(normal) == len(rr):
        keep = normal
    else:
        return rr
    return rr[keep]


def _af_windows(rr: FloatArray) -> BoolArray:
    """AF-like flag per window of ``WINDOW_BEATS`` intervals (Dash et al. 2009).

    The per-interval quantities (squared successive differences, turning points) are
    computed once for the whole series and averaged over strided window views; only
    the histogram entropy needs each window sorted, done ``_CHUNK`` windows at a time.
    """
    n = len(rr)
    if n < WINDOW_BEATS // 2:
        return np.zeros(0, dtype=bool)
    win = min(WINDOW_BEATS, n)
    n_win = (n - win) // STEP_BEATS + 1
    seg = _window_rows(rr, win)
    # (row means as ndarray.mean takes them: the sums over the count, in place)
    mean = np.add.reduce(seg, axis=1)
    mean /= win
    d2 = rr[1:] - rr[:-1]
    d2 *= d2
    ms = np.add.reduce(_window_rows(d2, win - 1), axis=1)
    ms /= win - 1
    nrmssd = np.sqrt(ms) / mean
    # Turning point ratio: share of interior points that are a local extremum.
    a, b, c = rr[:-2], rr[1:-1], rr[2:]
    turning = ((b > a) & (b > c)) | ((b < a) & (b < c))
    tpr = np.add.reduce(_window_rows(turning, win - 2), axis=1, dtype=np.float64)
    tpr /= win - 2
    ent = np.empty(n_win)
    for w0 in range(0, n_win, _CHUNK):
        ent[w0 : w0 + _CHUNK] = _entropy(seg[w0 : w0 + _CHUNK], win)
    tpr_ok = (tpr >= TPR_RANGE[0]) & (tpr <= TPR_RANGE[1])
    af = (nrmssd > NRMSSD_MIN) & (ent > SHANNON_MIN) & tpr_ok
    if af.any():
        af[af] = ~_periodic(seg[af])
    return np.asarray(af, dtype=bool)


def _window_rows(x: npt.NDArray[Any], width: int) -> npt.NDArray[Any]:
    """Windows of ``width`` values every ``STEP_BEATS``, as read-only rows of a strided
    view (``sliding_window_view(x, width)[::STEP_BEATS]`` without its argument
    handling); ``len(x) >= width``."""
    step = x.strides[0]
    rows = (len(x) - width) // STEP_BEATS + 1
    return as_strided(x, (rows, width), (STEP_BEATS * step, step), writeable=False)


def _periodic(seg: FloatArray) -> BoolArray:
    """Per window: the largest autocorrelation over lags of ``PERIODIC_LAGS`` beats
    exceeds ``PERIODIC_AUTOCORR`` (a breathing rhythm; atrial fibrillation has none)."""
    d = seg - seg.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", d, d)
    win = seg.shape[1]
    best = np.full(seg.shape[0], -1.0)
    for lag in range(PERIODIC_LAGS[0], min(PERIODIC_LAGS[1], win // 2) + 1):
        c = np.einsum("ij,ij->i", d[:, lag:], d[:, :-lag]) * win / (win - lag)
        np.maximum(best, c / np.maximum(var, 1e-12), out=best)
    return np.asarray(best > PERIODIC_AUTOCORR, dtype=bool)


def _entropy(seg: FloatArray, win: int) -> FloatArray:
    """Shannon entropy of each window's RR histogram (16 bins) without its 8 extremes."""
    trimmed = np.sort(seg, axis=1)[:, 4:-4] if win > 16 else np.sort(seg, axis=1)
    lo = trimmed[:, :1]
    span = np.maximum(trimmed[:, -1:] - lo, 1e-9)
    scaled = trimmed - lo  # 16 (v - lo) / span, in place
    scaled *= 16
    scaled /= span
    bins = scaled.astype(np.intp)
    np.minimum(bins, 15, out=bins)
    m, k = bins.shape
    bins += 16 * np.arange(m)[:, None]
    counts = np.bincount(bins.ravel(), minlength=16 * m).reshape(m, 16)
    # Every window has k values, so p = count / k: p log p from a table of the k + 1
    # possible counts (0 log 0 = 0).
    ent = -_plogp(k)[counts].sum(axis=1) / np.log(16.0)
    return np.asarray(ent, dtype=np.float64)


@functools.lru_cache(maxsize=8)
def _plogp(k: int) -> FloatArray:
    """``p log p`` for ``p = c / k``, ``c = 0 .. k`` (``0 log 0 = 0``); read-only, cached
    per window size."""
    p = np.arange(k + 1) / float(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = np.where(p > 0, p * np.log(p), 0.0)
    table.flags.writeable = False
    return table


def screen_rhythm(
    rr_ms: npt.ArrayLike, normal: npt.ArrayLike | None = None
) -> tuple[QualityWarning, ...]:
    """Flag atrial-fibrillation-like irregularity and a high ectopic burden.

    Parameters
    ----------
    rr_ms : array_like, shape (n,)
        Beat-to-beat intervals in milliseconds (non-finite and non-positive values are
        ignored).
    normal : array_like of bool, shape (n + 1,) or (n,), optional
        Per-beat (or per-interval) classification, ``True`` = normal-looking beat.
        Intervals touching a non-normal beat are left out of the AF test, so ectopic
        beats with compensatory pauses do not mimic AF.

    Returns
    -------
    tuple of QualityWarning
        ``"possible_atrial_fibrillation"`` and/or ``"high_ectopic_burden"``; empty
        when neither applies.

    Notes
    -----
    AF test after Dash et al. (2009) Ann Biomed Eng 37:1701: in windows of 64
    intervals (step 32), an AF-like window has normalised RMSSD (RMSSD / mean RR)
    > 0.10, normalised Shannon entropy of the 16-bin RR histogram (8 extreme values
    dropped) > 0.70, and a turning-point ratio within 0.54–0.77 (that of a random
    series; respiratory sinus arrhythmia is periodic and falls below). The recording is
    flagged when at least 30 % of its windows are AF-like. It needs at least 32
    intervals. High ectopic burden: more than 10 % non-normal beats.
    """
    rr = np.asarray(rr_ms, dtype=np.float64).ravel()
    good = np.isfinite(rr) & (rr > 0)
    norm: BoolArray | None = None
    if normal is not None:
        norm = np.asarray(normal, dtype=bool).ravel()
        if len(norm) in (len(rr), len(rr) + 1) and not good.all():
            # keep the classification aligned with the intervals that are kept
            norm = norm[good] if len(norm) == len(rr) else None
    if not good.all():
        rr = rr[good]
    out: list[QualityWarning] = []
    windows = _af_windows(_clean_intervals(rr, norm))
    af_share = np.count_nonzero(windows) / len(windows) if len(windows) else 0.0  # .mean()
    if len(windows) and af_share >= AF_WINDOW_SHARE:
        out.append(QualityWarning(
            "possible_atrial_fibrillation",
            f"the rhythm is irregularly irregular in {100 * af_share:.0f}% of the "
            "recording, as in atrial fibrillation; HRV is not interpretable here "
            "(this is a screening flag, not a diagnosis: see a physician)",
        ))
    if normal is not None:
        flags = np.asarray(normal, dtype=bool).ravel()
        if len(flags):
            share = 1.0 - np.count_nonzero(flags) / len(flags)  # 1 - flags.mean()
            if share > ECTOPIC_MAX_SHARE:
                out.append(QualityWarning(
                    "high_ectopic_burden",
                    f"{100 * share:.0f}% of beats are ectopic or abnormal (limit "
                    f"{100 * ECTOPIC_MAX_SHARE:.0f}%); HRV is not interpretable here",
                ))
    return tuple(out)
