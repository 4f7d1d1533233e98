"""Polar formats: ProTrainer ``.hrm`` exports and H10 RR values in 1/1024 s.

References
----------
Polar Electro Oy. Polar HRM file format, version 1.06 (2006) ("Polar HRM data file
format", part of the Polar Precision Performance SW documentation).
Bluetooth SIG. Heart Rate Service 1.0 / GATT Specification Supplement, Heart Rate
Measurement characteristic (0x2A37): RR-Interval values are uint16 in units of 1/1024 s.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from hrv.errors import FormatError, UnsupportedFormatError
from hrv.io._text import Line, decode_text, parse_float, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording

__all__ = ["parse_heart_rate_measurement", "read_polar_h10_rr", "read_polar_hrm"]

#: ``[Params]`` keys that describe the recording (never the user's Weight, VO2max, ...).
_HRM_PARAMS = {"Version": "hrm_version", "Monitor": "monitor", "SMode": "smode",
               "Length": "length", "Interval": "interval"}  # fmt: skip
_RR_INTERVAL = "238"  # Interval=238 marks R-R recording in the HRM spec (HR otherwise)


def read_polar_hrm(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a Polar ProTrainer ``.hrm`` file recorded in R-R mode.

    The file is an INI-like text: ``[Params]`` holds ``Interval=238`` for R-R
    recordings, ``Date`` and ``StartTime``; ``[HRData]`` holds one row per beat whose
    first tab-separated column is the RR interval in ms (later columns, present when
    ``SMode`` enables speed, cadence, altitude or power, are ignored).

    Parameters
    ----------
    data : bytes
        The ``.hrm`` file.
    options : ReadOptions, optional
        Unused.

    Returns
    -------
    Recording
        RR intervals in ms; beat times from the cumulative sum; zero intervals flagged.
        Metadata holds ``start_time``, ``monitor``, ``hrm_version`` and ``smode``; the
        ``[Note]`` text and the user's weight, VO2max and heart-rate limits are dropped.

    Raises
    ------
    FormatError
        If ``[Params]`` or ``[HRData]`` is missing or an interval is not a number.
    UnsupportedFormatError
        For heart-rate (not R-R) recordings, ``Interval`` other than 238.
    """
    sections = _sections(text_lines(decode_text(data, "Polar HRM")))
    if "Params" not in sections:
        raise FormatError("Polar HRM file without a [Params] section", line=1)
    if "HRData" not in sections:
        raise FormatError("Polar HRM file without an [HRData] section")
    params: dict[str, str] = {}
    for _, s in sections["Params"]:
        key, eq, value = s.partition("=")
        if eq:
            params[key.strip()] = value.strip()
    interval = params.get("Interval", "")
    if interval != _RR_INTERVAL:
        raise UnsupportedFormatError(
            f"Polar HRM file recorded heart rate every {interval or '?'} s, not R-R "
            "intervals (Interval=238); beat-to-beat analysis needs an R-R recording"
        )
    rows = sections["HRData"]
    rr = np.array(
        [parse_float(s.split()[0], line=n, column="1") for n, s in rows], dtype=np.float64
    )
    meta: dict[str, Any] = {"device": "Polar", "source_unit": "ms"}
    meta.update({_HRM_PARAMS[k]: v for k, v in params.items() if k in _HRM_PARAMS})
    start = _hrm_start(params.get("Date", ""), params.get("StartTime", ""))
    if start:
        meta["start_time"] = start
    return rr_recording(FileFormat.POLAR_HRM, rr, metadata=meta)


def _sections(lines: list[Line]) -> dict[str, list[Line]]:
    out: dict[str, list[Line]] = {}
    current: list[Line] | None = None
    for n, s in lines:
        t = s.strip()
        if t.startswith("[") and t.endswith("]"):
            current = out.setdefault(t[1:-1].strip(), [])
        elif current is not None:
            current.append((n, t))
    return out


def _hrm_start(date: str, time: str) -> str | None:
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", date)
    t = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)", time)
    if not m:
        return None
    day = f"{m[1]}-{m[2]}-{m[3]}"
    return f"{day}T{int(t[1]):02d}:{t[2]}:{t[3]}" if t else day


# --- Polar H10: RR in 1/1024 s ------------------------------------------------------------

_HEX_LINE = re.compile(r"^(?:0x)?[0-9A-Fa-f]{2}(?:[-: ]?[0-9A-Fa-f]{2})*$")
_LOG_MARKER = re.compile(r"\(0x\)|value:", re.IGNORECASE)


def parse_heart_rate_measurement(payload: bytes) -> list[int]:
    """RR values (1/1024 s ticks) in one BLE Heart Rate Measurement notification.

    Layout (Bluetooth Heart Rate Service): a flags byte (bit 0: heart rate as uint16
    instead of uint8; bit 3: energy expended uint16 present; bit 4: RR intervals
    present), the heart rate, optionally energy expended, then zero or more uint16
    little-endian RR values.

    Raises
    ------
    FormatError
        If the payload is shorter than its flags announce or has an odd RR tail.
    """
    if not payload:
        raise FormatError("empty heart rate measurement")
    flags = payload[0]
    pos = 1 + (2 if flags & 0x01 else 1) + (2 if flags & 0x08 else 0)
    if len(payload) < pos:
        raise FormatError("heart rate measurement shorter than its flags announce")
    if not flags & 0x10:
        return []
    tail = payload[pos:]
    if len(tail) % 2:
        raise FormatError("heart rate measurement RR field has an odd number of bytes")
    return [tail[i] | (tail[i + 1] << 8) for i in range(0, len(tail), 2)]


def read_polar_h10_rr(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read Polar H10 RR values in 1/1024 s units.

    Two line layouts are accepted (mixed freely), blank lines and ``#`` comments
    ignored, and an optional non-numeric header line:

    - a decimal tick count per line (``1008``), as logged from the Heart Rate
      Measurement RR field;
    - a hex notification payload per line, bytes separated by ``-``, ``:`` or blanks or
      prefixed ``0x`` (``10-3C-2C-03``, ``0x103c2c03``), optionally after a log prefix
      ending in ``value:`` or ``(0x)`` as nRF Connect writes it. A notification may
      carry zero or several RR values.

    Returns
    -------
    Recording
        ``rr_ms = ticks * 1000 / 1024``; ``metadata["source_unit"] = "1/1024 s"``.

    Raises
    ------
    FormatError
        On a line that is neither (line and column named).
    """
    lines = [
        (n, s.strip())
        for n, s in text_lines(decode_text(data, "Polar H10 RR"))
        if not s.lstrip().startswith("#")
    ]
    ticks: list[float] = []
    for i, (n, s) in enumerate(lines):
        if s.isdigit():
            ticks.append(float(s))
            continue
        body = _LOG_MARKER.split(s)[-1].strip()  # drop a log prefix ("... value: (0x) ")
        if _HEX_LINE.match(body) and not body.isdigit():
            hexstr = re.sub(r"[-: ]", "", body[2:] if body.lower().startswith("0x") else body)
            try:
                ticks.extend(float(v) for v in parse_heart_rate_measurement(bytes.fromhex(hexstr)))
            except FormatError as exc:
                raise FormatError(exc.message, line=n, column="1") from None
            continue
        if i == 0 and not re.search(r"\d", s[:1]):
            continue  # a header line such as "rr_1024"
        ticks.append(parse_float(s, line=n, column="1"))
    if not ticks:
        raise FormatError("Polar H10 RR file holds no RR value")
    rr_ms = np.asarray(ticks, dtype=np.float64) * (1000.0 / 1024.0)
    return rr_recording(
        FileFormat.POLAR_H10_RR,
        rr_ms,
        metadata={"device": "Polar H10", "source_unit": "1/1024 s"},
    )
