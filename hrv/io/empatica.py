"""Empatica E4 wristband CSV exports: ``IBI.csv`` and ``BVP.csv``.

Layouts (Empatica support, "E4 data - IBI expected signal" and "Data export and
formatting from E4 connect"):

- ``IBI.csv``: first line ``<start unix time>, IBI``; then ``t_offset, ibi`` rows, both
  in seconds: ``t_offset`` is the time of the beat that ends the interval, from the
  start. The E4 drops beats it judges unreliable, so rows are not contiguous: a jump in
  ``t_offset`` longer than the interval itself means intervals were removed before it.
- ``BVP.csv`` (blood volume pulse, PPG): first line the start unix time, second line
  the sample rate (``64.000000``), then one value per line.

Start times are UTC unix seconds; they are returned as ISO 8601 UTC text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from hrv.config import SAMPLING_RATE_HZ
from hrv.errors import FormatError
from hrv.io._text import decode_text, parse_float, parse_table, split_fields, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording, flag_time_gaps, rr_recording
from hrv.types import Signal, SignalKind

__all__ = ["read_empatica_bvp", "read_empatica_ibi"]

#: E4 beat times and intervals are quantised to its 64 Hz BVP clock: a jump counts as
#: a gap only beyond twice that resolution.
_GAP_TOL_S = 2.0 / 64.0
_MIN_UNIX_S = 946_684_800.0  # 2000-01-01; E4 start times are later


def _start_time(token: str, line: int) -> str:
    t = parse_float(token, line=line, column="1")
    if not _MIN_UNIX_S <= t < 32_503_680_000.0:  # before year 3000
        raise FormatError(f"start time {t} is not a unix time in seconds", line=line, column="1")
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).isoformat()


def read_empatica_ibi(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read an Empatica E4 ``IBI.csv``.

    Returns
    -------
    Recording
        ``rr_ms`` = ibi × 1000; ``beat_times_s`` = ``t_offset``; ``gap_flags`` True for
        the first interval after dropped beats (a ``t_offset`` jump longer than the
        interval by more than 2/64 s).

    Raises
    ------
    FormatError
        On a bad first line, a bad row, or ``t_offset`` that does not increase.
    """
    lines = text_lines(decode_text(data, "Empatica IBI"))
    if not lines:
        raise FormatError("Empatica IBI file is empty")
    n0, first = lines[0]
    head = split_fields(first, ",")
    if len(head) != 2 or head[1].upper() != "IBI":
        raise FormatError("Empatica IBI file must start with '<unix time>, IBI'", line=n0)
    start = _start_time(head[0], n0)
    rows = lines[1:]
    table = parse_table(rows, ",", ncols=2, names=["t_offset", "ibi"])
    t_s, rr_ms = table[:, 0], table[:, 1] * 1000.0
    if len(t_s) > 1 and (np.diff(t_s) <= 0).any():
        k = int(np.argmax(np.diff(t_s) <= 0)) + 1
        raise FormatError("t_offset does not increase", line=rows[k][0], column="1 (t_offset)")
    gaps = flag_time_gaps(t_s, rr_ms, _GAP_TOL_S)
    meta: dict[str, Any] = {"device": "Empatica E4", "source_unit": "s", "start_time": start,
                            "dropped_beat_gaps": int(gaps.sum())}  # fmt: skip
    return rr_recording(
        FileFormat.EMPATICA_IBI, rr_ms, beat_times_s=t_s, gap_flags=gaps, metadata=meta
    )


def read_empatica_bvp(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read an Empatica E4 ``BVP.csv`` (PPG at 64 Hz, arbitrary unit).

    Returns
    -------
    Recording
        ``kind`` PPG at the rate on the second line.

    Raises
    ------
    FormatError
        On a bad start time, sample rate or value.
    """
    lines = text_lines(decode_text(data, "Empatica BVP"))
    if len(lines) < 3:
        raise FormatError("Empatica BVP file needs a start time, a sample rate and samples")
    (n0, l0), (n1, l1) = lines[0], lines[1]
    start = _start_time(split_fields(l0, ",")[0], n0)
    fs_hz = parse_float(split_fields(l1, ",")[0], line=n1, column="1")
    if fs_hz not in SAMPLING_RATE_HZ:
        raise FormatError(f"implausible sample rate {fs_hz} Hz", line=n1, column="1")
    table = parse_table(lines[2:], ",", ncols=1)
    samples = np.ascontiguousarray(table[:, 0])
    meta: dict[str, Any] = {"device": "Empatica E4", "fs_hz": fs_hz, "start_time": start,
                            "source_unit": None}  # fmt: skip
    return Recording(
        format=FileFormat.EMPATICA_BVP,
        kind=SignalKind.PPG,
        signal=Signal(samples, fs_hz, SignalKind.PPG, None),
        metadata=meta,
    )
