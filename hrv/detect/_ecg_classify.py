"""Normal/abnormal beat classification on the raw ECG, vectorised over beats.

A beat is *abnormal in shape* when its QRS window (+-100 ms around the fiducial)
correlates poorly (Pearson, so offset and gain do not count) with the local
template (sample-wise median of the beats of its block and the neighbouring blocks), the
correlation being the best over small lags so that a slightly misplaced fiducial does not
count as another shape; or when its QRS is much wider than the template's. A beat is
*premature* when its preceding RR interval is well below the local median (or mildly so
and followed by a longer interval, the short-long pattern of atrial premature beats).
Prematurity is not judged where the rhythm itself is irregular (atrial fibrillation):
there, a short interval is the rhythm, not an ectopic beat.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hrv.detect._ecg_beats import ROW_CHUNK, block_medians, gather

__all__ = ["BeatClasses", "classify"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SHAPE_HALF_S = 0.10
LAG_S = 0.010  # best correlation over lags within +-LAG_S
CLASS_BLOCK = 64  # beats per block ...
CLASS_CONTEXT = 1  # ... whose template also uses this many neighbouring blocks per side
CORR_MIN = 0.85
WIDTH_RATIO_MAX = 1.45
PREMATURE_RATIO = 0.82
# A mildly premature beat followed by a longer interval (short-long pattern of atrial
# premature beats, whose pause is not fully compensatory) is premature too.
MILD_PREMATURE_RATIO = 0.92
SHORT_LONG_STEP = 0.18  # (next RR - this RR) / local median RR
RR_MEDIAN_BEATS = 9
# Irregular rhythm: the local median of |successive RR difference| / median RR above this.
IRREGULAR_RATIO = 0.12
RR_MEDIAN_BEATS_IRR = 21


@dataclasses.dataclass(frozen=True)
class BeatClasses:
    """Per-beat classification results (arrays of shape (n_beats,))."""

    normal: BoolArray
    abnormal_shape: BoolArray
    premature: BoolArray
    correlation: FloatArray
    width_ratio: FloatArray


def _windows(
    x: npt.NDArray[np.generic], fs_hz: float, times_s: FloatArray, stride: int
) -> tuple[FloatArray, int]:
    """Windows of +-(``SHAPE_HALF_S`` + lag) around each beat, and the lag in samples."""
    half = max(3, round(SHAPE_HALF_S * fs_hz / stride))
    lag = max(1, round(LAG_S * fs_hz / stride))
    offsets = np.arange(-half - lag, half + lag + 1, dtype=np.int64) * stride
    centre = np.rint(times_s * fs_hz).astype(np.int64)
    w = gather(x, centre, offsets)
    return w, lag


def _shape(w: FloatArray, lag: int) -> tuple[FloatArray, FloatArray]:
    """Template correlation and width ratio of every beat (block-wise templates).

    Each block's template is its median beat averaged with the neighbouring blocks'
    (``CLASS_CONTEXT`` per side); the correlation is the best over lags of +-``lag``.
    """
    n, m = w.shape
    width_n = m - 2 * lag
    core = w[:, lag : m - lag]
    slope = np.abs(np.diff(core, axis=1))
    smax = slope.max(axis=1)
    width = slope.sum(axis=1) / np.where(smax > 0, smax, 1.0)
    # One block-median call for the templates and the typical width (last column).
    med = block_medians(np.column_stack((core, width)), CLASS_BLOCK)
    if med.shape[0] > 1:
        med = ndimage.uniform_filter1d(med, 2 * CLASS_CONTEXT + 1, axis=0, mode="nearest")
    tmpl, wmed = med[:, :-1], med[:, -1]
    tmpl -= tmpl.mean(axis=1, keepdims=True)
    tmpl /= np.maximum(np.linalg.norm(tmpl, axis=1, keepdims=True), 1e-300)
    block_of = np.arange(n) // CLASS_BLOCK
    corr = np.full(n, -1.0)
    for r0 in range(0, n, ROW_CHUNK):  # row chunks: temporaries stay in the CPU caches
        r1 = min(n, r0 + ROW_CHUNK)
        tb = tmpl[block_of[r0:r1]]
        c = corr[r0:r1]
        for s in range(-lag, lag + 1):  # a few lags: loop over shifts, vectorised over beats
            r = w[r0:r1, lag + s : m - lag + s]
            dot = np.einsum("ij,ij->i", r, tb)
            s1 = r.sum(axis=1)
            var = np.einsum("ij,ij->i", r, r) - s1 * s1 / width_n
            np.maximum(c, dot / np.sqrt(np.maximum(var, 1e-300)), out=c)
    width_ratio = width / np.maximum(wmed[block_of], 1e-12)
    return corr, width_ratio


def _irregular(rr: FloatArray, abnormal: BoolArray) -> BoolArray:
    """Per interval: whether the rhythm around it is irregular (atrial fibrillation).

    Measured on the intervals between two normal-shaped beats only, so that frequent
    ventricular ectopy (bigeminy, couplets) does not pass for an irregular rhythm: the
    running median (``RR_MEDIAN_BEATS_IRR``) of the successive differences of those
    intervals, relative to their local median, above ``IRREGULAR_RATIO``.
    """
    valid = np.flatnonzero(~abnormal[:-1] & ~abnormal[1:])
    if valid.size < 3:
        return np.zeros(rr.size, dtype=bool)
    v = rr[valid]
    med = ndimage.median_filter(v, size=min(RR_MEDIAN_BEATS, v.size), mode="mirror")
    step = np.abs(np.diff(v / med))
    irr = ndimage.median_filter(step, size=min(RR_MEDIAN_BEATS_IRR, step.size), mode="mirror")
    at = np.clip(np.searchsorted(valid[1:], np.arange(rr.size)), 0, irr.size - 1)
    return np.asarray(irr[at] > IRREGULAR_RATIO)


def _premature(times_s: FloatArray, abnormal: BoolArray) -> BoolArray:
    n = times_s.size
    premature = np.zeros(n, dtype=bool)
    if n < 3:
        return premature
    rr = np.diff(times_s)
    size = min(RR_MEDIAN_BEATS, rr.size)
    # "mirror" does not repeat the edge interval: a premature last beat stays premature.
    med = ndimage.median_filter(rr, size=size, mode="mirror" if rr.size > 1 else "nearest")
    a = rr / med  # interval into beat j + 1, relative to the local median
    b = np.concatenate((a[1:], [1.0]))  # interval after beat j + 1
    early = (a < PREMATURE_RATIO) | ((a < MILD_PREMATURE_RATIO) & (b - a > SHORT_LONG_STEP))
    if early.any():
        early &= ~_irregular(rr, abnormal)
    premature[1:] = early
    return premature
    rr = np.diff(times_s)
    size = min(RR_MEDIAN_BEATS, rr.size)
    # "mirror" does not repeat the edge interval: a premature last beat stays premature.
    med = ndimage.median_filter(rr, size=size, mode="mirror" if rr.size > 1 else "nearest")
    a = rr / med  # interval into beat j + 1, relative to the local median
    b = np.concatenate((a[1:], [1.0]))  # interval after beat j + 1
    step = np.abs(np.diff(a, append=a[-1]))
    irregular = (
        ndimage.median_filter(step, size=min(RR_MEDIAN_BEATS_IRR, step.size), mode="nearest")
        > IRREGULAR_RATIO
    )
    premature[1:] = (
        (a < PREMATURE_RATIO) | ((a < MILD_PREMATURE_RATIO) & (b - a > SHORT_LONG_STEP))
    ) & ~irregular
    return premature


def classify(
    x: npt.NDArray[np.generic], fs_hz: float, times_s: FloatArray, stride: int
) -> BeatClasses:
    """Classify beats as normal-looking or not.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The raw ECG.
    fs_hz : float
        Sampling rate in Hz.
    times_s : ndarray, shape (n_beats,)
        Sorted beat fiducials in seconds.
    stride : int
        Samples of ``x`` per window sample (the detector's working-rate factor).
    """
    n = times_s.size
    if n == 0:
        e = np.empty(0, dtype=bool)
        return BeatClasses(e, e, e, np.empty(0), np.empty(0))
    w, lag = _windows(x, fs_hz, times_s, stride)
    corr, width_ratio = _shape(w, lag)
    abnormal = (corr < CORR_MIN) | (width_ratio > WIDTH_RATIO_MAX)
    premature = _premature(times_s, abnormal)
    return BeatClasses(
        normal=~(abnormal | premature),
        abnormal_shape=abnormal,
        premature=premature,
        correlation=corr,
        width_ratio=width_ratio,
    )
