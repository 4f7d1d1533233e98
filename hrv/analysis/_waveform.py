"""Raw ECG/PPG analysis: validation, resampling, detection, quality, then the shared tail."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hrv._dsp import (
    WorkingSignal,
    all_finite,
    as_waveform,
    beside_threads,
    fill_nan,
    resample_uneven,
    start_beside,
)
from hrv.analysis._tail import finish_waveform
from hrv.config import SAMPLING_RATE_HZ, AnalysisConfig
from hrv.errors import InsufficientDataError, InvalidInputError
from hrv.types import Analysis, ExcludedWindow, Signal, SignalKind, merge_windows

if TYPE_CHECKING:
    from hrv.quality import WaveformQuality

__all__ = ["analyze"]

# Beyond these rates the input is almost certainly mislabelled (Hz given as kHz, ...).
MIN_FS_HZ = SAMPLING_RATE_HZ.min_hz
MAX_FS_HZ = SAMPLING_RATE_HZ.max_hz
_DEFAULT_CONFIG = AnalysisConfig()  # frozen: one instance serves every call


def analyze(
    samples: npt.ArrayLike | Signal,
    fs_hz: float | None = None,
    kind: SignalKind | str | None = None,
    *,
    config: AnalysisConfig | None = None,
    times_s: npt.ArrayLike | None = None,
) -> Analysis:
    """Analyse a raw ECG or PPG waveform: filter, detect beats, grade, measure.

    Parameters
    ----------
    samples : array_like, shape (n,), or Signal
        The waveform (any amplitude unit; ADC integers are accepted), or a
        :class:`~hrv.Signal` as the readers of :mod:`hrv.io` return it, which carries its
        own rate and kind (``fs_hz`` and ``kind`` must then be left out or agree).
    fs_hz : float or None
        Sampling rate in Hz; may be ``None`` when ``times_s`` is given.
    kind : {"ecg", "ppg"}
        The signal type (required for an array). PPG results are pulse-rate
        variability (``variability: "PRV"``).
    config : AnalysisConfig, optional
    times_s : array_like, shape (n,), optional
        Uneven sample times in seconds (phone cameras); the signal is resampled to an
        even grid before detection.

    Returns
    -------
    Analysis
        ``beats.times_s`` holds every detected beat in seconds from the first sample;
        excluded stretches are listed in ``quality.excluded_windows``.
    """
    config = config or _DEFAULT_CONFIG
    if isinstance(samples, Signal):
        samples, fs_hz, kind = _unpack(samples, fs_hz, kind)
    if kind is None:
        raise InvalidInputError('the signal kind is required: kind="ecg" or kind="ppg"')
    # The waveform path's filters (scipy.signal) load on first use, not with ``import hrv``.
    from hrv.detect import detect_ecg_working, detect_ppg
    from hrv.quality import assess_filled, raw_window_stats
    from hrv.respiration import ecg_rate_filled, ppg_rate_filled

    sk = _parse_kind(kind)
    x, finite = _as_samples(samples)
    # One pass over the recording told whether any sample is missing or infinite; the
    # stages below skip their own checks (and copies) when none is.
    finite = finite and times_s is None
    info: dict[str, Any] = {"input": "waveform"}
    raw = x
    if times_s is not None:
        x, fs = _resample_uneven(x, times_s)
        info["resampled_from_uneven_hz"] = fs
    else:
        if fs_hz is None:
            raise InvalidInputError("a sampling rate (fs_hz) or sample times are required")
        fs = _check_fs(fs_hz)
    duration_s = len(x) / fs
    if duration_s < 5.0:
        raise InsufficientDataError(
            f"the {sk.value.upper()} is {duration_s:.1f} s long; at least 5 s are needed to "
            "find beats, 60 s for HF power and 5 minutes for the short-term standard"
        )

    work = None
    if sk is SignalKind.ECG:
        # Checked (infinite values are an error) and NaN gaps bridged once, before the
        # detector, for the quality windows and the derived respiration.
        xf, nan = _filled(x, fs, sk, finite)
        judged: list[WaveformQuality] = []
        # The raw-sample window tests need no beats: on a long recording they run beside
        # the detector (whose serial stretches leave the second thread idle).
        raw_stats = start_beside(lambda: raw_window_stats(xf, nan, fs, config.quality),
                                 threads=beside_threads(duration_s))

        def quality(times_s: npt.NDArray[np.float64], w: WorkingSignal | None) -> None:
            judged.append(assess_filled(xf, nan, fs, sk, config.quality, times_s, w,
                                        raw_stats=raw_stats()))

        # The detector's working-rate signal serves the quality and respiration too; the
        # quality is judged on the beat times while the beats are classified.
        det, work = detect_ecg_working(x, fs, config.detection, keep_work=True,
                                       finite=finite, beside=quality)
        quality_windows, quality_warnings = judged[0].excluded_windows, judged[0].warnings
    else:
        if times_s is not None:
            # The PPG detector re-grids the frames itself and checks their timing
            # regularity.
            t_frames = np.asarray(times_s, dtype=np.float64).ravel()
            det = detect_ppg(raw, fs, config.detection, times_s=t_frames - t_frames[0],
                             quality=config.quality)
        else:
            det = detect_ppg(x, fs, config.detection, quality=config.quality)
        xf, _ = _filled(x, fs, sk, finite)
        if det.info.get("inverted"):
            xf = -xf  # the pulses pointed down: the derived respiration reads them upright
        # The PPG detector already judged every second once (8-s quality windows with
        # the pulse-template SQI, plus runs of outlier pulses); its windows and warnings
        # are in ``det``. Judging again on a 10-s grid counted motion twice.
        quality_windows, quality_warnings = (), ()
    excluded = merge_windows((*quality_windows, *det.excluded_windows))

    keep = _outside(det.times_s, excluded)
    estimates: Mapping[str, float | None] = {}
    edr: Callable[[], dict[str, float | None]] | None = None
    if np.count_nonzero(keep) >= 10:
        if sk is SignalKind.ECG:
            # The derived respiration runs beside the interval analysis, which reads the
            # estimates only once its metrics are computed.
            kept = det.times_s[keep]
            odd = det.info["abnormal_shape"]
            odd_kept = odd[keep]
            edr = start_beside(
                lambda: {"edr": ecg_rate_filled(xf, fs, kept, work, abnormal=odd_kept)},
                threads=beside_threads(duration_s))
            estimates = _Later(edr)
        else:
            estimates = {"pdr": ppg_rate_filled(xf, fs, det.times_s[keep])}
    # Parameters and summary scores go into provenance; per-beat arrays do not.
    detection_info = {k: v for k, v in det.info.items() if not isinstance(v, np.ndarray)}
    info.update({"fs_hz": fs, "detection": detection_info})
    try:
        result = finish_waveform(
            sk, duration_s, det, excluded, quality_warnings, estimates, config, info
        )
    except BaseException:
        if edr is not None:
            edr()  # an error of the derived respiration first, as when it ran first
        raise
    if edr is not None:
        edr()  # finished (and its errors raised) even where the tail did not read it
    return result


class _Later(Mapping[str, float | None]):
    """Estimates computed elsewhere, waited for when first read."""

    def __init__(self, get: Callable[[], dict[str, float | None]]) -> None:
        self._get = get

    def __getitem__(self, key: str) -> float | None:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _filled(x: npt.NDArray[np.float64], fs: float, sk: SignalKind, finite: bool
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The recording with NaN gaps bridged, and its NaN mask (no copy when all finite:
    then a read-only all-False view, no memory)."""
    if finite:
        # One False sample viewed with stride 0 (as np.broadcast_to makes it, directly).
        mask: npt.NDArray[np.bool_] = np.ndarray((len(x),), bool, np.zeros(1, dtype=bool),
                                                 0, (0,))
        mask.flags.writeable = False
        return x, mask
    return fill_nan(as_waveform(x, fs, name=sk.value.upper()))


def _unpack(sig: Signal, fs_hz: float | None, kind: SignalKind | str | None
            ) -> tuple[npt.NDArray[np.float64], float, SignalKind]:
    """Samples, rate and kind of a :class:`Signal`, checked against any given beside it."""
    if fs_hz is not None and float(fs_hz) != float(sig.fs_hz):
        raise InvalidInputError(
            f"fs_hz={fs_hz!r} contradicts the signal's own rate ({sig.fs_hz:g} Hz); leave "
            "fs_hz out when passing a Signal"
        )
    if kind is not None and _parse_kind(kind) is not sig.kind:
        raise InvalidInputError(
            f"kind={kind!r} contradicts the signal's own kind ({sig.kind.value}); leave "
            "kind out when passing a Signal"
        )
    return sig.samples, float(sig.fs_hz), sig.kind


def _parse_kind(kind: SignalKind | str) -> SignalKind:
    try:
        sk = SignalKind(str(kind).lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown signal kind {kind!r}; valid kinds are 'ecg' and 'ppg' "
            "(use analyze_intervals for RR intervals)"
        ) from None
    if sk is SignalKind.RR:
        raise InvalidInputError("kind 'rr' is not a waveform; use analyze_intervals")
    return sk


def _as_samples(samples: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], bool]:
    """The samples as a 1-D float64 array, and whether all of them are finite."""
    try:
        x = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError("samples must be numbers") from None
    if x.ndim == 2 and 1 in x.shape:
        x = x.ravel()
    if x.ndim != 1:
        raise InvalidInputError(
            f"samples must be a 1-D array (one channel); got shape {x.shape}. "
            "Pick one channel, e.g. samples[:, 0]."
        )
    if len(x) == 0:
        raise InvalidInputError("samples are empty")
    finite = all_finite(x)
    if not finite and not np.isfinite(x).any():
        raise InvalidInputError("samples contain no finite values (all NaN or infinite)")
    return x, finite


def _check_fs(fs_hz: float) -> float:
    try:
        fs = float(fs_hz)
    except (TypeError, ValueError):
        raise InvalidInputError(f"sampling rate must be a number, got {fs_hz!r}") from None
    if not np.isfinite(fs) or not (MIN_FS_HZ <= fs <= MAX_FS_HZ):
        raise InvalidInputError(
            f"sampling rate {fs_hz!r} Hz is outside the supported range "
            f"{MIN_FS_HZ:g}–{MAX_FS_HZ:g} Hz; check the unit (Hz, not kHz)"
        )
    return fs


def _resample_uneven(
    x: npt.NDArray[np.float64], times_s: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], float]:
    """The even grid the PPG detector builds too (same rule, same rate, same samples)."""
    y, fs, _ = resample_uneven(x, times_s, None, name="waveform")
    return y, _check_fs(fs)


def _outside(
    times_s: npt.NDArray[np.float64], windows: tuple[ExcludedWindow, ...]
) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(times_s), dtype=bool)
    for w in windows:
        keep &= ~w.contains(times_s)
    return keep
