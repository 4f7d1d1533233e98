"""Waveform quality per window for ECG and PPG.

Each window of ``QualityConfig.window_s`` seconds gets a score in [0, 1]; windows scoring
below 0.5 are excluded, with the first matching reason of, in order of precedence:

``"missing_data"``
    more than 20 % of the window is NaN (samples lost in transmission or storage).
``"flat_line"``
    the window does not vary (a dead channel), or constant stretches of >= 1 s cover more
    than 20 % of it at a value that is not an ADC rail.
``"disconnection"``
    constant stretches of >= 1 s at the recording's minimum, maximum or zero: the
    electrode or finger came off and the front end sits at a rail.
``"clipping"``
    the waveform repeatedly saturates at the ADC rail: at least three runs of >= 30 ms
    (and >= 3 samples) at the recording's extreme value, or 20 % of the window. Shorter
    runs only cut off the tops of peaks (an R wave is 40-60 ms wide): the beats and their
    timing stay, and ten or more of them give the warning ``"peaks_clipped"``.
``"motion"`` (PPG) / ``"noise"`` (ECG)
    the band-passed amplitude is far from the recording's typical amplitude, the
    spectrum is not that of a periodic pulse (PPG), the waveform has no peaky QRS
    complexes (ECG kurtosis, Li & Clifford 2012), or — when beat times are given — the
    beats of the window do not look alike (template correlation, Orphanidou et al. 2015).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from hrv._dsp import (
    WorkingSignal,
    as_waveform,
    fill_nan,
    median_of,
    working_factor,
    working_signal,
)
from hrv.config import ECG_SAMPLING_RATE_HZ, QualityConfig
from hrv.errors import InvalidInputError
from hrv.quality import _windows as qw
from hrv.types import ExcludedWindow, FloatArray, QualityWarning, SignalKind

__all__ = ["WaveformQuality", "assess_filled", "assess_waveform", "raw_window_stats"]

SCORE_THRESHOLD = 0.5
ECG_BAND_MIN_FS_HZ = ECG_SAMPLING_RATE_HZ.min_hz  # the ECG detector's lowest rate
ECG_BAND_HZ = (5.0, 30.0)
_ARTEFACT_REASONS = ("motion", "noise")
#: Peaks cut off at the rail (runs shorter than clipping) from which ``"peaks_clipped"``
#: is reported: a few are a natural extreme touching full scale.
MIN_CLIPPED_PEAKS = 10


@dataclasses.dataclass(frozen=True, eq=False)
class WaveformQuality:
    """Quality of a raw waveform, window by window.

    Attributes
    ----------
    excluded_windows : tuple of ExcludedWindow
        Excluded stretches (adjacent windows with the same reason merged), in seconds.
    warnings : tuple of QualityWarning
        One warning per kind of problem found, plus ``"short_usable_duration"`` when
        less than ``QualityConfig.min_usable_s`` seconds are usable.
    window_starts_s : ndarray, shape (n_windows,)
        Start of each window in seconds.
    window_scores : ndarray, shape (n_windows,)
        Score of each window in [0, 1]; below 0.5 the window is excluded.
    usable_s : float
        Seconds of the recording not excluded.
    duration_s : float
        Length of the recording in seconds.
    """

    excluded_windows: tuple[ExcludedWindow, ...]
    warnings: tuple[QualityWarning, ...]
    window_starts_s: FloatArray
    window_scores: FloatArray
    usable_s: float
    duration_s: float = 0.0

    @property
    def excluded_s(self) -> float:
        """Seconds excluded for any reason."""
        return float(sum(w.end_s - w.start_s for w in self.excluded_windows))

    @property
    def motion_s(self) -> float:
        """Seconds excluded for motion artefacts or noise."""
        return float(
            sum(w.end_s - w.start_s for w in self.excluded_windows
                if w.reason in _ARTEFACT_REASONS)
        )

    @property
    def motion_share(self) -> float:
        """Fraction (0–1) of the recording excluded for motion or noise."""
        return self.motion_s / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def usable_share(self) -> float:
        """Fraction (0–1) of the recording that is usable."""
        return self.usable_s / self.duration_s if self.duration_s > 0 else 0.0


def _parse_kind(kind: SignalKind | str) -> SignalKind:
    valid = (SignalKind.ECG, SignalKind.PPG)
    try:
        k = SignalKind(str(kind).lower()) if not isinstance(kind, SignalKind) else kind
    except ValueError:
        k = None
    if k not in valid:
        raise InvalidInputError(
            f"waveform kind must be one of {', '.join(repr(v.value) for v in valid)}, "
            f"got {kind!r}"
        )
    assert k is not None
    return k


def _ramp(value: FloatArray, bad: float, good: float) -> FloatArray:
    """0 at ``bad``, 1 at ``good``, linear between (either direction)."""
    return np.clip((value - bad) / (good - bad), 0.0, 1.0)


def assess_waveform(
    samples: npt.ArrayLike,
    fs_hz: float,
    kind: SignalKind | str,
    config: QualityConfig = QualityConfig(),
    beat_times_s: npt.ArrayLike | None = None,
) -> WaveformQuality:
    """Score a raw ECG or PPG waveform per window and list the windows to exclude.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Raw samples (any linear unit, integers from an ADC accepted; NaN marks lost
        samples).
    fs_hz : float
        Sampling rate in Hz.
    kind : SignalKind or {"ecg", "ppg"}
        Waveform type; chooses the band-pass and the artefact tests.
    config : QualityConfig
        ``window_s`` sets the window length; ``min_usable_s`` the usable duration
        below which a ``"short_usable_duration"`` warning is issued.
    beat_times_s : array_like, shape (m,), optional
        Detected beat times in seconds; enables the template-correlation SQI
        (Orphanidou et al. 2015, IEEE J Biomed Health Inform 19:832).

    Returns
    -------
    WaveformQuality
        Excluded windows with reasons, warnings, per-window scores and usable seconds.

    Raises
    ------
    InvalidInputError
        For a non-1-D array, a non-numeric dtype, infinite values or a sampling rate that
        is not a finite positive number.

    Notes
    -----
    Score = minimum of sub-scores: amplitude relative to the recording's median window
    (ramps 0→1 over 4×→2.5× above and 0.1×→0.25× below), PPG spectral purity (share of
    power at the pulse rate and its harmonic, 0.15→0.35), ECG band-passed kurtosis
    (3→5, Li & Clifford 2012, Physiol Meas 33:1491) and the template correlation
    (PPG 0.6→0.86, ECG 0.5→0.66, after Orphanidou et al. 2015).

    An ECG sampled at 200 Hz or more is band-passed at the ECG detector's working rate
    (100–200 Hz, block averages of the raw samples): the 5–30 Hz band needs no more,
    and a 24-hour recording costs a fraction of the full-rate filtering. Its beats
    are placed between working samples by linear interpolation for the template SQI.
    """
    k = _parse_kind(kind)
    x = as_waveform(samples, fs_hz, name=f"{k.value.upper()} quality")
    if len(x) == 0:
        raise InvalidInputError("waveform is empty")
    xf, nan = fill_nan(x)
    return assess_filled(xf, nan, float(fs_hz), k, config, beat_times_s)


def raw_window_stats(xf: FloatArray, nan: npt.NDArray[np.bool_], fs: float,
                     config: QualityConfig) -> qw.WindowStats:
    """The per-window tests on the raw samples (missing, constant, at a rail): the part
    of :func:`assess_filled` that needs no beats, which the pipeline takes beside the
    detector on a long recording."""
    win = max(round(config.window_s * fs), 1)
    return qw.window_stats(xf, nan, fs, qw.window_starts(len(xf), win))


def assess_filled(xf: FloatArray, nan: npt.NDArray[np.bool_], fs: float, k: SignalKind,
                  config: QualityConfig, beat_times_s: npt.ArrayLike | None,
                  work: WorkingSignal | None = None, *,
                  raw_stats: qw.WindowStats | None = None) -> WaveformQuality:
    """:func:`assess_waveform` on a validated, NaN-filled waveform and its NaN mask.

    For the pipeline, which validates and fills the recording once for all its stages
    and passes the ECG detector's working-rate signal as ``work``, and
    :func:`raw_window_stats` of the same arguments as ``raw_stats`` when it has them.
    """
    n = len(xf)
    duration = n / fs
    st = raw_stats if raw_stats is not None else raw_window_stats(xf, nan, fs, config)
    starts = st.starts
    fst = _shape_stats(xf, fs, k, starts, beat_times_s, work)
    n_win = len(starts)

    usable_base = (st.nan_frac <= 0.2) & (st.const_frac <= 0.2) & (fst.std > 0)
    ref = median_of(fst.std[usable_base]) if usable_base.any() else 0.0
    ratio = fst.std / ref if ref > 0 else np.zeros(n_win)
    amp_score = np.minimum(_ramp(ratio, 4.0, 2.5), _ramp(ratio, 0.1, 0.25))
    if k is SignalKind.PPG:
        shape_score = _ramp(fst.purity, 0.15, 0.35)
        sqi_bad, sqi_good = 0.6, 0.86
    else:
        shape_score = _ramp(fst.kurtosis, 3.0, 5.0)
        sqi_bad, sqi_good = 0.5, 0.66
    score = np.minimum(amp_score, shape_score)
    sqi = fst.sqi  # NaN where undecided, and everywhere without beat times
    score = np.where(np.isnan(sqi), score, np.minimum(score, _ramp(sqi, sqi_bad, sqi_good)))

    flat = (fst.std <= 1e-12 * max(1.0, st.max_abs)) | (
        st.const_frac > 0.9
    )
    clip = (st.rail_runs >= 3) | (st.rail_frac >= 0.2)
    artefact = "motion" if k is SignalKind.PPG else "noise"
    rules: list[tuple[npt.NDArray[np.bool_], str]] = [
        (st.nan_frac > 0.2, "missing_data"),
        (flat & ~st.const_at_rail, "flat_line"),
        ((flat | (st.const_frac > 0.2)) & st.const_at_rail, "disconnection"),
        (st.const_frac > 0.2, "flat_line"),
        (clip, "clipping"),
        (score < SCORE_THRESHOLD, artefact),
    ]
    whole_flat = bool(flat.all())
    # Each window's first matching rule, as its number (0: none) into ``names``.
    names = ["", *(reason for _, reason in rules)]
    rule_of = np.zeros(n_win, dtype=np.intp)
    for j, (mask, reason) in enumerate(rules, start=1):
        if whole_flat and reason == "disconnection":
            continue  # a recording that never varies is a flat line, not a lost contact
        if whole_flat and reason == "flat_line":
            mask = flat
        rule_of[(rule_of == 0) & mask] = j
    score = np.where(rule_of == 0, score, np.minimum(score, 0.0))

    ends = np.append(starts[1:], n)
    windows: list[ExcludedWindow] = []
    for i in np.flatnonzero(rule_of):
        s_s, e_s, r = starts[i] / fs, ends[i] / fs, names[rule_of[i]]
        if windows and windows[-1].reason == r and abs(windows[-1].end_s - s_s) < 1e-9:
            windows[-1] = ExcludedWindow(windows[-1].start_s, float(e_s), r)
        else:
            windows.append(ExcludedWindow(float(s_s), float(e_s), r))
    excluded = sum(w.end_s - w.start_s for w in windows)
    usable = max(duration - excluded, 0.0)
    warnings = _warnings(windows, duration, usable, config)
    if st.peak_rail_runs >= MIN_CLIPPED_PEAKS:
        warnings += (QualityWarning(
            "peaks_clipped",
            f"{st.peak_rail_runs} peaks are cut off at the ADC rail (each for under "
            f"{1000 * qw.CLIP_MIN_RUN_S:.0f} ms): their amplitude is lost, their timing is "
            "kept; lower the gain"),)
    return WaveformQuality(tuple(windows), warnings, starts / fs, score.astype(np.float64),
                           float(usable), float(duration))


def _shape_stats(xf: FloatArray, fs: float, k: SignalKind, starts: npt.NDArray[np.intp],
                 beat_times_s: npt.ArrayLike | None, work: WorkingSignal | None
                 ) -> qw.FilteredStats:
    """Amplitude and shape statistics per window of the band-passed waveform.

    ECG from 200 Hz up: the 5–30 Hz band is taken at the ECG detector's working rate
    (100–200 Hz, :class:`~hrv.detect._ecg_feature.WorkingSignal`; computed here when not
    given), windows mapped to that rate. Below, and for PPG: at the full rate.
    """
    beat_s = None
    if beat_times_s is not None:
        bt = np.asarray(beat_times_s, dtype=np.float64).ravel()
        beat_s = bt[np.isfinite(bt)]
    if k is SignalKind.PPG:
        return qw.filtered_stats(xf, fs, starts, (0.5, 8.0), kurtosis=False, purity=True,
                                 beat_idx=_indices(beat_s, fs))
    f = working_factor(fs) if fs >= ECG_BAND_MIN_FS_HZ else 1
    sw = (starts + f // 2) // f
    if f > 1 and len(sw) > 0 and sw[-1] < len(xf) // f and ((sw[1:] - sw[:-1]) >= 2).all():
        w = work if work is not None else working_signal(xf, fs)
        idx = frac = None
        if beat_s is not None:
            # Working sample i is the mean of raw samples [i f, (i + 1) f): centred on
            # raw sample i f + (f - 1) / 2.
            pos = beat_s * w.fs_hz - (f - 1) / (2 * f)
            idx = np.floor(pos).astype(np.intp)
            frac = pos - idx
        return qw.filtered_stats(w.samples, w.fs_hz, sw.astype(np.intp), ECG_BAND_HZ,
                                 kurtosis=True, purity=False, beat_idx=idx, beat_frac=frac)
    return qw.filtered_stats(xf, fs, starts, ECG_BAND_HZ, kurtosis=True, purity=False,
                             beat_idx=_indices(beat_s, fs))


def _indices(times_s: FloatArray | None, fs: float) -> npt.NDArray[np.intp] | None:
    return None if times_s is None else np.round(times_s * fs).astype(np.intp)


_MESSAGES = {
    "missing_data": "{s:.1f} s of the recording is missing (NaN samples) and was excluded",
    "flat_line": "{s:.1f} s of the recording is a flat line (no signal) and was excluded",
    "disconnection": "{s:.1f} s look like a lost contact (signal stuck at a rail) "
                     "and were excluded",
    "clipping": "{s:.1f} s are clipped at the ADC rail (saturation); lower the gain",
    "motion": "{s:.1f} s of motion artefact were excluded; keep still during recording",
    "noise": "{s:.1f} s of noisy signal were excluded",
}


def _warnings(windows: list[ExcludedWindow], duration: float, usable: float,
              config: QualityConfig) -> tuple[QualityWarning, ...]:
    per_reason: dict[str, float] = {}
    for w in windows:
        per_reason[w.reason] = per_reason.get(w.reason, 0.0) + (w.end_s - w.start_s)
    out = [QualityWarning(r, _MESSAGES[r].format(s=s)) for r, s in per_reason.items()]
    if usable < config.min_usable_s:
        out.append(QualityWarning(
            "short_usable_duration",
            f"only {usable:.1f} s of {duration:.1f} s are usable; at least "
            f"{config.min_usable_s:.0f} s are needed for reliable HRV",
        ))
    return tuple(out)
