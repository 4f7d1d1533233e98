"""Plausibility of the declared sampling rate of an ECG, from its mains interference.

A recording whose declared rate is wrong (a 360-Hz ECG sent as 250 Hz) is analysed on a
stretched time axis: heart rate, every interval and RMSSD are off by the same factor,
and nothing in the beats themselves proves it (QRS widths and heart rates of different
people overlap by more than such a factor). Mains interference does: it is a narrow line
at 50 or 60 Hz (or a harmonic, folded below the Nyquist frequency), whatever the person.
A strong narrow line above 30 Hz that is no mains frequency at the declared rate, but
would be at another rate, says the rate is wrong: the rates at which the line falls on
50 or 60 Hz are the candidates (named as the rates in common use they match). A warning
(``sampling_rate_implausible``) is given when both candidates differ from the declared
rate by more than ``MIN_RATE_ERROR`` (a 360-Hz recording declared as 250 Hz: 300 or
360 Hz, 20 or 44 % off). Without a mains line (a notch-filtered or battery-powered
recording) nothing is said.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hrv._dsp import all_finite, hanning, median_rows, sliding_rows
from hrv.types import QualityWarning

__all__ = ["is_mains", "line_frequency", "rate_from_line"]

MAINS_HZ = (50.0, 60.0)
LINE_MIN_HZ = 30.0
LINE_PROMINENCE = 8.0  # line power over the median power within +-5 Hz
MAINS_TOL = 0.015  # relative: a line within 1.5 % of a (folded) mains harmonic is mains
MIN_RATE_ERROR = 0.10
COMMON_RATES_HZ = (100.0, 125.0, 128.0, 200.0, 250.0, 256.0, 300.0, 360.0, 400.0, 500.0,
                   512.0, 1000.0, 1024.0, 2000.0)
SEGMENT_S = 4.0
MAX_SPAN_S = 120.0  # the first two minutes suffice for a line spectrum


def _folded(f: float, fs: float) -> float:
    """Frequency ``f`` as seen after sampling at ``fs`` (folded into 0..fs/2)."""
    r = f % fs
    return min(r, fs - r)


def is_mains(f: float, fs: float) -> bool:
    """Whether a line at ``f`` Hz is mains (50/60 Hz or a harmonic, folded) at rate
    ``fs``."""
    for m in MAINS_HZ:
        for h in (1, 2, 3):
            g = _folded(h * m, fs)
            if g > 0 and abs(f - g) <= MAINS_TOL * g:
                return True
    return False


@lru_cache(maxsize=16)
def _line_band(n_seg: int, fs_hz: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """The segment spectrum's frequencies and the indices of those above
    ``LINE_MIN_HZ`` (cached, read-only)."""
    f = np.asarray(np.fft.rfftfreq(n_seg, 1.0 / fs_hz), dtype=np.float64)
    band = (f > LINE_MIN_HZ).nonzero()[0]
    f.flags.writeable = False
    band.flags.writeable = False
    return f, band


def line_frequency(x: npt.NDArray[np.generic], fs_hz: float, *, finite: bool = False
                   ) -> float | None:
    """The frequency (Hz, as sampled: folded below ``fs_hz / 2``) of the strongest narrow
    line above ``LINE_MIN_HZ`` in the first ``MAX_SPAN_S`` of ``x``, or ``None``
    without one standing ``LINE_PROMINENCE`` times over its neighbourhood.

    ``finite`` says every sample of ``x`` is known to be finite (no test needed).
    """
    n_seg = round(SEGMENT_S * fs_hz)
    span = np.asarray(x[: round(MAX_SPAN_S * fs_hz)], dtype=np.float64)
    if span.size < 4 * n_seg or fs_hz / 2 <= LINE_MIN_HZ + 5:
        return None
    # A finite span: the same mean as np.nanmean, without its masked copies.
    span = (span - span.mean() if finite or all_finite(span)
            else np.nan_to_num(span - np.nanmean(span)))
    # Welch without scipy.signal: Hann-tapered segments, half overlap (read as rows of
    # a strided view: no index matrix).
    step = n_seg // 2
    rows = sliding_rows(span, n_seg)[::step]
    seg = rows - rows.mean(axis=1, keepdims=True)
    seg *= hanning(n_seg)
    # |X|² summed over the segments as re² + im² (one pass, no complex modulus).
    spec = np.fft.rfft(seg, axis=1).view(np.float64)
    acc = np.einsum("ij,ij->j", spec, spec)
    p = (acc[0::2] + acc[1::2]) / spec.shape[0]
    f, band = _line_band(n_seg, float(fs_hz))
    if band.size < 3:
        return None
    i = int(band[p[band].argmax()])
    near = (f > f[i] - 5.0) & (f < f[i] + 5.0)
    floor = float(median_rows(p[near]))
    if floor <= 0 or p[i] / floor < LINE_PROMINENCE:
        return None
    lo, hi = max(i - 1, 0), min(i + 1, f.size - 1)
    den = p[lo] - 2 * p[i] + p[hi]
    off = 0.5 * (p[lo] - p[hi]) / den if den < 0 else 0.0
    return float(f[i] + off * (f[1] - f[0]))


def rate_from_line(line: float | None, fs_hz: float) -> tuple[QualityWarning, ...]:
    """``sampling_rate_implausible`` when the recording's line (:func:`line_frequency`)
    is no mains frequency at ``fs_hz`` but would be at another rate."""
    if line is None or is_mains(line, fs_hz):
        return ()
    implied = [fs_hz * m / line for m in MAINS_HZ]
    if min(abs(r / fs_hz - 1) for r in implied) <= MIN_RATE_ERROR:
        return ()
    # Name the rates in common use that the line fits (50- or 60-Hz mains), else both.
    named = sorted({min(COMMON_RATES_HZ, key=lambda c: abs(c - r)) for r in implied
                    if any(abs(r - c) <= 0.01 * c for c in COMMON_RATES_HZ)})
    shown = " or ".join(f"{r:.0f} Hz" for r in (named or sorted(implied)))
    return (QualityWarning(
        "sampling_rate_implausible",
        f"the declared sampling rate ({fs_hz:g} Hz) looks wrong: the mains interference "
        f"appears at {line:.1f} Hz instead of 50 or 60 Hz, as if the signal were sampled "
        f"at {shown}; heart rate and every interval scale with the rate, so check the "
        "rate before reading any value",
    ),)
