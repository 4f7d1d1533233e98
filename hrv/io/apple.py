"""Apple Health ECG CSV export (``electrocardiograms/ecg_YYYY-MM-DD.csv``).

The Health app writes one file per Apple Watch ECG (single lead, 30 s, 512 Hz):
a block of ``key,value`` header lines, a blank line, then one sample in µV per line::

    Name,<name>
    Date of Birth,"<date>"
    Recorded Date,2023-05-04 08:15:02 +0200
    Classification,Sinus Rhythm
    Symptoms,
    Software Version,2
    Device,"Watch6,1"
    Sample Rate,512 hertz
    Lead,Lead I
    Unit,µV

    -23.456
    ...

Some locales write a decimal comma (quoted, ``"-23,456"``). The name and birth date
(and any header key not in the allow-list below, e.g. localised ones) are discarded
and never returned.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np

from hrv.config import SAMPLING_RATE_HZ
from hrv.errors import FormatError
from hrv.io._text import decode_text, parse_table, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording
from hrv.types import Signal, SignalKind

__all__ = ["read_apple_health_ecg"]

DEFAULT_FS_HZ = 512.0
#: Header keys kept, mapped to metadata names. Everything else (Name, Date of Birth,
#: unknown or localised keys) is dropped so no personal data can pass through.
_KEEP = {
    "recorded date": "start_time",
    "classification": "classification",
    "symptoms": "symptoms",
    "software version": "software_version",
    "device": "device",
    "lead": "lead",
}
_RATE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:hertz|hz)\b", re.IGNORECASE)
_SAMPLE = re.compile(r'^\s*"?\s*-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?\s*"?\s*$')


def _iso(value: str) -> str:
    """``2024-03-01 09:30:00 +0100`` as ISO 8601; other spellings are kept as written."""
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z").isoformat()
    except ValueError:
        return value


def read_apple_health_ecg(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read an Apple Health ECG CSV export.

    Parameters
    ----------
    data : bytes
        The CSV file.
    options : ReadOptions, optional
        Unused.

    Returns
    -------
    Recording
        ``kind`` ECG, samples in µV at the header's ``Sample Rate`` (512 Hz when
        absent). Metadata: ``start_time`` (the Recorded Date as written),
        ``classification``, ``symptoms``, ``software_version``, ``device``, ``lead``,
        ``source_unit``, ``fs_hz``.

    Raises
    ------
    FormatError
        If no sample follows the header, or a sample line is not a number.
    """
    lines = text_lines(decode_text(data, "Apple Health ECG"))
    meta: dict[str, Any] = {}
    fs_hz = DEFAULT_FS_HZ
    unit = "uV"
    first_sample = len(lines)
    for i, (n, s) in enumerate(lines):
        if _SAMPLE.match(s):
            first_sample = i
            break
        key, _, value = s.partition(",")
        key = key.strip().strip('"').strip().lower()
        value = value.strip().strip('"').strip()
        if key == "sample rate" or (_RATE.search(value) and key not in _KEEP):
            m = _RATE.search(value)
            if m is None:
                raise FormatError(f"unreadable sample rate {value[:40]!r}", line=n, column="2")
            fs_hz = float(m[1].replace(",", "."))
        elif key == "unit":
            unit = "uV" if value in ("µV", "μV", "uV", "") else value
        elif key in _KEEP and value:
            meta[_KEEP[key]] = _iso(value) if _KEEP[key] == "start_time" else value
    samples_lines = lines[first_sample:]
    if not samples_lines:
        raise FormatError("Apple Health ECG file holds a header but no sample")
    if fs_hz not in SAMPLING_RATE_HZ:
        raise FormatError(f"implausible sample rate {fs_hz} Hz")
    comma = any("," in s for _, s in samples_lines[:20])
    table = parse_table(samples_lines, None, ncols=1, decimal_comma=comma)
    samples = np.ascontiguousarray(table[:, 0])
    meta.update({"source_unit": unit, "fs_hz": fs_hz, "device_vendor": "Apple"})
    return Recording(
        format=FileFormat.APPLE_HEALTH_ECG,
        kind=SignalKind.ECG,
        signal=Signal(samples, fs_hz, SignalKind.ECG, unit),
        metadata=meta,
    )
