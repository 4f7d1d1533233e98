"""EDF / EDF+ reader (European Data Format), via the optional ``edfio`` package.

Reference: Kemp B, Olivan J. European data format 'plus' (EDF+), an EDF alike standard
format for the exchange of physiological data. Clin Neurophysiol 114:1755-1761 (2003).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np

from hrv.errors import FormatError, HRVError
from hrv.io._channels import choose_channel
from hrv.io._types import FileFormat, ReadOptions, Recording
from hrv.types import Signal

__all__ = ["read_edf"]

_MAX_ANNOTATIONS = 500_000


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
    if len(data) < 256 or not data.startswith(b"0       "):
        raise FormatError("not an EDF file: the header must start with '0' and 7 spaces")
    try:
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
    meta.update(_beat_annotations(edf))
    return Recording(
        format=FileFormat.EDF,
        kind=kind,
        signal=Signal(samples, fs_hz, kind, unit),
        metadata=meta,
    )


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
