"""Tables of results for researchers: tidy, wide and shift rows, written as CSV.

The service and the ``hrv`` command line write their tables through this module, so a
table made on a laptop and one downloaded from the service are the same bytes.

A table is built from *items*, one per recording (:class:`RecordingItem`: its manifest row
and its :class:`~hrv.Analysis`, or the error that stopped it) or per pre/post pair
(:class:`PairItem`). Three layouts:

* :func:`tidy_table`: one row per recording × metric (``metric``, ``value``, ``unit``),
  the form R's tidyverse and ``pandas.pivot`` expect;
* :func:`wide_table`: one row per recording, one column per metric (the metric names
  carry their unit: ``rmssd_ms``, ``hf_power_ms2``);
* :func:`shift_table`: one row per pre/post pair: verdict, confidence, caveats, the
  self-reported anxiety when the manifest gives it, and each marker's change.

Every row starts with the manifest's own columns (``participant``, ``group``, ...), in
the order they first appear; a manifest column whose name is one of the table's own
columns is carried as ``manifest_<name>``. The table's own columns follow in a fixed
order (:data:`RECORDING_COLUMNS`, :data:`TIDY_COLUMNS`, :data:`SHIFT_COLUMNS`).

Writing is deterministic (:func:`csv_bytes`, :func:`write_csv`): fixed column order, floats
in their shortest round-trip form (``repr``: reading the text back gives the same double),
no value for ``None`` or a non-finite number, ``true``/``false``, UTF-8, LF line endings,
text cells a spreadsheet would run as a formula prefixed with ``'`` (:func:`escape_cell`).
The same items give byte-identical files on every run and platform.
"""

from __future__ import annotations

from hrv.tables._build import (
    PAIR_KEYS,
    PER_RECORDING_COLUMNS,
    anxiety_of,
    config_hash,
    pair_items,
    shift_changes_table,
    shift_table,
    tidy_table,
    wide_table,
)
from hrv.tables._manifest import ManifestError, parse_manifest
from hrv.tables._model import (
    ANXIETY_COLUMNS,
    RECORDING_COLUMNS,
    SHIFT_CHANGE_FIELDS,
    SHIFT_COLUMNS,
    TIDY_COLUMNS,
    Cell,
    PairItem,
    RecordingItem,
    Table,
)
from hrv.tables._write import (
    FORMULA_PREFIXES,
    csv_bytes,
    escape_cell,
    format_cell,
    to_frame,
    write_csv,
    write_parquet,
)

__all__ = [
    "ANXIETY_COLUMNS",
    "FORMULA_PREFIXES",
    "PAIR_KEYS",
    "PER_RECORDING_COLUMNS",
    "RECORDING_COLUMNS",
    "SHIFT_CHANGE_FIELDS",
    "SHIFT_COLUMNS",
    "TIDY_COLUMNS",
    "Cell",
    "ManifestError",
    "PairItem",
    "RecordingItem",
    "Table",
    "anxiety_of",
    "config_hash",
    "csv_bytes",
    "escape_cell",
    "format_cell",
    "pair_items",
    "parse_manifest",
    "shift_changes_table",
    "shift_table",
    "tidy_table",
    "to_frame",
    "wide_table",
    "write_csv",
    "write_parquet",
]
