"""Breathing rate derived from the ECG (EDR) and from the PPG (PDR).

Breathing modulates each beat: the ECG's electrical axis and thoracic impedance change
the R-wave amplitude and QRS area; the PPG's pulse amplitude (AM), baseline (BW) and
the pulse interval (FM, respiratory sinus arrhythmia) follow the breath. Each
beat-by-beat series is resampled evenly, and the spectra of the series are normalised
and averaged; the breathing rate is the frequency of the highest *genuine* peak of that
mean spectrum (``hrv.respiration._modulation``): a local maximum between 4 and 36
breaths/min, away from the edges of the 0.05-0.7 Hz search range, standing clearly above
the spectrum's floor and above the troughs either side of it. A spectrum that simply falls with
frequency (1/f-shaped modulation, no breathing rhythm) gives no rate: its highest value
in the range is its first bin, which is no breathing rate. Spectral averaging of several
modulations is the fusion approach of Orphanidou et al. (2013) and Charlton et al.
(2016) Physiol Meas 37:610.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hrv._dsp import (
    BLOCK_SAMPLES,
    WorkingSignal,
    as_waveform,
    fill_nan,
    filtered_blocks,
    map_chunks,
    median_of,
    sliding_rows,
    working_factor,
    working_signal,
)
from hrv.config import ECG_SAMPLING_RATE_HZ
from hrv.respiration._modulation import MIN_BEATS, SLOW_BPM, fused_rate, modulation_spectrum
from hrv.types import FloatArray

AnyFloatArray = FloatArray | npt.NDArray[np.float32]

__all__ = [
    "ecg_derived_respiration_bpm", "ecg_rate_filled", "ppg_derived_respiration_bpm",
    "ppg_rate_filled",
]

ECG_MIN_FS_HZ = ECG_SAMPLING_RATE_HZ.min_hz  # the ECG detector's lowest rate
# Working-rate EDR: per-beat baseline window before the R peak (s; the PR segment), the
# row-wise low-pass (Hz) and its half-length in samples.
BASELINE_S = (0.10, 0.14)
EDR_LOWPASS_HZ = 40.0
LOWPASS_TAPS = 6  # each side of the low-pass kernel
BEAT_CHUNK = 4096  # beats processed together


def _beat_indices(beat_times_s: npt.ArrayLike, fs: float, n: int, margin: int
                  ) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    t = np.asarray(beat_times_s, dtype=np.float64).ravel()
    t = np.sort(t[np.isfinite(t)])
    idx = np.round(t * fs).astype(np.intp)
    ok = (idx - margin >= 0) & (idx + margin < n)
    return t[ok], idx[ok]


def _beat_windows(x: AnyFloatArray, fs: float, band_hz: tuple[float, float],
                  idx: npt.NDArray[np.intp], before: int, after: int) -> FloatArray:
    """Band-passed signal around each beat: row i is ``f[idx[i] - before: idx[i] + after + 1]``.

    The filter runs block by block (:func:`hrv._blockfilter.filtered_blocks`), so only
    these few samples per beat are kept, never a filtered copy of the whole recording.
    ``idx`` must be sorted, with every window inside the recording.
    """
    n = len(x)
    rows = np.empty((len(idx), before + after + 1))
    offs = np.arange(-before, after + 1)
    bounds = np.concatenate(([0], np.arange(BLOCK_SAMPLES, n, BLOCK_SAMPLES), [n]))
    for a, b, s, f in filtered_blocks(x, fs, band_hz[0], band_hz[1], bounds.astype(np.intp),
                                      margin=max(before, after) + 1):
        j0, j1 = np.searchsorted(idx, [a, b])
        if j1 > j0:
            rows[j0:j1] = f[(idx[j0:j1] - s)[:, None] + offs[None, :]]
    return rows


def _drop_close_smaller(t: FloatArray, amp: FloatArray) -> npt.NDArray[np.bool_]:
    """Of two beats closer than half the median interval, keep the larger one.

    A T wave or pacing spike detected as an extra beat would otherwise alternate with
    the R waves in the amplitude series and swamp the respiratory modulation.
    """
    keep = np.ones(len(t), dtype=bool)
    if len(t) < 3:
        return keep
    d = t[1:] - t[:-1]
    close = (d < 0.5 * median_of(d)).nonzero()[0]
    smaller = np.where(amp[close] < amp[close + 1], close, close + 1)
    keep[smaller] = False
    return keep


def ecg_derived_respiration_bpm(
    samples: npt.ArrayLike, fs_hz: float, beat_times_s: npt.ArrayLike, *,
    abnormal: npt.ArrayLike | None = None,
) -> float | None:
    """Breathing rate from R-wave amplitude and QRS-area modulation of an ECG.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Raw ECG (any linear unit, either polarity).
    fs_hz : float
        Sampling rate in Hz.
    beat_times_s : array_like, shape (m,)
        R-peak times in seconds.
    abnormal : array_like of bool, shape (m,), optional
        Beats whose QRS shape differs from the running template (ventricular ectopy,
        or noise taken for a beat). A rate below 8.5/min, which declares HF power
        invalid, stands only when the beats of normal shape alone give a rate below
        8.5/min too: the amplitudes of ectopic or noisy complexes modulate the series
        by their shape, not by breathing.

    Returns
    -------
    float or None
        Breaths per minute (4–36), or ``None`` with fewer than 15 beats or 30 s, or
        without a genuine breathing peak in the modulation spectra (see
        :func:`~hrv.respiration._modulation.fused_rate`), or for a slow rate that the
        beats of normal shape do not confirm.

    Notes
    -----
    R amplitude = peak minus the minimum of the 80 ms before it (baseline-free); QRS
    area = integral of the absolute band-passed ECG over ±50 ms. The two normalised
    spectra are averaged (Moody et al. 1985, Computers in Cardiology 12:113;
    Charlton et al. 2016, Physiol Meas 37:610). From 200 Hz up, the features are read
    at 100–200 Hz (block averages of the raw samples, as the ECG detector works), each
    beat's window interpolated at its sub-sample position and the R peak by a parabola.
    """
    filled, _ = fill_nan(as_waveform(samples, fs_hz, name="ECG"))
    return ecg_rate_filled(filled, float(fs_hz), beat_times_s, abnormal=abnormal)


def ecg_rate_filled(filled: FloatArray, fs: float, beat_times_s: npt.ArrayLike,
                     work: WorkingSignal | None = None, *,
                     abnormal: npt.ArrayLike | None = None) -> float | None:
    """:func:`ecg_derived_respiration_bpm` on a validated, NaN-filled ECG (pipeline use).

    From 200 Hz up the beat features are read at the ECG detector's working rate
    (100–200 Hz; ``work``, computed here when not given): the 0.5–40 Hz band fits
    below its Nyquist frequency, and filtering it costs a fraction of the full rate.
    """
    rate = _ecg_rate(filled, fs, beat_times_s, work)
    if rate is None or rate >= SLOW_BPM or abnormal is None:
        return rate
    odd = np.asarray(abnormal, dtype=bool).ravel()
    t = np.asarray(beat_times_s, dtype=np.float64).ravel()
    if odd.shape != t.shape or not odd.any():
        return rate
    again = _ecg_rate(filled, fs, t[~odd], work)
    return rate if again is not None and again < SLOW_BPM else None


def _ecg_rate(filled: FloatArray, fs: float, beat_times_s: npt.ArrayLike,
              work: WorkingSignal | None) -> float | None:
    if len(filled) < 16:
        return None
    k = working_factor(fs) if fs >= ECG_MIN_FS_HZ else 1
    if k > 1 and len(filled) // k >= 16:
        ws = work if work is not None else working_signal(filled, fs)
        return _ecg_rate_working(ws, beat_times_s)
    half = max(round(0.05 * fs), 1)
    pre = max(round(0.08 * fs), 2)
    t, idx = _beat_indices(beat_times_s, fs, len(filled), max(half, pre) + 1)
    if len(t) < MIN_BEATS:
        return None
    before = max(half, pre)
    w = _beat_windows(filled, fs, (0.5, 40.0), idx, before, half)
    # polarity of each recording: use the sign that makes R peaks positive
    sign = 1.0 if np.median(w[:, before]) >= 0 else -1.0
    g = sign * w
    r_amp = g[:, before] - g[:, before - pre: before + 1].min(axis=1)
    keep = _drop_close_smaller(t, r_amp)
    t, r_amp = t[keep], r_amp[keep]
    area = np.abs(g[keep, before - half:]).sum(axis=1) / fs
    return fused_rate([modulation_spectrum(t, r_amp), modulation_spectrum(t, area)])


def _ecg_rate_working(work: WorkingSignal, beat_times_s: npt.ArrayLike) -> float | None:
    """The ECG features of :func:`ecg_rate_filled` on the working-rate signal.

    Only the samples around the beats are read: each beat's raw window is low-passed at
    40 Hz (zero phase, :func:`_lowpass_kernel`) and referred to a per-beat baseline,
    the mean of the ``BASELINE_S`` window before the QRS; no 0.5 Hz high-pass runs over
    the whole recording. The R amplitude (a difference within the window) does not
    depend on that baseline; the QRS area is taken about it, i.e. about the isoelectric
    level just before the QRS. Each beat's window is interpolated
    linearly at its sub-sample position (working sample i is centred on raw sample
    ``i k + (k - 1) / 2``); the R amplitude takes the peak of a parabola through the
    largest sample within one sample of the beat and its neighbours, so that the
    coarser grid does not modulate it from beat to beat.
    """
    fs, k = work.fs_hz, work.factor
    x = work.samples
    half = max(round(0.05 * fs), 1)
    pre = max(round(0.08 * fs), 2)
    before = max(half, pre)
    b_lo, b_hi = (max(round(s * fs), before + 2) for s in BASELINE_S)
    b_hi = max(b_hi, b_lo + 1)
    ctx = LOWPASS_TAPS
    lead, tail = b_hi + ctx, half + 2 + ctx
    t = np.asarray(beat_times_s, dtype=np.float64).ravel()
    t = np.sort(t[np.isfinite(t)])
    pos = t * fs - (k - 1) / (2 * k)
    idx = np.floor(pos).astype(np.intp)
    ok = (idx - lead >= 0) & (idx + tail < len(x))
    t, idx, frac = t[ok], idx[ok], (pos - idx)[ok]
    if len(t) < MIN_BEATS:
        return None
    feats = np.empty((6, len(idx)))

    def chunk(j0: int) -> None:  # each chunk of beats fills its own columns (threads)
        j1 = min(len(idx), j0 + BEAT_CHUNK)
        feats[:, j0:j1] = _beat_features(x, fs, idx[j0:j1], frac[j0:j1], lead, tail,
                                         b_hi - b_lo + 1, pre, half)

    map_chunks(chunk, range(0, len(idx), BEAT_CHUNK))
    at_beat, peak_pos, peak_neg, low, high, area = feats
    # polarity of the recording: the sign that makes R peaks positive
    r_amp = peak_pos - low if median_of(at_beat) >= 0 else peak_neg + high
    keep = _drop_close_smaller(t, r_amp)
    t = t[keep]
    return fused_rate([modulation_spectrum(t, r_amp[keep]),
                       modulation_spectrum(t, area[keep] / fs)])


def _beat_features(x: npt.NDArray[np.float32], fs: float, idx: npt.NDArray[np.intp],
                   frac: FloatArray, lead: int, tail: int, n_base: int, pre: int, half: int
                   ) -> FloatArray:
    """Per-beat features of one chunk of beats, in rows: the low-passed value at the
    beat, the parabolic R peak in either polarity, the lowest and highest value of the
    ``pre`` samples up to the beat, and the summed absolute value over +-``half``.

    Samples are rows and beats columns: every operation runs along long contiguous rows
    (a row per beat would make numpy loop over rows of 27 samples), and a chunk of beats
    stays in the CPU caches.
    """
    # Each beat's samples as a column: its row of a strided view, transposed into a
    # C-ordered float64 array (the columns' reductions below run over the rows in order).
    raw = np.array(sliding_rows(x, lead + tail + 1)[idx - lead].T, dtype=np.float64,
                   order="C")
    g = _lowpass_rows(raw, fs)  # rows: samples idx - lead + m .. idx + tail - m
    g -= g[:n_base].mean(axis=0)  # per-beat baseline
    c = lead - LOWPASS_TAPS  # row of sample idx
    # the beat's window interpolated at its sub-sample position (row pre: the beat)
    w = g[c - pre: c + half + 2].copy()
    step = w[1:] - w[:-1]
    step *= frac
    w = w[:-1]
    w += step
    out = np.empty((6, len(idx)))
    out[0] = w[pre]
    # The parabolic peak in both polarities in one call (each column is its own).
    around = g[c - 1: c + 3]
    peaks = _parabolic_peak(np.concatenate((around, -around), axis=1))
    out[1] = peaks[: len(idx)]
    out[2] = -peaks[len(idx):]
    out[3] = w[: pre + 1].min(axis=0)
    out[4] = w[: pre + 1].max(axis=0)
    np.abs(w[pre - half:], out=w[pre - half:])
    out[5] = w[pre - half:].sum(axis=0)
    return out


@lru_cache(maxsize=16)
def _lowpass_kernel(fs: float) -> FloatArray:
    """Impulse response (``2 LOWPASS_TAPS + 1`` taps, unit DC gain) of the zero-phase
    40 Hz Butterworth low-pass (2nd order, forward and backward) at ``fs``.

    At 100-200 Hz the response has decayed to below 1 % of its peak within six
    samples, so the truncated kernel filters like the recursive one.
    """
    from scipy import signal as sps  # loads on first use
    sos = sps.butter(2, min(EDR_LOWPASS_HZ, 0.45 * fs), btype="lowpass", fs=fs, output="sos")
    m = LOWPASS_TAPS
    delta = np.zeros(16 * m + 1)
    delta[8 * m] = 1.0
    h = sps.sosfiltfilt(sos, delta)[7 * m: 9 * m + 1]
    return np.asarray(h / h.sum(), dtype=np.float64)


def _lowpass_rows(raw: npt.NDArray[np.float32] | FloatArray, fs: float) -> FloatArray:
    """Each column of ``raw`` low-passed (:func:`_lowpass_kernel`); ``LOWPASS_TAPS`` rows
    shorter at each end. The kernel is symmetric: one product per pair of taps."""
    h = _lowpass_kernel(fs)
    m = LOWPASS_TAPS
    r = np.asarray(raw, dtype=np.float64)
    nrow = r.shape[0] - 2 * m
    out = r[m: m + nrow] * h[m]
    pair = np.empty_like(out)
    for j in range(1, m + 1):
        np.add(r[m - j: m - j + nrow], r[m + j: m + j + nrow], out=pair)
        pair *= h[m + j]
        out += pair
    return out


def _parabolic_peak(g: FloatArray) -> FloatArray:
    """Peak of a parabola through the larger of ``g[1]`` and ``g[2]`` (the samples
    around each beat, one column per beat) and its two neighbours."""
    up = g[2] > g[1]
    y0 = np.where(up, g[1], g[0])
    y1 = np.where(up, g[2], g[1])
    y2 = np.where(up, g[3], g[2])
    den = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(den < 0, 0.5 * (y0 - y2) / den, 0.0)
    d = np.minimum(np.maximum(d, -1.0), 1.0)  # np.clip (d is never NaN here)
    return np.asarray(y1 - 0.25 * (y0 - y2) * d, dtype=np.float64)


def ppg_derived_respiration_bpm(
    samples: npt.ArrayLike, fs_hz: float, beat_times_s: npt.ArrayLike
) -> float | None:
    """Breathing rate from the amplitude, baseline and frequency modulation of a PPG.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Raw PPG (larger = more blood volume).
    fs_hz : float
        Sampling rate in Hz.
    beat_times_s : array_like, shape (m,)
        Pulse times in seconds (any fiducial on the upstroke, e.g. maximum slope).

    Returns
    -------
    float or None
        Breaths per minute (4–36), or ``None`` with fewer than 15 pulses or 30 s, or
        without a genuine breathing peak in the modulation spectra.

    Notes
    -----
    Per pulse: foot = minimum in the 0.4 s before the pulse time, peak = maximum in the
    0.4 s after; AM = peak − foot, BW = (peak + foot) / 2, FM = pulse interval. The
    three normalised spectra are averaged (Karlen et al. 2013, IEEE TBME 60:1946, fuse
    the same three modulations; Charlton et al. 2016).
    """
    filled, _ = fill_nan(as_waveform(samples, fs_hz, name="PPG"))
    return ppg_rate_filled(filled, float(fs_hz), beat_times_s)


def ppg_rate_filled(filled: FloatArray, fs: float, beat_times_s: npt.ArrayLike
                    ) -> float | None:
    """:func:`ppg_derived_respiration_bpm` on a validated, NaN-filled PPG (pipeline use)."""
    if len(filled) < 16:
        return None
    w = max(round(0.4 * fs), 2)
    t, idx = _beat_indices(beat_times_s, fs, len(filled), w + 1)
    if len(t) < MIN_BEATS:
        return None
    rows = _beat_windows(filled, fs, (0.05, 8.0), idx, w, w)
    foot = rows[:, : w + 1].min(axis=1)
    peak = rows[:, w:].max(axis=1)
    am = peak - foot
    bw = 0.5 * (peak + foot)
    tm = 0.5 * (t[1:] + t[:-1])
    fm = np.diff(t)
    ok = fm < 1.5 * np.median(fm)  # an interval across an excluded stretch is no beat
    return fused_rate([modulation_spectrum(t, am), modulation_spectrum(t, bw),
                       modulation_spectrum(tm[ok], fm[ok])])
