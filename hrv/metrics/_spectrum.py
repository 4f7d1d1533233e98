"""Private spectral helpers: gap-aware stretches, Welch and Lomb PSDs (reading bands off
a PSD is :mod:`hrv.metrics._bands`)."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from hrv._dsp import GridSpline, sliding_rows
from hrv.config import Detrend, Interpolation, SpectrumConfig
from hrv.errors import InvalidInputError
from hrv.metrics._shared import MAX_GRID as GRID_MEMO_MAX
from hrv.metrics._shared import grid_values, shared
from hrv.types import FloatArray, Intervals

#: Lomb–Scargle frequency grid spacing is ``1 / (LOMB_OVERSAMPLING * segment length)``.
LOMB_OVERSAMPLING = 4
#: Highest frequency of the Lomb–Scargle grid in Hz (above every HRV band and the RSA search).
LOMB_MAX_HZ = 0.5

IntArray = npt.NDArray[np.intp]

#: Welch segments transformed at a time (keeps the temporaries in cache).
WELCH_CHUNK = 64


@functools.lru_cache(maxsize=16)
def _taper(window: str, nperseg: int) -> FloatArray:
    """The Welch taper (read-only, cached per window name and length).

    The default Hann taper is computed here (the periodic form, identical to
    ``scipy.signal.get_window("hann", n)``), so an interval analysis never loads
    ``scipy.signal``; any other window name is scipy's.
    """
    if window in ("hann", "hanning"):
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
    else:
        from scipy import signal  # loads on first use

        w = np.asarray(signal.get_window(window, nperseg), dtype=np.float64)
    w.flags.writeable = False
    return w


@functools.lru_cache(maxsize=16)
def _centred(n: int) -> tuple[FloatArray, float]:
    """Sample positions ``0 .. n - 1`` centred on zero (read-only) and their sum of
    squares, cached per segment length (for the linear detrend)."""
    tc = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    tc.flags.writeable = False
    return tc, _dot(tc, tc)


@functools.lru_cache(maxsize=16)
def _density_scale(window: str, nperseg: int, fs: float) -> tuple[FloatArray, FloatArray]:
    """The one-sided density scaling of each bin, as ``scipy.signal.welch(scaling=
    "density")``, and the bin frequencies; read-only, cached per design."""
    taper = _taper(window, nperseg)
    scale = np.full(nperseg // 2 + 1, 2.0 / (fs * _dot(taper, taper)))
    scale[0] /= 2.0
    if nperseg % 2 == 0:
        scale[-1] /= 2.0
    freq = np.asarray(np.fft.rfftfreq(nperseg, d=1.0 / fs), dtype=np.float64)
    scale.flags.writeable = False
    freq.flags.writeable = False
    return scale, freq


def _dot(a: FloatArray, b: FloatArray) -> float:
    """Inner product without BLAS: on a busy host, waking BLAS threads for a vector
    product can cost milliseconds, more than the arithmetic."""
    return float(np.einsum("i,i->", a, b))


@dataclasses.dataclass(frozen=True)
class Stretches:
    """Contiguous stretches of an NN series, split at gaps longer than the bridge limit.

    ``start[k]:stop[k]`` indexes the intervals of stretch ``k``; ``duration_s[k]`` is the
    time it covers (from the beat that starts its first interval to its last beat).
    """

    start: IntArray
    stop: IntArray
    duration_s: FloatArray
    n_bridged: int
    n_split: int

    @property
    def longest_s(self) -> float:
        return float(self.duration_s.max()) if self.duration_s.size else 0.0


def split_stretches(nn: Intervals, max_bridged_gap_s: float) -> Stretches:
    """Split ``nn`` wherever a gap is longer than ``max_bridged_gap_s`` seconds.

    A flagged gap before interval ``i`` leaves a hole from the previous beat
    ``t_s[i-1]`` to the beat that starts interval ``i`` (``t_s[i] - rr_ms[i] / 1000``).
    Short holes (typically one or two dropped ectopic intervals) are bridged; longer
    ones split the series, and nothing is ever interpolated across them. Within
    :func:`~hrv.metrics.shared_resampling` the stretches of one series are found once
    (their arrays are then read-only).
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    t = np.asarray(nn.t_s, dtype=np.float64)
    gap = np.asarray(nn.gap_before, dtype=bool)
    if rr.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return Stretches(empty, empty, np.zeros(0), 0, 0)
    key = ("stretches", rr.tobytes(), t.tobytes(), gap.tobytes(), float(max_bridged_gap_s))
    return shared(key, lambda: _split(rr, t, gap, max_bridged_gap_s))


def _split(rr: FloatArray, t: FloatArray, gap: npt.NDArray[np.bool_],
           max_bridged_gap_s: float) -> Stretches:
    n = rr.size
    if not (np.isfinite(t).all() and np.isfinite(rr).all()):
        raise InvalidInputError("NN intervals and beat times must be finite numbers")
    if n > 1 and (t[1:] <= t[:-1]).any():  # np.diff(t) <= 0
        raise InvalidInputError("beat times of the NN series must be strictly increasing")
    flagged = gap[1:].nonzero()[0] + 1
    hole_s = (t[flagged] - rr[flagged] / 1000.0) - t[flagged - 1]
    split = flagged[hole_s > max_bridged_gap_s]
    start = np.empty(split.size + 1, dtype=np.intp)
    start[0] = 0
    start[1:] = split
    stop = np.empty(split.size + 1, dtype=np.intp)
    stop[:-1] = split
    stop[-1] = n
    duration = t[stop - 1] - (t[start] - rr[start] / 1000.0)
    for a in (start, stop, duration):
        a.flags.writeable = False
    return Stretches(start, stop, duration, int(flagged.size - split.size), int(split.size))


@dataclasses.dataclass(frozen=True)
class Psd:
    """A one-sided PSD in ms²/Hz with what went into it."""

    freq_hz: FloatArray
    psd_ms2_per_hz: FloatArray
    segment_s: float
    n_segments: int
    analysed_s: float
    excluded_s: float


@functools.lru_cache(maxsize=64)
def segment_starts(n: int, nperseg: int, step: int) -> IntArray:
    """Start samples of the Welch segments of a stretch of ``n`` samples.

    The fewest segments of ``nperseg`` samples, at most ``step`` apart, that reach the
    end of the stretch, spread evenly from its first sample to its last (rounded to whole
    samples): ``1 + ceil((n - nperseg) / step)`` segments. Where ``n - nperseg`` is a
    multiple of ``step`` these are exactly scipy's segments; otherwise the overlap is a
    little larger than requested and no data at the end is left unused (scipy drops up
    to one step: a 300-s recording with 150-s segments at 50 % overlap would lose its
    last 75 s to one sample of rounding). Shape (n_segments,); empty when ``n < nperseg``.
    Cached per arguments (read-only).
    """
    if n < nperseg:
        out = np.zeros(0, dtype=np.intp)
    elif (n_seg := 1 + -(-(n - nperseg) // step)) == 1:  # ceiling division on integers
        out = np.zeros(1, dtype=np.intp)
    else:
        out = np.round(np.linspace(0.0, float(n - nperseg), n_seg)).astype(np.intp)
    out.flags.writeable = False
    return out


def _welch_sum(
    x: FloatArray, nperseg: int, step: int, taper: FloatArray, detrend: Detrend
) -> tuple[FloatArray, int]:
    """Sum over scipy's segments (``step`` apart, the tail dropped) of
    ``|FFT(taper * detrended segment)|²`` and the segment count.

    ``x`` is the evenly sampled series; see :func:`_welch_blocks`. (The analysis itself
    spreads its segments with :func:`segment_starts`; this form is scipy's, for checks.)
    """
    n_seg = 1 + (x.size - nperseg) // step
    starts = step * np.arange(n_seg, dtype=np.intp)
    return _welch_blocks(lambda lo, hi: x[lo:hi], starts, nperseg, taper, detrend), n_seg


def _welch_blocks(
    samples: Callable[[int, int], FloatArray],
    starts: IntArray,
    nperseg: int,
    taper: FloatArray,
    detrend: Detrend,
) -> FloatArray:
    """Sum over the segments starting at ``starts`` of ``|FFT(taper * detrended segment)|²``.

    ``samples(lo, hi)`` returns samples ``lo .. hi - 1`` of the even series. The segments
    are taken ``WELCH_CHUNK`` at a time, from a sliding view of the samples they cover,
    so that every temporary stays small (in cache, no fresh pages) and the whole
    resampled series never needs to exist at once. Each segment's mean and least-squares
    slope are removed in the time domain (one matrix-vector product each); the power is
    summed with one ``einsum`` over the real and imaginary parts.
    """
    n_bins = nperseg // 2 + 1
    acc = np.zeros(2 * n_bins)
    tc, tc_norm = _centred(nperseg)
    for k0 in range(0, starts.size, WELCH_CHUNK):
        chunk = starts[k0 : k0 + WELCH_CHUNK]
        lo = int(chunk[0])
        x = samples(lo, int(chunk[-1]) + nperseg)
        block = sliding_rows(x, nperseg)[chunk - lo]
        if detrend is Detrend.NONE:
            y = block * taper
        else:
            a = np.einsum("ij->i", block) / nperseg
            y = block - a[:, None]
            if detrend is Detrend.LINEAR:
                b = np.einsum("ij,j->i", y, tc) / tc_norm
                y -= b[:, None] * tc
            y *= taper
        spec = np.fft.rfft(y, axis=1).view(np.float64)
        acc += np.einsum("ij,ij->j", spec, spec)
    return acc[0::2] + acc[1::2]


def welch_psd(nn: Intervals, parts: Stretches, cfg: SpectrumConfig) -> Psd | None:
    """Welch PSD of the NN series resampled evenly, pooled over the stretches.

    Each stretch is resampled at ``cfg.resample_hz`` (cubic spline or linear), cut into
    segments of ``min(cfg.segment_s, longest stretch)``, at most ``1 - cfg.overlap``
    segments apart and spread to reach the end of the stretch (:func:`segment_starts`),
    each segment detrended and tapered; the PSD is the mean over all segments of all
    stretches, i.e. a length-weighted average. Stretches shorter than one segment are
    left out. The segment length does not depend on the recording's length once it
    holds one segment, so two recordings of 150 s or more share one frequency grid.
    """
    fs = float(cfg.resample_hz)
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    t = np.asarray(nn.t_s, dtype=np.float64)
    n_samples = np.floor((t[parts.stop - 1] - t[parts.start]) * fs).astype(np.int64) + 1
    if n_samples.size == 0:
        return None
    nperseg = int(min(round(cfg.segment_s * fs), int(n_samples.max())))
    if nperseg < 8:
        return None
    noverlap = min(round(cfg.overlap * nperseg), nperseg - 1)
    step = nperseg - noverlap
    taper = _taper(cfg.window, nperseg)
    acc: FloatArray | None = None
    total_segments = 0
    analysed = 0.0
    for k in range(parts.start.size):
        ns = int(n_samples[k])
        if ns < nperseg:
            continue
        a, b = int(parts.start[k]), int(parts.stop[k])
        starts = segment_starts(ns, nperseg, step)
        samples: Callable[[int, int], FloatArray]
        if cfg.interpolation is Interpolation.CUBIC and b - a >= 4:
            if ns <= GRID_MEMO_MAX:
                # a short stretch: its whole grid, shared with the other segment length
                # and the breath count (the same values, see grid_values)
                samples = _slicer(grid_values(t[a:b], rr[a:b], float(t[a]), fs, ns))
            else:
                samples = GridSpline(t[a:b], rr[a:b], float(t[a]), fs, ns).values
        else:
            x = np.interp(t[a] + np.arange(ns) / fs, t[a:b], rr[a:b])
            samples = _slicer(x)
        p_sum = _welch_blocks(samples, starts, nperseg, taper, cfg.detrend)
        acc = p_sum if acc is None else acc + p_sum
        total_segments += int(starts.size)
        analysed += float(parts.duration_s[k])
    if acc is None:
        return None
    # one-sided density scaling, as scipy.signal.welch(scaling="density")
    scale, freq = _density_scale(cfg.window, nperseg, fs)
    return Psd(
        freq_hz=freq.copy(),
        psd_ms2_per_hz=acc * scale / total_segments,
        segment_s=nperseg / fs,
        n_segments=total_segments,
        analysed_s=analysed,
        excluded_s=float(parts.duration_s.sum()) - analysed,
    )


def _slicer(x: FloatArray) -> Callable[[int, int], FloatArray]:
    return lambda lo, hi: x[lo:hi]


def _detrend_uneven(t: FloatArray, y: FloatArray, detrend: Detrend) -> FloatArray:
    if detrend is Detrend.NONE:
        return y - 0.0
    if detrend is Detrend.CONSTANT or t.size < 3:
        return y - y.mean()
    tc = t - t.mean()
    slope = _dot(tc, y - y.mean()) / _dot(tc, tc)
    return y - y.mean() - slope * tc


def lomb_periodogram(t: FloatArray, y: FloatArray, df: float, n_freq: int) -> FloatArray:
    """Classic Lomb–Scargle periodogram at ``f_k = k · df``, ``k = 1..n_freq``.

    Same value as ``scipy.signal.lombscargle(t, y, 2π f, normalize=False)`` for centred
    ``y`` (``A² N / 4`` at the peak of a sinusoid of amplitude A), computed from the powers
    of ``exp(2πi · df · t)`` by repeated doubling instead of ``2 · n_freq · N``
    trigonometric calls. Shape (n_freq,).
    """
    first = np.empty((n_freq, t.size), dtype=np.complex128)
    first[0] = np.exp(2j * np.pi * df * t)
    done = 1
    while done < n_freq:  # doubling: rows done..2*done-1 from rows 0..done-1
        m = min(done, n_freq - done)
        np.multiply(first[:m], first[done - 1], out=first[done : done + m])
        done += m
    yc = np.einsum("ij,j->i", first, y)  # C + iS: sums of y cos(ωt), y sin(ωt)
    first *= first
    w2 = first.sum(axis=1)  # sums of cos(2ωt) + i sin(2ωt)
    two_tau = np.angle(w2)  # 2ωτ with tan(2ωτ) = S2 / C2
    rot = np.exp(-0.5j * two_tau)
    yr = yc * rot  # sums of y cos(ω(t-τ)) + i y sin(ω(t-τ))
    n = float(t.size)
    cc = 0.5 * n + 0.5 * np.abs(w2)
    ss = n - cc
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 0.5 * (yr.real**2 / cc + np.where(ss > 1e-12 * n, yr.imag**2 / ss, 0.0))
    return np.asarray(p, dtype=np.float64)


def lomb_psd(nn: Intervals, parts: Stretches, cfg: SpectrumConfig) -> Psd | None:
    """Averaged Lomb–Scargle PSD of the uneven NN series, scaled to ms²/Hz.

    Windows of ``T = min(cfg.segment_s, longest stretch)`` seconds, at most
    ``(1 - cfg.overlap) T`` apart and spread to reach the end of each stretch (as Welch's
    segments, :func:`segment_starts`), are taken inside each stretch (no interpolation, no
    taper; small bridged holes simply leave the sampling uneven). For a window with ``N``
    beats scipy's unnormalised periodogram of a sinusoid of amplitude ``A`` peaks at
    ``A² N / 4``; multiplying by ``2 T / N`` gives a one-sided density whose integral over
    the peak is ``A² / 2`` ms², the same scale as Welch.
    """
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    t = np.asarray(nn.t_s, dtype=np.float64)
    if parts.start.size == 0:
        return None
    seg = min(float(cfg.segment_s), parts.longest_s)
    if seg <= 0:
        return None
    df = 1.0 / (LOMB_OVERSAMPLING * seg)
    freq = np.asarray(df * np.arange(1, math.floor(LOMB_MAX_HZ / df) + 1), dtype=np.float64)
    step = seg * (1.0 - cfg.overlap)
    acc = np.zeros_like(freq)
    n_windows = 0
    analysed = 0.0
    for k in range(parts.start.size):
        dur = float(parts.duration_s[k])
        # a tolerance of 1 ms lets a stretch exactly one window long be used
        if dur + 1e-3 < seg:
            continue
        a, b = int(parts.start[k]), int(parts.stop[k])
        tk, yk = t[a:b], rr[a:b]
        t0 = tk[0] - yk[0] / 1000.0
        n_win = 1 + max(0, math.ceil((dur - seg) / step - 1e-9))
        w0 = t0 + np.linspace(0.0, max(dur - seg, 0.0), n_win)
        lo = np.searchsorted(tk, w0, side="left")
        hi = np.searchsorted(tk, w0 + seg + 1e-9, side="right")
        for i0, i1 in zip(lo, hi, strict=True):
            if i1 - i0 < 4:
                continue
            tw, yw = tk[i0:i1], _detrend_uneven(tk[i0:i1], yk[i0:i1], cfg.detrend)
            p = lomb_periodogram(tw - tw[0], yw, df, freq.size)
            acc += p * (2.0 * seg / (i1 - i0))
            n_windows += 1
        analysed += dur
    if n_windows == 0:
        return None
    return Psd(
        freq_hz=freq,
        psd_ms2_per_hz=acc / n_windows,
        segment_s=seg,
        n_segments=n_windows,
        analysed_s=analysed,
        excluded_s=float(parts.duration_s.sum()) - analysed,
    )
