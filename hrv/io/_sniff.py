"""Recognising a file's format from its first bytes (and its name as a hint)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

import numpy as np

from hrv.errors import FormatError, UnsupportedFormatError
from hrv.io._text import decode_text, detect_separator, split_fields, text_lines
from hrv.io._types import FileFormat
from hrv.io.fit import is_fit
from hrv.io.wfdb import WFDB_SUFFIXES

__all__ = ["sniff_format"]

_HEAD_BYTES = 65536
_APPLE_KEYS = {"name", "date of birth", "recorded date", "classification", "symptoms",
               "software version", "device", "sample rate", "lead", "unit"}  # fmt: skip
_E4_IBI = re.compile(r"^\s*\d+(\.\d*)?\s*,\s*IBI\s*$", re.IGNORECASE)
_HEX_NOTE = re.compile(
    r"^(?:.*?(?:\(0x\)|value:)\s*)?"
    r"(?:0x[0-9A-Fa-f]{4,}|[0-9A-Fa-f]{2}(?:[-: ][0-9A-Fa-f]{2})+)\s*$",
    re.IGNORECASE,
)
_NUM_TOKENS = re.compile(r"[\s;,]+")


def _valid() -> str:
    return ", ".join(f.value for f in FileFormat)


def sniff_format(data: bytes, filename: str | None = None) -> FileFormat:
    """Guess the format of a file from its content, with its name as a hint.

    Parameters
    ----------
    data : bytes
        The file (only the first 64 KiB are inspected, except for zip archives).
    filename : str, optional
        Its name; suffixes such as ``.edf``, ``.hrm``, ``.hea`` and names such as
        ``IBI.csv``/``BVP.csv`` settle otherwise ambiguous content.

    Returns
    -------
    FileFormat

    Raises
    ------
    UnsupportedFormatError
        If the content matches no supported format; the message lists them.

    Notes
    -----
    Plain integers one per line are read as ``rr_text`` (milliseconds): Polar H10 tick
    files (1/1024 s) look the same and must be named with ``format="polar_h10_rr"``.
    A single numeric column whose values do not look like RR intervals is ``csv``.
    """
    name = PurePath(filename or "").name.lower()
    if name.endswith(".gz"):  # the name of the content inside (x.csv.gz holds x.csv)
        name = name[:-3]
    suffix = PurePath(name).suffix
    if data.startswith(b"PK"):
        return _sniff_zip(data)
    if is_fit(data) or suffix == ".fit":
        return FileFormat.FIT
    if data.startswith(b"0       ") or suffix in (".edf", ".rec"):
        return FileFormat.EDF
    if suffix in WFDB_SUFFIXES:
        return FileFormat.WFDB
    if suffix == ".hrm":
        return FileFormat.POLAR_HRM
    try:
        text = decode_text(data[:_HEAD_BYTES])
    except FormatError:
        raise UnsupportedFormatError(
            f"binary file of unknown format; supported formats: {_valid()}"
        ) from None
    lines = text_lines(text)
    if len(data) > _HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if not lines:
        raise UnsupportedFormatError("empty file: nothing to read")
    try:
        found = _sniff_text(text, [s for _, s in lines[:200]], name)
    except (ValueError, IndexError, OverflowError) as exc:  # content too broken to tell
        raise UnsupportedFormatError(f"file format not recognised ({exc})") from None
    if found is None:
        raise UnsupportedFormatError(f"file format not recognised; supported formats: {_valid()}")
    return found


def _sniff_zip(data: bytes) -> FileFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n.lower() for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # NotImplementedError: a zip "version needed" or compression Python cannot read.
        raise UnsupportedFormatError("unreadable zip archive") from None
    if any(n.endswith(".hea") for n in names):
        return FileFormat.WFDB
    raise UnsupportedFormatError(
        "zip archive without a WFDB header (.hea); the only zipped format is a WFDB record"
    )


def _sniff_text(text: str, lines: list[str], name: str) -> FileFormat | None:
    first = lines[0].strip()
    low = first.lower()
    stripped = text.lstrip()
    if "[params]" in text[:2000].lower() and "[hrdata]" in text.lower():
        return FileFormat.POLAR_HRM
    if stripped.startswith(("{", "[")) or name.endswith(".json"):
        return FileFormat.OURA_IBI
    if low.startswith("phone timestamp"):
        if "ecg" in low:
            return FileFormat.POLAR_SENSOR_LOGGER_ECG
        if "rr-interval" in low:
            return FileFormat.POLAR_SENSOR_LOGGER_RR
        raise UnsupportedFormatError(
            "Polar Sensor Logger file that is neither the RR nor the ECG export"
        )
    sep = detect_separator(first)
    if [f.lower() for f in split_fields(first, sep)] == ["time", "r", "g", "b"]:
        return FileFormat.PHONE_PPG_CSV
    if _E4_IBI.match(first):
        return FileFormat.EMPATICA_IBI
    keys = {s.split(",", 1)[0].strip().strip('"').lower() for s in lines[:15]}
    if len(keys & _APPLE_KEYS) >= 3 or "hertz" in text[:2000].lower():
        return FileFormat.APPLE_HEALTH_ECG
    e4 = _sniff_e4_signal(lines, name)
    if e4 is not None:
        return e4
    body = lines[1:] if lines[0].lstrip().startswith("#") or not _numeric(first) else lines
    if body and all(_HEX_NOTE.match(s.strip()) and not s.strip().isdigit() for s in body[:50]):
        return FileFormat.POLAR_H10_RR
    return _sniff_numeric(lines)


def _sniff_e4_signal(lines: list[str], name: str) -> FileFormat | None:
    if len(lines) < 3 or not (_numeric(lines[0]) and _numeric(lines[1])):
        return None
    a, b = split_fields(lines[0], ","), split_fields(lines[1], ",")
    try:
        start, rate = float(a[0]), float(b[0])
    except ValueError:
        return None
    if start < 946_684_800.0 or len(a) != len(b):
        return None
    if "bvp" in name or (len(a) == 1 and rate == 64.0):
        return FileFormat.EMPATICA_BVP
    raise UnsupportedFormatError(
        "Empatica E4 file other than IBI.csv or BVP.csv (EDA, TEMP, HR, ACC carry no beats)"
    )


def _numeric(s: str) -> bool:
    tokens = [t for t in _NUM_TOKENS.split(s.strip()) if t]
    try:
        for t in tokens:
            float(t)
    except ValueError:
        return False
    return bool(tokens)


def _sniff_numeric(lines: list[str]) -> FileFormat | None:
    header = not _numeric(lines[0])
    body = lines[1:] if header else lines
    if not body:
        return None
    if all(re.match(r"^\s*\d,\d+\s*$", s) for s in body[:50]):
        return FileFormat.RR_TEXT  # intervals in s with a decimal comma
    counts = {len([t for t in _NUM_TOKENS.split(s.strip()) if t]) for s in body[:50]}
    if not all(_numeric(s) for s in body[:50]):
        sep = detect_separator(body[0])
        # A decimal comma with another separator is still a numeric table.
        return FileFormat.CSV if sep in (";", "\t") else None
    if counts == {1} or len(body) <= 2:
        values = np.array([float(t) for s in body[:200] for t in _NUM_TOKENS.split(s.strip()) if t])
        med = float(np.median(values))
        if (200.0 <= med <= 2500.0 or 0.2 <= med <= 2.5) and values.min() >= 0:
            return FileFormat.RR_TEXT
    return FileFormat.CSV
