"""Per-beat work on the raw ECG, vectorised over beats: sub-sample R-peak refinement and
normal/abnormal classification (morphology against a running template, prematurity)."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = ["BeatClasses", "classify", "gather", "refine_peaks"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SEARCH_HALF_S = 0.075
SMOOTH_S = 0.012  # short moving average before the extremum search (mains, EMG)
SHAPE_HALF_S = 0.10
FIDUCIAL_HALF_S = 0.05  # search half-width around the template's fiducial
# A block of beats takes the polarity opposite to the recording's when the template's
# deflection of that sign is this many times larger.
POLARITY_SWITCH = 1.5
TEMPLATE_BLOCK = 200  # beats per running-template block
CORR_MIN = 0.80
WIDTH_RATIO_MAX = 1.45
PREMATURE_RATIO = 0.82
# A mildly premature beat followed by a longer interval (short-long pattern of atrial
# premature beats, whose pause is not fully compensatory) is premature too.
MILD_PREMATURE_RATIO = 0.92
SHORT_LONG_STEP = 0.18  # (next RR - this RR) / local median RR
RR_MEDIAN_BEATS = 9


def gather(x: npt.NDArray[np.generic], centre: IntArray, offsets: IntArray) -> FloatArray:
    """Windows ``x[centre + offsets]`` (clipped at the ends), NaN replaced by the row mean."""
    pos = centre[:, None] + offsets[None, :]
    if centre.size and (centre[0] + offsets[0] < 0 or centre[-1] + offsets[-1] >= len(x)):
        np.clip(pos, 0, len(x) - 1, out=pos)
    w = np.asarray(x[pos], dtype=np.float64)
    bad = np.isnan(w)
    if bad.any():
        mean = np.nanmean(np.where(bad.all(axis=1, keepdims=True), 0.0, w), axis=1, keepdims=True)
        w = np.where(bad, np.nan_to_num(mean), w)
    return w


def _block_bounds(n: int, block: int) -> list[tuple[int, int, int]]:
    """``(start, stop, lo)`` of consecutive blocks of ``block`` beats; a short last block
    borrows earlier beats (``lo``) for its template."""
    out = []
    for start in range(0, n, block):
        stop = min(n, start + block)
        lo = max(0, stop - block) if stop - start < block // 2 else start
        out.append((start, stop, lo))
    return out


def refine_peaks(
    x: npt.NDArray[np.generic], fs_hz: float, approx: IntArray
) -> tuple[FloatArray, int]:
    """R-peak times in seconds, refined by a parabola through the local extremum.

    The beats of each block of ``TEMPLATE_BLOCK`` beats are averaged (median) into a
    template on the lightly smoothed signal; the template's largest deflection gives the
    block's QRS polarity and the fiducial's position relative to the approximate beat
    positions. Each beat's fiducial is then the extremum of that polarity within
    +-``FIDUCIAL_HALF_S`` of the template's, so a biphasic QRS does not make the
    fiducial jump between its two peaks. Returns the times and the majority polarity
    (+1 or -1).
    """
    if approx.size == 0:
        return np.empty(0), 1
    half = max(2, round(SEARCH_HALF_S * fs_hz))
    sm = max(1, round(SMOOTH_S * fs_hz)) | 1
    offsets = np.arange(-half - sm, half + sm + 1, dtype=np.int64)
    w = gather(x, approx, offsets)
    if sm > 1:
        w = ndimage.uniform_filter1d(w, sm, axis=1)
    w = w[:, sm:-sm]
    w -= np.median(w, axis=1, keepdims=True)
    n, m = w.shape
    fid = max(1, round(FIDUCIAL_HALF_S * fs_hz))
    g = 1.0 if np.median(w.max(axis=1) + w.min(axis=1)) >= 0 else -1.0
    pol = np.empty(n)
    centre = np.empty(n, dtype=np.int64)
    inner = slice(half - max(fid, half // 2), half + max(fid, half // 2) + 1)
    for start, stop, lo in _block_bounds(n, TEMPLATE_BLOCK):
        tmpl = g * np.median(w[lo:stop], axis=0)[inner]
        p = g if tmpl.max() * POLARITY_SWITCH >= -tmpl.min() else -g
        pol[start:stop] = p
        centre[start:stop] = int(np.argmax(p * g * tmpl)) + inner.start
    cols = np.arange(m)[None, :]
    allowed = np.abs(cols - centre[:, None]) <= fid
    sw = np.where(allowed, pol[:, None] * w, -np.inf)
    j = np.argmax(sw, axis=1)
    jc = np.clip(j, 1, m - 2)
    rows = np.arange(n)
    a, b, c = sw[rows, jc - 1], sw[rows, jc], sw[rows, jc + 1]
    den = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where((den < 0) & (j == jc) & np.isfinite(den), 0.5 * (a - c) / den, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    pos = approx + (jc - half).astype(np.float64) + delta
    polarity = 1 if np.sum(pol) >= 0 else -1
    return pos / fs_hz, polarity


@dataclasses.dataclass(frozen=True)
class BeatClasses:
    """Per-beat classification results (arrays of shape (n_beats,))."""

    normal: BoolArray
    abnormal_shape: BoolArray
    premature: BoolArray
    correlation: FloatArray
    width_ratio: FloatArray


def classify(
    x: npt.NDArray[np.generic], fs_hz: float, times_s: FloatArray, stride: int
) -> BeatClasses:
    """Classify beats as normal-looking or not.

    A beat is abnormal in shape when its QRS correlates poorly with the running template
    (median beat of its block of ``TEMPLATE_BLOCK`` beats) or is much wider than it, and
    premature when its preceding RR interval is well below the local median.
    """
    n = times_s.size
    if n == 0:
        e = np.empty(0, dtype=bool)
        return BeatClasses(e, e, e, np.empty(0), np.empty(0))
    half = max(3, round(SHAPE_HALF_S * fs_hz / stride))
    offsets = np.arange(-half, half + 1, dtype=np.int64) * stride
    centre = np.rint(times_s * fs_hz).astype(np.int64)
    w = gather(x, centre, offsets)
    w -= w.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(w, axis=1, keepdims=True)
    v = w / np.where(norm > 0, norm, 1.0)
    slope = np.abs(np.diff(w, axis=1))
    smax = slope.max(axis=1)
    width = slope.sum(axis=1) / np.where(smax > 0, smax, 1.0)
    corr = np.empty(n)
    width_ratio = np.empty(n)
    for start in range(0, n, TEMPLATE_BLOCK):  # loop per block of beats: cheap
        stop = min(n, start + TEMPLATE_BLOCK)
        lo = max(0, stop - TEMPLATE_BLOCK) if stop - start < TEMPLATE_BLOCK // 2 else start
        tmpl = np.median(v[lo:stop], axis=0)
        tn = float(np.linalg.norm(tmpl))
        corr[start:stop] = v[start:stop] @ tmpl / (tn if tn > 0 else 1.0)
        width_ratio[start:stop] = width[start:stop] / max(float(np.median(width[lo:stop])), 1e-12)
    abnormal = (corr < CORR_MIN) | (width_ratio > WIDTH_RATIO_MAX)
    premature = np.zeros(n, dtype=bool)
    if n >= 3:
        rr = np.diff(times_s)
        med = ndimage.median_filter(rr, size=min(RR_MEDIAN_BEATS, rr.size), mode="nearest")
        a = rr / med  # interval into beat j + 1, relative to the local median
        b = np.concatenate((a[1:], [1.0]))  # interval after beat j + 1
        premature[1:] = (a < PREMATURE_RATIO) | (
            (a < MILD_PREMATURE_RATIO) & (b - a > SHORT_LONG_STEP)
        )
    return BeatClasses(
        normal=~(abnormal | premature),
        abnormal_shape=abnormal,
        premature=premature,
        correlation=corr,
        width_ratio=width_ratio,
    )
