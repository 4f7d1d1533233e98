"""QRS feature and candidate peaks of the ECG detector, computed chunk by chunk.

The recording is block-averaged to a working rate of 100-200 Hz, band-passed
(Butterworth, zero phase), differentiated, squared and smoothed by a moving average
(the energy/slope feature of Pan & Tompkins, 1985). Local maxima of that feature are the
beat candidates; their selection happens in :mod:`hrv.detect._ecg_select`.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

from hrv._dsp import WorkingSignal, block_mean, fill_missing, map_chunks, working_factor

__all__ = ["Candidates", "Runs", "compute_candidates"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Float32Array = npt.NDArray[np.float32]

BAND_HZ = (5.0, 20.0)
FEATURE_WINDOW_S = 0.10
REFRACTORY_S = 0.20
LEVEL_WINDOW_S = 2.0
CHUNK_WORK_SAMPLES = 1 << 19  # ~70-90 min at the working rate: bounds memory
PAD_S = 4.0
FLAT_MIN_S = 0.3


@lru_cache(maxsize=16)
def _bandpass(fs_work: float) -> tuple[npt.NDArray[np.float32], int]:
    """Band-pass sections (float32) and their group delay in samples near 10 Hz.

    One causal pass costs half of a zero-phase one; its delay is nearly constant over
    the QRS band and is subtracted from the candidate positions.
    """
    hi = min(BAND_HZ[1], 0.45 * fs_work)
    sos = signal.butter(2, [BAND_HZ[0], hi], btype="bandpass", fs=fs_work, output="sos")
    _, gd = signal.group_delay(signal.sos2tf(sos), w=[10.0], fs=fs_work)
    return np.asarray(sos, dtype=np.float32), round(float(gd[0]))


@dataclasses.dataclass(frozen=True)
class Runs:
    """Half-open sample ranges ``[start, end)`` at the working rate, with a reason each."""

    start: IntArray
    end: IntArray
    reason: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Candidates:
    """Local maxima of the QRS feature over the whole recording.

    ``index`` is at the working rate; ``height`` the feature value there; ``level`` the
    largest feature value within +-1 s (a local beat-amplitude estimate).
    """

    index: IntArray
    height: FloatArray
    level: FloatArray
    runs: Runs
    fs_work: float
    factor: int
    n_work: int
    work: WorkingSignal | None = None


def _runs(mask: npt.NDArray[np.bool_], min_len: int) -> tuple[IntArray, IntArray]:
    """Start/end of the ``True`` runs of ``mask`` that are at least ``min_len`` long."""
    if not mask.any():
        e = np.empty(0, dtype=np.int64)
        return e, e
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
    starts, ends = edges[0::2], edges[1::2]
    keep = (ends - starts) >= min_len
    return starts[keep].astype(np.int64), ends[keep].astype(np.int64)


def _chunk(
    x: npt.NDArray[np.generic], k: int, fs_work: float, lo: int, hi: int, pad: int, n_work: int,
    work_out: Float32Array | None = None,
) -> tuple[IntArray, FloatArray, list[tuple[int, int, str]]]:
    """Candidates whose working index lies in ``[lo, hi)``, from a padded chunk."""
    a = max(0, lo - pad)
    b = min(n_work, hi + pad)
    w = block_mean(x[a * k : b * k], k)
    runs: list[tuple[int, int, str]] = []
    nan = fill_missing(w)
    if work_out is not None:
        work_out[lo:hi] = w[lo - a: hi - a]
    if nan is not None:
        s, e = _runs(nan, 1)
        runs += [(int(i) + a, int(j) + a, "missing_data") for i, j in zip(s, e, strict=True)]
    flat = (w[1:] - w[:-1]) == 0  # np.diff
    if nan is not None:
        flat &= ~nan[1:]
    s, e = _runs(flat, max(2, round(FLAT_MIN_S * fs_work)))
    if s.size:
        top, bottom = float(np.max(w)), float(np.min(w))
        for i, j in zip(s, e, strict=True):
            v = w[i]
            reason = "clipping" if v in (top, bottom) and (j - i) < 2 * fs_work else "flat_line"
            runs.append((int(i) + a, int(j) + 1 + a, reason))
    sos, delay = _bandpass(fs_work)
    w -= w[0]  # start the causal filter near rest
    y = signal.sosfilt(sos, w)
    del w
    d = np.empty_like(y)
    d[1:-1] = y[2:] - y[:-2]
    d[0] = d[-1] = 0.0
    del y
    np.square(d, out=d)
    f = ndimage.uniform_filter1d(d, max(1, round(FEATURE_WINDOW_S * fs_work)), output=d)
    pk, _ = signal.find_peaks(f, distance=max(1, round(REFRACTORY_S * fs_work)))
    pos = pk - delay + a
    core = (pos >= lo) & (pos < hi)
    heights = f[pk[core]].astype(np.float64)
    return pos[core].astype(np.int64), heights, runs


def compute_candidates(x: npt.NDArray[np.generic], fs_hz: float, *, keep_work: bool = False
                       ) -> Candidates:
    """Beat candidates of the whole recording, processed in overlapping chunks.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The raw ECG (any numeric dtype; NaN marks missing samples).
    fs_hz : float
        Sampling rate in Hz.
    keep_work : bool
        Also return the working-rate signal (:class:`WorkingSignal`).
    """
    k = working_factor(fs_hz)
    fs_work = fs_hz / k
    n_work = len(x) // k
    pad = round(PAD_S * fs_work)
    work = np.empty(n_work, dtype=np.float32) if keep_work else None
    # Chunks are independent (each reads its own padded slice and writes its own part
    # of ``work``): they run on the available threads, results joined in chunk order.
    parts = map_chunks(
        lambda lo: _chunk(x, k, fs_work, lo, min(n_work, lo + CHUNK_WORK_SAMPLES), pad,
                          n_work, work),
        range(0, n_work, CHUNK_WORK_SAMPLES))
    merged = _merge_runs([r for _, _, rs in parts for r in rs])
    index = np.concatenate([i for i, _, _ in parts])
    height = np.concatenate([h for _, h, _ in parts])
    return Candidates(
        index=index,
        height=height,
        level=_window_max(index, height, round(LEVEL_WINDOW_S / 2 * fs_work)),
        runs=merged,
        fs_work=fs_work,
        factor=k,
        n_work=n_work,
        work=WorkingSignal(work, k, fs_work) if work is not None else None,
    )


def _window_max(index: IntArray, height: FloatArray, half: int) -> FloatArray:
    """Largest candidate height within +-``half`` working samples of each candidate.

    Candidates are at least the refractory period apart, so a few shifted comparisons
    over the candidate arrays replace a sliding maximum over the whole signal.
    """
    out = height.copy()
    n = index.size
    if n < 2:
        return out
    max_shift = math.ceil(half / max(1, int((index[1:] - index[:-1]).min()))) + 1
    for s in range(1, min(n, max_shift + 1)):
        near = (index[s:] - index[:-s]) <= half
        np.maximum(out[s:], np.where(near, height[:-s], 0.0), out=out[s:])
        np.maximum(out[:-s], np.where(near, height[s:], 0.0), out=out[:-s])
        if not near.any():
            # The indices are sorted: no pair farther apart is near either, and the
            # remaining shifts would only repeat this one's maximum with 0.
            break
    return out


def _merge_runs(runs: list[tuple[int, int, str]]) -> Runs:
    """Sort runs and merge overlapping ones of the same reason (chunk overlaps)."""
    runs = sorted(set(runs))
    out: list[list[int | str]] = []
    for s, e, r in runs:
        if out and out[-1][2] == r and s <= int(out[-1][1]):
            out[-1][1] = max(int(out[-1][1]), e)
        else:
            out.append([s, e, r])
    return Runs(
        start=np.array([int(o[0]) for o in out], dtype=np.int64),
        end=np.array([int(o[1]) for o in out], dtype=np.int64),
        reason=tuple(str(o[2]) for o in out),
    )
