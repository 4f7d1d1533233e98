"""Breathing rate from the RSA peak of the NN spectrum, and fusion of rate estimates.

HF power reflects respiratory sinus arrhythmia (RSA) only while breathing lies in the HF
band (9–24 breaths/min). Slow relaxed or paced breathing moves the RSA peak into LF, so
HF falls and LF/HF rises for a reason that has nothing to do with autonomic balance. The
functions here estimate the breathing rate and flag HF as not interpretable then.

From RR intervals alone the estimate says when it does not know: :func:`rsa_estimate`
scores the peak (share of power, prominence, agreement of 60-s sub-windows), checks it
against the breaths counted in the time domain (:mod:`hrv.respiration._count`) and gives
no rate when the evidence is weak or the two disagree, so ``hf_band_valid`` is then
``None`` (unknown), never a guess of ``False`` from a Mayer wave or VLF power.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

import numpy as np

from hrv._dsp import median_rows
from hrv.config import RespirationConfig
from hrv.metrics import BandIntegral
from hrv.metrics.frequency import FrequencyDomain
from hrv.respiration._count import AGREEMENT_BPM, check_with_count, replaced
from hrv.respiration._peak import (
    AMBIGUITY_FACTOR,
    LocalMaxima,
    PeakEvidence,
    RsaEstimate,
    peak_evidence,
    subwindow_spectra,
)
from hrv.respiration._peak import Candidate as _Candidate
from hrv.respiration._peak import ramp as _ramp
from hrv.types import FloatArray, Intervals, Respiration

__all__ = ["RsaEstimate", "fuse_respiration", "rsa_estimate", "rsa_rate_bpm"]

#: A peak is a candidate only when its PSD is at least this many times the median PSD
#: over the whole search range (slow-search low edge to RSA-search high edge).
CLEAR_PEAK_FACTOR = 5.0
#: Half-width, in frequency bins, of the window whose power makes a peak's share (the
#: main lobe of a Hann-tapered sinusoid is two bins either side of its peak); at least
#: ``1 / T`` for segments of ``T`` seconds (the main lobe of the untapered Lomb periodogram).
PEAK_HALF_WIDTH_BINS = 2
#: Share of the power (main lobe over the reference band) at which the share term of the
#: confidence is 0 and 1. A rate inside the HF band is judged by the peak's share of its
#: own search range (a strong Mayer wave does not hide an RSA peak; for white noise the
#: highest 5-min Welch lobe holds about 5-10 % of the RSA range). A rate outside the HF
#: band would declare HF invalid, so its peak must dominate all variability: it is judged
#: by its share of the total power from 0 Hz (VLF included). Slow breathing at 5-7/min
#: with a typical RSA holds >= 50 % of it; the slow VLF/Mayer peaks of ambulatory 5-min
#: windows (nsr2db) at most about 26 % (``benchmarks/results/respiration_rsa.md``).
INSIDE_SHARE_RANGE = (0.10, 0.40)
OUTSIDE_SHARE_RANGE = (0.25, 0.55)
#: A sub-window peak within this distance (Hz, 1.8 breaths/min: about one 60-s FFT
#: main-lobe half-width) of the candidate counts as agreeing with it.
CONSISTENCY_TOLERANCE_HZ = 0.03


def _candidate(band: BandIntegral, ev: PeakEvidence | None,
               config: RespirationConfig) -> _Candidate | None:
    """Refined rate, confidence and acceptance of one peak (rule steps 3-4); ``band``
    holds the spectrum."""
    if ev is None:
        return None
    i = ev.index
    peak = band.peak(float(band.freq[i - 1]), float(band.freq[i + 1]))
    rate = 60.0 * (ev.freq_hz if peak is None else peak)
    inside = config.hf_valid_min_bpm <= rate <= config.hf_valid_max_bpm
    if ev.prominence < CLEAR_PEAK_FACTOR:
        conf = 0.0
    else:
        s = (_ramp(ev.share, INSIDE_SHARE_RANGE) if inside
             else _ramp(ev.share_total, OUTSIDE_SHARE_RANGE))
        conf = s if ev.consistency is None else math.sqrt(s * ev.consistency)
    need = config.min_confidence if inside else config.slow_min_confidence
    return _Candidate(ev, rate, conf, inside, conf >= need)


def rsa_estimate(
    fd: FrequencyDomain,
    config: RespirationConfig = RespirationConfig(),
    *,
    nn: Intervals | None = None,
    count: bool = True,
) -> RsaEstimate:
    """Breathing rate from the RSA peak of the NN spectrum, or "unknown" when unclear.

    Rule (search ranges and thresholds from ``config``):

    1. Candidates: ``P_rsa``, the highest local maximum of the PSD in ``rsa_search_hz``
       (0.12-0.5 Hz, 7.2-30 breaths/min), and ``P_slow``, the highest in
       ``slow_search_hz`` (0.05-0.12 Hz, 3-7.2 breaths/min). Each rate is the peak
       refined by a parabola through the peak bin and its neighbours.
    2. Evidence for each: the power in its main lobe (± 2 bins, at least ± 1/T for
       segments of T s) as a *share* of the power in ``rsa_search_hz`` and as a share of
       the *total* power from 0 Hz to ``rsa_search_hz[1]``; its *prominence*, PSD at the
       peak over the median PSD of 0.05-0.5 Hz; and, when ``nn`` is given, its
       *consistency*, the fraction of 60-s sub-windows (30-s step, at most 40, evenly
       spread) whose own highest peak in the same search range lies within ± 0.03 Hz
       (for ``P_slow``, a sub-window whose power keeps rising below the range, VLF
       rather than a peak, does not agree).
    3. Confidence in ``[0, 1]``: 0 when the prominence is below 5; otherwise a share
       term and, with a consistency (>= 3 sub-windows), the geometric mean of the two.
       For a rate inside the HF band (``hf_valid_min_bpm``-``hf_valid_max_bpm``) the
       share term ramps from 0 to 1 as the share of ``rsa_search_hz`` goes from 10 to
       40 %. A rate outside the band would declare HF invalid, so it needs a peak that
       dominates all variability: the share of the total power, 25 to 55 %.
    4. Acceptance: confidence >= ``min_confidence`` (0.5) inside the HF band,
       >= ``slow_min_confidence`` (0.7) outside it.
    5. Decision, with ``r`` = PSD(``P_slow``) / PSD(``P_rsa``) and ``D`` =
       ``slow_dominance_ratio`` (4): an accepted ``P_slow`` is the rate when ``P_rsa`` is
       not accepted or ``r >= 4 D``; with both accepted and ``D <= r < 4 D`` either
       could be breathing and the rate is unknown. Otherwise an accepted ``P_rsa`` is the
       rate, unless it sits on the 2nd or 3rd harmonic of ``P_slow`` with ``r >= D``
       (unknown). With nothing accepted the rate is unknown (``None``); the estimate
       still names the best candidate and its confidence (for an ambiguous candidate at
       most half its threshold).
    6. With ``nn`` (and ``count``), the breaths counted in the band-passed NN series
       (:func:`hrv.respiration.count_breaths`, Schäfer & Kratky's "count-adv") are a
       second, time-domain estimate: a rate outside the HF band stands only when the
       count sees the same steady rhythm and no regular rhythm in the HF band beside it;
       a marginal in-band rate (confidence < 0.7) that the count contradicts is left
       unknown; a rate the spectrum left unknown for weak evidence (or for two competing
       peaks) is given when a regular count agrees with a respiratory-range peak (the
       mean of the two). The rule and its thresholds:
       :func:`hrv.respiration._count.check_with_count`. ``method`` says which evidence
       the rate rests on.

    The NN spectrum alone cannot tell a dominant Mayer wave (~0.1 Hz) from breathing at
    6/min: a rate outside the HF band is claimed only for a large, steady peak that
    dominates the spectrum, as paced or relaxed slow breathing produces (RSA then holds
    most of the variability; Vaschillo et al. 2006). A weaker one leaves the rate unknown
    rather than wrongly declaring HF invalid; ECG- or PPG-derived respiration
    (:func:`fuse_respiration`) can then settle it. Measured on BIDMC, nsr2db and
    synthetic series in ``benchmarks/results/respiration_rsa.md``.

    Parameters
    ----------
    fd : FrequencyDomain
        Result of :func:`hrv.metrics.frequency_domain`; its ``spectrum`` is used.
    config : RespirationConfig
        Search ranges, dominance ratio and confidence thresholds.
    nn : Intervals, optional
        The NN series the spectrum came from; enables the sub-window consistency check
        and the breath count (step 6).
    count : bool
        ``False`` leaves out step 6 (the spectral rule alone, as before the breath count).

    Returns
    -------
    RsaEstimate
        The rate (breaths/min, peak refined by a parabola through the peak bin and its
        neighbours) or ``None``, with the candidate, its confidence and the reason.

    References
    ----------
    Schäfer A, Kratky KW (2008). Estimation of breathing rate from respiratory sinus
    arrhythmia: comparison of various methods. Ann Biomed Eng 36:476-485.
    Vaschillo EG, Vaschillo B, Lehrer PM (2006). Characteristics of resonance in heart
    rate variability stimulated by biofeedback. Appl Psychophysiol Biofeedback 31:129-142.
    """
    spec = fd.spectrum
    if spec is None or spec.freq_hz.size < 3:
        return RsaEstimate(None, None, None, reason="no spectrum")
    f = np.asarray(spec.freq_hz, dtype=np.float64)
    p = np.asarray(spec.psd_ms2_per_hz, dtype=np.float64)
    rsa_lo, rsa_hi = config.rsa_search_hz
    slow_lo, slow_hi = config.slow_search_hz
    whole = (min(slow_lo, rsa_lo), max(slow_hi, rsa_hi))
    in_range = (f >= whole[0]) & (f <= whole[1])
    if not in_range.any():
        return RsaEstimate(None, None, None, reason="spectrum does not cover the search range")
    floor = float(median_rows(p[in_range]))
    segment_s = fd.info.get("segment_s")
    half = PEAK_HALF_WIDTH_BINS * float(f[1] - f[0])
    if isinstance(segment_s, int | float) and segment_s > 0:
        half = max(half, 1.0 / float(segment_s))

    subs = subwindow_spectra(nn, whole[1]) if nn is not None else None
    # every candidate below reads the same spectrum: its local maxima and band integrals
    # are formed once
    band = BandIntegral(f, p)
    maxima = LocalMaxima(f, p)
    sub_peaks: dict[tuple[float, float], FloatArray] = {}  # per search range

    def evidence(lo: float, hi: float, share_of: tuple[float, float]) -> PeakEvidence | None:
        i = maxima.highest(lo, hi)
        if i is None:
            return None
        # sub-windows search the whole range the peak belongs to
        lo_sub, hi_sub = (slow_lo, slow_hi) if hi <= slow_hi else (rsa_lo, rsa_hi)
        sub = None
        if subs is not None:
            sub = sub_peaks.get((lo_sub, hi_sub))
            if sub is None:
                sub = sub_peaks[lo_sub, hi_sub] = subs.peaks_hz(
                    lo_sub, hi_sub, rising_below=lo_sub == slow_lo)
        return peak_evidence(f, p, i, half_width_hz=half, share_of=share_of, floor=floor,
                             subwindow_hz=sub, tolerance_hz=CONSISTENCY_TOLERANCE_HZ,
                             integral=band)

    rsa = _candidate(band, evidence(rsa_lo, rsa_hi, (rsa_lo, rsa_hi)), config)
    slow = _candidate(band, evidence(slow_lo, slow_hi, whole), config)
    spectral, weak = _spectral(rsa, slow, p, half, config)
    if nn is None or not count:
        return spectral

    def near(rate_bpm: float) -> _Candidate | None:
        """The highest peak of the respiratory range within the agreement of a rate."""
        lo = max(rsa_lo, (rate_bpm - AGREEMENT_BPM) / 60.0)
        hi = min(rsa_hi, (rate_bpm + AGREEMENT_BPM) / 60.0)
        return _candidate(band, evidence(lo, hi, (rsa_lo, rsa_hi)), config) if lo < hi else None

    est = check_with_count(spectral, weak, near, nn, config,
                           slow_power=0.0 if slow is None else slow.ev.lobe_power,
                           slow_bpm=None if slow is None else slow.rate_bpm)
    return est if est.rate_bpm is not None else replaced(est, method="none")


def _spectral(rsa: _Candidate | None, slow: _Candidate | None, p: FloatArray, half: float,
              config: RespirationConfig) -> tuple[RsaEstimate, bool]:
    """The spectral decision (rule step 5) and whether it failed only for weak evidence."""
    ratio = 0.0
    harmonic = False
    if rsa is not None and slow is not None:
        ratio = float(p[slow.ev.index] / p[rsa.ev.index])
        k = rsa.ev.freq_hz / slow.ev.freq_hz
        harmonic = min(abs(k - 2.0), abs(k - 3.0)) * slow.ev.freq_hz <= half
    dominance = config.slow_dominance_ratio

    if slow is not None and slow.accepted:
        if rsa is None or not rsa.accepted or ratio >= AMBIGUITY_FACTOR * dominance:
            return _result(slow, True, "a dominant, steady slow peak"), False
        if ratio >= dominance:
            return _result(slow, False, "two strong peaks (slow and respiratory range): "
                           "either could be breathing", ambiguous=config), False
    if rsa is not None and rsa.accepted:
        if harmonic and ratio >= dominance:
            return _result(rsa, False, "the respiratory-range peak is a harmonic of a larger "
                           "slow peak", ambiguous=config), False
        return _result(rsa, True, "a clear, steady respiratory peak"), False
    # neither accepted: report the candidate closer to its own acceptance threshold
    cands = [c for c in (rsa, slow) if c is not None]
    if not cands:
        return RsaEstimate(None, None, 0.0, reason="no peak in the search range"), False

    def closeness(c: _Candidate) -> float:
        return c.confidence / (config.min_confidence if c.inside else config.slow_min_confidence)

    best = max(cands, key=closeness)
    return _result(best, False, "no peak strong and steady enough"), True


def _result(c: _Candidate, accept: bool, reason: str, *,
            ambiguous: RespirationConfig | None = None) -> RsaEstimate:
    """The estimate for candidate ``c``; an ambiguous one gets half its threshold at most."""
    ev = c.ev
    conf = c.confidence
    if ambiguous is not None:
        need = ambiguous.min_confidence if c.inside else ambiguous.slow_min_confidence
        conf = 0.5 * min(conf, need)
    return RsaEstimate(
        rate_bpm=c.rate_bpm if accept else None,
        candidate_bpm=c.rate_bpm,
        confidence=conf,
        outside_hf_band=not c.inside,
        share=ev.share if c.inside else ev.share_total,
        consistency=ev.consistency,
        reason=reason,
    )


def rsa_rate_bpm(
    fd: FrequencyDomain,
    config: RespirationConfig = RespirationConfig(),
    *,
    nn: Intervals | None = None,
) -> float | None:
    """Breathing rate from the RSA peak, or ``None`` when the evidence is weak.

    Shorthand for ``rsa_estimate(fd, config, nn=nn).rate_bpm``; see :func:`rsa_estimate`
    for the rule, parameters and references.

    Returns
    -------
    float or None
        Breathing rate in breaths per minute, or ``None`` (no spectrum, or no peak strong
        and steady enough).
    """
    return rsa_estimate(fd, config, nn=nn).rate_bpm


def fuse_respiration(
    estimates: Mapping[str, float | None],
    config: RespirationConfig = RespirationConfig(),
    *,
    rsa_confidence: float | None = None,
) -> Respiration:
    """Fuse breathing-rate estimates and judge whether HF power is interpretable.

    Rule: estimates that are ``None``, not finite or not positive are ignored. Keys other
    than ``"rsa"`` are waveform-derived (``"edr"`` from the ECG, ``"pdr"`` from the PPG,
    ...); an ``"rsa"`` estimate is given only when the RSA peak is confident
    (:func:`rsa_estimate`). With waveform-derived estimates available, their median ``W``
    is compared with the RSA estimate:

    - they differ by at most ``config.max_disagreement_bpm`` (3 breaths/min): the rate is
      the median of all usable estimates (``source`` ``"fused"``);
    - they differ by more, and two or more waveform-derived estimates lie within that
      threshold of each other: two independent waveform estimates outvote the RSA peak
      (which is then taken to be a Mayer wave or a harmonic) and the rate is ``W``;
    - they differ by more and there is only one waveform-derived estimate (or they
      disagree among themselves): the conflict cannot be settled, so the rate is unknown
      (``rate_bpm`` and ``hf_band_valid`` ``None``, ``source`` ``"conflict"``, every
      estimate kept in ``estimates_bpm``).

    Without an RSA estimate the rate is ``W``; with only the RSA estimate, it is the rate.
    The conflict rule comes from sliding windows of BIDMC 01-05 and MIT-BIH
    (``benchmarks/results/respiration_fusion.md``): when a confident RSA peak and one
    waveform estimate disagree, either can be the wrong one (on BIDMC the waveform was
    right in 2 of 3 such windows, the RSA peak in 1), and on MIT-BIH they disagree in
    44 of 79 five-minute windows, the ECG-derived rate often sitting on the 6/min edge of
    its search band or above 30/min; claiming either would set HF aside (or keep it) on a
    guess.

    Parameters
    ----------
    estimates : mapping of str to float or None
        Breathing-rate estimates in breaths per minute, by source.
    config : RespirationConfig
        HF-band validity limits (9–24 breaths/min) and the disagreement threshold.
    rsa_confidence : float, optional
        Confidence of the RSA estimate (:attr:`RsaEstimate.confidence`), passed on as
        ``Respiration.confidence`` when the rate rests on the RSA estimate alone or no
        estimate was usable; waveform-derived rates and conflicts are not scored
        (``None``).

    Returns
    -------
    Respiration
        ``rate_bpm``; ``hf_band_valid`` (``False`` outside
        ``[hf_valid_min_bpm, hf_valid_max_bpm]``, ``None`` without a rate); ``source``
        (``"rsa"``, a waveform key such as ``"edr"``, ``"fused"`` for a median of several,
        ``"conflict"`` for a confident RSA peak contradicted by a single waveform estimate,
        or ``"none"``); every estimate in ``estimates_bpm``; and ``confidence``. An RSA
        estimate too weak to be given (``None``) leaves the rate and ``hf_band_valid``
        unknown (``None``) unless a waveform-derived estimate is available.

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
        return Respiration(rate_bpm=None, hf_band_valid=None, source="none",
                           estimates_bpm=given, confidence=rsa_confidence)
    waveform = {k: v for k, v in usable.items() if k != "rsa"}
    rsa = usable.get("rsa")
    if not waveform:
        rate, source = float(usable["rsa"]), "rsa"
    else:
        w = float(statistics.median(waveform.values()))
        w_source = next(iter(waveform)) if len(waveform) == 1 else "fused"
        limit = config.max_disagreement_bpm
        if rsa is None:
            rate, source = w, w_source
        elif abs(rsa - w) <= limit:
            rate, source = float(statistics.median(usable.values())), "fused"
        elif len(waveform) >= 2 and max(waveform.values()) - min(waveform.values()) <= limit:
            rate, source = w, w_source
        else:
            return Respiration(rate_bpm=None, hf_band_valid=None, source="conflict",
                               estimates_bpm=given, confidence=None)
    valid = config.hf_valid_min_bpm <= rate <= config.hf_valid_max_bpm
    return Respiration(rate_bpm=rate, hf_band_valid=valid, source=source, estimates_bpm=given,
                       confidence=rsa_confidence if source == "rsa" else None)
