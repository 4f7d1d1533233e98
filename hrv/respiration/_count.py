"""Breathing rate from RR intervals in the time domain: counting RSA cycles.

Private helpers of :mod:`hrv.respiration`. The NN series is resampled evenly (cubic
spline, 4 Hz), band-passed to the breathing range and its respiratory cycles counted
with the "count-adv" rule of Schäfer & Kratky (2008): every local maximum and minimum is
an extremum; a pair of neighbouring extrema whose difference (peak-to-trough amplitude)
is below a fraction of the typical one is a ripple, not a breath, and is removed, the
smallest first; the remaining maxima mark the breaths. The rate is 60 over the mean
distance between neighbouring maxima, and the coefficient of variation of those distances
says how regular the breathing was: a steady breathing rhythm gives a low one, band-passed
noise (white or 1/f-shaped) a high one.

The estimate is independent of the spectral one (:mod:`hrv.respiration._rsa`): it sees
each breath, so breathing whose rate wanders by 10-20 % (which smears the spectral peak
over several bins) still gives a clear count, while a narrow spectral bump of noise does
not give a regular rhythm of cycles.

Reference: Schäfer A, Kratky KW (2008). Estimation of breathing rate from respiratory
sinus arrhythmia: comparison of various methods. Ann Biomed Eng 36:476-485.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hrv._dsp import percentile_linear
from hrv.config import RespirationConfig
from hrv.metrics import grid_values, split_stretches
from hrv.respiration._peak import AMBIGUITY_FACTOR, Candidate, RsaEstimate, ramp
from hrv.types import FloatArray, Intervals

__all__ = ["HF_BAND_HZ", "WIDE_BAND_HZ", "BreathCount", "check_with_count", "count_breaths"]

IntArray = npt.NDArray[np.intp]

#: Resampling rate (Hz) of the NN series (as the spectrum's 4 Hz).
FS_HZ = 4.0
#: Band-pass (Hz) for breathing inside and around the HF band: 0.13 Hz (7.8/min) keeps
#: the Mayer wave (about 0.1 Hz) largely out, 0.5 Hz (30/min) is the top of the RSA
#: search range.
HF_BAND_HZ = (0.13, 0.5)
#: Band-pass (Hz) that also passes slow breathing (3-7/min): used only to check a slow
#: spectral peak, which must be seen as steady cycles too.
WIDE_BAND_HZ = (0.04, 0.5)
#: A pair of neighbouring extrema whose difference is below this fraction of the 75th
#: percentile of all such differences is removed ("count-adv", Schäfer & Kratky 2008,
#: with 0.3; 0.2, the fraction of their "count-orig", kept more of the breaths of the
#: tuning data: BIDMC 01/03/05, nsr004, even synthetic seeds; benchmarks/results/
#: respiration_rsa.md).
AMPLITUDE_FRACTION = 0.2
#: Holes longer than this split the NN series (as in the spectrum).
MAX_BRIDGED_GAP_S = 5.0
#: Stretches shorter than this are not counted (too short for a filtered cycle).
MIN_STRETCH_S = 20.0
#: At least this many breath intervals are needed for a rate.
MIN_BREATHS = 4
#: A series longer than ``MAX_COUNTED_S`` is counted in ``N_PIECES`` evenly spread
#: windows of ``PIECE_S`` seconds.
MAX_COUNTED_S = 1800.0
N_PIECES = 6
PIECE_S = 300.0
#: A spectral candidate and the breath count agree within this many breaths/min.
AGREEMENT_BPM = 2.0
#: CV of the counted breath intervals at which the count's confidence is 1 and 0.
COUNT_CV_RANGE = (0.18, 0.28)
#: A rate outside the HF band needs a count at least this regular (paced or relaxed slow
#: breathing is steady; a Mayer wave, narrow-band noise, is not).
SLOW_COUNT_CV_MAX = 0.20
#: A weak spectral candidate is completed by the count only when it still stands out this
#: far (PSD over the median PSD of the search range).
COUNT_MIN_PROMINENCE = 3.0
#: A spectral rate inside the HF band with a confidence below this stands only when the
#: count does not put the breathing more than ``AGREEMENT_BPM`` away (the slow-rate
#: threshold of ``RespirationConfig``: red and 1/f noise give such marginal peaks).
STRONG_CONFIDENCE = 0.7
#: Beside a strong slow peak (two strong peaks, or a slow peak the count does not take
#: for breathing) the HF rhythm is the rate only with a count at least this regular.
RESOLVE_CV_MAX = 0.25
#: ... and when its spectral peak lies further than this (breaths/min, the resolution of
#: a 60-s window) from twice and three times the slow peak's rate.
HARMONIC_TOLERANCE_BPM = 1.0


@dataclasses.dataclass(frozen=True)
class BreathCount:
    """Breaths counted in the band-passed NN series.

    Attributes
    ----------
    rate_bpm : float or None
        60 over the mean distance between accepted maxima (breaths/min); ``None`` with
        fewer than ``MIN_BREATHS`` intervals.
    cv : float or None
        Coefficient of variation of the breath intervals (regularity: lower is steadier).
    n_breaths : int
        Number of breath intervals behind the rate.
    band_hz : tuple of float
        The band-pass used.
    """

    rate_bpm: float | None
    cv: float | None
    n_breaths: int
    band_hz: tuple[float, float]


def _alternating_extrema(x: FloatArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Indices of the local extrema of ``x`` (alternating) and whether each is a maximum.

    A flat run counts once, at its first sample.
    """
    d = np.sign(x[1:] - x[:-1])
    nz = d.nonzero()[0]
    if nz.size < 2:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=bool)
    s = d[nz]
    change = (s[1:] != s[:-1]).nonzero()[0]
    idx = nz[change] + 1  # first sample after the rise (or fall)
    is_max = s[change] > 0
    return idx, is_max


def _prune(values: FloatArray, threshold: float) -> npt.NDArray[np.bool_]:
    """Keep-mask of alternating extrema after removing small pairs, smallest first.

    A pair of neighbours whose absolute difference is below ``threshold`` goes; the
    sequence stays alternating. Pairs that are each the smallest among their neighbouring
    pairs are removed together in one sweep (they share no extremum), then the
    differences are recomputed: the result is that of removing them one at a time.
    """
    keep = np.ones(values.size, dtype=bool)
    while True:
        idx = keep.nonzero()[0]
        if idx.size < 3:
            return keep
        v = values[idx]
        diff = np.abs(v[1:] - v[:-1])
        small = diff < threshold
        if not small.any():
            return keep
        left = np.empty_like(diff)  # each pair's left neighbour (inf at the first)
        left[0] = np.inf
        left[1:] = diff[:-1]
        right = np.empty_like(diff)
        right[:-1] = diff[1:]
        right[-1] = np.inf
        pick = (small & (diff <= left) & (diff < right)).nonzero()[0]
        if pick.size == 0:  # ties all along: take the first smallest
            pick = np.array([int(np.argmin(diff))])
        # no two picked pairs overlap: neighbours cannot both be strictly smaller
        keep[idx[pick]] = False
        keep[idx[pick + 1]] = False


def _bandpass(y: FloatArray, band: tuple[float, float]) -> FloatArray:
    """Zero-phase band-pass by FFT, numpy only (an interval analysis loads no scipy.signal).

    The gain is that of a 2nd-order Butterworth high-pass at ``band[0]`` times a 2nd-order
    low-pass at ``band[1]``, squared (as forward-backward filtering gives); the ends are
    extended by odd reflection over two periods of the low edge.
    """
    pad = min(y.size - 1, int(2.0 * FS_HZ / band[0]))
    ext = np.concatenate((2 * y[0] - y[pad:0:-1], y, 2 * y[-1] - y[-2:-pad - 2:-1]))
    n = 1 << (ext.size - 1).bit_length()  # the next power of two: 2 ** ceil(log2(size))
    ext -= np.add.reduce(ext) / ext.size  # ext.mean(), as ndarray.mean takes it
    out = np.fft.irfft(np.fft.rfft(ext, n) * _power_gain(n, band), n)
    return out[pad: pad + y.size]


@lru_cache(maxsize=32)
def _power_gain(n: int, band: tuple[float, float]) -> FloatArray:
    """The squared gain of :func:`_bandpass` on the bins of an ``n``-point FFT (cached,
    read-only)."""
    f = np.fft.rfftfreq(n, 1.0 / FS_HZ)
    with np.errstate(divide="ignore"):
        hp = 1.0 / (1.0 + (band[0] / f) ** 4)
    gain = hp / (1.0 + (f / band[1]) ** 4)
    g2: FloatArray = gain**2
    g2.flags.writeable = False
    return g2


def _stretch_signal(t: FloatArray, rr: FloatArray, band: tuple[float, float]
                    ) -> tuple[float, FloatArray] | None:
    """Time of grid point 0 and the band-passed 4-Hz resampled NN values of one gap-free
    stretch (grid point ``k`` lies at ``t0 + k / FS_HZ``)."""
    if t.size < 6 or t[-1] - t[0] < MIN_STRETCH_S:
        return None
    size = int((t[-1] - t[0]) * FS_HZ) + 1
    y = grid_values(t, rr, float(t[0]), FS_HZ, size)
    return float(t[0]), _bandpass(y, band)


def _pieces(t: FloatArray, start: IntArray, stop: IntArray) -> list[tuple[int, int]]:
    """Index ranges to count: the gap-free stretches, or on a long series (over
    ``MAX_COUNTED_S``) their parts inside ``N_PIECES`` evenly spread windows of
    ``PIECE_S`` seconds (a 24-h series costs no more than 30 min)."""
    ranges = list(zip(start.tolist(), stop.tolist(), strict=True))
    if t.size == 0 or t[-1] - t[0] <= MAX_COUNTED_S:
        return ranges
    out = []
    for lo in np.linspace(t[0], t[-1] - PIECE_S, N_PIECES):
        i0, i1 = (int(i) for i in np.searchsorted(t, [lo, lo + PIECE_S]))
        out += [(max(a, i0), min(b, i1)) for a, b in ranges if min(b, i1) - max(a, i0) >= 6]
    return out


def count_breaths(nn: Intervals, band_hz: tuple[float, float] = HF_BAND_HZ) -> BreathCount:
    """Count respiratory cycles in the NN series ("count-adv", Schäfer & Kratky 2008).

    Rule: each gap-free stretch of at least 20 s (holes up to 5 s bridged, as in the
    spectrum) is resampled at 4 Hz by a cubic spline and band-passed (2nd-order
    Butterworth gain, squared: zero phase) to ``band_hz``. Its local maxima and minima are the
    extrema; with ``Q3`` the 75th percentile of the absolute differences between
    neighbouring extrema over all stretches, pairs of neighbours differing by less than
    ``0.2 Q3`` are removed, the smallest first. A breath interval is the time between
    neighbouring remaining maxima of a stretch.

    Parameters
    ----------
    nn : Intervals
        NN series.
    band_hz : tuple of float
        Band-pass edges (Hz); :data:`HF_BAND_HZ` for breathing around the HF band,
        :data:`WIDE_BAND_HZ` to include slow breathing.

    Returns
    -------
    BreathCount
        Rate (60 / mean breath interval), CV of the breath intervals and their number;
        rate and CV ``None`` with fewer than 4 breath intervals.
    """
    none = BreathCount(None, None, 0, band_hz)
    if len(nn) < 6:
        return none
    t_all = np.asarray(nn.t_s, dtype=np.float64)
    rr_all = np.asarray(nn.rr_ms, dtype=np.float64)
    parts = split_stretches(nn, MAX_BRIDGED_GAP_S)
    signals = []
    for a, b in _pieces(t_all, parts.start, parts.stop):
        sig = _stretch_signal(t_all[a:b], rr_all[a:b], band_hz)
        if sig is not None:
            t0, x = sig
            idx, is_max = _alternating_extrema(x)
            if idx.size >= 3:  # the times of the extrema only
                signals.append((t0 + idx / FS_HZ, x[idx], is_max))
    if not signals:
        return none
    diffs = np.concatenate([np.abs(v[1:] - v[:-1]) for _, v, _ in signals])
    threshold = AMPLITUDE_FRACTION * percentile_linear(diffs, 75.0)
    intervals = []
    for te, v, is_max in signals:
        keep = _prune(v, threshold)
        tmax = te[keep & is_max]
        if tmax.size >= 2:
            intervals.append(np.diff(tmax))
    if not intervals:
        return none
    iv = np.concatenate(intervals)
    if iv.size < MIN_BREATHS:
        return BreathCount(None, None, int(iv.size), band_hz)
    mean = float(iv.mean())
    return BreathCount(60.0 / mean, float(iv.std() / mean), int(iv.size), band_hz)


def replaced(est: RsaEstimate, **changes: object) -> RsaEstimate:
    """``dataclasses.replace(est, **changes)`` without its per-call field inspection
    (every field of :class:`RsaEstimate` is an ``__init__`` field)."""
    return RsaEstimate(**{**est.__dict__, **changes})


def _count_confidence(cv: float) -> float:
    """Confidence in ``[0, 1]`` of a breath count from its regularity (CV of intervals)."""
    return 1.0 - ramp(cv, COUNT_CV_RANGE)


def check_with_count(spectral: RsaEstimate, weak: bool,
                     near: Callable[[float], Candidate | None], nn: Intervals,
                     config: RespirationConfig, *, slow_power: float,
                     slow_bpm: float | None) -> RsaEstimate:
    """Rule step 6 of :func:`hrv.respiration.rsa_estimate`: the spectral decision checked
    against, or completed by, the breath count.

    ``C`` = :func:`count_breaths` in :data:`HF_BAND_HZ`; *an HF rhythm* is a count inside
    the HF band with CV below 0.28 and a spectral peak within 2 breaths/min of it
    (``near(C)``, the highest local maximum there) standing at least 3 times over the
    spectral floor.

    - A spectral rate inside the HF band stands, unless its confidence is below 0.7 and
      the count lies more than 2 breaths/min from it (then unknown, the confidence
      halved to below its threshold).
    - A spectral rate outside it (which declares HF invalid) stands only when the count
      sees the same rhythm — within 2 breaths/min, with CV at most 0.20 for a slow rate
      (counted in :data:`WIDE_BAND_HZ`; paced or relaxed slow breathing is steady, a
      narrow-band Mayer wave less so) or 0.28 above the band — and no HF rhythm lies
      beside it, unless the slow peak's main lobe holds 16 times the power of that
      rhythm's. Otherwise the rate is unknown, the confidence halved to below its threshold.
    - No spectral rate for want of evidence only (``weak``): an HF rhythm gives the
      mean of its peak's rate and the count's when the combined confidence
      ``1 - (1 - c_peak)(1 - c_count)`` reaches ``min_confidence``, ``c_count`` going
      from 1 to 0 as the count's CV goes from 0.18 to 0.28.
    - No spectral rate because two strong peaks compete, or beside a slow peak rejected
      above: the same, but only with a count CV of at most 0.25 and a peak further than
      1 breath/min from twice and three times the slow peak's rate (slow breathing
      whose RSA is not sinusoidal has harmonics there).

    ``slow_power`` is the power in the slow candidate's main lobe (0 without one).
    """
    count = count_breaths(nn, HF_BAND_HZ)
    rate = spectral.rate_bpm
    if rate is not None and not spectral.outside_hf_band:
        conf = spectral.confidence or 0.0
        if (conf < STRONG_CONFIDENCE and count.rate_bpm is not None
                and abs(count.rate_bpm - rate) > AGREEMENT_BPM):
            return replaced(
                spectral, rate_bpm=None, confidence=0.5 * min(conf, config.min_confidence),
                method="none", reason="a marginal respiratory peak that the breath count "
                "contradicts", count_bpm=count.rate_bpm, count_cv=count.cv)
        return replaced(spectral, count_bpm=count.rate_bpm, count_cv=count.cv)
    # a regular count inside the HF band with a spectral peak at its rate
    rsa = None
    if (count.rate_bpm is not None and count.cv is not None
            and count.cv < COUNT_CV_RANGE[1]
            and config.hf_valid_min_bpm <= count.rate_bpm <= config.hf_valid_max_bpm):
        rsa = near(count.rate_bpm)
    hf_rhythm = (rsa is not None and rsa.inside
                 and rsa.ev.prominence >= COUNT_MIN_PROMINENCE)
    if rate is not None:
        # a rate outside the HF band declares HF invalid: the count must see the same
        # steady rhythm (slow breathing only passes the wide band-pass), and there must be
        # no regular breathing rhythm in the HF band beside it (the slow peak would then be
        # a Mayer wave)
        check, cv_max = count, COUNT_CV_RANGE[1]
        if rate < config.hf_valid_min_bpm:
            check, cv_max = count_breaths(nn, WIDE_BAND_HZ), SLOW_COUNT_CV_MAX
        agree = (check.rate_bpm is not None and check.cv is not None
                 and abs(check.rate_bpm - rate) <= AGREEMENT_BPM and check.cv <= cv_max)
        # (a slow peak with 4 D times the power of the respiratory one still wins)
        beside = hf_rhythm and rsa is not None and (
            rate > config.hf_valid_max_bpm
            or slow_power < AMBIGUITY_FACTOR * config.slow_dominance_ratio * rsa.ev.lobe_power)
        if agree and not beside:
            return replaced(spectral, method="spectral+count",
                                       reason=spectral.reason + ", seen as steady breaths",
                                       count_bpm=check.rate_bpm, count_cv=check.cv)
        if beside and rsa is not None:
            fused = _fused(rsa, count, slow_bpm, config, strict=True)
            if fused is not None:
                return fused
        why = ("a regular breath count in the HF band beside it" if beside
               else "the breath count does not confirm it")
        conf = 0.5 * min(spectral.confidence or 0.0, config.slow_min_confidence)
        return replaced(spectral, rate_bpm=None, confidence=conf, method="none",
                                   reason=f"a peak outside the HF band, but {why}",
                                   count_bpm=check.rate_bpm, count_cv=check.cv)
    fused = None
    if rsa is not None and hf_rhythm:
        fused = _fused(rsa, count, slow_bpm, config, strict=not weak)
    if fused is None:
        return replaced(spectral, count_bpm=count.rate_bpm, count_cv=count.cv)
    return fused


def _fused(rsa: Candidate, count: BreathCount, slow_bpm: float | None,
           config: RespirationConfig, *, strict: bool) -> RsaEstimate | None:
    """The HF rhythm's rate when peak and count together are confident enough, else None.

    ``strict`` (beside a strong slow peak): the count must be very regular (CV at most
    ``RESOLVE_CV_MAX``) and the rhythm must not sit on the 2nd or 3rd harmonic of the
    slow peak (slow breathing with a non-sinusoidal RSA shows one).
    """
    if count.cv is None or count.rate_bpm is None:
        return None
    conf = 1.0 - (1.0 - rsa.confidence) * (1.0 - _count_confidence(count.cv))
    if conf < config.min_confidence:
        return None
    reason = "a respiratory peak confirmed by a regular breath count"
    if strict:
        if count.cv > RESOLVE_CV_MAX or slow_bpm is None:
            return None
        if min(abs(rsa.rate_bpm - k * slow_bpm) for k in (2.0, 3.0)) <= HARMONIC_TOLERANCE_BPM:
            return None
        reason += " beside a slow peak that is no harmonic root of it (a Mayer wave)"
    # the mean of the two: the peak is the most frequent rate, the count the mean one
    # (and it misses a breath now and then); together they are closer (even seeds of the
    # synthetic benchmark: MAE 0.55 against 0.87 for the peak alone)
    rate = 0.5 * (rsa.rate_bpm + count.rate_bpm)
    return RsaEstimate(
        rate_bpm=rate, candidate_bpm=rate, confidence=conf,
        outside_hf_band=False, share=rsa.ev.share, consistency=rsa.ev.consistency,
        reason=reason, method="spectral+count", count_bpm=count.rate_bpm, count_cv=count.cv)
