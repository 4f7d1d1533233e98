"""The single entry point :func:`read_recording`: resolve the input, pick the reader."""

from __future__ import annotations

import dataclasses
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from hrv.errors import FormatError, HRVError, InvalidInputError, TooLargeError
from hrv.io._sniff import sniff_format
from hrv.io._types import FileFormat, ReadOptions, Recording, parse_kind
from hrv.io.apple import read_apple_health_ecg
from hrv.io.csv import read_csv
from hrv.io.edf import read_edf
from hrv.io.empatica import read_empatica_bvp, read_empatica_ibi
from hrv.io.fit import read_fit
from hrv.io.oura import read_oura_ibi
from hrv.io.phone import read_phone_ppg_csv
from hrv.io.polar import read_polar_h10_rr, read_polar_hrm
from hrv.io.polar_sensor_logger import read_sensor_logger_ecg, read_sensor_logger_rr
from hrv.io.text import read_rr_text
from hrv.io.wfdb import WFDB_SUFFIXES, read_wfdb, read_wfdb_path
from hrv.types import SignalKind

__all__ = ["read_recording"]

Reader = Callable[[bytes, ReadOptions], Recording]

READERS: dict[FileFormat, Reader] = {
    FileFormat.CSV: read_csv,
    FileFormat.EDF: read_edf,
    FileFormat.WFDB: read_wfdb,
    FileFormat.POLAR_HRM: read_polar_hrm,
    FileFormat.POLAR_H10_RR: read_polar_h10_rr,
    FileFormat.POLAR_SENSOR_LOGGER_RR: read_sensor_logger_rr,
    FileFormat.POLAR_SENSOR_LOGGER_ECG: read_sensor_logger_ecg,
    FileFormat.APPLE_HEALTH_ECG: read_apple_health_ecg,
    FileFormat.EMPATICA_IBI: read_empatica_ibi,
    FileFormat.EMPATICA_BVP: read_empatica_bvp,
    FileFormat.OURA_IBI: read_oura_ibi,
    FileFormat.RR_TEXT: read_rr_text,
    FileFormat.PHONE_PPG_CSV: read_phone_ppg_csv,
    FileFormat.FIT: read_fit,
}

# Failures of the parsing code itself on hostile bytes; turned into FormatError so a
# caller only ever sees HRVError for bad input.
_GZIP_MAGIC = b"\x1f\x8b"
#: Largest decompressed size of a gzip file (1 GiB); a smaller limit follows from
#: ``max_samples``.
GUNZIP_MAX_BYTES = 1 << 30

_PARSE_ERRORS = (
    ValueError, IndexError, KeyError, TypeError, OverflowError, UnicodeError,
    struct.error, zipfile.BadZipFile, EOFError, RecursionError,
    NotImplementedError,  # zipfile: a "version needed" or compression it cannot read
)  # fmt: skip


def read_recording(
    data: bytes | str | os.PathLike[str],
    format: FileFormat | str | None = None,
    *,
    filename: str | None = None,
    kind: SignalKind | str | None = None,
    channel: str | None = None,
    fs_hz: float | None = None,
    max_samples: int | None = None,
) -> Recording:
    """Read a recording in any supported file format.

    Parameters
    ----------
    data : bytes, str or path
        The file content as bytes; or a path (``os.PathLike`` or ``str``: a ``str`` always
        names a file or WFDB record, it is never read as content).
        A WFDB record is a path to the record (``.../mitdb/101``) or a zip in bytes.
    format : FileFormat or str, optional
        The format name (see :class:`FileFormat`); ``None`` sniffs it from the content
        and the file name.
    filename : str, optional
        The original file name, a hint for sniffing (``IBI.csv``, ``x.hrm``).
    kind : SignalKind or str, optional
        ``"ecg"``, ``"ppg"`` or ``"rr"``, where the format leaves it open (generic CSV,
        multi-channel EDF/WFDB; ``"rr"`` on a WFDB record returns its annotated beats).
    channel : str, optional
        Channel label or 1-based number for multi-channel formats.
    fs_hz : float, optional
        Sampling rate in Hz of a generic CSV waveform without a time column.
    max_samples : int, optional
        Most samples per channel (or intervals) to decode. Formats whose header declares
        the size (EDF, WFDB) are refused before decoding; the zip of a WFDB record is
        decompressed only as far as this allows.

    Returns
    -------
    Recording
        Waveform or intervals, with non-personal metadata.

    Raises
    ------
    UnsupportedFormatError
        For an unknown format name or unrecognised content (the valid formats are
        listed).
    FormatError
        For malformed content, naming the line and column where known.
    TooLargeError
        When the file declares more than ``max_samples`` samples or intervals.
    InvalidInputError
        For a missing file, an unknown channel or kind, or missing ``kind``/``fs_hz``.
    """
    fmt = None if format is None else FileFormat.parse(format)
    opts = ReadOptions(
        kind=parse_kind(kind),
        channel=channel,
        fs_hz=None if fs_hz is None else float(fs_hz),
        filename=filename,
        max_samples=max_samples,
    )
    path = _as_path(data)
    if path is not None:
        opts = dataclasses.replace(opts, filename=filename or path.name)
        if _is_wfdb_path(path, fmt):
            return _guard(FileFormat.WFDB, lambda: read_wfdb_path(path, opts))
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    elif isinstance(data, str):
        raise InvalidInputError(
            f"no such file: {data[:200]!r} (a str names a file; pass file content as bytes)"
        )
    elif isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
    else:
        raise InvalidInputError(f"expected bytes, text or a path, got {type(data).__name__}")
    if content[:2] == _GZIP_MAGIC:
        content = _gunzip(content, opts.max_samples)
        if opts.filename and opts.filename.lower().endswith(".gz"):
            opts = dataclasses.replace(opts, filename=opts.filename[:-3])
    fmt = fmt or sniff_format(content, opts.filename)
    reader = READERS[fmt]
    return _guard(fmt, lambda: reader(content, opts))


def _gunzip(data: bytes, max_samples: int | None) -> bytes:
    """The content of a gzip file (all members), decompressed in steps so a small file
    cannot expand past the limit: :data:`GUNZIP_MAX_BYTES`, or 64 bytes per allowed
    sample (a text row of several columns) when ``max_samples`` is given."""
    limit = GUNZIP_MAX_BYTES if max_samples is None else min(
        GUNZIP_MAX_BYTES, max(1 << 20, 64 * int(max_samples)))
    out = bytearray()
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            chunk = rest
            while chunk:
                out += d.decompress(chunk, max(1, limit + 1 - len(out)))
                if len(out) > limit:
                    raise TooLargeError(
                        f"the gzip file expands beyond {limit} bytes (the limit)")
                chunk = d.unconsumed_tail
            if not d.eof:
                raise FormatError("truncated gzip file")
            rest = d.unused_data
            if rest[:2] != _GZIP_MAGIC:  # trailing padding after the last member
                break
    except zlib.error as exc:
        raise FormatError(f"malformed gzip file: {exc}") from None
    return bytes(out)


def _guard(fmt: FileFormat, read: Callable[[], Recording]) -> Recording:
    try:
        return read()
    except HRVError:
        raise
    except _PARSE_ERRORS as exc:
        raise FormatError(f"malformed {fmt.value} file: {exc}") from None
    except MemoryError:
        raise FormatError(f"{fmt.value} file declares more data than can be held") from None


def _as_path(data: bytes | str | os.PathLike[str]) -> Path | None:
    if isinstance(data, os.PathLike):
        return Path(data)
    if isinstance(data, str) and "\x00" not in data:
        p = Path(data)
        try:
            if p.is_file() or p.with_suffix(".hea").is_file():
                return p
        except (OSError, ValueError):
            return None
    return None


def _is_wfdb_path(path: Path, fmt: FileFormat | None) -> bool:
    if path.suffix.lower() == ".zip":
        return False
    if path.suffix.lower() in WFDB_SUFFIXES:
        return fmt in (None, FileFormat.WFDB)
    return (
        (fmt in (None, FileFormat.WFDB))
        and path.with_suffix(".hea").is_file()
        and (fmt is FileFormat.WFDB or not path.is_file())
    )
