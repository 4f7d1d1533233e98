"""Writing a table: CSV bytes (deterministic, formula-safe), pandas, Parquet."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from typing import IO, Any

from hrv.tables._model import Cell, Table

#: A spreadsheet treats a cell that starts with one of these as a formula (OWASP CSV
#: injection); such cells are written with a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Return ``value`` safe to open in a spreadsheet.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    prefixed with ``'`` so that no spreadsheet evaluates it. Numbers are not passed here:
    callers format numbers themselves, so a negative number stays a number.
    """
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def format_cell(value: Cell) -> str:
    """The CSV text of one cell.

    ``None`` and non-finite floats give ``""``; booleans ``true``/``false``; integers
    their decimal digits; floats their shortest round-trip form (``repr``, e.g. ``0.1``,
    ``42.0``, ``1e-07``); text goes through :func:`escape_cell`.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return escape_cell(str(value))


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV: a header line, then one line per row, ``\\n``-terminated,
    minimal quoting (a cell is quoted only when it holds a comma, quote or newline)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([escape_cell(c) for c in table.columns])
    writer.writerows([format_cell(c) for c in row] for row in table.rows)
    return buf.getvalue().encode("utf-8")


def write_csv(table: Table, dest: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write :func:`csv_bytes` to a path or a binary file object."""
    data = csv_bytes(table)
    if isinstance(dest, str | os.PathLike):
        with open(dest, "wb") as fh:
            fh.write(data)
    else:
        dest.write(data)


def _column_kind(cells: Sequence[Cell]) -> str:
    """``"float"``, ``"bool"`` or ``"str"``: the type a whole column is stored as."""
    present = [c for c in cells if c is not None]
    if present and all(isinstance(c, bool) for c in present):
        return "bool"
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in present):
        return "float"
    return "str"


def _typed_columns(table: Table) -> dict[str, tuple[str, list[Any]]]:
    out: dict[str, tuple[str, list[Any]]] = {}
    for i, name in enumerate(table.columns):
        cells = [r[i] for r in table.rows]
        kind = _column_kind(cells)
        if kind == "float":
            values: list[Any] = [
                None if c is None or not math.isfinite(float(c)) else float(c)
                for c in cells
            ]
        elif kind == "str":
            values = [None if c is None else format_cell(c) if not isinstance(c, str) else c
                      for c in cells]
        else:
            values = list(cells)
        out[name] = (kind, values)
    return out


def to_frame(table: Table) -> Any:
    """The table as a ``pandas.DataFrame`` (numeric columns float64 with NaN for missing,
    boolean columns nullable ``boolean``, text columns ``object``).

    Raises
    ------
    ImportError
        pandas is not installed (``pip install 'hrv-session[frames]'``).
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_frame needs pandas: pip install 'hrv-session[frames]' (or pip install pandas)"
        ) from None
    data: dict[str, Any] = {}
    for name, (kind, values) in _typed_columns(table).items():
        if kind == "float":
            data[name] = pd.array([math.nan if v is None else v for v in values],
                                  dtype="float64")
        elif kind == "bool":
            data[name] = pd.array(values, dtype="boolean")
        else:
            data[name] = pd.array(values, dtype="object")
    return pd.DataFrame(data, columns=list(table.columns))


def write_parquet(table: Table, dest: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the table as Parquet (numeric columns ``double``, boolean ``bool``, text
    ``string``; missing values null); the same table gives the same bytes for a given
    pyarrow version.

    Raises
    ------
    ImportError
        pyarrow is not installed (``pip install 'hrv-session[parquet]'``).
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "Parquet output needs pyarrow: pip install 'hrv-session[parquet]' "
            "(or pip install pyarrow)"
        ) from None
    types = {"float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
    arrays = []
    for _name, (kind, values) in _typed_columns(table).items():
        arrays.append(pa.array(values, type=types[kind]))
    pa_table = pa.Table.from_arrays(arrays, names=list(table.columns))
    pq.write_table(pa_table, dest, compression="zstd", write_statistics=True)
