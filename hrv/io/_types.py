"""The result type of every reader: :class:`Recording`, and the :class:`FileFormat` names."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

import numpy as np

from hrv.errors import InvalidInputError, UnsupportedFormatError
from hrv.types import BoolArray, FloatArray, Intervals, Signal, SignalKind

__all__ = ["FileFormat", "ReadOptions", "Recording"]


class FileFormat(enum.StrEnum):
    """File formats :func:`hrv.io.read_recording` understands.

    The values are the ``format`` names the HTTP API accepts.

    - ``csv``: generic delimited text, one or more numeric columns, optional header and
      time column (``,`` ``;`` tab or whitespace separated; decimal comma tolerated).
    - ``edf``: EDF / EDF+ (European Data Format), read with ``edfio``.
    - ``wfdb``: a PhysioNet WFDB record (``.hea`` + ``.dat``/``.mat`` [+ ``.atr``]), as a
      zip archive or a path to the record.
    - ``polar_hrm``: Polar ProTrainer ``.hrm`` export, R-R mode (``Interval=238``).
    - ``polar_h10_rr``: Polar H10 RR intervals in 1/1024 s units, as BLE Heart Rate
      Measurement values: one tick count per line, or one hex notification payload
      (``10-3C-2C-03``) per line.
    - ``polar_sensor_logger_rr`` / ``polar_sensor_logger_ecg``: CSV exports of the Polar
      Sensor Logger app (``Phone timestamp;RR-interval [ms]`` and
      ``Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]``).
    - ``apple_health_ecg``: Apple Health ECG CSV export (key/value header, 512 Hz, µV).
    - ``empatica_ibi`` / ``empatica_bvp``: Empatica E4 ``IBI.csv`` and ``BVP.csv``.
    - ``oura_ibi``: Oura-style inter-beat-interval JSON with validity codes.
    - ``rr_text``: plain RR text, one or more intervals per line (Kubios / Elite HRV
      style), in ms or s.
    - ``phone_ppg_csv``: smartphone-camera PPG CSV (``time`` in ms, ``R,G,B``), as the
      Welltory dataset.
    - ``fit``: FIT activity file (Garmin and other watches and straps) with beat
      intervals in ``hrv`` messages (seconds), read with ``fit-tool``.

    Any of them may be gzip-compressed (``.csv.gz``, ``.txt.gz``, ``.edf.gz``, ...).
    """

    CSV = "csv"
    EDF = "edf"
    WFDB = "wfdb"
    POLAR_HRM = "polar_hrm"
    POLAR_H10_RR = "polar_h10_rr"
    POLAR_SENSOR_LOGGER_RR = "polar_sensor_logger_rr"
    POLAR_SENSOR_LOGGER_ECG = "polar_sensor_logger_ecg"
    APPLE_HEALTH_ECG = "apple_health_ecg"
    EMPATICA_IBI = "empatica_ibi"
    EMPATICA_BVP = "empatica_bvp"
    OURA_IBI = "oura_ibi"
    RR_TEXT = "rr_text"
    PHONE_PPG_CSV = "phone_ppg_csv"
    FIT = "fit"

    @classmethod
    def parse(cls, value: FileFormat | str) -> FileFormat:
        """The format named ``value``; an unknown name raises ``UnsupportedFormatError``."""
        if isinstance(value, FileFormat):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = ", ".join(f.value for f in cls)
            raise UnsupportedFormatError(
                f"unknown file format {value!r}; valid formats: {valid}"
            ) from None


def parse_kind(value: SignalKind | str | None) -> SignalKind | None:
    """``value`` as a :class:`SignalKind`; unknown names list the valid ones."""
    if value is None or isinstance(value, SignalKind):
        return value
    try:
        return SignalKind(str(value).strip().lower())
    except ValueError:
        valid = ", ".join(k.value for k in SignalKind)
        raise InvalidInputError(f"unknown signal kind {value!r}; valid kinds: {valid}") from None


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """What the caller told a reader beyond the bytes (all optional)."""

    kind: SignalKind | None = None
    channel: str | None = None
    fs_hz: float | None = None
    filename: str | None = None
    #: Most samples (per channel) or intervals a reader may decode; a file whose header
    #: declares more raises ``TooLargeError`` before decoding. ``None``: no limit.
    max_samples: int | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """One recording read from a file, before any analysis.

    Exactly one of two shapes: a waveform (``kind`` ECG or PPG; ``signal`` set) or an
    interval series (``kind`` RR; ``rr_ms``, ``beat_times_s`` and ``gap_flags`` set).

    Attributes
    ----------
    format : FileFormat
        The format the file was read as.
    kind : SignalKind
        ``ECG``, ``PPG`` or ``RR``.
    signal : Signal or None
        The waveform, samples as float64 in the source's amplitude unit
        (``signal.unit``). When ``sample_times_s`` is set the samples are *not* evenly
        spaced and ``signal.fs_hz`` is only their mean rate.
    sample_times_s : ndarray, shape (n,), or None
        Time of each sample in seconds from the first one, for sources whose samples are
        unevenly spaced (phone-camera PPG); ``None`` for uniformly sampled waveforms.
    rr_ms : ndarray, shape (m,), or None
        Beat-to-beat intervals in milliseconds (converted from the source unit, which is
        recorded in ``metadata["source_unit"]``).
    beat_times_s : ndarray, shape (m,), or None
        Time in seconds of the beat that ends each interval, from the start of the
        recording (the beat that starts the first interval is at
        ``beat_times_s[0] - rr_ms[0] / 1000``).
    gap_flags : ndarray of bool, shape (m,), or None
        ``True`` where an interval is invalid (flagged by the device, or impossible such
        as zero) or follows a gap in the recording (beats were dropped before it).
    metadata : mapping
        Non-personal facts about the recording: ``device``, ``start_time`` (ISO 8601),
        ``channel``, ``source_unit``, ``fs_hz``, reference beat annotations
        (``reference_beats_s``), ... Never names, birth dates or other personal data.
    """

    format: FileFormat
    kind: SignalKind
    signal: Signal | None = None
    sample_times_s: FloatArray | None = None
    rr_ms: FloatArray | None = None
    beat_times_s: FloatArray | None = None
    gap_flags: BoolArray | None = None
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind is SignalKind.RR:
            if self.rr_ms is None or self.beat_times_s is None or self.gap_flags is None:
                raise ValueError("an RR recording needs rr_ms, beat_times_s and gap_flags")
            n = len(self.rr_ms)
            if len(self.beat_times_s) != n or len(self.gap_flags) != n:
                raise ValueError("rr_ms, beat_times_s and gap_flags must have the same length")
        else:
            if self.signal is None:
                raise ValueError("an ECG or PPG recording needs a signal")
            if self.sample_times_s is not None and len(self.sample_times_s) != len(
                self.signal.samples
            ):
                raise ValueError("sample_times_s must have one time per sample")

    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        if self.signal is not None:
            if self.sample_times_s is not None and len(self.sample_times_s):
                return float(self.sample_times_s[-1] - self.sample_times_s[0])
            return self.signal.duration_s
        assert self.beat_times_s is not None and self.rr_ms is not None
        if not len(self.beat_times_s):
            return 0.0
        return float(self.beat_times_s[-1] - (self.beat_times_s[0] - self.rr_ms[0] / 1000.0))

    def intervals(self) -> Intervals:
        """The valid intervals as :class:`hrv.types.Intervals`.

        Intervals flagged in ``gap_flags`` are dropped (a flagged interval may be
        invalid, so it is never used), and the interval after a dropped one is marked
        ``gap_before``.

        Returns
        -------
        Intervals
            ``rr_ms`` and ``t_s`` of the kept intervals, with explicit gaps.

        Raises
        ------
        InvalidInputError
            For a waveform recording (detect beats first).
        """
        if self.rr_ms is None or self.beat_times_s is None or self.gap_flags is None:
            raise InvalidInputError(
                f"a {self.kind.value} recording holds a waveform, not intervals; "
                "detect the beats first"
            )
        flags = np.asarray(self.gap_flags, dtype=bool)
        keep = ~flags
        # An interval follows a gap when the one before it was dropped.
        prev_dropped = np.concatenate(([True], flags[:-1]))
        gap_before = prev_dropped[keep].copy()
        if len(gap_before):
            gap_before[0] = True
        return Intervals(
            np.asarray(self.rr_ms[keep], dtype=np.float64),
            np.asarray(self.beat_times_s[keep], dtype=np.float64),
            gap_before,
        )


def rr_recording(
    fmt: FileFormat,
    rr_ms: FloatArray,
    *,
    beat_times_s: FloatArray | None = None,
    gap_flags: BoolArray | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Recording:
    """An RR :class:`Recording`; beat times default to the cumulative sum of ``rr_ms``.

    Intervals that are not positive are flagged invalid.
    """
    rr = np.asarray(rr_ms, dtype=np.float64)
    if beat_times_s is None:
        beat_times_s = np.cumsum(np.clip(rr, 0.0, None)) / 1000.0
    flags = np.zeros(len(rr), dtype=bool) if gap_flags is None else gap_flags.copy()
    flags |= ~(rr > 0)
    return Recording(
        format=fmt,
        kind=SignalKind.RR,
        rr_ms=rr,
        beat_times_s=np.asarray(beat_times_s, dtype=np.float64),
        gap_flags=flags,
        metadata=dict(metadata or {}),
    )


def flag_time_gaps(beat_times_s: FloatArray, rr_ms: FloatArray, tol_s: float) -> BoolArray:
    """``True`` where the time since the previous beat exceeds the interval by > ``tol_s``.

    Devices that drop unreliable beats (Empatica E4, Oura) keep the time stamps of the
    beats they keep, so a jump in time longer than the interval itself means beats
    were removed before that interval.
    """
    flags = np.zeros(len(rr_ms), dtype=bool)
    if len(rr_ms) > 1:
        flags[1:] = np.diff(beat_times_s) > rr_ms[1:] / 1000.0 + tol_s
    return flags
