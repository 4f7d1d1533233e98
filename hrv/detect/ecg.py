"""R-peak detection in a raw single-lead ECG, with sub-sample timing and beat classes.

The detector is vectorised: the signal is block-averaged to a working rate of 100-200 Hz,
band-passed 5-20 Hz (zero phase), differentiated, squared and integrated over 100 ms;
local maxima of that feature are candidates, accepted above a fraction of the local beat
level, with T- and P-wave rejection, search-back over long RR gaps (after Pan & Tompkins,
1985) and a lower threshold for a beat standing alone between the previous T wave and the
next P wave, well above the local noise level (aberrant or ectopic beats that are small
in this lead). Two accepted candidates closer than any ventricular refractory period, in
a rhythm whose neighbouring intervals are much longer, are resolved by template
correlation (one is a P or T wave or a noise spike). Each beat is then refined on the raw
signal to the extremum, in the polarity of its block template's dominant deflection and
near that template's extremum, by a parabolic fit; and classified as normal-looking or
not by lag-aligned correlation with a running template, relative QRS width and
prematurity (not judged in an irregular rhythm).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from hrv._dsp import WorkingSignal, all_finite, beside_threads, run_beside
from hrv.config import ECG_SAMPLING_RATE_HZ, DetectionConfig, EcgDetector
from hrv.detect._ecg_beats import refine_peaks
from hrv.detect._ecg_classify import BeatClasses, classify
from hrv.detect._ecg_feature import BAND_HZ, FEATURE_WINDOW_S, compute_candidates
from hrv.detect._ecg_morph import resolve_close_pairs
from hrv.detect._ecg_rate import is_mains, line_frequency, rate_from_line
from hrv.detect._ecg_rhythm import conduction_findings
from hrv.detect._ecg_select import THRESHOLD_FRACTION, select_beats
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.types import BeatDetection, ExcludedWindow, QualityWarning

__all__ = ["MAX_FS_HZ", "MIN_DURATION_S", "MIN_FS_HZ", "detect_ecg", "detect_ecg_working"]

MIN_FS_HZ = ECG_SAMPLING_RATE_HZ.min_hz
MAX_FS_HZ = ECG_SAMPLING_RATE_HZ.max_hz
MIN_DURATION_S = 5.0
MIN_RR_S = 0.15  # two refined peaks closer than this are one beat
EDGE_S = 0.05
RUN_MARGIN_S = 0.15  # beats this close to a missing/flat stretch are dropped


def _validate(samples: npt.ArrayLike, fs_hz: float, finite: bool = False
              ) -> tuple[npt.NDArray[np.generic], bool]:
    """The samples as a checked 1-D array (infinite samples made NaN), and whether all
    of them are finite."""
    try:
        fs = float(fs_hz)
    except (TypeError, ValueError):
        raise InvalidInputError(f"fs_hz must be a number, got {fs_hz!r}") from None
    if not math.isfinite(fs) or not (MIN_FS_HZ <= fs <= MAX_FS_HZ):
        raise InvalidInputError(
            f"ECG sampling rate {fs_hz!r} Hz is outside the supported range "
            f"{MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz"
        )
    x = np.asarray(samples)
    if x.ndim != 1:
        raise InvalidInputError(
            f"ECG samples must be a 1-D array (one lead), got shape {x.shape}; "
            "pass one column, e.g. samples[:, 0]"
        )
    if x.dtype.kind not in "biuf":
        raise InvalidInputError(f"ECG samples must be numeric, got dtype {x.dtype}")
    if x.dtype.kind == "b":
        x = x.astype(np.float64)
    duration = len(x) / fs
    if duration < MIN_DURATION_S:
        raise InsufficientDataError(
            f"ECG is {duration:.2f} s long; beat detection needs at least {MIN_DURATION_S:g} s"
        )
    if x.dtype.kind != "f" or finite or all_finite(x):
        return x, True
    ok = np.isfinite(x)
    if not ok.any():
        raise InsufficientDataError("ECG contains no finite samples (all NaN or infinite)")
    if not (ok | np.isnan(x)).all():  # infinite samples are missing too
        x = np.where(ok, x, np.nan)
    return x, False


def detect_ecg(
    samples: npt.ArrayLike, fs_hz: float, config: DetectionConfig | None = None
) -> BeatDetection:
    """Detect R peaks in a single-lead ECG.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Raw ECG in any linear unit and any polarity (floats, or integers from an ADC).
        NaN marks missing samples.
    fs_hz : float
        Sampling rate in Hz (50 Hz to 20 kHz; designed for 100 Hz to 2 kHz).
    config : DetectionConfig, optional
        Detection settings; ``config.ecg_detector`` chooses the detector.

    Returns
    -------
    BeatDetection
        ``times_s`` (shape (n_beats,)): R-peak times in seconds from the first sample,
        refined to sub-sample precision; ``normal``: ``False`` for beats of abnormal
        shape (e.g. ventricular) or premature beats; ``excluded_windows``: missing data
        (NaN), flat line and clipping stretches, where no beat is reported, and the
        inside of intervals spanning a pause or a blocked beat (``"pause"``,
        ``"av_block"``, with ``warnings`` of those codes), which are no NN intervals;
        ``info``: detector name, fiducial, filters, polarity and per-beat scores
        (``abnormal_shape``, ``premature``, ``template_correlation``).

    Raises
    ------
    InvalidInputError
        For a sampling rate outside the supported range, a non 1-D or non-numeric array.
    InsufficientDataError
        For less than 5 s of data, or no finite sample.

    Notes
    -----
    QRS feature, adaptive threshold, refractory period, T-wave rejection and search-back
    follow J. Pan and W. J. Tompkins, "A real-time QRS detection algorithm", IEEE Trans.
    Biomed. Eng. 32(3):230-236, 1985, reorganised to act on whole arrays of candidates.
    The fiducial is the extremum of the R wave in the dominant polarity, as in the
    MIT-BIH Arrhythmia Database annotations (Moody & Mark, 2001).
    """
    return detect_ecg_working(samples, fs_hz, config, keep_work=False)[0]


def detect_ecg_working(
    samples: npt.ArrayLike, fs_hz: float, config: DetectionConfig | None, *, keep_work: bool,
    finite: bool = False,
    beside: Callable[[npt.NDArray[np.float64], WorkingSignal | None], object] | None = None,
) -> tuple[BeatDetection, WorkingSignal | None]:
    """:func:`detect_ecg`, and with ``keep_work`` its working-rate signal.

    For the pipeline: the waveform quality and the derived respiration filter that
    signal (100-200 Hz) instead of the full-rate recording. ``finite`` says the caller
    has already found every sample finite (one pass less over the recording).
    ``beside(times_s, work)``, when given, is called with the final beat times while
    the beats are classified on another thread (the pipeline's waveform quality); on a
    recording shorter than :data:`hrv._dsp.BESIDE_MIN_S`, after them in the calling
    thread.
    """
    cfg = config if config is not None else DetectionConfig()
    if cfg.ecg_detector is not EcgDetector.DEFAULT:  # pragma: no cover - single choice now
        raise InvalidInputError(f"unsupported ECG detector {cfg.ecg_detector!r}")
    x, finite = _validate(samples, fs_hz, finite)
    fs = float(fs_hz)
    cand = compute_candidates(x, fs, keep_work=keep_work)
    sel, _ = select_beats(cand)
    k = cand.factor
    approx = cand.index[sel] * k + (k - 1) // 2
    approx = approx[resolve_close_pairs(x, approx, fs, k)]
    # A mains line (50/60 Hz interference) is taken out of the beat windows: it would
    # move R-peak apexes and make normal beats look unlike each other.
    line = line_frequency(x, fs, finite=finite)
    mains = line if line is not None and is_mains(line, fs) else None
    # ``times``: template-matched (the intervals); ``apex``: each beat's own extremum,
    # on which the beat classes are judged (matching a premature ventricular beat to the
    # normal template would make it look more normal).
    times, polarity, apex = refine_peaks(x, fs, approx, mains)

    # Runs (missing, flat, clipped) in seconds; drop beats in or next to them.
    runs_s = [
        (float(s) * k / fs, float(e) * k / fs, r)
        for s, e, r in zip(cand.runs.start, cand.runs.end, cand.runs.reason, strict=True)
    ]
    # The zero-phase filter's edge transients are no beats: drop the outer 50 ms.
    duration = len(x) / fs
    keep = (times >= EDGE_S) & (times <= duration - EDGE_S)
    for s0, e0, _r in runs_s:
        lo, hi = np.searchsorted(times, [s0 - RUN_MARGIN_S, e0 + RUN_MARGIN_S])
        keep[lo:hi] = False
    if not (times[1:] >= times[:-1]).all():  # sorted already: the stable sort keeps all
        order = times.argsort(kind="stable")
        times = times[order]
        apex = apex[order]
        keep = keep[order]
    times = times[keep]
    apex = apex[keep]
    if times.size > 1:
        dup = np.concatenate(([False], (times[1:] - times[:-1]) < MIN_RR_S))
        times = times[~dup]
        apex = apex[~dup]

    def findings() -> tuple[BeatClasses, tuple[tuple[ExcludedWindow, ...],
                                               tuple[QualityWarning, ...]],
                            tuple[QualityWarning, ...]]:
        # Beat classes, conduction findings and the rate check need only the beat times
        # and the raw signal: together they run beside the caller's ``beside``.
        classes = classify(x, fs, apex, k, mains_hz=mains)
        return (classes,
                conduction_findings(times, [(s0, e0) for s0, e0, _r in runs_s],
                                    classes.normal),
                rate_from_line(line, fs))

    if beside is None:
        classes, conduction, rate = findings()
    else:
        (classes, conduction, rate), _ = run_beside(
            findings, lambda: beside(times, cand.work), threads=beside_threads(duration))
    conduction_windows, conduction_warnings = conduction
    windows = tuple(ExcludedWindow(s0, e0, r) for s0, e0, r in runs_s) + conduction_windows
    warnings: list[QualityWarning] = [*conduction_warnings, *rate]
    missing_s = sum(e0 - s0 for s0, e0, r in runs_s if r == "missing_data")
    if missing_s > 0:
        warnings.append(
            QualityWarning("missing_data", f"{missing_s:.1f} s of missing (NaN) samples")
        )
    if times.size == 0:
        warnings.append(QualityWarning("no_beats", "no heartbeat was found in the ECG"))
    info = {
        "detector": "hrv-ecg-default",
        "method": (
            "Pan-Tompkins-style slope energy, vectorised; T/P-wave rejection, search-back, "
            "isolated-beat rule, close-pair resolution by template correlation; "
            "template-guided parabolic R-peak refinement, beat-to-beat timing by "
            "template matching"
        ),
        "fiducial": "r_peak",
        "polarity": int(polarity),
        "working_rate_hz": cand.fs_work,
        "bandpass_hz": list(BAND_HZ),
        "feature_window_s": FEATURE_WINDOW_S,
        "threshold_fraction": THRESHOLD_FRACTION,
        "abnormal_shape": classes.abnormal_shape,
        "premature": classes.premature,
        "template_correlation": classes.correlation,
    }
    det = BeatDetection(
        times_s=times,
        normal=classes.normal,
        excluded_windows=windows,
        warnings=tuple(warnings),
        info=info,
    )
    return det, cand.work
