"""WFDB record reader (PhysioNet), via the optional ``wfdb`` package.

A record is several files (``NAME.hea`` header, ``NAME.dat`` or ``NAME.mat`` samples,
optional annotation files such as ``NAME.atr``). It is accepted as a zip archive of
those files, or as a path to the record on disk.

Reference: Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. Circulation
101(23):e215-e220 (2000); WFDB header format: https://physionet.org/physiotools/wag/header-5.htm
"""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from hrv.errors import FormatError, HRVError, InvalidInputError, TooLargeError
from hrv.io._channels import choose_channel
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording
from hrv.types import FloatArray, QualityWarning, Signal, SignalKind

__all__ = ["WFDB_SUFFIXES", "read_wfdb", "read_wfdb_path"]

WFDB_SUFFIXES = (".hea", ".dat", ".mat", ".atr", ".qrs", ".ecg")
_ANNOTATORS = ("atr", "qrs", "ecg")
#: Beat annotation codes (PhysioNet "ecgcodes"); other codes are rhythm/noise marks.
_BEAT_CODES = frozenset("NLRBAaJSVrFejnE/fQ?")
_MAX_MEMBERS = 64
_MAX_HEADER_BYTES = 1 << 20
_MAX_ANNOTATION_BYTES = 8 << 20  # about 4 million beat labels, days of recording
_CHUNK_BYTES = 1 << 20
_SLACK_BYTES = 1 << 20
#: Samples per signal read when the caller sets no limit: 24 h at 1 kHz, with margin.
_DEFAULT_MAX_SAMPLES = 100_000_000
#: Frames read per call, so decoding a long multi-channel record never holds all of it.
_READ_FRAMES = 1 << 21
#: Bytes per sample of the uncompressed WFDB signal formats (WFDB "signal" manual page).
_BYTES_PER_SAMPLE: dict[str, Fraction] = {
    "8": Fraction(1), "16": Fraction(2), "24": Fraction(3), "32": Fraction(4),
    "61": Fraction(2), "80": Fraction(1), "160": Fraction(2), "212": Fraction(3, 2),
    "310": Fraction(4, 3), "311": Fraction(4, 3),
}  # fmt: skip


def _import_wfdb() -> Any:
    try:
        import wfdb
    except ImportError:  # pragma: no cover - depends on the environment
        raise FormatError(
            "reading WFDB needs the optional 'wfdb' package: pip install 'hrv-session[formats]'"
        ) from None
    return wfdb


def read_wfdb(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a WFDB record sent as a zip archive of its files.

    Parameters
    ----------
    data : bytes
        A zip holding one record's ``.hea`` and signal file(s) and optionally its
        annotation file (``.atr``, ``.qrs`` or ``.ecg``). Folders inside are ignored.
    options : ReadOptions, optional
        ``kind``/``channel`` choose the channel; ``kind=rr`` returns the intervals of
        the reference beat annotations instead of a waveform. ``filename`` (the record
        name, with or without suffix) chooses among several records. ``max_samples``
        bounds what is decompressed: the header is read first, and a signal file is
        expanded only up to the size its declared length needs.

    Returns
    -------
    Recording
        See :func:`read_wfdb_path`.

    Raises
    ------
    FormatError
        If the archive is not a readable WFDB record, or a member name leaves it.
    TooLargeError
        If the header declares, or a signal file holds, more than ``max_samples``.
    """
    opts = options or ReadOptions()
    if not data.startswith(b"PK"):
        raise FormatError(
            "a WFDB record is several files: send them (.hea + .dat/.mat [+ .atr]) as a zip"
        )
    wfdb = _import_wfdb()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = _members(zf)
            heads = sorted(n[:-4] for n in members if n.lower().endswith(".hea"))
            if not heads:
                raise FormatError("the zip holds no WFDB header (.hea) file")
            record = heads[0]
            if (opts_name := _record_name(opts)) and opts_name in heads:
                record = opts_name
            with tempfile.TemporaryDirectory(prefix="hrv-wfdb-") as tmp:
                root = Path(tmp)
                _extract(zf, members[record + ".hea"], root / (record + ".hea"),
                         _MAX_HEADER_BYTES, what="header")
                header = _read_header(wfdb, root / record)
                for name, cap in _signal_file_caps(header, opts.max_samples).items():
                    if name in members:
                        _extract(zf, members[name], root / name, abs(cap),
                                 what="signal file" if cap < 0 else None)
                for ext in _ANNOTATORS:
                    if (name := f"{record}.{ext}") in members:
                        _extract(zf, members[name], root / name, _MAX_ANNOTATION_BYTES,
                                 what="annotation file")
                return read_wfdb_path(root / record, opts)
    except HRVError:
        raise
    except Exception as exc:  # zipfile and wfdb raise many types for broken input
        raise FormatError(f"unreadable WFDB zip: {exc}") from None


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by base name; names that climb out of it are refused."""
    files = [m for m in zf.infolist() if not m.is_dir()]
    if len(files) > _MAX_MEMBERS:
        raise FormatError(f"zip holds {len(files)} files; a WFDB record has a few")
    out: dict[str, zipfile.ZipInfo] = {}
    for m in files:
        raw = m.filename.replace("\\", "/")
        parts = raw.split("/")
        if raw.startswith("/") or ".." in parts or (len(raw) > 1 and raw[1] == ":"):
            raise FormatError(f"zip member {raw[:100]!r} points outside the archive")
        name = parts[-1]
        if not name or name.startswith("."):
            continue
        if name in out:
            raise FormatError(f"zip holds two files named {name[:100]!r}")
        out[name] = m
    return out


def _extract(
    zf: zipfile.ZipFile, member: zipfile.ZipInfo, dest: Path, cap: int, *, what: str | None
) -> None:
    """Decompress ``member`` to ``dest``, at most ``cap`` bytes of it.

    The archive's stated sizes are not trusted: the stream is counted as it expands.
    Past ``cap`` an annotation or header file is refused (``what`` names it); a signal
    file (``what=None``) is cut, since the reader never looks past its declared length.
    """
    written = 0
    with zf.open(member) as src, dest.open("wb") as out:
        while written < cap:
            chunk = src.read(min(_CHUNK_BYTES, cap - written))
            if not chunk:
                return
            out.write(chunk)
            written += len(chunk)
        if what is not None and src.read(1):
            raise FormatError(f"the WFDB {what} expands to more than {cap} bytes")


def _read_header(wfdb: Any, path: Path) -> Any:
    try:
        return wfdb.rdheader(str(path))
    except Exception as exc:
        raise FormatError(f"unreadable WFDB header: {exc}") from None


def _frame_bytes(header: Any) -> dict[str, Fraction | None]:
    """Bytes per frame of each signal file (``None`` for formats without a fixed size)."""
    sizes: dict[str, Fraction | None] = {}
    names = list(header.file_name or [])
    fmts = list(header.fmt or [])
    spf = list(header.samps_per_frame or [1] * len(names))
    for name, fmt, n in zip(names, fmts, spf, strict=False):
        per = _BYTES_PER_SAMPLE.get(str(fmt))
        current = sizes.get(str(name), Fraction(0))
        if per is None or current is None:
            sizes[str(name)] = None
        else:
            sizes[str(name)] = current + per * int(n or 1)
    return sizes


def _declared_frames(header: Any, max_samples: int | None) -> int | None:
    sig_len = header.sig_len
    if sig_len is None:
        return None
    frames = int(sig_len)
    limit = _DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    if frames < 0:
        raise FormatError(f"WFDB header declares {frames} samples")
    if frames > limit:
        raise TooLargeError(
            f"WFDB header declares {frames} samples per signal; the limit is {limit}"
        )
    return frames


def _signal_file_caps(header: Any, max_samples: int | None) -> dict[str, int]:
    """How many bytes of each signal file may be expanded.

    Positive: the file is cut there (its length is unstated; the reader then tells
    whether it held more than the limit). Negative: the file must not be longer
    than that (its length is declared).
    """
    frames = _declared_frames(header, max_samples)
    limit = _DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    offsets = dict(zip(header.file_name or [], header.byte_offset or [], strict=False))
    caps: dict[str, int] = {}
    for name, frame in _frame_bytes(header).items():
        if frame is None:
            raise FormatError(
                f"WFDB signal file {name[:100]!r} uses a compressed or unknown format; "
                f"accepted formats: {', '.join(_BYTES_PER_SAMPLE)}"
            )
        offset = int(offsets.get(name) or 0)
        if frames is None:
            # One frame past the limit, so a file of unstated length that is longer
            # than the limit allows can be told from one that just fits.
            caps[name] = offset + math.ceil(frame * (limit + 1))
        else:
            # Trailing bytes are tolerated up to the size of the data itself; a file
            # far longer than its header declares is not that record.
            need = offset + math.ceil(frame * frames)
            caps[name] = -(need + max(need, _SLACK_BYTES))
    return caps


def _record_name(options: ReadOptions | None) -> str | None:
    if options is None or not options.filename:
        return None
    name = Path(options.filename).name
    for suffix in (*WFDB_SUFFIXES, ".zip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_wfdb_path(record: str | Path, options: ReadOptions | None = None) -> Recording:
    """Read a WFDB record from disk.

    Parameters
    ----------
    record : str or Path
        Path of the record without suffix (``.../mitdb/101``); a path to one of its
        files (``101.hea``, ``101.dat``) is accepted too.
    options : ReadOptions, optional
        ``kind``/``channel`` choose the channel (lead II / MLII first for ECG, PLETH for
        PPG). ``kind=rr`` (or a record with no signals, such as the nsr2db records)
        returns the intervals between annotated beats.

    Returns
    -------
    Recording
        A waveform in the channel's physical unit (invalid samples, stored as NaN by
        ``wfdb``, are linearly interpolated and counted in
        ``metadata["invalid_samples"]``), with the annotated beats, when an annotation
        file exists, in ``metadata["reference_beats_s"]``. For RR: intervals between
        consecutive annotated beats; an interval is flagged in ``gap_flags`` unless both
        its beats are normal (``N``), so the unflagged intervals are the NN series.
        Header comments (which can hold age and sex) are not returned.
    """
    opts = options or ReadOptions()
    wfdb = _import_wfdb()
    path = Path(record)
    if path.suffix.lower() in WFDB_SUFFIXES:
        path = path.with_suffix("")
    if not path.with_suffix(".hea").is_file():
        raise InvalidInputError(f"no WFDB header {path.name}.hea in {path.parent}")
    try:
        header = wfdb.rdheader(str(path))
        n_sig = int(header.n_sig or 0)
        fs_hz = float(header.fs)
        labels = [str(s) for s in (header.sig_name or [])]
    except Exception as exc:
        raise FormatError(f"unreadable WFDB header: {exc}") from None
    if not np.isfinite(fs_hz) or fs_hz <= 0:
        raise FormatError("WFDB header has no valid sampling frequency", line=1)
    meta: dict[str, Any] = {"record": path.name, "fs_hz": fs_hz, "channels": tuple(labels)}
    if header.base_time is not None:
        start = header.base_time.isoformat()
        if header.base_date is not None:
            start = f"{header.base_date.isoformat()}T{start}"
        meta["start_time"] = start
    beats = _read_beats(wfdb, path, fs_hz)
    if opts.kind is SignalKind.RR or n_sig == 0:
        if beats is None:
            raise InvalidInputError(
                f"WFDB record {path.name} has no beat annotation file "
                f"({', '.join('.' + a for a in _ANNOTATORS)}) to take intervals from"
            )
        times, symbols = beats
        rr = np.diff(times) * 1000.0
        normal = np.array([s == "N" for s in symbols])
        flags = ~(normal[1:] & normal[:-1])
        meta.update({"source_unit": "annotation samples", "first_beat_s": float(times[0])})
        return rr_recording(
            FileFormat.WFDB, rr, beat_times_s=times[1:], gap_flags=flags, metadata=meta
        )
    idx, kind = choose_channel(labels, opts.kind, opts.channel)
    frames, warning = _frames_to_read(header, path, idx, opts.max_samples)
    try:
        # Without a stated length wfdb takes it from the file (already bounded above).
        blocks = frames if header.sig_len is not None else None
        samples, unit = _read_channel(wfdb, path, idx, blocks)
    except HRVError:
        raise
    except Exception as exc:
        raise FormatError(f"unreadable WFDB signal file: {exc}") from None
    samples, n_bad = _fill_invalid(samples)
    meta.update({"channel": labels[idx], "source_unit": unit, "invalid_samples": n_bad})
    if warning is not None:
        meta["warnings"] = (warning,)
    if beats is not None:
        meta["reference_beats_s"] = tuple(float(t) for t in beats[0])
        meta["reference_beat_labels"] = tuple(beats[1])
    return Recording(
        format=FileFormat.WFDB, kind=kind, signal=Signal(samples, fs_hz, kind, unit), metadata=meta
    )


def _frames_to_read(
    header: Any, path: Path, idx: int, max_samples: int | None
) -> tuple[int | None, QualityWarning | None]:
    """Frames of the record to decode, checked against the limit before any decoding.

    ``None`` leaves the length to ``wfdb`` (formats without a fixed size per sample).
    A signal file shorter than the header declares is read as far as it goes, with a
    ``truncated_file`` warning.
    """
    declared = _declared_frames(header, max_samples)
    limit = _DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    name = str((header.file_name or [None] * (idx + 1))[idx])
    frame = _frame_bytes(header).get(name)
    file = path.parent / name
    if frame is None or frame == 0 or not file.is_file():
        return declared, None
    offset = int((header.byte_offset or [0] * (idx + 1))[idx] or 0)
    held = int(max(0, file.stat().st_size - offset) / frame)
    if held == 0:
        raise FormatError(f"WFDB signal file {name[:100]!r} holds no sample")
    if declared is None:
        if held > limit:
            raise TooLargeError(
                f"WFDB record holds {held} samples per signal; the limit is {limit}"
            )
        return held, None
    if held < declared:
        fs = float(header.fs)
        return held, QualityWarning(
            "truncated_file",
            f"the WFDB header declares {declared} samples ({declared / fs:.0f} s) but "
            f"{name[:100]} holds {held} ({held / fs:.0f} s): it is truncated, and only the "
            "part it holds was analysed",
        )
    return declared, None


def _read_channel(
    wfdb: Any, path: Path, idx: int, frames: int | None
) -> tuple[FloatArray, str | None]:
    """One channel in physical units, decoded a block of frames at a time."""
    if frames is None:
        rec = wfdb.rdrecord(str(path), channels=[idx])
        unit = str(rec.units[0]) if rec.units else None
        return np.asarray(rec.p_signal[:, 0], dtype=np.float64), unit
    out = np.empty(frames, dtype=np.float64)
    unit = None
    for start in range(0, frames, _READ_FRAMES):
        stop = min(frames, start + _READ_FRAMES)
        rec = wfdb.rdrecord(str(path), sampfrom=start, sampto=stop, channels=[idx])
        block = np.asarray(rec.p_signal[:, 0], dtype=np.float64)
        if len(block) != stop - start:
            raise FormatError(f"WFDB signal file ends before sample {start + len(block)}")
        out[start:stop] = block
        unit = str(rec.units[0]) if rec.units else None
    return out, unit


def _read_beats(wfdb: Any, path: Path, fs_hz: float) -> tuple[FloatArray, list[str]] | None:
    for ext in _ANNOTATORS:
        if path.with_suffix("." + ext).is_file():
            try:
                ann = wfdb.rdann(str(path), ext)
                samples = np.asarray(ann.sample, dtype=np.float64)
                symbols = [str(s) for s in ann.symbol]
            except Exception as exc:
                raise FormatError(f"unreadable WFDB annotation file .{ext}: {exc}") from None
            keep = np.array([s in _BEAT_CODES for s in symbols], dtype=bool)
            if keep.sum() < 2:
                continue
            fs = float(ann.fs) if getattr(ann, "fs", None) else fs_hz
            times = samples[keep] / fs
            return times, [s for s, k in zip(symbols, keep, strict=True) if k]
    return None


def _fill_invalid(samples: FloatArray) -> tuple[FloatArray, int]:
    bad = ~np.isfinite(samples)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return samples, 0
    if n_bad == len(samples):
        raise FormatError("the chosen WFDB channel holds no valid sample")
    idx = np.arange(len(samples))
    samples = samples.copy()
    samples[bad] = np.interp(idx[bad], idx[~bad], samples[~bad])
    return samples, n_bad
