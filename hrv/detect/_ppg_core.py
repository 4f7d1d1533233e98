"""Pulse detection and fiducial points on a band-passed PPG (array code, no per-sample loop).

Detection adapts Elgendi et al. (2013) PLoS ONE 8:e76585 ("two event-related moving
averages") to the systolic upstroke: the positive part of the first derivative of the
band-passed pulse wave is squared, a short moving average (one upstroke, 111 ms) is
compared with a long one (one beat, 667 ms) plus an offset, and each block where the
short average is above is a candidate upstroke.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from hrv.types import ExcludedWindow, FloatArray

__all__ = [
    "FIDUCIAL_AGREE_MS",
    "fiducials",
    "find_pulses",
    "outlier_pulse_windows",
    "pulse_confidence",
]

IntArray = npt.NDArray[np.intp]

MIN_INTERVAL_S = 0.27  # 222 beats/min: faster pulses are not physiological at rest
# An upstroke under 0.3x as steep as those of its neighbours is a dicrotic wave or a
# noise bump, not a pulse; the small pulses of a damped, alternating pulse wave still
# reach about half the neighbours' steepness (PhysioNet/CinC 2015 a103l).
MIN_REL_SLOPE = 0.3
_SLOPE_NEIGHBOURS = 9
_RHYTHM_TOL = 0.15  # a pulse within 15 % of the local interval keeps the rhythm
# Two fiducials of one pulse "agree" when their distance is within 5 ms of its median
# over the 8 neighbouring pulses: a pulse time off by 5 ms moves the two successive
# differences next to it by 5-10 ms, more than the whole RMSSD of a resting ICU patient.
FIDUCIAL_AGREE_MS = 5.0


def _moving_average(x: FloatArray, width: int) -> FloatArray:
    """Centred moving average of ``width`` samples (shorter at the edges)."""
    n = len(x)
    width = min(max(int(width), 1), n)
    c = np.empty(n + 1)
    c[0] = 0.0
    np.cumsum(x, out=c[1:])
    half = width // 2
    out = np.empty(n)
    # interior: full windows
    lo_start = half
    hi_end = n - (width - half) + 1
    if hi_end > lo_start:
        out[lo_start:hi_end] = (c[width:] - c[:-width])[: hi_end - lo_start] / width
    # edges: truncated windows
    head = np.arange(min(lo_start, n))
    hi = np.minimum(head - half + width, n)
    out[head] = c[hi] / np.maximum(hi, 1)
    tail = np.arange(max(hi_end, lo_start), n)
    lo = np.maximum(tail - half, 0)
    out[tail] = (c[n] - c[lo]) / np.maximum(n - lo, 1)
    return out


def _block_argmax(sig: FloatArray, blocks: npt.NDArray[np.bool_], min_len: int) -> IntArray:
    """Index of the maximum of ``sig`` inside each run of ``True`` at least ``min_len`` long."""
    d = np.diff(blocks.astype(np.int8), prepend=0, append=0)
    bs, be = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = (be - bs) >= max(min_len, 1)
    bs, be = bs[keep], be[keep]
    if len(bs) == 0:
        return np.empty(0, dtype=np.intp)
    # argmax inside each block, for all blocks at once
    lengths = be - bs
    offsets = np.cumsum(lengths) - lengths
    idx = np.arange(lengths.sum()) - np.repeat(offsets - bs, lengths)
    vals = sig[idx]
    top = np.maximum.reduceat(vals, offsets)
    hit = np.flatnonzero(vals == np.repeat(top, lengths))
    group = np.searchsorted(offsets, hit, side="right") - 1
    first = np.flatnonzero(np.diff(group, prepend=-1) > 0)
    return np.asarray(idx[hit[first]], dtype=np.intp)


def _running_median(v: FloatArray, k: int) -> FloatArray:
    """Centred running median over ``k`` (odd) neighbours, reflected at the ends."""
    if len(v) < k:
        return np.full(len(v), float(np.median(v)) if len(v) else 0.0)
    half = k // 2
    padded = np.pad(v, half, mode="reflect")
    return np.asarray(np.median(sliding_window_view(padded, k), axis=1), dtype=np.float64)


def _neighbour_median(v: FloatArray, k: int) -> FloatArray:
    """Median of the ``k`` values either side of each value, itself left out (reflected)."""
    if len(v) <= k:
        return np.full(len(v), float(np.median(v)) if len(v) else 0.0)
    w = sliding_window_view(np.pad(v, k, mode="reflect"), 2 * k + 1)
    return np.asarray(np.median(np.delete(w, k, axis=1), axis=1), dtype=np.float64)


def find_pulses(filtered: FloatArray, fs_hz: float, beta: float = 0.02) -> IntArray:
    """Sample index of each systolic peak in a band-passed (0.5–5 Hz) PPG.

    The two event-related moving averages run on the squared positive first derivative
    (the systolic upstroke), not on the clipped signal: an upstroke is steep wherever
    the pulse sits on a drifting baseline, whereas a small pulse riding on a falling
    baseline can stay below zero after the band-pass and vanish from the clipped
    signal. Each block is one upstroke, timed at its steepest point; of two upstrokes
    closer than :data:`MIN_INTERVAL_S` the steeper is kept (a double-humped pulse is
    one beat), and upstrokes less than :data:`MIN_REL_SLOPE` times as steep as the
    running median of their neighbours are dropped (dicrotic waves, noise bumps). The
    systolic peak is the signal's maximum in the 0.25 s after the upstroke.
    """
    n = len(filtered)
    if n < 3:
        return np.empty(0, dtype=np.intp)
    dx = np.gradient(filtered)
    z = np.clip(dx, 0.0, None) ** 2
    w1 = round(0.111 * fs_hz)
    w2 = round(0.667 * fs_hz)
    ma_up = _moving_average(z, w1)
    ma_beat = _moving_average(z, w2)
    # Local offset instead of the paper's global mean(z): motion bursts inflate a global
    # mean and hide the small pulses of the quiet parts around them.
    local = _moving_average(z, round(10.0 * fs_hz))
    ups = _block_argmax(dx, ma_up > ma_beat + beta * local, w1 // 2)
    ups = _enforce_refractory(ups, dx, int(MIN_INTERVAL_S * fs_hz))
    if len(ups) == 0:
        return ups
    steep = dx[ups]
    ups = ups[steep >= MIN_REL_SLOPE * _running_median(steep, _SLOPE_NEIGHBOURS)]
    # systolic peak: maximum within 0.25 s after the upstroke, before the next upstroke
    look = max(round(0.25 * fs_hz), 1)
    nxt = np.concatenate((ups[1:], [n]))
    g = ups[:, None] + np.arange(look + 1)[None, :]
    valid = (g < nxt[:, None]) & (g < n)
    vals = np.where(valid, filtered[np.clip(g, 0, n - 1)], -np.inf)
    return np.unique(ups + np.argmax(vals, axis=1))


def _enforce_refractory(peaks: IntArray, x: FloatArray, min_gap: int) -> IntArray:
    """Drop the smaller of two peaks closer than ``min_gap`` samples (repeat until none)."""
    peaks = np.sort(peaks)
    for _ in range(20):
        if len(peaks) < 2:
            break
        close = np.diff(peaks) < min_gap
        if not close.any():
            break
        i = np.flatnonzero(close)
        smaller = np.where(x[peaks[i]] < x[peaks[i + 1]], i, i + 1)
        # one pass removes only non-overlapping pairs' smaller members
        drop = np.zeros(len(peaks), dtype=bool)
        drop[smaller] = True
        peaks = peaks[~drop]
    return peaks


def _parabolic(y_m: FloatArray, y_0: FloatArray, y_p: FloatArray) -> FloatArray:
    """Offset in samples (-0.5..0.5) of the vertex of the parabola through 3 points."""
    den = y_m - 2.0 * y_0 + y_p
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(np.abs(den) > 1e-300, 0.5 * (y_m - y_p) / den, 0.0)
    return np.clip(off, -0.5, 0.5)


def fiducials(
    filtered: FloatArray, peaks: IntArray, fs_hz: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Sub-sample times (s) of the systolic peak, maximum slope and onset of each pulse.

    Returns ``(peak_s, max_slope_s, onset_s, peak_value, onset_value)``. The onset is the
    intersecting-tangent point (tangent at the maximum upslope meets the horizontal
    through the pulse foot), which is far less noisy than the raw minimum
    (Chiu et al. 1991, Am Heart J 121:1460).
    """
    n = len(filtered)
    m = len(peaks)
    empty = np.empty(0)
    if m == 0:
        return empty, empty, empty, empty, empty
    x = filtered
    # Peak refinement on the signal.
    pk = np.clip(peaks, 1, n - 2)
    peak_s = (pk + _parabolic(x[pk - 1], x[pk], x[pk + 1])) / fs_hz
    peak_val = x[pk]
    # Foot: minimum over the preceding window (at most 0.6 s, and not before the
    # previous peak).
    look = max(round(0.6 * fs_hz), 2)
    prev = np.concatenate(([-look], peaks[:-1]))
    offs = np.arange(-look, 1)
    grid = peaks[:, None] + offs[None, :]
    valid = (grid >= np.maximum(prev, 0)[:, None]) & (grid >= 0)
    g = np.clip(grid, 0, n - 1)
    vals = np.where(valid, x[g], np.inf)
    foot = g[np.arange(m), np.argmax(-vals, axis=1)]
    foot_val = x[foot]
    # Maximum slope between foot and peak (central difference).
    dx = np.gradient(x)
    dvals = np.where(valid & (g >= foot[:, None]), dx[g], -np.inf)
    ms = g[np.arange(m), np.argmax(dvals, axis=1)]
    ms = np.clip(ms, 1, n - 2)
    ms_off = _parabolic(dx[ms - 1], dx[ms], dx[ms + 1])
    max_slope_s = (ms + ms_off) / fs_hz
    slope = dx[ms] * fs_hz  # units per second
    # Value of the signal at the refined max-slope point (linear interpolation).
    xi = np.interp(ms + ms_off, np.arange(n), x)
    with np.errstate(divide="ignore", invalid="ignore"):
        onset_s = np.where(slope > 0, max_slope_s - (xi - foot_val) / slope, foot / fs_hz)
    onset_s = np.clip(onset_s, foot / fs_hz - 0.1, max_slope_s)
    return (
        np.asarray(peak_s, dtype=np.float64),
        np.asarray(max_slope_s, dtype=np.float64),
        np.asarray(onset_s, dtype=np.float64),
        np.asarray(peak_val, dtype=np.float64),
        np.asarray(foot_val, dtype=np.float64),
    )


def outlier_pulse_windows(
    filtered: FloatArray, peaks: IntArray, peak_s: FloatArray, amplitude: FloatArray, fs_hz: float
) -> list[ExcludedWindow]:
    """Stretches around pulses that do not look like the recording's typical pulse.

    A pulse is an outlier when its foot-to-peak amplitude is over 3× or under 0.3× the
    median, or its shape correlates below 0.5 with the median pulse, unless it keeps
    the rhythm: both of its intervals within 15 % of the running median interval and
    its amplitude within 0.15–3× the median (a damped or alternating pulse, e.g. small
    pulses on a falling baseline, is a real beat; motion rarely falls on the beat).
    Each run of outliers is excluded from the previous good pulse to the next one
    (reason ``"motion"``), so no interval touching an artefact survives.
    """
    m = len(peaks)
    if m < 5:
        return []
    n = len(filtered)
    med_rr = int(np.median(np.diff(peaks)))
    half = max(med_rr // 2, 2)
    offs = np.arange(-half, half + 1)
    g = np.clip(peaks[:, None] + offs[None, :], 0, n - 1)
    segs = filtered[g]
    segs = segs - segs.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(segs, axis=1, keepdims=True)
    segs = segs / np.where(norms > 0, norms, 1.0)
    tmpl = np.median(segs, axis=0)
    tmpl = tmpl - tmpl.mean()
    tn = float(np.linalg.norm(tmpl))
    corr = segs @ (tmpl / tn) if tn > 0 else np.ones(m)
    med_amp = float(np.median(amplitude))
    bad = (corr < 0.5) | (amplitude > 3.0 * med_amp) | (amplitude < 0.3 * med_amp)
    ibi = np.diff(peak_s)
    steady = np.abs(ibi - (loc := _running_median(ibi, 9))) <= _RHYTHM_TOL * loc
    in_rhythm = np.zeros(m, dtype=bool)
    in_rhythm[1:-1] = steady[:-1] & steady[1:]
    bad &= ~(in_rhythm & (amplitude <= 3.0 * med_amp) & (amplitude >= 0.15 * med_amp))
    if not bad.any():
        return []
    d = np.diff(bad.astype(np.int8), prepend=0, append=0)
    rs, re = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    out = []
    for s, e in zip(rs, re, strict=True):  # loop per artefact run
        start = peak_s[s - 1] + 1e-6 if s > 0 else 0.0
        end = peak_s[e] - 1e-6 if e < m else n / fs_hz
        out.append(ExcludedWindow(float(start), float(end), "motion"))
    return out


def pulse_confidence(
    filtered: FloatArray,
    peaks: IntArray,
    slope_s: FloatArray,
    onset_s: FloatArray,
    amplitude: FloatArray,
    keep: npt.NDArray[np.bool_],
    fs_hz: float,
) -> dict[str, float]:
    """How far the kept pulses can be trusted for beat-to-beat timing.

    - ``template_correlation``: median correlation of each pulse (one median interval
      around its peak) with the median pulse;
    - ``amplitude_cv``: robust coefficient of variation (MAD / median) of the
      foot-to-peak amplitude;
    - ``fiducial_jitter_ms``: how much two fiducials of the same pulse disagree from beat
      to beat: the robust SD of the successive differences of (maximum slope - onset),
      divided by sqrt(2). A pulse wave whose upstroke keeps its shape moves both
      fiducials together; where they move apart, the pulse time itself is uncertain by
      about that much, and RMSSD of the pulse intervals grows by it. The spread is taken
      about zero (a steady distance has successive differences of mean zero), so a
      distance that alternates from pulse to pulse counts in full;
    - ``fiducial_agreement``: the share of kept pulses whose two fiducials agree, i.e.
      whose (maximum slope - onset) lies within :data:`FIDUCIAL_AGREE_MS` of its median
      over the 8 neighbouring pulses (the pulse itself left out, so that an alternating
      distance is not its own reference): the same question per pulse.

    NaN for fewer than 8 kept pulses.
    """
    idx = np.flatnonzero(keep)
    nan = {
        "template_correlation": np.nan,
        "amplitude_cv": np.nan,
        "fiducial_jitter_ms": np.nan,
        "fiducial_agreement": np.nan,
    }
    if idx.size < 8:
        return nan
    n = len(filtered)
    p = peaks[idx]
    med_rr = int(np.median(np.diff(p))) if p.size > 1 else 2
    half = max(med_rr // 2, 2)
    g = np.clip(p[:, None] + np.arange(-half, half + 1)[None, :], 0, n - 1)
    segs = filtered[g]
    segs = segs - segs.mean(axis=1, keepdims=True)
    segs /= np.maximum(np.linalg.norm(segs, axis=1, keepdims=True), 1e-300)
    tmpl = np.median(segs, axis=0)
    tmpl -= tmpl.mean()
    tn = float(np.linalg.norm(tmpl))
    corr = float(np.median(segs @ (tmpl / tn))) if tn > 0 else np.nan
    amp = amplitude[idx]
    med_amp = float(np.median(amp))
    cv = float(1.4826 * np.median(np.abs(amp - med_amp)) / med_amp) if med_amp > 0 else np.nan
    gap = (slope_s[idx] - onset_s[idx]) * 1000.0
    d = np.diff(gap)
    jitter = float(1.4826 * np.median(np.abs(d)) / np.sqrt(2.0))
    agree = float(np.mean(np.abs(gap - _neighbour_median(gap, 4)) <= FIDUCIAL_AGREE_MS))
    return {
        "template_correlation": corr,
        "amplitude_cv": cv,
        "fiducial_jitter_ms": jitter,
        "fiducial_agreement": agree,
    }
