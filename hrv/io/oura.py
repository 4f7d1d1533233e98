"""Oura-style inter-beat-interval JSON with per-interval validity codes.

Oura rings measure inter-beat intervals from PPG during sleep and mark each with a
validity code. No public specification of a raw IBI file exists, so this reader
accepts the following documented shape (UTF-8 JSON)::

    {"ibi": [
        {"timestamp": "2024-03-01T23:10:00.512+01:00", "ibi": 1012, "validity": 1},
        {"timestamp": 1709331001.52, "ibi": 1008, "validity": 0},
        ...
    ]}

- the list may also be the top-level value, or sit under ``"data"`` or ``"items"``;
- ``ibi`` is the interval in ms (``"ibi_ms"`` and ``"value"`` are accepted as names);
- ``validity``: 1 (or ``true``, or ``"valid"``) is valid; every other code is invalid;
  absent means valid;
- ``timestamp`` (optional; ``"time"``/``"t"`` accepted): the beat that ends the
  interval, as ISO 8601 text, or unix time in s (ms when above 10^11).
  When absent for every item, beat times are the cumulative sum of the intervals.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import numpy as np

from hrv.errors import FormatError
from hrv.io._text import decode_text
from hrv.io._types import FileFormat, ReadOptions, Recording, flag_time_gaps, rr_recording

__all__ = ["read_oura_ibi"]

_GAP_TOL_S = 0.05  # ring time stamps are to a few ms; 50 ms tolerates rounding
_IBI_KEYS = ("ibi", "ibi_ms", "value")
_TIME_KEYS = ("timestamp", "time", "t")
_VALID = (1, True, "1", "valid")


def read_oura_ibi(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read Oura-style IBI JSON (shape documented in the module docstring).

    Returns
    -------
    Recording
        ``rr_ms`` in ms; ``gap_flags`` True for invalid intervals and for the first
        interval after a time jump longer than the interval (dropped beats).

    Raises
    ------
    FormatError
        On invalid JSON (its line and column), a wrong shape, or a bad item (the item
        index is given as the column, ``ibi[<index>]``).
    """
    text = decode_text(data, "Oura IBI JSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON: {exc.msg}", line=exc.lineno, column=str(exc.colno)
        ) from None
    except RecursionError:
        raise FormatError("JSON nested too deeply") from None
    items = _items(doc)
    if not items:
        raise FormatError("Oura IBI JSON holds no interval")
    rr = np.empty(len(items))
    valid = np.ones(len(items), dtype=bool)
    times: list[float | None] = []
    for i, item in enumerate(items):
        where = f"ibi[{i}]"
        if not isinstance(item, dict):
            raise FormatError("each interval must be an object", column=where)
        value = next((item[k] for k in _IBI_KEYS if k in item), None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FormatError("interval needs a numeric 'ibi' in ms", column=where)
        rr[i] = float(value)
        if not np.isfinite(rr[i]):
            raise FormatError("interval is not a finite number", column=where)
        if "validity" in item:
            valid[i] = item["validity"] in _VALID
        raw_t = next((item[k] for k in _TIME_KEYS if k in item), None)
        times.append(None if raw_t is None else _time_s(raw_t, where))
    flags = ~valid
    meta: dict[str, Any] = {"device": "Oura", "source_unit": "ms",
                            "invalid_intervals": int(flags.sum())}  # fmt: skip
    if all(t is None for t in times):
        return rr_recording(FileFormat.OURA_IBI, rr, gap_flags=flags, metadata=meta)
    if any(t is None for t in times):
        k = times.index(None)
        raise FormatError("some intervals have a timestamp and others not", column=f"ibi[{k}]")
    t_abs = np.asarray(times, dtype=np.float64)
    if len(t_abs) > 1 and (np.diff(t_abs) <= 0).any():
        k = int(np.argmax(np.diff(t_abs) <= 0)) + 1
        raise FormatError("timestamps do not increase", column=f"ibi[{k}]")
    origin = t_abs[0] - max(rr[0], 0.0) / 1000.0
    beats = t_abs - origin
    flags |= flag_time_gaps(beats, rr, _GAP_TOL_S)
    with contextlib.suppress(OverflowError, OSError, ValueError):
        meta["start_time"] = dt.datetime.fromtimestamp(origin, tz=dt.UTC).isoformat()
    return rr_recording(FileFormat.OURA_IBI, rr, beat_times_s=beats, gap_flags=flags,
                        metadata=meta)  # fmt: skip


def _items(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("ibi", "data", "items"):
            if isinstance(doc.get(key), list):
                return list(doc[key])
    raise FormatError("expected a JSON object with an 'ibi' list (or a list of intervals)")


def _time_s(raw: Any, where: str) -> float:
    if isinstance(raw, bool):
        raise FormatError("timestamp must be ISO 8601 text or unix time", column=where)
    if isinstance(raw, int | float):
        t = float(raw)
        if not np.isfinite(t):
            raise FormatError("timestamp is not finite", column=where)
        return t / 1000.0 if t > 1e11 else t
    if isinstance(raw, str):
        try:
            parsed = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FormatError(f"timestamp {raw[:40]!r} is not ISO 8601", column=where) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    raise FormatError("timestamp must be ISO 8601 text or unix time", column=where)
