"""CSV exports of the Polar Sensor Logger app (Android) for Polar H10 / Verity Sense.

Files are ``;``-separated with one header line:

- RR file: ``Phone timestamp;RR-interval [ms]``; each row one interval as the H10
  reported it, stamped with the phone time the BLE packet arrived (ISO 8601 local time
  with milliseconds, e.g. ``2023-03-01T10:15:01.123``).
- ECG file: ``Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]``; one
  sample per row at a nominal 130 Hz; the sensor timestamp is the H10's clock in ns
  (Polar epoch 2000-01-01), ``timestamp [ms]`` the time since the first sample, and the
  value is in µV.

Reference: Polar BLE SDK documentation (``PolarEcgData``: "timeStamp in nanoseconds,
epoch 1.1.2000; voltage in microVolts"); Polar H10 ECG nominal rate 130 Hz.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from hrv.errors import FormatError
from hrv.io._text import Line, decode_text, parse_table, split_fields, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording
from hrv.types import FloatArray, Signal, SignalKind

__all__ = ["read_sensor_logger_ecg", "read_sensor_logger_rr"]

ECG_NOMINAL_FS_HZ = 130.0
_RR_GAP_S = 2.0  # phone-clock jump beyond the summed intervals that marks lost packets


def _header(data: bytes, what: str) -> tuple[list[str], list[Line]]:
    lines = text_lines(decode_text(data, what))
    if not lines:
        raise FormatError(f"{what}: empty file")
    names = [n.lower() for n in split_fields(lines[0][1], ";")]
    return names, lines[1:]


def _column(names: list[str], prefix: str, what: str) -> int:
    for i, n in enumerate(names):
        if n.startswith(prefix):
            return i
    raise FormatError(f"{what}: no column starting with {prefix!r} in the header", line=1)


def _phone_times(rows: list[Line], col: int, what: str) -> tuple[FloatArray, str]:
    """Phone time stamps of ``rows`` in s from the first, and the first as ISO text."""
    out = np.empty(len(rows))
    first: dt.datetime | None = None
    for i, (n, s) in enumerate(rows):
        fields = s.split(";")
        raw = fields[col].strip() if col < len(fields) else ""
        try:
            t = dt.datetime.fromisoformat(raw.replace(" ", "T", 1))
        except ValueError:
            raise FormatError(
                f"{what}: expected an ISO 8601 phone timestamp, found {raw[:40]!r}",
                line=n,
                column=f"{col + 1} (Phone timestamp)",
            ) from None
        if t.tzinfo is not None:
            t = t.replace(tzinfo=None)
        if first is None:
            first = t
        out[i] = (t - first).total_seconds()
    return out, first.isoformat() if first else ""


def read_sensor_logger_rr(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a Polar Sensor Logger RR export (``Phone timestamp;RR-interval [ms]``).

    Returns
    -------
    Recording
        Intervals in ms. Beat times are the cumulative sum of the intervals, shifted
        forward where the phone clock jumped more than 2 s beyond the summed intervals
        (lost BLE packets); the interval after such a jump is flagged in ``gap_flags``.

    Raises
    ------
    FormatError
        On a missing column, a bad timestamp or value (line and column named).
    """
    what = "Polar Sensor Logger RR"
    names, rows = _header(data, what)
    j_rr = _column(names, "rr-interval", what)
    j_t = _column(names, "phone timestamp", what)
    if not rows:
        raise FormatError(f"{what}: the file holds no interval", line=2)
    values = parse_table(rows, ";", ncols=len(names), names=names, decimal_comma=True,
                         skip=(j_t,))[:, j_rr]  # fmt: skip
    phone_s, start = _phone_times(rows, j_t, what)
    beats = np.cumsum(np.clip(values, 0.0, None)) / 1000.0
    drift = phone_s - beats
    jump = np.concatenate(([0.0], np.diff(drift)))
    gaps = jump > _RR_GAP_S
    beats = beats + np.cumsum(np.where(gaps, jump, 0.0))
    meta: dict[str, Any] = {"device": "Polar (Sensor Logger)", "source_unit": "ms",
                            "start_time": start, "lost_packet_gaps": int(gaps.sum())}  # fmt: skip
    return rr_recording(
        FileFormat.POLAR_SENSOR_LOGGER_RR, values, beat_times_s=beats, gap_flags=gaps,
        metadata=meta,
    )  # fmt: skip


def read_sensor_logger_ecg(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a Polar Sensor Logger ECG export (µV samples at about 130 Hz).

    The sampling rate is measured from the sensor clock (first to last sample), since
    the H10's crystal deviates slightly from the nominal 130 Hz. Where the sensor clock
    jumps by more than 1.5 nominal sample periods (samples lost over BLE) the samples are
    returned with their times in ``sample_times_s`` so no beat interval is invented
    across the hole.

    Returns
    -------
    Recording
        ``kind`` ECG, ``signal.unit`` ``"uV"``.

    Raises
    ------
    FormatError
        On a missing column, a bad value, or sensor times that go backwards.
    """
    what = "Polar Sensor Logger ECG"
    names, rows = _header(data, what)
    j_ecg = _column(names, "ecg", what)
    j_ns = _column(names, "sensor timestamp", what)
    j_t = _column(names, "phone timestamp", what)
    if len(rows) < 2:
        raise FormatError(f"{what}: the file holds fewer than 2 samples", line=2)
    table = parse_table(rows, ";", ncols=len(names), names=names, skip=(j_t,))
    ecg_uv = np.ascontiguousarray(table[:, j_ecg])
    t_s = (table[:, j_ns] - table[0, j_ns]) * 1e-9
    steps = np.diff(t_s)
    if (steps <= 0).any():
        k = int(np.argmax(steps <= 0)) + 1
        raise FormatError(f"{what}: sensor timestamps do not increase", line=rows[k][0],
                          column=f"{j_ns + 1} (sensor timestamp [ns])")  # fmt: skip
    if t_s[-1] <= 0:
        raise FormatError(f"{what}: the samples span no time")
    fs_hz = (len(t_s) - 1) / float(t_s[-1])
    holes = int(np.count_nonzero(steps > 1.5 / ECG_NOMINAL_FS_HZ))
    _, start = _phone_times(rows[:1], j_t, what)
    meta: dict[str, Any] = {"device": "Polar (Sensor Logger)", "source_unit": "uV",
                            "fs_hz": fs_hz, "nominal_fs_hz": ECG_NOMINAL_FS_HZ,
                            "start_time": start, "lost_sample_gaps": holes}  # fmt: skip
    return Recording(
        format=FileFormat.POLAR_SENSOR_LOGGER_ECG,
        kind=SignalKind.ECG,
        signal=Signal(ecg_uv, fs_hz, SignalKind.ECG, "uV"),
        sample_times_s=t_s if holes else None,
        metadata=meta,
    )
