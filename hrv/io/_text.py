"""Helpers shared by the text readers: decoding, line splitting, located number parsing."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hrv.errors import FormatError
from hrv.types import FloatArray

__all__ = [
    "Line",
    "decode_text",
    "detect_separator",
    "parse_float",
    "parse_table",
    "split_fields",
    "text_lines",
]

Line = tuple[int, str]  # (1-based line number, text without the line break)


def decode_text(data: bytes, what: str = "text file") -> str:
    """Decode ``data`` as UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1.

    Raises
    ------
    FormatError
        If the data holds NUL bytes outside UTF-16, i.e. is binary.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{what}: invalid UTF-16 text ({exc.reason})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise FormatError(f"{what}: binary data (NUL byte), not a text file", line=line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Exports from older Windows tools are often Latin-1 / cp1252 (e.g. "µV").
        return data.decode("latin-1")


def text_lines(text: str) -> list[Line]:
    """Non-blank lines with their 1-based numbers (``\\r\\n``, ``\\r`` and ``\\n`` ends)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(i, s) for i, s in enumerate(raw, 1) if s and not s.isspace()]


def detect_separator(line: str) -> str | None:
    """The field separator of a delimited line: tab, ``;``, ``,`` or ``None`` (blanks)."""
    for sep in ("\t", ";", ","):
        if sep in line:
            return sep
    return None


def split_fields(line: str, sep: str | None) -> list[str]:
    """Fields of ``line`` split on ``sep`` (blanks when ``None``), stripped of quotes."""
    parts = line.split(sep) if sep is not None else line.split()
    return [p.strip().strip('"').strip("'").strip() for p in parts]


def parse_float(
    token: str, *, line: int | None, column: str | None, decimal_comma: bool = False
) -> float:
    """``token`` as a finite float, or a :class:`FormatError` naming line and column."""
    t = token.strip().strip('"').strip()
    if decimal_comma:
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        shown = t if len(t) <= 40 else t[:37] + "..."
        raise FormatError(f"expected a number, found {shown!r}", line=line, column=column) from None
    if not math.isfinite(value):
        raise FormatError(f"value {t!r} is not a finite number", line=line, column=column)
    return value


def _column_name(names: Sequence[str] | None, j: int) -> str:
    if names is not None and j < len(names) and names[j]:
        return f"{j + 1} ({names[j]})"
    return str(j + 1)


def parse_table(
    lines: Sequence[Line],
    sep: str | None,
    *,
    ncols: int,
    decimal_comma: bool = False,
    names: Sequence[str] | None = None,
    skip: Sequence[int] = (),
) -> FloatArray:
    """Parse delimited numeric rows into an array of shape ``(len(lines), ncols)``.

    A vectorised fast path handles well-formed input; otherwise the rows are scanned
    one by one so the error names the first bad line and column. Columns listed in
    ``skip`` (0-based; time stamps and other text) are not parsed and hold NaN.

    Raises
    ------
    FormatError
        On a row with the wrong number of fields, a non-numeric or non-finite value.
    """
    if not lines:
        return np.empty((0, ncols))
    if ncols == 0:
        raise FormatError("no columns found", line=lines[0][0])
    body = "\n".join([s for _, s in lines])
    if '"' in body:
        body = body.replace('"', " ")
    if decimal_comma and sep != ",":
        body = body.replace(",", ".")
    if sep is not None:
        body = body.replace(sep, " ")
    tokens = body.split()
    if len(tokens) == ncols * len(lines) and all(
        len(split_fields(s, sep)) == ncols for _, s in (lines[0], lines[-1])
    ):
        arr: FloatArray | None
        try:
            if skip:
                keep = [j for j in range(ncols) if j not in skip]
                arr = np.full((len(lines), ncols), np.nan)
                arr[:, keep] = (
                    np.array(tokens).reshape(len(lines), ncols)[:, keep].astype(np.float64)
                )
                ok = bool(np.isfinite(arr[:, keep]).all())
            else:
                arr = np.array(tokens, dtype=np.float64).reshape(len(lines), ncols)
                ok = bool(np.isfinite(arr).all())
        except ValueError:
            arr, ok = None, False
        if arr is not None and ok and _counts_ok(lines, sep, ncols):
            return arr
    return _parse_slow(lines, sep, ncols, decimal_comma and sep != ",", names, skip)


def _counts_ok(lines: Sequence[Line], sep: str | None, ncols: int) -> bool:
    # Cheap check that every row has ncols fields (the token count alone could balance
    # a short row against a long one).
    if sep is None or ncols == 1:
        return all(len(s.split()) == ncols for _, s in lines) if ncols > 1 else True
    want = ncols - 1
    return all(s.count(sep) == want for _, s in lines)


def _parse_slow(
    lines: Sequence[Line],
    sep: str | None,
    ncols: int,
    decimal_comma: bool,
    names: Sequence[str] | None,
    skip: Sequence[int] = (),
) -> FloatArray:
    out = np.full((len(lines), ncols), np.nan)
    for i, (lineno, s) in enumerate(lines):
        fields = split_fields(s, sep)
        if sep is not None and len(fields) == ncols + 1 and fields[-1] == "":
            fields = fields[:-1]  # a trailing separator
        if len(fields) != ncols:
            raise FormatError(
                f"expected {ncols} fields, found {len(fields)}",
                line=lineno,
                column=str(min(len(fields), ncols) + (len(fields) < ncols)),
            )
        for j, tok in enumerate(fields):
            if j in skip:
                continue
            if tok == "":
                raise FormatError("empty value", line=lineno, column=_column_name(names, j))
            out[i, j] = parse_float(
                tok, line=lineno, column=_column_name(names, j), decimal_comma=decimal_comma
            )
    return out
