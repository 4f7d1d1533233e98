"""Plain RR-interval text (Kubios, Elite HRV, Polar Flow "RR" exports, ...).

One interval per line is the common layout; several intervals per line separated by
blanks, ``,`` or ``;`` are accepted too (as in the Welltory ``RR.txt`` files). A first
line that is not a number is taken as a header (``RR``, ``RR (ms)``, ``rr_s``).
The unit comes from the header when it names one, else from the values: a median
below 10 means seconds, otherwise milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from hrv.config import IntervalUnit, detect_unit, unit_detected_message
from hrv.errors import FormatError
from hrv.io._text import decode_text, parse_float, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording, rr_recording
from hrv.types import FloatArray, QualityWarning

__all__ = ["parse_rr_values", "read_rr_text"]

_SEP = re.compile(r"[\s;,]+")
_DECIMAL_COMMA = re.compile(r"^\s*-?\d,\d+\s*$")


def read_rr_text(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read plain RR-interval text.

    Parameters
    ----------
    data : bytes
        The text file.
    options : ReadOptions, optional
        Unused (the format has no channels).

    Returns
    -------
    Recording
        ``rr_ms`` in ms (``metadata["source_unit"]`` is ``"ms"`` or ``"s"``), beat times
        the cumulative sum of the intervals; non-positive intervals are flagged.

    Raises
    ------
    FormatError
        On a non-numeric value (its line and position in the line) or an empty file.
    """
    values, unit, declared = _parse(decode_text(data, "RR text"), "RR text")
    rr_ms = values * 1000.0 if unit == "s" else values
    meta: dict[str, Any] = {"source_unit": unit}
    if not declared:
        # The same warning as an array given with unit="auto": the reader chose the unit.
        meta["warnings"] = (
            QualityWarning("unit_detected", unit_detected_message(IntervalUnit(unit), values)),
        )
    return rr_recording(FileFormat.RR_TEXT, rr_ms, metadata=meta)


def parse_rr_values(text: str, what: str) -> tuple[FloatArray, str]:
    """Intervals in a text and their unit (``"ms"`` or ``"s"``)."""
    values, unit, _ = _parse(text, what)
    return values, unit


def _parse(text: str, what: str) -> tuple[FloatArray, str, bool]:
    """Intervals, their unit, and whether a header declared it (else :func:`detect_unit`)."""
    lines = text_lines(text)
    if not lines:
        raise FormatError(f"{what}: the file holds no interval")
    unit: str | None = None
    first_no, first = lines[0]
    if not _is_numeric_line(first):
        head = first.lower()
        if re.search(r"\bms\b|msec|milli", head):
            unit = "ms"
        elif re.search(r"\bs\b|sec|_s\b|\[s\]|\(s\)", head):
            unit = "s"
        lines = lines[1:]
        if not lines:
            raise FormatError(f"{what}: the file holds a header but no interval", line=first_no)
    values: list[float] = []
    for lineno, s in lines:
        if _DECIMAL_COMMA.match(s):
            values.append(parse_float(s, line=lineno, column="1", decimal_comma=True))
            continue
        for j, tok in enumerate(t for t in _SEP.split(s.strip()) if t):
            values.append(parse_float(tok, line=lineno, column=str(j + 1)))
    arr = np.asarray(values, dtype=np.float64)
    if unit is None:
        if not np.any(np.isfinite(arr) & (arr > 0)):
            return arr, "ms", True  # nothing to detect from; the analysis says why
        return arr, detect_unit(arr).value, False
    return arr, unit, True


def _is_numeric_line(s: str) -> bool:
    tokens = [t for t in _SEP.split(s.strip()) if t]
    try:
        for t in tokens:
            float(t)
    except ValueError:
        return False
    return bool(tokens)
