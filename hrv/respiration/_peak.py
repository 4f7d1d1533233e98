"""Evidence for a respiratory (RSA) peak of the NN spectrum: share and sub-window agreement.

Private helpers of :mod:`hrv.respiration`. A peak is described by how much of the power
it holds (``share``), how far it rises over the spectrum's floor (``prominence``) and, when
the NN series is at hand, how many short sub-windows put their own highest peak at the
same frequency (``consistency``): breathing at a steady rate does, while a random bump of
a noisy single-segment spectrum or a drifting Mayer/VLF oscillation does not.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools

import numpy as np
import numpy.typing as npt

from hrv._dsp import hanning
from hrv.metrics import BandIntegral, spline_through, split_stretches
from hrv.types import FloatArray, Intervals

IntArray = npt.NDArray[np.intp]

__all__ = [
    "AMBIGUITY_FACTOR",
    "Candidate",
    "LocalMaxima",
    "PeakEvidence",
    "RsaEstimate",
    "SubwindowSpectra",
    "highest_local_max",
    "peak_evidence",
    "ramp",
    "subwindow_spectra",
]

#: With both an accepted RSA-range peak and an accepted slow peak, the slow one is the
#: breathing rate only when its PSD is at least ``slow_dominance_ratio`` times this factor
#: (4 × 4 = 16, an amplitude ratio of 4) higher; between ``slow_dominance_ratio`` and
#: that, either could be breathing and the rate is left unknown.
AMBIGUITY_FACTOR = 4.0
#: Sub-window length and step (s) for the consistency check: 60 s is the shortest span
#: over which HF power (and a breathing rate of >= 9/min, >= 9 cycles) is defined.
SUBWINDOW_S = 60.0
SUBWINDOW_STEP_S = 30.0
#: At most this many sub-windows (evenly spread) are examined, so a 24-h series costs
#: no more than a 20-min one.
MAX_SUBWINDOWS = 40
#: Resampling rate (Hz) of the sub-windows and their zero-padded FFT length factor.
_FS_HZ = 4.0
_PAD = 4
#: Beats either side of a sub-window that its spline also passes through.
_MARGIN_BEATS = 4
#: Holes longer than this split the NN series (as in the spectrum).
_MAX_BRIDGED_GAP_S = 5.0


@dataclasses.dataclass(frozen=True)
class PeakEvidence:
    """How well one spectral peak stands out (see :func:`peak_evidence`)."""

    index: int
    freq_hz: float
    share: float
    share_total: float
    prominence: float
    consistency: float | None
    lobe_power: float = 0.0


@dataclasses.dataclass(frozen=True)
class RsaEstimate:
    """Breathing rate from the RSA peak, with the strength of the evidence.

    Attributes
    ----------
    rate_bpm : float or None
        Breathing rate in breaths/min when the evidence is strong enough
        (``confidence`` at or above the config's threshold), else ``None`` (unknown).
    candidate_bpm : float or None
        Rate of the best candidate peak, accepted or not (``None`` without one).
    confidence : float or None
        Confidence in ``[0, 1]`` of the candidate (see :func:`rsa_estimate`); ``None``
        without a spectrum.
    outside_hf_band : bool
        Whether the candidate's rate lies outside the HF band (judged by the stricter
        rule, as it would declare HF power invalid).
    share : float or None
        Share of power in the candidate's main lobe: of its search range for a rate inside
        the HF band, of the total power for one outside (see :func:`rsa_estimate`).
    consistency : float or None
        Fraction of 60-s sub-windows that agree with the candidate; ``None`` without the
        NN series or with fewer than 3 sub-windows.
    reason : str
        Why the rate was accepted or left unknown, in words.
    method : str
        The evidence behind the rate: ``"spectral"`` (the RSA peak alone),
        ``"spectral+count"`` (the peak confirmed by a regular breath count in the time
        domain) or ``"none"`` (no rate).
    count_bpm, count_cv : float or None
        Rate (breaths/min) and coefficient of variation of the breath intervals counted
        in the band-passed NN series (``None`` without the NN series or with too few
        breaths).
    """

    rate_bpm: float | None
    candidate_bpm: float | None
    confidence: float | None
    outside_hf_band: bool = False
    share: float | None = None
    consistency: float | None = None
    reason: str = ""
    method: str = "spectral"
    count_bpm: float | None = None
    count_cv: float | None = None


def ramp(x: float, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    return float(min(max((x - lo) / (hi - lo), 0.0), 1.0))


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One spectral peak as a breathing-rate candidate (rate, confidence, acceptance)."""

    ev: PeakEvidence
    rate_bpm: float
    confidence: float
    inside: bool
    accepted: bool


def highest_local_max(f: FloatArray, p: FloatArray, lo: float, hi: float) -> int | None:
    """Index of the highest strict local maximum of ``p`` with ``lo <= f <= hi``."""
    if p.size < 3:
        return None
    inner = np.arange(1, p.size - 1)
    is_max = (p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:]) & (f[1:-1] >= lo) & (f[1:-1] <= hi)
    cand = inner[is_max]
    if cand.size == 0:
        return None
    return int(cand[np.argmax(p[cand])])


class LocalMaxima:
    """:func:`highest_local_max` for many ranges of one spectrum (``f`` ascending): the
    strict local maxima are found once."""

    def __init__(self, f: FloatArray, p: FloatArray) -> None:
        self._p = p
        if p.size < 3:
            self._at = np.zeros(0, dtype=np.intp)
        else:
            self._at = ((p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:])).nonzero()[0] + 1
        self._f: list[float] = f[self._at].tolist()

    def highest(self, lo: float, hi: float) -> int | None:
        """Index of the highest strict local maximum with ``lo <= f <= hi``."""
        cand = self._at[bisect.bisect_left(self._f, lo):bisect.bisect_right(self._f, hi)]
        if cand.size == 0:
            return None
        return int(cand[self._p[cand].argmax()])


@dataclasses.dataclass(frozen=True, eq=False)
class SubwindowSpectra:
    """Periodograms of the 60-s sub-windows: ``psd`` has shape ``(k, len(freq_hz))``,
    ``freq_hz`` ascending."""

    freq_hz: FloatArray
    psd: FloatArray

    def peaks_hz(self, lo: float, hi: float, *, rising_below: bool = False) -> FloatArray:
        """Frequency of each sub-window's highest bin in ``[lo, hi]`` Hz, shape ``(k,)``.

        With ``rising_below``, ``nan`` where that bin is the range's lowest and the power
        keeps rising below it (VLF power below the slow range): such a sub-window has no
        peak of its own in the range. Used for the slow range only: below the RSA range
        lies slow breathing itself (a 7.2/min rate straddles its 0.12-Hz edge).
        ``freq_hz`` is ascending, so the bins in range are one slice.
        """
        i0 = int(self.freq_hz.searchsorted(lo, side="left"))
        i1 = int(self.freq_hz.searchsorted(hi, side="right"))
        if i1 <= i0 or self.psd.shape[0] == 0:
            return np.zeros(0)
        j = self.psd[:, i0:i1].argmax(axis=1)
        j += i0
        if not rising_below:
            return np.asarray(self.freq_hz[j], dtype=np.float64)
        rows = np.arange(j.size)
        below = self.psd[rows, np.maximum(j - 1, 0)]
        rising = (j == i0) & (j > 0) & (below > self.psd[rows, j])
        return np.where(rising, np.nan, self.freq_hz[j]).astype(np.float64)


def subwindow_spectra(nn: Intervals, max_hz: float) -> SubwindowSpectra:
    """Periodograms up to ``max_hz`` of 60-s sub-windows of ``nn`` (for consistency).

    Sub-windows of ``SUBWINDOW_S`` seconds, stepped by ``SUBWINDOW_STEP_S`` (at most
    ``MAX_SUBWINDOWS``, evenly spread), lie wholly inside one gap-free stretch; each is
    resampled at 4 Hz by a cubic spline, linearly detrended, Hann-tapered and zero-padded
    four-fold. ``k`` may be 0.
    """
    if len(nn) < 4:
        return _no_subwindows()
    parts = split_stretches(nn, _MAX_BRIDGED_GAP_S)
    t_all = np.asarray(nn.t_s, dtype=np.float64)
    rr_all = np.asarray(nn.rr_ms, dtype=np.float64)
    stretches: list[IntArray] = []
    begins: list[FloatArray] = []
    for k, (a, b) in enumerate(zip(parts.start.tolist(), parts.stop.tolist(), strict=True)):
        t0 = float(t_all[a] - rr_all[a] / 1000.0)
        span = float(t_all[b - 1]) - t0
        n_win = int((span - SUBWINDOW_S) // SUBWINDOW_STEP_S) + 1 if span >= SUBWINDOW_S else 0
        if n_win:
            stretches.append(np.full(n_win, k))
            begins.append(np.asarray(t0 + np.arange(n_win) * SUBWINDOW_STEP_S, dtype=np.float64))
    if not stretches:
        return _no_subwindows()
    if len(stretches) == 1:  # one gap-free stretch (the usual case): nothing to join
        stretch, begin = stretches[0], begins[0]
    else:
        stretch, begin = np.concatenate(stretches), np.concatenate(begins)
    if len(begin) > MAX_SUBWINDOWS:
        pick = np.linspace(0, len(begin) - 1, MAX_SUBWINDOWS).round().astype(int)
        stretch, begin = stretch[pick], begin[pick]
    n, grid, x, xx = _design()
    segs = np.empty((len(begin), n))
    for k in sorted(set(stretch.tolist())):
        # One spline per stretch (each setup has a fixed cost) through the beats
        # of the chosen sub-windows and _MARGIN_BEATS either side; beats between
        # sub-windows far apart are left out, whose effect on a window decays by a factor
        # of about 0.27 per knot of a cubic spline (< 1 % after 4).
        a, b = int(parts.start[k]), int(parts.stop[k])
        rows = (stretch == k).nonzero()[0]
        i0 = t_all[a:b].searchsorted(begin[rows]) - _MARGIN_BEATS
        i1 = t_all[a:b].searchsorted(begin[rows] + SUBWINDOW_S) + _MARGIN_BEATS
        size = b - a + 1
        # (np.clip on integers: maximum, then minimum)
        cover = (np.bincount(np.minimum(np.maximum(i0, 0), b - a), minlength=size)
                 - np.bincount(np.minimum(np.maximum(i1, 0), b - a), minlength=size))
        use = cover[:-1].cumsum() > 0
        t, y = t_all[a:b][use], rr_all[a:b][use]
        tt = begin[rows, None] + grid[None, :]
        np.maximum(tt, t[0], out=tt)  # np.clip(tt, t[0], t[-1]) (no NaN here)
        np.minimum(tt, t[-1], out=tt)
        segs[rows] = spline_through(t, y).at(tt) if t.size >= 4 else np.interp(tt, t, y)
    slope = (segs @ x) / xx
    mean = np.add.reduce(segs, axis=1, keepdims=True)  # segs.mean(axis=1, keepdims=True)
    mean /= n
    segs -= mean  # (segs is this function's own array)
    segs -= slope[:, None] * x[None, :]
    nfft = _PAD * n
    freq, m = _bins(nfft, max_hz)
    psd = np.abs(np.fft.rfft(segs * hanning(n), nfft, axis=1)[:, :m]) ** 2
    return SubwindowSpectra(freq[:m].copy(), psd)


def _no_subwindows() -> SubwindowSpectra:
    return SubwindowSpectra(np.zeros(0), np.zeros((0, 0)))


@functools.lru_cache(maxsize=1)
def _design() -> tuple[int, FloatArray, FloatArray, float]:
    """Sub-window length in samples, its grid times (s), its centred sample positions
    (both read-only) and their sum of squares: fixed, so computed once."""
    n = int(SUBWINDOW_S * _FS_HZ)
    grid = np.arange(n) / _FS_HZ
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    grid.flags.writeable = False
    x.flags.writeable = False
    return n, grid, x, float(x @ x)


@functools.lru_cache(maxsize=8)
def _bins(nfft: int, max_hz: float) -> tuple[FloatArray, int]:
    """Bin frequencies of an ``nfft``-point FFT at the sub-window rate (read-only) and
    how many of them, from the first, lie at or below ``max_hz`` (they ascend); cached."""
    freq = np.asarray(np.fft.rfftfreq(nfft, 1.0 / _FS_HZ), dtype=np.float64)
    freq.flags.writeable = False
    return freq, int(np.count_nonzero(freq <= max_hz))


def peak_evidence(
    f: FloatArray,
    p: FloatArray,
    index: int,
    *,
    half_width_hz: float,
    share_of: tuple[float, float],
    floor: float,
    subwindow_hz: FloatArray | None,
    tolerance_hz: float,
    integral: BandIntegral | None = None,
) -> PeakEvidence:
    """Shares, prominence and sub-window consistency of the peak at ``f[index]``.

    ``share``: power within ``± half_width_hz`` of the peak over the power in
    ``share_of`` (Hz); ``share_total``: the same over all power from 0 Hz to
    ``share_of[1]`` (VLF included); ``lobe_power`` the power (ms²) in that window.
    ``prominence``: PSD at the peak over ``floor``.
    ``consistency``:
    fraction of ``subwindow_hz`` within ``± tolerance_hz`` of the peak (a ``nan`` entry,
    a sub-window without a peak, disagrees; ``None`` with fewer than 3 sub-windows).
    ``integral``: the :class:`~hrv.metrics.BandIntegral` of ``(f, p)``, when
    the caller holds one (several peaks of one spectrum).
    """
    band = BandIntegral(f, p) if integral is None else integral
    f0 = float(f[index])
    ref = band.power(*share_of)
    lobe = band.power(f0 - half_width_hz, f0 + half_width_hz)
    share = lobe / ref if ref > 0 else 0.0
    total = band.power(0.0, share_of[1])
    share_total = lobe / total if total > 0 else 0.0
    prominence = float(p[index]) / floor if floor > 0 else float("inf")
    consistency = None
    if subwindow_hz is not None and subwindow_hz.size >= 3:
        agree = np.abs(subwindow_hz - f0) <= tolerance_hz
        consistency = np.count_nonzero(agree) / agree.size  # np.mean(agree)
    return PeakEvidence(index, f0, min(share, 1.0), min(share_total, 1.0), prominence,
                        consistency, lobe)
