"""Breathing rate from the RSA peak of the NN spectrum, and fusion of rate estimates.

HF power reflects respiratory sinus arrhythmia (RSA) only while breathing lies in the HF
band (9–24 breaths/min). Slow relaxed or paced breathing moves the RSA peak into LF, so
HF falls and LF/HF rises for a reason that has nothing to do with autonomic balance. The
functions here estimate the breathing rate and flag HF as not interpretable then.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

import numpy as np

from hrv.config import RespirationConfig
from hrv.metrics._spectrum import band_power, peak_frequency
from hrv.metrics.frequency import FrequencyDomain
from hrv.types import FloatArray, Respiration

__all__ = ["fuse_respiration", "rsa_rate_bpm"]

#: A peak is "clear" when its PSD is at least this many times the median PSD over the
#: whole search range (slow-search low edge to RSA-search high edge) ...
CLEAR_PEAK_FACTOR = 5.0
#: ... and the power within ``± PEAK_HALF_WIDTH_BINS`` bins of it is at least this share of
#: the power over its own search range (so a strong LF peak does not hide a clear RSA peak).
CLEAR_PEAK_SHARE = 0.15
#: A slow-breathing peak must stand out more: its main lobe must hold at least this share
#: of the power over the whole search range (so a random bump among few slow bins is not
#: taken for slow breathing).
SLOW_PEAK_SHARE = 0.30
#: Half-width, in frequency bins, of the window whose power makes the share (the main lobe
#: of a Hann-tapered sinusoid is two bins either side of its peak); at least ``1 / T`` for
#: segments of ``T`` seconds (the main lobe of the untapered, oversampled Lomb periodogram).
PEAK_HALF_WIDTH_BINS = 2


def _highest_local_max(f: FloatArray, p: FloatArray, lo: float, hi: float) -> int | None:
    """Index of the highest strict local maximum of ``p`` with ``lo <= f <= hi``."""
    if p.size < 3:
        return None
    inner = np.arange(1, p.size - 1)
    is_max = (p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:]) & (f[1:-1] >= lo) & (f[1:-1] <= hi)
    cand = inner[is_max]
    if cand.size == 0:
        return None
    return int(cand[np.argmax(p[cand])])


def rsa_rate_bpm(
    fd: FrequencyDomain, config: RespirationConfig = RespirationConfig()
) -> float | None:
    """Breathing rate from the respiratory (RSA) peak of the NN spectrum.

    Rule (both search ranges from ``config``):

    1. ``P_rsa``: the highest local maximum of the PSD in ``rsa_search_hz`` (0.12–0.5 Hz,
       7.2–30 breaths/min); ``P_slow``: the highest local maximum in ``slow_search_hz``
       (0.05–0.12 Hz, 3–7.2 breaths/min).
    2. A peak is *clear* when its PSD is at least ``CLEAR_PEAK_FACTOR`` (5) times the
       median PSD over 0.05–0.5 Hz and the power within its main lobe (± 2 bins,
       at least ± 1/T for segments of T s) holds at least ``CLEAR_PEAK_SHARE`` (15 %) of
       the power over ``rsa_search_hz`` (for ``P_rsa``), or ``SLOW_PEAK_SHARE`` (30 %) of
       the power over 0.05–0.5 Hz (for ``P_slow``, which must dominate).
       Peaks that are not clear are ignored (a flat, noise-like spectrum gives ``None``).
    3. A clear ``P_rsa`` is the breathing rate unless a clear ``P_slow`` is at least
       ``slow_dominance_ratio`` (4) times higher (PSD at the peak): then breathing is slow
       and ``P_slow`` is the rate. So a Mayer-wave LF peak as high as the RSA peak does not
       hide normal breathing, while dominant slow breathing (whose harmonics or leakage
       may show above 0.12 Hz) is found.
    4. Without a clear ``P_rsa`` a clear ``P_slow`` is the rate; with neither, ``None``.

    The NN spectrum alone cannot tell a dominant Mayer wave (≈ 0.1 Hz) from breathing at
    6/min; ECG- or PPG-derived respiration (:func:`fuse_respiration`) resolves that.

    Parameters
    ----------
    fd : FrequencyDomain
        Result of :func:`hrv.metrics.frequency_domain`; its ``spectrum`` is used.
    config : RespirationConfig
        Search ranges and the slow-dominance ratio.

    Returns
    -------
    float or None
        Breathing rate in breaths per minute (peak frequency refined by a parabola
        through the peak bin and its neighbours, times 60), or ``None`` when there is no
        spectrum or no clear peak.

    References
    ----------
    Schäfer A, Kratky KW (2008). Estimation of breathing rate from respiratory sinus
    arrhythmia: comparison of various methods. Ann Biomed Eng 36:476-485.
    """
    spec = fd.spectrum
    if spec is None or spec.freq_hz.size < 3:
        return None
    f = np.asarray(spec.freq_hz, dtype=np.float64)
    p = np.asarray(spec.psd_ms2_per_hz, dtype=np.float64)
    rsa_lo, rsa_hi = config.rsa_search_hz
    slow_lo, slow_hi = config.slow_search_hz
    in_range = (f >= min(slow_lo, rsa_lo)) & (f <= max(slow_hi, rsa_hi))
    if not np.any(in_range):
        return None
    floor = float(np.median(p[in_range]))
    # main lobe: ±2 bins for Hann-tapered Welch, ±1/T for the untapered Lomb periodogram
    segment_s = fd.info.get("segment_s")
    half = PEAK_HALF_WIDTH_BINS * float(f[1] - f[0])
    if isinstance(segment_s, int | float) and segment_s > 0:
        half = max(half, 1.0 / float(segment_s))

    def clear(i: int, lo: float, hi: float, share: float) -> bool:
        ref = band_power(f, p, lo, hi)
        peak = band_power(f, p, float(f[i]) - half, float(f[i]) + half)
        return ref > 0 and float(p[i]) >= CLEAR_PEAK_FACTOR * floor and peak >= share * ref

    whole = (min(slow_lo, rsa_lo), max(slow_hi, rsa_hi))
    i_rsa = _highest_local_max(f, p, rsa_lo, rsa_hi)
    i_slow = _highest_local_max(f, p, slow_lo, slow_hi)
    if i_rsa is not None and not clear(i_rsa, rsa_lo, rsa_hi, CLEAR_PEAK_SHARE):
        i_rsa = None
    if i_slow is not None and not clear(i_slow, *whole, SLOW_PEAK_SHARE):
        i_slow = None
    chosen = i_rsa if i_rsa is not None else i_slow
    if (
        i_rsa is not None
        and i_slow is not None
        and p[i_slow] >= config.slow_dominance_ratio * p[i_rsa]
    ):
        chosen = i_slow
    if chosen is None:
        return None
    peak = peak_frequency(f, p, float(f[chosen - 1]), float(f[chosen + 1]))
    return None if peak is None else 60.0 * peak


def fuse_respiration(
    estimates: Mapping[str, float | None],
    config: RespirationConfig = RespirationConfig(),
) -> Respiration:
    """Fuse breathing-rate estimates and judge whether HF power is interpretable.

    Rule: estimates that are ``None``, not finite or not positive are ignored. Keys other
    than ``"rsa"`` are waveform-derived (``"edr"`` from the ECG, ``"pdr"`` from the PPG,
    ...). With waveform-derived estimates available, their median ``W`` is compared with
    the RSA estimate: if they differ by more than ``config.max_disagreement_bpm``
    (3 breaths/min) the RSA peak is taken to be something else (a Mayer wave, a harmonic)
    and the rate is ``W``; otherwise the rate is the median of all usable estimates. With
    only the RSA estimate, it is the rate.

    Parameters
    ----------
    estimates : mapping of str to float or None
        Breathing-rate estimates in breaths per minute, by source.
    config : RespirationConfig
        HF-band validity limits (9–24 breaths/min) and the disagreement threshold.

    Returns
    -------
    Respiration
        ``rate_bpm``; ``hf_band_valid`` (``False`` outside
        ``[hf_valid_min_bpm, hf_valid_max_bpm]``, ``None`` without a rate); ``source``
        (``"rsa"``, a waveform key such as ``"edr"``, ``"fused"`` for a median of several,
        or ``"none"``); and every estimate in ``estimates_bpm``.

    References
    ----------
    Charlton PH et al. (2016). An assessment of algorithms to estimate respiratory rate
    from the electrocardiogram and photoplethysmogram. Physiol Meas 37:610-626.
    """
    given: dict[str, float | None] = {
        str(k): (None if v is None else float(v)) for k, v in estimates.items()
    }
    usable = {k: v for k, v in given.items() if v is not None and math.isfinite(v) and v > 0}
    if not usable:
        return Respiration(rate_bpm=None, hf_band_valid=None, source="none", estimates_bpm=given)
    waveform = {k: v for k, v in usable.items() if k != "rsa"}
    rsa = usable.get("rsa")
    if not waveform:
        rate, source = float(usable["rsa"]), "rsa"
    else:
        w = float(statistics.median(waveform.values()))
        w_source = next(iter(waveform)) if len(waveform) == 1 else "fused"
        if rsa is None or abs(rsa - w) > config.max_disagreement_bpm:
            rate, source = w, w_source
        else:
            rate, source = float(statistics.median(usable.values())), "fused"
    valid = config.hf_valid_min_bpm <= rate <= config.hf_valid_max_bpm
    return Respiration(rate_bpm=rate, hf_band_valid=valid, source=source, estimates_bpm=given)
