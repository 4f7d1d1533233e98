"""FIT files (Garmin and other sports watches and chest straps): beat intervals from the
``hrv`` message.

A FIT activity recorded with beat-interval logging on holds ``hrv`` messages whose
``time`` field carries up to five RR intervals in seconds (1 ms resolution). Rules:

- Every ``hrv`` message is read in file order; its valid values (``0 < t < 65.535 s``)
  are the intervals, in ms.
- The invalid value (``0xFFFF``, 65.535 s) pads the last message; anywhere else it marks
  beats the device did not log, so the next valid interval is flagged as following a gap.
- ``file_id`` gives the device (manufacturer and product numbers); ``session`` or the
  first ``record``/``event`` time stamp the start time. No serial number or position is
  kept.

The file is decoded with the ``fit-tool`` library (``pip install 'hrv-session[formats]'``),
imported only when a FIT file is read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from hrv.errors import FormatError, InvalidInputError, TooLargeError
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording
from hrv.types import QualityWarning

__all__ = ["is_fit", "read_fit"]

#: The ``time`` field's invalid value (0xFFFF at 1/1000 s), in seconds.
_INVALID_S = 65.535


def is_fit(data: bytes) -> bool:
    """A FIT file: header size 12 or 14 and the ``.FIT`` signature at bytes 8-11."""
    return len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT"


def read_fit(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read the beat intervals of a FIT file (rules in the module docstring).

    Parameters
    ----------
    data : bytes
        The FIT file.
    options : ReadOptions, optional
        ``max_samples`` caps the number of intervals.

    Returns
    -------
    Recording
        Intervals in ms with gap flags; ``metadata`` has ``device`` and ``start_time``.

    Raises
    ------
    FormatError
        For a damaged file (bad header, record or CRC) or one without beat intervals.
    InvalidInputError
        When ``fit-tool`` is not installed.
    TooLargeError
        When the file holds more than ``options.max_samples`` intervals.
    """
    opts = options or ReadOptions()
    try:
        from fit_tool.exceptions import FitError
        from fit_tool.fit_file import FitFile
        from fit_tool.profile.messages.file_id_message import FileIdMessage
        from fit_tool.profile.messages.hrv_message import HrvMessage
        from fit_tool.profile.messages.session_message import SessionMessage
    except ImportError:
        raise InvalidInputError(
            "reading FIT files needs fit-tool: pip install 'hrv-session[formats]'"
        ) from None
    if not is_fit(data):
        raise FormatError("not a FIT file (no '.FIT' signature in the header)")
    try:
        fit = FitFile.from_bytes(data, allow_trailing_bytes=True)
    except FitError as exc:
        raise FormatError(f"malformed FIT file: {exc}") from None

    values: list[float] = []
    gap_after_invalid: list[bool] = []
    pending_gap = False
    device: dict[str, Any] = {}
    start: float | None = None
    limit = opts.max_samples
    for record in fit.records:
        msg = record.message
        if isinstance(msg, HrvMessage):
            times = msg.time or []
            for i, t in enumerate(times):
                valid = t is not None and 0.0 < float(t) < _INVALID_S - 1e-6
                if not valid:
                    # Padding at the end of a message is no gap; elsewhere it is one.
                    if any(u is not None and 0.0 < float(u) < _INVALID_S - 1e-6
                           for u in times[i + 1:]):
                        pending_gap = True
                    continue
                values.append(float(t) * 1000.0)
                gap_after_invalid.append(pending_gap)
                pending_gap = False
            if limit is not None and len(values) > limit:
                raise TooLargeError(
                    f"FIT file holds more than {limit} beat intervals (the limit)")
        elif isinstance(msg, FileIdMessage) and not device:
            device = {k: v for k, v in (("manufacturer", msg.manufacturer),
                                        ("product", msg.product)) if v is not None}
        elif isinstance(msg, SessionMessage) and msg.start_time is not None:
            start = float(msg.start_time) / 1000.0
    if not values:
        raise FormatError(
            "FIT file holds no beat intervals (no 'hrv' messages): switch on beat-interval "
            "(HRV) logging on the device before recording"
        )
    rr_ms = np.asarray(values, dtype=np.float64)
    gaps = np.asarray(gap_after_invalid, dtype=bool)
    meta: dict[str, Any] = {"source_unit": "s", "device": _device_text(device)}
    if start is not None:
        meta["start_time"] = dt.datetime.fromtimestamp(start, dt.UTC).isoformat()
    if gaps.any():
        meta["warnings"] = (QualityWarning(
            "device_dropped_beats",
            f"the device logged {int(gaps.sum())} gap(s) in its beat intervals; no "
            "interval is taken across them",
        ),)
    return rr_recording(FileFormat.FIT, rr_ms, gap_flags=gaps, metadata=meta)


def _device_text(device: dict[str, Any]) -> str:
    """``"garmin product 3113"``: the FIT profile's manufacturer name and product number."""
    if not device:
        return "FIT device"
    from fit_tool.profile.profile_type import Manufacturer

    maker = device.get("manufacturer")
    try:
        maker_text = Manufacturer(int(maker)).name.lower()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        maker_text = str(maker)
    return f"{maker_text} product {device.get('product', '?')}"
