"""The breathing rate of beat-by-beat modulation series: the genuine-peak rule.

Each modulation series (R amplitude, QRS area, pulse amplitude, baseline, pulse interval)
is resampled evenly and its Welch spectrum normalised (:func:`modulation_spectrum`); the
spectra of one beat train are averaged (:func:`fused_spectrum`) and the breathing rate is
the frequency of the highest *genuine* peak of the mean (:func:`genuine_peak`,
:func:`fused_rate`): a local maximum away from the search edges, standing clearly above
the spectrum's floor and above the troughs either side of it, with stricter evidence
below 8.5 breaths/min. A spectrum that simply falls with frequency gives no rate.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hrv._dsp import median_of
from hrv.types import FloatArray

__all__ = [
    "MIN_BEATS", "Spectrum", "floor_threshold", "fused_rate", "fused_spectrum",
    "genuine_peak", "modulation_spectrum", "ring_floors", "welch_linear",
]

#: Range over which the modulation spectra are computed and normalised (Hz). It reaches
#: beyond the rates that can be reported, so that a rate near 6/min (BIDMC 05 breathes
#: at 6.0-6.3/min) is an interior maximum and not the edge of the range.
BAND_HZ = (0.05, 0.7)
#: Rates that can be reported (Hz; 4-36 breaths/min): a peak must lie inside, at least
#: ``EDGE_MARGIN_HZ`` from either end of ``BAND_HZ``.
RATE_HZ = (4.0 / 60.0, 0.6)
#: About one main-lobe half-width of the 64-s Hann segment (2 / 64 s).
EDGE_MARGIN_HZ = 0.03
#: A peak counts when its height is at least ``floor_threshold`` (``PEAK_OVER_FLOOR`` ×
#: (1 + 2/sqrt(segments))) times its local floor (the median of the mean spectrum
#: between ``RING_HZ`` away on either side) and at least ``PEAK_OVER_BASE``
#: times the higher of the troughs either side of it (its topographic base): a random
#: bump of a falling spectrum rises above neither. Tuned on BIDMC 01, 03, 05 and
#: the even-indexed
#: half of the 22 non-paced MIT-BIH records (101, 108, 112, ...), with 1/f-shaped
#: modulations of even seeds; the other half is reported beside it in
#: ``benchmarks/results/respiration_edr_peak.md``.
PEAK_OVER_FLOOR = 2.3
PEAK_OVER_BASE = 1.5
#: The local floor of a peak: from two main-lobe half-widths to 0.12 Hz either side.
RING_HZ = (0.06, 0.12)
#: A rate below ``SLOW_BPM`` (the HF band's lower limit, 9/min) would declare HF power
#: invalid and silence the vagal markers, the most damaging error: it needs at least
#: ``SLOW_MIN_SEGMENTS`` averaged segments (one or two periodograms of a 1/f-shaped
#: modulation put random peaks anywhere), ``SLOW_OVER_FLOOR`` times the usual floor
#: threshold, ``SLOW_OVER_BASE`` times its base, and ``SLOW_DOMINANCE`` times the height of
#: any genuine peak at 9 breaths/min or more (true slow breathing puts most of its
#: modulation at its own rate, its harmonic lower; a Mayer wave or drift beside a normal
#: breathing peak does not dominate it). Otherwise the rate is unknown. Tuned on the
#: same half as above.
#: ``SLOW_BPM`` is the HF band's 9/min less half the 0.9/min resolution of a 64-s segment:
#: a peak within it of 9/min cannot be told from the band's edge.
SLOW_BPM = 8.5
SLOW_MIN_SEGMENTS = 3
SLOW_OVER_FLOOR = 1.5
SLOW_OVER_BASE = 3.0
SLOW_DOMINANCE = 2.0
RESAMPLE_HZ = 4.0
SEGMENT_S = 64.0
MIN_DURATION_S = 30.0
MIN_BEATS = 15


def welch_linear(y: FloatArray, nper: int, nfft: int) -> FloatArray:
    """Welch periodogram shape with linear detrend per segment (Hann, 50 % overlap).

    Equal, up to a constant factor, to ``scipy.signal.welch(y, nperseg=nper,
    noverlap=nper // 2, nfft=nfft, detrend="linear")`` away from 0 Hz and Nyquist;
    segments are detrended together in closed form instead of one least-squares fit
    per segment.
    """
    step = nper - nper // 2
    n_seg = (len(y) - nper // 2) // step
    seg = np.lib.stride_tricks.sliding_window_view(y, nper)[::step][:n_seg]
    tc = np.arange(nper) - (nper - 1) / 2.0
    # einsum, not a BLAS product: a threaded BLAS call can stall on a busy host
    slope = np.einsum("ij,j->i", seg, tc) / float(np.einsum("i,i->", tc, tc))
    seg = seg - seg.mean(axis=1, keepdims=True) - slope[:, None] * tc[None, :]
    spec = np.abs(np.fft.rfft(seg * _hann(nper), n=nfft, axis=1)) ** 2
    return np.asarray(spec.mean(axis=0), dtype=np.float64)


@lru_cache(maxsize=8)
def _hann(nper: int) -> FloatArray:
    """``scipy.signal.get_window("hann", nper)``, made once per length (read-only)."""
    from scipy import signal as sps  # loads on first use
    win = np.asarray(sps.get_window("hann", nper), dtype=np.float64)
    win.flags.writeable = False
    return win


Spectrum = tuple[FloatArray, FloatArray, int]


def modulation_spectrum(t: FloatArray, values: FloatArray) -> Spectrum | None:
    """Normalised Welch spectrum (unit area in the band) of a beat-sampled series:
    ``(freq, psd, number of segments averaged)``."""
    good = np.isfinite(values)
    t, v = t[good], values[good]
    if len(t) < MIN_BEATS or t[-1] - t[0] < MIN_DURATION_S:
        return None
    # robust outlier clip: an artefact beat must not dominate the spectrum
    med = median_of(v)
    mad = median_of(np.abs(v - med)) * 1.4826
    if mad > 0:
        v = np.clip(v, med - 4 * mad, med + 4 * mad)
    grid = np.arange(t[0], t[-1], 1.0 / RESAMPLE_HZ)
    y = np.interp(grid, t, v)
    # A linear trend over the whole series is removed by the per-segment detrend too.
    nper = min(len(y), int(SEGMENT_S * RESAMPLE_HZ))
    nfft = max(1024, nper)
    f = np.asarray(np.fft.rfftfreq(nfft, 1.0 / RESAMPLE_HZ), dtype=np.float64)
    p = welch_linear(y, nper, nfft)
    band = (f >= BAND_HZ[0]) & (f <= BAND_HZ[1])
    total = float(p[band].sum())
    if not np.isfinite(total) or total <= 0:
        return None
    n_seg = max((len(y) - nper // 2) // (nper - nper // 2), 1)
    return f[band], p[band] / total, n_seg


def fused_spectrum(spectra: list[Spectrum | None]) -> Spectrum | None:
    """Mean of the normalised spectra (those on the common grid), or ``None``; the
    segment count is the smallest of theirs (the modulations of one beat train are
    correlated, so their mean scatters about as much as one of them)."""
    good = [s for s in spectra if s is not None]
    if not good:
        return None
    f = good[0][0]
    same = [s for s in good if len(s[1]) == len(f)]
    return (f, np.asarray(np.mean([s[1] for s in same], axis=0)),
            min(s[2] for s in same))


def genuine_peak(f: FloatArray, p: FloatArray, *, rate_hz: tuple[float, float] = RATE_HZ,
                 edge_margin_hz: float = EDGE_MARGIN_HZ, n_segments: int = 1,
                 over_floor: float | None = None, over_base: float = PEAK_OVER_BASE
                 ) -> tuple[int, float, float] | None:
    """The highest genuine local maximum of ``p``: ``(index, over floor, over base)``.

    A candidate is a strict local maximum with ``rate_hz[0] <= f <= rate_hz[1]`` and at
    least ``edge_margin_hz`` from both ends of ``f``. ``over floor`` is its height over
    the local floor, the median of ``p`` between ``RING_HZ[0]`` and ``RING_HZ[1]`` away
    from it on either side (a smooth 1/f-shaped or humped spectrum has no narrow peak:
    its bumps do not rise over their neighbourhood); ``over base`` its height over the
    higher of its two bases (the lowest value between it and the nearest higher point on
    each side, or the end of the range). The floor threshold (``over_floor``, by default
    :func:`floor_threshold` of ``n_segments``) allows for the scatter of a Welch estimate
    averaging ``n_segments`` segments. Among the candidates passing both thresholds the
    highest wins; ``None`` when none passes.
    """
    if p.size < 5:
        return None
    need = floor_threshold(n_segments) if over_floor is None else over_floor
    inner = np.arange(1, p.size - 1)
    is_max = (p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:])
    fi = f[1:-1]
    is_max &= (fi >= max(rate_hz[0], f[0] + edge_margin_hz))
    is_max &= (fi <= min(rate_hz[1], f[-1] - edge_margin_hz))
    cand = inner[is_max]
    order = cand[np.argsort(-p[cand])]
    for i, floor in zip(order, ring_floors(f, p, order), strict=True):
        height = float(p[i])
        contrast = height / floor if floor > 0 else float("inf")
        if contrast < need:
            continue
        higher_left = np.flatnonzero(p[:i] > height)
        higher_right = np.flatnonzero(p[i + 1:] > height)
        a = int(higher_left[-1]) + 1 if higher_left.size else 0
        b = i + 1 + int(higher_right[0]) if higher_right.size else p.size
        base = max(float(p[a:i + 1].min()), float(p[i:b].min()))
        ratio = height / base if base > 0 else float("inf")
        if ratio >= over_base:
            return int(i), contrast, ratio
    return None


def ring_floors(f: FloatArray, p: FloatArray, at: npt.NDArray[np.intp]) -> list[float]:
    """The local floor of each peak ``at``: the median of ``p`` where ``f`` lies between
    ``RING_HZ[0]`` and ``RING_HZ[1]`` from the peak on either side (0 where none does).

    All peaks at once: one row per peak, the values outside its ring sorted last (as
    NaN), and the median read at the middle of the row's own count: the middle value,
    or the mean of the two middle values, as ``np.median`` of the ring gives."""
    if at.size == 0:
        return []
    dist = np.abs(f[None, :] - f[at][:, None])
    ring = (dist >= RING_HZ[0]) & (dist <= RING_HZ[1])
    rows = np.sort(np.where(ring, p[None, :], np.nan), axis=1)
    count = ring.sum(axis=1)
    r = np.arange(at.size)
    lo = np.maximum(count - 1, 0) // 2
    hi = np.minimum(count // 2, p.size - 1)
    floors = (rows[r, lo] + rows[r, hi]) / 2.0  # odd counts: lo == hi, (x + x) / 2 == x
    floors[count == 0] = 0.0
    out: list[float] = floors.tolist()
    return out


def floor_threshold(n_segments: int) -> float:
    """Local-contrast threshold for a Welch mean of ``n_segments`` segments:
    ``PEAK_OVER_FLOOR × (1 + 2 / sqrt(n))`` (the relative scatter of a Welch estimate
    falls as ``1 / sqrt(n)``: 6.9 for one 64-s segment, 3.9 for the eight of 5 min)."""
    return PEAK_OVER_FLOOR * (1.0 + 2.0 / math.sqrt(max(n_segments, 1)))


def fused_rate(spectra: list[Spectrum | None]) -> float | None:
    """Breathing rate (breaths/min) at the genuine peak of the mean spectrum, or ``None``.

    The highest value of the range is not enough: a spectrum that falls with frequency
    has it at the range's first bin, and calling that a rate would invent slow
    breathing (see :func:`genuine_peak`). The peak is refined by a parabola through its
    bin and its neighbours. A rate below ``SLOW_BPM`` needs the stricter evidence
    described there.
    """
    fused = fused_spectrum(spectra)
    if fused is None:
        return None
    f, p, n_seg = fused
    found = genuine_peak(f, p, n_segments=n_seg)
    if found is None:
        return None
    i = found[0]
    if 60.0 * f[i] < SLOW_BPM:
        if (n_seg < SLOW_MIN_SEGMENTS or found[1] < SLOW_OVER_FLOOR * floor_threshold(n_seg)
                or found[2] < SLOW_OVER_BASE):
            return None
        normal = genuine_peak(f, p, rate_hz=(9.0 / 60.0, RATE_HZ[1]), n_segments=n_seg)
        if normal is not None and p[i] < SLOW_DOMINANCE * p[normal[0]]:
            return None
    y0, y1, y2 = float(p[i - 1]), float(p[i]), float(p[i + 1])
    den = y0 - 2.0 * y1 + y2
    shift = 0.5 * (y0 - y2) / den if den < 0 else 0.0
    df = float(f[1] - f[0])
    return float((f[i] + min(max(shift, -0.5), 0.5) * df) * 60.0)
