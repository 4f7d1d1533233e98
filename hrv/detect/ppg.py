"""Pulse detection in photoplethysmograms (PPG / BVP), with motion-artefact exclusion.

The output is pulse-rate variability (PRV), not HRV: pulse arrival time varies with
blood pressure and vascular tone, so pulse intervals are not identical to RR intervals.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from hrv._dsp import bandpass, fill_nan
from hrv.config import DetectionConfig, PpgFiducial, QualityConfig
from hrv.detect import _ppg_core as core
from hrv.detect._ppg_input import MAX_FRAME_JITTER, even_ppg, frame_jitter_s
from hrv.quality import assess_waveform
from hrv.types import (
    BeatDetection,
    ExcludedWindow,
    FloatArray,
    QualityWarning,
    SignalKind,
    merge_windows,
)

__all__ = ["detect_ppg"]

DETECTOR = "elgendi2013-tem-upstroke"
BAND_HZ = (0.5, 5.0)
_UPSAMPLE_BELOW_HZ = 60.0
MOTION_MARGIN_S = 0.5
#: A pulse wave rises in systole (0.1-0.2 s) and falls through diastole, so a band-passed
#: PPG rises for under half of each cycle (0.21-0.40 of the samples on the shared BIDMC
#: and CinC recordings and the usable phone ones, up to 0.49 on unusable phone ones;
#: 0.58 for a synthetic pulse at 128/min whose upstroke has a shoulder). One that rises
#: for more than this share has its fast edge pointing down: a raw light-intensity
#: signal (camera, most optical sensors), which is inverted before detection. Of the 27
#: shared PPGs none is inverted and, turned upside down, 23 are recognised (the other
#: four sit at 0.51-0.60). Near one half (fast heart rates, noise) the polarity is left
#: as it is.
INVERTED_RISING_SHARE = 0.6
# Beat-detection confidence of the kept pulses (``_ppg_core.pulse_confidence``), tuned
# on BIDMC 01, 03, 05 (reported beside 02, 04 and CinC 2015 a103l): a pulse time jitter
# of j ms adds about sqrt(6) j to RMSSD, so 2.5 ms keeps it within a few ms; breathing
# modulates pulse amplitude by about 10 % at rest.
MIN_TEMPLATE_CORRELATION = 0.99
MAX_AMPLITUDE_CV = 0.15
MAX_FIDUCIAL_JITTER_MS = 2.5
# At least 90 % of the pulses with agreeing fiducials (``_ppg_core.FIDUCIAL_AGREE_MS``):
# 93-99 % on the tuning records.
MIN_FIDUCIAL_AGREEMENT = 0.9


def detect_ppg(
    samples: npt.ArrayLike,
    fs_hz: float | None,
    config: DetectionConfig = DetectionConfig(),
    *,
    times_s: npt.ArrayLike | None = None,
    quality: QualityConfig | None = None,
) -> BeatDetection:
    """Detect pulses in a PPG and time each one at the chosen fiducial point.

    Parameters
    ----------
    samples : array_like, shape (n,)
        PPG samples (any linear unit; ADC integers accepted; NaN marks lost samples).
        Larger values should mean more blood volume; a signal whose pulses point down
        (a raw light intensity: camera, most optical sensors) is recognised by its
        slow rises and fast falls and inverted, with the warning ``"ppg_inverted"``
        (``info["inverted"]``).
    fs_hz : float or None
        Sampling rate in Hz, 25–500 Hz. With ``times_s`` it is the rate of the even grid
        the samples are resampled to; ``None`` then uses the median frame rate.
    config : DetectionConfig
        ``ppg_detector`` and ``ppg_fiducial`` (``max_slope`` by default, ``peak`` or
        ``onset``) are used.
    times_s : array_like, shape (n,), optional
        Uneven sample times in seconds (phone cameras deliver ~30 frames/s with jitter).
        Beat times are then given in this time base. When the frame intervals jitter by
        more than 5 % of the frame interval (robust SD), an ``"irregular_frame_timing"``
        warning is issued: beat-to-beat timing is then unreliable (the pipeline grades
        such a recording poor).
    quality : QualityConfig, optional
        Its ``ppg_window_s`` is the length of the quality windows (8 s by default) and
        ``min_usable_s`` the usable signal below which a warning is issued.

    Returns
    -------
    BeatDetection
        ``times_s`` at sub-sample precision; ``normal`` all ``True`` (PPG morphology does
        not reveal ectopy reliably); ``excluded_windows`` for motion, clipping, flat line,
        disconnection and missing data, with no beat inside them; ``info`` holding the
        detector, fiducial, rates, ``"variability": "PRV"`` and the beat-detection
        confidence of the kept pulses (``template_correlation``, ``amplitude_cv``,
        ``fiducial_jitter_ms``, ``fiducial_agreement``; see
        :func:`hrv.detect._ppg_core.pulse_confidence`). When any of them falls outside
        its limit (``MIN_TEMPLATE_CORRELATION``, ``MAX_AMPLITUDE_CV``,
        ``MAX_FIDUCIAL_JITTER_MS``, ``MIN_FIDUCIAL_AGREEMENT``) a
        ``"pulse_timing_uncertain"`` warning says why; the grading caps such a recording
        at fair.

    Raises
    ------
    InvalidInputError
        For a non-1-D array, non-numeric or infinite samples, or a rate outside 25–500 Hz.
    InsufficientDataError
        For less than 10 s of signal.

    Notes
    -----
    Pipeline: linear resampling of uneven input; NaN gaps bridged for filtering only
    (they are excluded afterwards); zero-phase Butterworth band-pass over ``BAND_HZ``
    (0.5–5 Hz, order 2);
    band-limited upsampling to >= 60 Hz; pulse detection by two event-related moving
    averages (Elgendi et al. 2013, PLoS ONE 8:e76585) run on the positive first
    derivative, so that each candidate is a systolic upstroke and small pulses on a
    drifting baseline are not lost; of two upstrokes within 270 ms the steeper is kept
    (double-humped pulses) and upstrokes under 0.3x as steep as their neighbours' are
    dropped (dicrotic waves); fiducials refined by parabolic
    interpolation: systolic peak, maximum upslope (peak of the first derivative), and
    onset by intersecting tangents (Chiu et al. 1991). Windows failing
    :func:`hrv.quality.assess_waveform` (``quality.ppg_window_s`` windows,
    template-correlation SQI included)
    and runs of pulses that do not resemble the recording's average pulse (unless they
    keep the rhythm) are excluded as ``"motion"``.
    """
    x, fs, t0, resampled = even_ppg(samples, fs_hz, times_s)
    filled, nan = fill_nan(x)
    filtered = bandpass(filled, fs, *BAND_HZ)
    inverted = _points_down(filtered, nan)
    if inverted:
        x, filled, filtered = -x, -filled, -filtered
    up = int(np.ceil(_UPSAMPLE_BELOW_HZ / fs)) if fs < _UPSAMPLE_BELOW_HZ else 1
    work = np.asarray(sps.resample_poly(filtered, up, 1), dtype=np.float64) if up > 1 else filtered
    fs_work = fs * up
    peaks = core.find_pulses(work, fs_work)
    peak_s, slope_s, onset_s, peak_val, foot_val = core.fiducials(work, peaks, fs_work)
    times = {PpgFiducial.PEAK: peak_s, PpgFiducial.MAX_SLOPE: slope_s, PpgFiducial.ONSET: onset_s}[
        config.ppg_fiducial
    ]

    qcfg = quality if quality is not None else QualityConfig()
    qcfg = dataclasses.replace(qcfg, window_s=qcfg.ppg_window_s)
    quality_found = assess_waveform(x, fs, SignalKind.PPG, qcfg, beat_times_s=peak_s)
    beat_windows = core.outlier_pulse_windows(work, peaks, peak_s, peak_val - foot_val, fs_work)
    duration = len(x) / fs
    windows = list(
        merge_windows(
            (_widen(w, duration) for w in (*quality_found.excluded_windows, *beat_windows)),
            first_reason=True,
        )
    )
    keep = np.ones(len(times), dtype=bool)
    for w in windows:  # one pass per excluded window
        keep &= ~w.contains(times)
    keep &= (times >= 0) & (times <= duration)
    beat_times = times[keep] + t0
    confidence = core.pulse_confidence(work, peaks, slope_s, onset_s, peak_val - foot_val,
                                       keep, fs_work)
    warnings: list[QualityWarning] = list(quality_found.warnings)
    jitter_s = 0.0
    if times_s is not None:
        t_frames = np.asarray(times_s, dtype=np.float64)
        jitter_s = frame_jitter_s(t_frames)
        frame_s = float(np.median(np.diff(t_frames)))
        if jitter_s > MAX_FRAME_JITTER * frame_s:
            warnings.append(
                QualityWarning(
                    "irregular_frame_timing",
                    f"the camera delivered frames irregularly (interval jitter "
                    f"{1000 * jitter_s:.1f} ms at {1000 * frame_s:.0f} ms per frame): pulse "
                    "times are uncertain by several ms, which inflates beat-to-beat measures "
                    "such as RMSSD; mean heart rate is still reliable",
                )
            )
    if inverted:
        warnings.append(QualityWarning(
            "ppg_inverted",
            "the pulses point down (a raw light-intensity signal, as cameras and many "
            "optical sensors give): the signal was inverted before the pulses were found"))
    doubts = _timing_doubts(confidence)
    if doubts:
        warnings.append(
            QualityWarning(
                "pulse_timing_uncertain",
                "pulse times are less certain than beat-to-beat measures need ("
                + "; ".join(doubts) + "): pulse-rate variability such as RMSSD may run "
                "several ms above the heart's own; mean pulse rate is still reliable",
            )
        )
    if not keep.any():
        warnings.append(
            QualityWarning(
                "no_pulses", "no usable pulse was found in the PPG; check sensor contact"
            )
        )
    windows = [ExcludedWindow(w.start_s + t0, w.end_s + t0, w.reason) for w in windows]
    info: dict[str, Any] = {
        "detector": DETECTOR,
        "fiducial": config.ppg_fiducial.value,
        "variability": "PRV",
        "fs_hz": fs,
        "analysis_fs_hz": fs_work,
        "resampled_from_uneven": resampled,
        "inverted": inverted,
        "frame_jitter_ms": 1000 * jitter_s,
        "bandpass_hz": list(BAND_HZ),
        "nan_samples": int(nan.sum()),
        "excluded_s": float(sum(w.end_s - w.start_s for w in windows)),
        "duration_s": len(x) / fs,
        **confidence,
    }
    return BeatDetection(
        times_s=np.asarray(beat_times, dtype=np.float64),
        normal=np.ones(len(beat_times), dtype=bool),
        excluded_windows=tuple(windows),
        warnings=tuple(warnings),
        info=info,
    )


def _points_down(filtered: FloatArray, nan: npt.NDArray[np.bool_]) -> bool:
    """Whether the band-passed PPG rises for more than ``INVERTED_RISING_SHARE`` of its
    samples (bridged NaN gaps left out)."""
    valid = ~(nan[1:] | nan[:-1])
    rising = (filtered[1:] > filtered[:-1]) & valid
    return int(np.count_nonzero(rising)) > INVERTED_RISING_SHARE * int(np.count_nonzero(valid))


def _timing_doubts(conf: dict[str, float]) -> list[str]:
    """Plain reasons why the kept pulses' timing is doubtful (empty when it is not)."""
    out = []
    corr, cv, jit = (conf["template_correlation"], conf["amplitude_cv"],
                     conf["fiducial_jitter_ms"])
    agree = conf["fiducial_agreement"]
    if np.isfinite(corr) and corr < MIN_TEMPLATE_CORRELATION:
        out.append(f"pulse shape varies: median correlation with the average pulse {corr:.3f}")
    if np.isfinite(cv) and cv > MAX_AMPLITUDE_CV:
        out.append(f"pulse amplitude varies by {100 * cv:.0f}%")
    if np.isfinite(jit) and jit > MAX_FIDUCIAL_JITTER_MS:
        out.append(f"the pulse onset and steepest upstroke disagree by {jit:.1f} ms from "
                   "beat to beat")
    if np.isfinite(agree) and agree < MIN_FIDUCIAL_AGREEMENT:
        out.append(f"the pulse onset and steepest upstroke agree on only {100 * agree:.0f}% "
                   "of the pulses")
    return out


def _widen(w: ExcludedWindow, duration_s: float) -> ExcludedWindow:
    """Extend a motion window by a margin: an artefact starts before it is detectable."""
    if w.reason != "motion":
        return w
    return ExcludedWindow(
        max(w.start_s - MOTION_MARGIN_S, 0.0), min(w.end_s + MOTION_MARGIN_S, duration_s), w.reason
    )


def _as_array(x: FloatArray) -> FloatArray:
    return np.asarray(x, dtype=np.float64)
