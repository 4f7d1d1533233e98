"""EDF / EDF+ reader (European Data Format), via the optional ``edfio`` package.

Reference: Kemp B, Olivan J. European data format 'plus' (EDF+), an EDF alike standard
format for the exchange of physiological data. Clin Neurophysiol 114:1755-1761 (2003).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from typing import Any

import numpy as np

from hrv.errors import FormatError, HRVError, TooLargeError
from hrv.io._channels import choose_channel
from hrv.io._types import FileFormat, ReadOptions, Recording
from hrv.types import QualityWarning, Signal

__all__ = ["read_edf"]

_MAX_ANNOTATIONS = 500_000
_MAX_SIGNALS = 512
# Bytes of the fixed header, and of each signal's header fields before its "number of
# samples in each data record" (label, transducer, dimension, 4 ranges, prefiltering).
_HEAD = 256
_SIGNAL_FIELDS = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80


def _import_edfio() -> Any:
    try:
        import edfio
    except ImportError:  # pragma: no cover - depends on the environment
        raise FormatError(
            "reading EDF needs the optional 'edfio' package: pip install 'hrv-session[formats]'"
        ) from None
    return edfio


def read_edf(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read an ECG or PPG channel of an EDF/EDF+ file.

    The channel is chosen by label (``"ECG"``, ``"EKG"``, ``"MLII"``, ``"II"``, ...; or
    ``"Pleth"``/``"PPG"`` for ``kind=ppg``) unless ``options.channel`` names one. EDF+
    annotations whose text starts with ``"beat"`` (e.g. ``"beat N"``) are returned as
    reference beats in ``metadata["reference_beats_s"]`` (seconds from the start) with
    their labels in ``metadata["reference_beat_labels"]``. The patient field (name,
    birth date) is never read into the result.

    Parameters
    ----------
    data : bytes
        The whole EDF file.
    options : ReadOptions, optional
        ``kind`` and ``channel`` choose the channel.

    Returns
    -------
    Recording
        ``signal`` in the channel's physical unit at its sampling rate.

    Raises
    ------
    FormatError
        If the bytes are not a readable EDF file.
    InvalidInputError
        If no suitable channel exists (the message lists the labels).
    """
    opts = options or ReadOptions()
    edfio = _import_edfio()
    if len(data) < _HEAD or not data.startswith(b"0       "):
        raise FormatError("not an EDF file: the header must start with '0' and 7 spaces")
    data, read_warnings = _checked_records(data, opts.max_samples)
    try:
        with warnings.catch_warnings():
            # The header was checked above; edfio's own notices are not for the caller.
            warnings.simplefilter("ignore")
            edf = edfio.read_edf(io.BytesIO(data))
            signals = list(edf.signals)
        labels = [str(s.label) for s in signals]
    except HRVError:
        raise
    except Exception as exc:  # edfio raises many types for broken headers
        raise FormatError(f"unreadable EDF file: {exc}") from None
    if not signals:
        raise FormatError("EDF file holds no signal")
    idx, kind = choose_channel(labels, opts.kind, opts.channel)
    sig = signals[idx]
    try:
        samples = np.asarray(sig.data, dtype=np.float64)
        fs_hz = float(sig.sampling_frequency)
        unit = str(sig.physical_dimension) or None
    except Exception as exc:
        raise FormatError(f"unreadable EDF signal {labels[idx]!r}: {exc}") from None
    if not np.isfinite(fs_hz) or fs_hz <= 0:
        raise FormatError(f"EDF signal {labels[idx]!r} has no valid sampling rate")
    if not np.isfinite(samples).all():
        raise FormatError(f"EDF signal {labels[idx]!r} holds non-finite values")
    meta: dict[str, Any] = {
        "channel": labels[idx],
        "channels": tuple(labels),
        "fs_hz": fs_hz,
        "source_unit": unit,
        "edf_plus": bool(data[192:197] in (b"EDF+C", b"EDF+D")),
    }
    start = _start_time(edf)
    if start is not None:
        meta["start_time"] = start
    if read_warnings:
        meta["warnings"] = read_warnings
    meta.update(_beat_annotations(edf))
    return Recording(
        format=FileFormat.EDF,
        kind=kind,
        signal=Signal(samples, fs_hz, kind, unit),
        metadata=meta,
    )


def _header_int(data: bytes, start: int, width: int, what: str) -> int:
    field = data[start : start + width].decode("ascii", "replace").strip()
    try:
        return int(field)
    except ValueError:
        raise FormatError(f"EDF header field {what} is not an integer: {field!r}") from None


def _checked_records(
    data: bytes, max_samples: int | None
) -> tuple[bytes, tuple[QualityWarning, ...]]:
    """Check the sizes the header declares against the bytes and the caller's limit.

    Returns the file with its record count set to the complete records it holds (so
    a truncated file is read as far as it goes) and a warning when that differs from
    the header. Nothing is decoded here: a header announcing 10^8 records costs nothing.
    """
    ns = _header_int(data, 252, 4, "'number of signals'")
    if not 0 < ns <= _MAX_SIGNALS:
        raise FormatError(f"EDF header declares {ns} signals; expected 1 to {_MAX_SIGNALS}")
    header_bytes = _HEAD * (ns + 1)
    stated = _header_int(data, 184, 8, "'number of bytes in header'")
    if stated != header_bytes:
        raise FormatError(
            f"EDF header states {stated} header bytes; {ns} signals need {header_bytes}"
        )
    if len(data) < header_bytes:
        raise FormatError(
            f"EDF header of {ns} signals needs {header_bytes} bytes; the file has {len(data)}"
        )
    base = _HEAD + ns * _SIGNAL_FIELDS
    per_record = [_header_int(data, base + 8 * i, 8, "'samples per record'") for i in range(ns)]
    if min(per_record) < 1:
        raise FormatError("EDF header declares a signal with no samples per data record")
    labels = [
        data[_HEAD + 16 * i : _HEAD + 16 * (i + 1)].decode("latin-1").strip() for i in range(ns)
    ]
    record_bytes = 2 * sum(per_record)
    declared = _header_int(data, 236, 8, "'number of data records'")
    held = (len(data) - header_bytes) // record_bytes
    if declared < -1:
        raise FormatError(f"EDF header declares {declared} data records")
    records = held if declared == -1 else min(declared, held)
    if records < 1:
        raise FormatError("EDF file holds no complete data record")
    waveform = [n for n, lab in zip(per_record, labels, strict=True) if lab != "EDF Annotations"]
    # The declared size is checked, not only what the bytes hold: a header that claims
    # more than the limit is refused whatever follows it.
    most = max(waveform or per_record) * max(declared, records)
    if max_samples is not None and most > max_samples:
        raise TooLargeError(
            f"EDF header declares {most} samples in a channel; the limit is {max_samples}"
        )
    found: tuple[QualityWarning, ...] = ()
    if declared > held:
        duration = data[244:252].decode("ascii", "replace").strip()
        found = (QualityWarning(
            "truncated_file",
            f"the EDF header declares {declared} data records of {duration} s but the file "
            f"holds {held}: it is truncated, and only the part it holds was analysed",
        ),)
    end = header_bytes + records * record_bytes
    if declared != records or len(data) != end:
        data = data[:236] + f"{records:<8d}".encode("ascii") + data[244:end]
    return data, found


def _start_time(edf: Any) -> str | None:
    try:
        start = dt.datetime.combine(edf.startdate, edf.starttime)
    except Exception:  # anonymised ('X') or invalid dates are common
        return None
    return start.isoformat()


def _beat_annotations(edf: Any) -> dict[str, Any]:
    try:
        annotations = list(edf.annotations)[:_MAX_ANNOTATIONS]
    except Exception:
        return {}
    times: list[float] = []
    labels: list[str] = []
    for a in annotations:
        text = str(a.text).strip()
        if text.lower().startswith("beat"):
            times.append(float(a.onset))
            labels.append(text[4:].strip() or "?")
    if not times:
        return {"annotations": len(annotations)} if annotations else {}
    return {
        "reference_beats_s": tuple(times),
        "reference_beat_labels": tuple(labels),
    }
