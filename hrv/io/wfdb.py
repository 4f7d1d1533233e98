"""WFDB record reader (PhysioNet), via the optional ``wfdb`` package.

A record is several files (``NAME.hea`` header, ``NAME.dat`` or ``NAME.mat`` samples,
optional annotation files such as ``NAME.atr``). It is accepted as a zip archive of
those files, or as a path to the record on disk.

Reference: Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. Circulation
101(23):e215-e220 (2000); WFDB header format: https://physionet.org/physiotools/wag/header-5.htm
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from hrv.errors import FormatError, HRVError, InvalidInputError
from hrv.io._channels import choose_channel
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording
from hrv.types import FloatArray, Signal, SignalKind

__all__ = ["WFDB_SUFFIXES", "read_wfdb", "read_wfdb_path"]

WFDB_SUFFIXES = (".hea", ".dat", ".mat", ".atr", ".qrs", ".ecg")
_ANNOTATORS = ("atr", "qrs", "ecg")
#: Beat annotation codes (PhysioNet "ecgcodes"); other codes are rhythm/noise marks.
_BEAT_CODES = frozenset("NLRBAaJSVrFejnE/fQ?")
_MAX_UNZIPPED_BYTES = 1 << 30  # a 24 h 12-lead record at 1 kHz is well below this
_MAX_MEMBERS = 64


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
        name, with or without suffix) chooses among several records.

    Returns
    -------
    Recording
        See :func:`read_wfdb_path`.

    Raises
    ------
    FormatError
        If the archive is not a readable WFDB record.
    """
    if not data.startswith(b"PK"):
        raise FormatError(
            "a WFDB record is several files: send them (.hea + .dat/.mat [+ .atr]) as a zip"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > _MAX_MEMBERS:
                raise FormatError(f"zip holds {len(members)} files; a WFDB record has a few")
            if sum(m.file_size for m in members) > _MAX_UNZIPPED_BYTES:
                raise FormatError("zip expands to more than 1 GiB")
            with tempfile.TemporaryDirectory(prefix="hrv-wfdb-") as tmp:
                names: list[str] = []
                for m in members:
                    name = Path(m.filename.replace("\\", "/")).name
                    if not name or name.startswith("."):
                        continue
                    (Path(tmp) / name).write_bytes(zf.read(m))
                    names.append(name)
                heads = sorted(n[:-4] for n in names if n.lower().endswith(".hea"))
                if not heads:
                    raise FormatError("the zip holds no WFDB header (.hea) file")
                record = heads[0]
                if (opts_name := _record_name(options)) and opts_name in heads:
                    record = opts_name
                return read_wfdb_path(Path(tmp) / record, options)
    except HRVError:
        raise
    except Exception as exc:  # zipfile and wfdb raise many types for broken input
        raise FormatError(f"unreadable WFDB zip: {exc}") from None


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
    try:
        rec = wfdb.rdrecord(str(path), channels=[idx])
        samples = np.asarray(rec.p_signal[:, 0], dtype=np.float64)
        unit = str(rec.units[0]) if rec.units else None
    except Exception as exc:
        raise FormatError(f"unreadable WFDB signal file: {exc}") from None
    samples, n_bad = _fill_invalid(samples)
    meta.update({"channel": labels[idx], "source_unit": unit, "invalid_samples": n_bad})
    if beats is not None:
        meta["reference_beats_s"] = tuple(float(t) for t in beats[0])
        meta["reference_beat_labels"] = tuple(beats[1])
    return Recording(
        format=FileFormat.WFDB, kind=kind, signal=Signal(samples, fs_hz, kind, unit), metadata=meta
    )


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
