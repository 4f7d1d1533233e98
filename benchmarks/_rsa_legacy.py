"""The RSA-peak rule as it stood before confidence scoring, kept for side-by-side scoring.

Used only by ``benchmarks/respiration_rsa.py`` (column "before"): a rate whenever the
highest clear peak exists, without sub-window consistency or an "unknown" outcome.
"""

from __future__ import annotations

import numpy as np

from hrv.config import RespirationConfig
from hrv.metrics import band_power, peak_frequency
from hrv.metrics.frequency import FrequencyDomain
from hrv.respiration import highest_local_max as _highest_local_max

__all__ = ["legacy_rsa_rate_bpm"]

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


def legacy_rsa_rate_bpm(
    fd: FrequencyDomain, config: RespirationConfig = RespirationConfig()
) -> float | None:
    """Breathing rate (breaths/min) from the clearest peak, or None (former rule)."""
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
