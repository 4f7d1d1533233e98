"""Frequency-domain HRV markers (Task Force of ESC/NASPE 1996).

Method (every choice is recorded in :attr:`FrequencyDomain.info`):

* **Gaps.** The NN series is split at gaps longer than
  ``SpectrumConfig.max_bridged_gap_s`` (5 s); shorter holes (dropped ectopic intervals)
  are bridged. Nothing is interpolated across a long gap. Each stretch is analysed on its
  own and the segment spectra of all stretches are averaged (a length-weighted mean);
  stretches shorter than one segment are left out and reported.
* **Welch** (default): each stretch is resampled at ``resample_hz`` (4 Hz) by a cubic
  spline through the (beat time, interval) points, cut into segments of
  ``min(segment_s, longest stretch)`` seconds (150 s) with at least 50 % overlap, spread
  evenly so that the last segment ends with the stretch (no data left over; a 5-min
  recording averages three segments); each segment is linearly detrended and
  Hann-tapered; the PSD is one-sided, density-scaled, in ms²/Hz. Why 150 s: averaging
  three segments instead of taking one 256-s periodogram cuts the scatter of each PSD
  bin about threefold, while 1/150 Hz bins (Hann main lobe ±0.013 Hz) still resolve the
  LF band's lower edge at 0.04 Hz (which needs segments of about 100-150 s or more).
  The length is fixed, not a fraction of the recording, so two recordings of at least
  150 s (a pre and a post one of different lengths) share one frequency grid. **VLF**
  power (0.0033-0.04 Hz, periods up to 300 s) is read from a second Welch estimate with
  segments of ``vlf_min_s`` (300 s), placed the same way: 150-s segments do not resolve
  it (a 200-s oscillation lost three quarters of its power); ``info["vlf_segment_s"]``
  records it.
* **Lomb–Scargle** (``SpectrumMethod.LOMB``): on the uneven series, same segments and
  detrending, no taper, frequency grid spaced ``1 / (4 T)`` up to 0.5 Hz, scaled to
  ms²/Hz so that a sinusoid of amplitude A ms carries A²/2 ms² as with Welch.
* **Band power**: trapezoid integration of the PSD over the band, with the band edges
  inserted as linearly interpolated points (continuous in the edges; adjacent bands add
  up exactly).
* **Minimum durations** apply to the longest gap-free stretch: HF needs ``hf_min_s``
  (60 s), LF ``lf_min_s`` (120 s), VLF ``vlf_min_s`` (300 s). Below, the value is ``None``
  and a warning says why. Total power is VLF + LF + HF (so it needs VLF); relative powers
  need the total; LF/HF and normalised units need LF and HF.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hrv.config import Bands, SpectrumConfig, SpectrumMethod
from hrv.metrics._bands import BandIntegral
from hrv.metrics._spectrum import (
    LOMB_MAX_HZ,
    LOMB_OVERSAMPLING,
    Psd,
    Stretches,
    lomb_psd,
    split_stretches,
    welch_psd,
)
from hrv.types import Intervals, QualityWarning, Spectrum

__all__ = ["FrequencyDomain", "Spectrum", "frequency_domain"]


@dataclasses.dataclass(frozen=True, eq=False)
class FrequencyDomain:
    """Frequency-domain markers; ``None`` where the data is too short (see ``warnings``).

    Powers are in ms², ``ln_*`` their natural logarithms, ``*_pct`` percentages of the
    total power (VLF + LF + HF), ``lf_nu``/``hf_nu`` normalised units
    ``100 · LF / (LF + HF)``, peak frequencies in Hz. Names match :class:`hrv.types.Metrics`.
    """

    vlf_power_ms2: float | None = None
    lf_power_ms2: float | None = None
    hf_power_ms2: float | None = None
    total_power_ms2: float | None = None
    ln_vlf: float | None = None
    ln_lf: float | None = None
    ln_hf: float | None = None
    vlf_pct: float | None = None
    lf_pct: float | None = None
    hf_pct: float | None = None
    lf_hf_ratio: float | None = None
    lf_nu: float | None = None
    hf_nu: float | None = None
    vlf_peak_hz: float | None = None
    lf_peak_hz: float | None = None
    hf_peak_hz: float | None = None
    spectrum: Spectrum | None = None
    warnings: tuple[QualityWarning, ...] = ()
    info: Mapping[str, Any] = dataclasses.field(default_factory=dict)


_BANDS = (("vlf", "VLF", "vlf_min_s"), ("lf", "LF", "lf_min_s"), ("hf", "HF", "hf_min_s"))


def frequency_domain(
    nn: Intervals,
    spectrum: SpectrumConfig = SpectrumConfig(),
    bands: Bands = Bands(),
) -> FrequencyDomain:
    """Spectral HRV markers of an NN series.

    Parameters
    ----------
    nn : Intervals
        Clean NN intervals (ms) with beat times (s) and gap flags, shape (n,).
    spectrum : SpectrumConfig
        PSD method (Welch on the 4 Hz cubic-spline resampled series, or Lomb–Scargle),
        segment length (150 s, shortened to the longest stretch), least overlap (50 %),
        detrending, window and minimum durations.
    bands : Bands
        VLF, LF and HF band edges in Hz (Task Force 1996 by default).

    Returns
    -------
    FrequencyDomain
        Band powers (ms²), log powers, relative powers (%), normalised units, LF/HF, band
        peak frequencies (Hz), the PSD itself (ms²/Hz), warnings for values not reported,
        and ``info`` with every choice that changed a number.

    Raises
    ------
    hrv.errors.InvalidInputError
        If beat times are not strictly increasing or values are not finite.

    References
    ----------
    Task Force of ESC/NASPE (1996) Circulation 93:1043-1065. Welch PD (1967) IEEE Trans
    Audio Electroacoust 15:70-73. Lomb NR (1976) Astrophys Space Sci 39:447-462;
    Scargle JD (1982) Astrophys J 263:835-853. Vest AN et al. (2018) Physiol Meas
    39:105004 (band-edge handling).
    """
    parts = split_stretches(nn, spectrum.max_bridged_gap_s)
    longest = parts.longest_s
    recorded = _recorded_s(nn)
    info: dict[str, Any] = {
        "method": spectrum.method.value,
        "psd_units": "ms^2/Hz, one-sided, density scaling",
        "band_integration": "trapezoid with linearly interpolated band edges",
        "detrend": spectrum.detrend.value,
        "overlap": spectrum.overlap,
        "segment_placement": "spread evenly to the end of each stretch, overlap >= overlap",
        "segment_s_requested": spectrum.segment_s,
        "max_bridged_gap_s": spectrum.max_bridged_gap_s,
        "bands_hz": {"vlf": bands.vlf_hz, "lf": bands.lf_hz, "hf": bands.hf_hz},
        "total_power": "vlf + lf + hf",
        "recorded_s": recorded,
        "longest_stretch_s": longest,
        "n_stretches": int(parts.start.size),
        "n_gaps_split": parts.n_split,
        "n_holes_bridged": parts.n_bridged,
    }
    if spectrum.method is SpectrumMethod.WELCH:
        info.update(
            resample_hz=spectrum.resample_hz,
            interpolation=spectrum.interpolation.value,
            window=spectrum.window,
        )
    else:
        info.update(
            interpolation="none",
            window="none",
            lomb_oversampling=LOMB_OVERSAMPLING,
            lomb_max_hz=LOMB_MAX_HZ,
        )

    warnings: list[QualityWarning] = []
    available: dict[str, bool] = {}
    for key, label, min_attr in _BANDS:
        need = float(getattr(spectrum, min_attr))
        available[key] = longest + 1e-6 >= need
        if not available[key]:
            warnings.append(
                QualityWarning(
                    f"too_short_for_{key}",
                    f"{_describe_length(longest, recorded, parts)}; {label} power needs at "
                    f"least {need:g} s.",
                )
            )
    if not any(available.values()):
        return FrequencyDomain(warnings=tuple(warnings), info=info)

    psd = _psd(nn, parts, spectrum)
    if psd is None:
        warnings.append(
            QualityWarning("spectrum_unavailable", "too few beats to estimate a spectrum.")
        )
        return FrequencyDomain(warnings=tuple(warnings), info=info)
    info.update(
        segment_s=psd.segment_s,
        n_segments=psd.n_segments,
        analysed_s=psd.analysed_s,
        excluded_s=psd.excluded_s,
        freq_resolution_hz=float(psd.freq_hz[1] - psd.freq_hz[0]),
    )
    if psd.excluded_s > 0.5:
        warnings.append(
            QualityWarning(
                "spectrum_stretches_excluded",
                f"{psd.excluded_s:.0f} s of data in stretches shorter than one "
                f"{psd.segment_s:.0f}-s spectral segment (between gaps) were left out of "
                "the spectrum.",
            )
        )
    vlf_psd = None
    if available["vlf"] and psd.segment_s < spectrum.vlf_min_s - 1e-6:
        # A VLF oscillation (down to 0.0033 Hz, a 300-s period) is not resolved by the
        # short segments that LF and HF average over: its power is read from segments
        # of vlf_min_s (a 200-s oscillation lost three quarters of its power at 150 s).
        vlf_psd = _psd(nn, parts, dataclasses.replace(spectrum, segment_s=spectrum.vlf_min_s))
        if vlf_psd is not None:
            info.update(vlf_segment_s=vlf_psd.segment_s, vlf_n_segments=vlf_psd.n_segments)
    rr = np.asarray(nn.rr_ms, dtype=np.float64)
    mean_nn_ms = float(np.add.reduce(rr) / rr.size)  # np.mean(nn.rr_ms)
    beat_nyquist_hz = 500.0 / mean_nn_ms if mean_nn_ms > 0 else float("inf")
    info["beat_nyquist_hz"] = beat_nyquist_hz
    if available["hf"] and beat_nyquist_hz < bands.hf_hz[1]:
        # the tachogram is sampled once per beat: above half the mean heart rate the
        # spectrum shows interpolation and aliasing, not variability
        warnings.append(
            QualityWarning(
                "hf_above_beat_nyquist",
                f"mean heart rate is {120.0 * beat_nyquist_hz:.0f}/min, so the NN series "
                f"cannot resolve oscillations above {beat_nyquist_hz:.2f} Hz; the upper part "
                f"of the HF band (up to {bands.hf_hz[1]:g} Hz) is not reliable.",
            )
        )
    return _assemble(psd, bands, available, spectrum.method, warnings, info, vlf_psd)


def _psd(nn: Intervals, parts: Stretches, cfg: SpectrumConfig) -> Psd | None:
    if cfg.method is SpectrumMethod.WELCH:
        return welch_psd(nn, parts, cfg)
    return lomb_psd(nn, parts, cfg)


def _assemble(
    psd: Psd,
    bands: Bands,
    available: Mapping[str, bool],
    method: SpectrumMethod,
    warnings: list[QualityWarning],
    info: Mapping[str, Any],
    vlf_psd: Psd | None = None,
) -> FrequencyDomain:
    f, p = psd.freq_hz, psd.psd_ms2_per_hz
    edges = {"vlf": bands.vlf_hz, "lf": bands.lf_hz, "hf": bands.hf_hz}
    power: dict[str, float | None] = {}
    peak: dict[str, float | None] = {}
    integral = BandIntegral(f, p)
    vlf_integral = (None if vlf_psd is None
                    else BandIntegral(vlf_psd.freq_hz, vlf_psd.psd_ms2_per_hz))
    for key, (lo, hi) in edges.items():
        if available[key]:
            src = vlf_integral if key == "vlf" and vlf_integral is not None else integral
            power[key] = src.power(lo, hi)
            peak[key] = src.peak(lo, hi)
        else:
            power[key] = peak[key] = None
    vlf, lf, hf = power["vlf"], power["lf"], power["hf"]
    total = vlf + lf + hf if vlf is not None and lf is not None and hf is not None else None
    lf_hf = lf + hf if lf is not None and hf is not None else None
    return FrequencyDomain(
        vlf_power_ms2=vlf,
        lf_power_ms2=lf,
        hf_power_ms2=hf,
        total_power_ms2=total,
        ln_vlf=_ln(vlf),
        ln_lf=_ln(lf),
        ln_hf=_ln(hf),
        vlf_pct=_ratio(vlf, total, 100.0),
        lf_pct=_ratio(lf, total, 100.0),
        hf_pct=_ratio(hf, total, 100.0),
        lf_hf_ratio=_ratio(lf, hf, 1.0),
        lf_nu=_ratio(lf, lf_hf, 100.0),
        hf_nu=_ratio(hf, lf_hf, 100.0),
        vlf_peak_hz=peak["vlf"],
        lf_peak_hz=peak["lf"],
        hf_peak_hz=peak["hf"],
        spectrum=Spectrum(freq_hz=f, psd_ms2_per_hz=p, method=method.value),
        warnings=tuple(warnings),
        info=info,
    )


def _ln(x: float | None) -> float | None:
    return math.log(x) if x is not None and x > 0 else None


def _ratio(num: float | None, den: float | None, scale: float) -> float | None:
    if num is None or den is None or not den > 0:
        return None
    return scale * num / den


def _recorded_s(nn: Intervals) -> float:
    if len(nn) == 0:
        return 0.0
    return float(nn.t_s[-1] - (nn.t_s[0] - nn.rr_ms[0] / 1000.0))


def seconds(x: float) -> str:
    """A measured length in words: ``"299.5 s"``, ``"300 s"`` (a decimal unless whole),
    rounded down to the tenth, so that a recording just short of a limit is not reported
    as reaching it."""
    tenth = math.floor(x * 10.0 + 1e-6) / 10.0
    return f"{tenth:.0f} s" if tenth == round(tenth) else f"{tenth:.1f} s"


def _describe_length(longest: float, recorded: float, parts: Stretches) -> str:
    if parts.n_split == 0:
        return f"The recording is {seconds(longest)} long"
    return (
        f"The longest stretch without a gap is {seconds(longest)} "
        f"(of {seconds(recorded)} recorded, split by {parts.n_split} gap(s))"
    )
