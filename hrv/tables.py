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

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from hrv.types import METRIC_UNITS, Analysis

if TYPE_CHECKING:
    from hrv.shift import SessionShift

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

#: A spreadsheet treats a cell that starts with one of these as a formula (OWASP CSV
#: injection); such cells are written with a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: One value of a table.
Cell = str | int | float | bool | None

#: Columns describing the recording, after the manifest columns, in every tidy and wide
#: row: ``status`` is ``"ok"`` or ``"failed"`` (then ``error`` says why and the metrics
#: are empty); ``warnings`` lists the quality-warning codes, ``;``-separated;
#: ``config_hash`` identifies the analysis configuration (:func:`config_hash`).
RECORDING_COLUMNS: tuple[str, ...] = (
    "status",
    "error",
    "signal_kind",
    "duration_s",
    "usable_duration_s",
    "quality_grade",
    "beats",
    "corrected_pct",
    "respiration_rate_bpm",
    "hf_band_valid",
    "warnings",
    "hrv_version",
    "config_hash",
)

#: The per-metric columns of a tidy row, between the manifest and the recording columns.
TIDY_COLUMNS: tuple[str, ...] = ("metric", "value", "unit")

#: Columns of a shift row after the manifest columns; each marker's change follows as
#: ``<marker>_<field>`` for the fields of :data:`SHIFT_CHANGE_FIELDS`.
SHIFT_COLUMNS: tuple[str, ...] = (
    "status",
    "error",
    "verdict",
    "confidence",
    "confidence_label",
    "evidence",
    "caveats",
    "anxiety_pre",
    "anxiety_post",
    "pre_quality_grade",
    "post_quality_grade",
    "summary",
    "hrv_version",
    "config_hash",
)

#: Fields of one marker's change carried into a shift row (see ``hrv.MarkerChange``).
SHIFT_CHANGE_FIELDS: tuple[str, ...] = (
    "pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful",
)  # fmt: skip

#: Manifest columns read as the self-reported anxiety of a recording (first one present).
ANXIETY_COLUMNS: tuple[str, ...] = ("anxiety", "self_reported_anxiety")


@dataclasses.dataclass(frozen=True, eq=False)
class RecordingItem:
    """One recording of a table: its manifest row and its result (or why it has none).

    Attributes
    ----------
    manifest : mapping of str to str
        The recording's manifest row (``file``, ``participant``, ``phase``, ...), in the
        manifest's column order; empty for a lone file.
    analysis : Analysis or None
        The result; ``None`` when the item failed.
    error : str or None
        Why the item failed, in words (``status`` is then ``"failed"``).
    """

    manifest: Mapping[str, str] = dataclasses.field(default_factory=dict)
    analysis: Analysis | None = None
    error: str | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class PairItem:
    """One pre/post pair of a shift table.

    Attributes
    ----------
    manifest : mapping of str to str
        Columns shared by the pair (``participant``, ``session``, ``group``, ...).
    shift : SessionShift or None
        The comparison; ``None`` when it could not be made.
    error : str or None
        Why there is no comparison (a recording failed, the post recording is missing).
    anxiety_pre, anxiety_post : float or None
        Self-reported anxiety before and after, when given (any scale; carried as is).
    """

    manifest: Mapping[str, str] = dataclasses.field(default_factory=dict)
    shift: SessionShift | None = None
    error: str | None = None
    anxiety_pre: float | None = None
    anxiety_post: float | None = None


@dataclasses.dataclass(frozen=True)
class Table:
    """Rows under fixed columns; every row has one cell per column.

    Attributes
    ----------
    columns : tuple of str
    rows : tuple of tuple of Cell
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __post_init__(self) -> None:
        width = len(self.columns)
        if any(len(r) != width for r in self.rows):
            raise ValueError("every row must have one cell per column")

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Cell]]:
        """The rows as dictionaries (for JSON), in column order."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def column(self, name: str) -> list[Cell]:
        """The cells of one column, top to bottom."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


# ---------------------------------------------------------------------------------------
# Building rows


def config_hash(analysis: Analysis) -> str:
    """A short, stable identifier of the configuration an analysis ran with.

    The first 16 hex digits of the SHA-256 of the configuration as canonical JSON
    (sorted keys, no whitespace), so two results made with the same settings carry the
    same hash; ``""`` when the result records no configuration.
    """
    cfg = analysis.provenance.get("config")
    if cfg is None:
        return ""
    text = json.dumps(cfg, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _manifest_columns(manifests: Iterable[Mapping[str, str]], own: Sequence[str]
                      ) -> tuple[list[str], dict[str, str]]:
    """Manifest column names in first-seen order and their output names."""
    seen: dict[str, None] = {}
    for m in manifests:
        for k in m:
            seen.setdefault(str(k), None)
    own_set = set(own)
    rename = {k: (f"manifest_{k}" if k in own_set else k) for k in seen}
    return list(seen), rename


def _recording_cells(item: RecordingItem) -> tuple[Cell, ...]:
    a = item.analysis
    if a is None:
        return ("failed", item.error or "failed", *([None] * (len(RECORDING_COLUMNS) - 2)))
    q = a.quality
    return (
        "ok" if item.error is None else "failed",
        item.error,
        a.kind.value,
        float(a.duration_s),
        q.usable_duration_s,
        q.grade.value,
        int(q.beats),
        float(q.corrected_pct),
        a.respiration.rate_bpm,
        a.respiration.hf_band_valid,
        ";".join(w.code for w in q.warnings),
        str(a.provenance.get("hrv_version", "")),
        config_hash(a),
    )


def tidy_table(items: Iterable[RecordingItem]) -> Table:
    """One row per recording × metric, in item order then metric order.

    Columns: the manifest's, then :data:`TIDY_COLUMNS` (``metric``, ``value`` as a float
    or empty when not computable, ``unit`` from :data:`hrv.types.METRIC_UNITS`), then
    :data:`RECORDING_COLUMNS`. A failed item gives one row with an empty ``metric``,
    ``status`` ``"failed"`` and the ``error``, so no recording silently disappears.
    """
    items = list(items)
    own = (*TIDY_COLUMNS, *RECORDING_COLUMNS)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for item in items:
        head = tuple(item.manifest.get(c) for c in mcols)
        tail = _recording_cells(item)
        if item.analysis is None:
            rows.append((*head, None, None, None, *tail))
            continue
        values = item.analysis.metrics.to_dict()
        for name, unit in METRIC_UNITS.items():
            rows.append((*head, name, values.get(name), unit, *tail))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def wide_table(items: Iterable[RecordingItem]) -> Table:
    """One row per recording: the manifest's columns, :data:`RECORDING_COLUMNS`, then one
    column per metric in :class:`~hrv.Metrics` field order (names carry the unit)."""
    items = list(items)
    metric_names = tuple(METRIC_UNITS)
    own = (*RECORDING_COLUMNS, *metric_names)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for item in items:
        head = tuple(item.manifest.get(c) for c in mcols)
        if item.analysis is None:
            values: Mapping[str, float | None] = {}
        else:
            values = item.analysis.metrics.to_dict()
        rows.append((*head, *_recording_cells(item), *(values.get(n) for n in metric_names)))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def shift_table(items: Iterable[PairItem]) -> Table:
    """One row per pre/post pair.

    Columns: the manifest's, :data:`SHIFT_COLUMNS` (``verdict`` is the direction;
    ``evidence`` the markers it rests on and ``caveats`` the caveat codes, both
    ``;``-separated), then ``<marker>_<field>`` for every marker of the comparisons (in
    the order :func:`hrv.compare` reports them) and every field of
    :data:`SHIFT_CHANGE_FIELDS`.
    """
    items = list(items)
    markers: dict[str, None] = {}
    for it in items:
        if it.shift is not None:
            for k in it.shift.changes:
                markers.setdefault(k, None)
    change_cols = tuple(f"{m}_{f}" for m in markers for f in SHIFT_CHANGE_FIELDS)
    own = (*SHIFT_COLUMNS, *change_cols)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for it in items:
        head = tuple(it.manifest.get(c) for c in mcols)
        s = it.shift
        if s is None:
            rows.append((*head, "failed", it.error or "failed", *([None] * 5),
                         it.anxiety_pre, it.anxiety_post,
                         *([None] * (len(own) - 9))))
            continue
        v = s.verdict
        cells: list[Cell] = [
            "ok" if it.error is None else "failed",
            it.error,
            v.direction.value,
            v.confidence,
            None if v.confidence_label is None else v.confidence_label.value,
            ";".join(v.evidence),
            ";".join(c.code for c in v.caveats),
            it.anxiety_pre,
            it.anxiety_post,
            s.pre.quality.grade.value,
            s.post.quality.grade.value,
            v.summary,
            str(s.provenance.get("hrv_version", s.pre.provenance.get("hrv_version", ""))),
            config_hash(s.pre),
        ]
        for m in markers:
            ch = s.changes.get(m)
            d: Mapping[str, Any] = {} if ch is None else ch.to_dict()
            cells.extend(d.get(f) for f in SHIFT_CHANGE_FIELDS)
        rows.append((*head, *cells))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def shift_changes_table(shift: SessionShift) -> Table:
    """One row per marker of one comparison: ``marker``, ``unit`` and every field of
    :class:`~hrv.MarkerChange` (what ``SessionShift.to_frame()`` shows)."""
    fields = ("pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful",
              "swc", "swc_source", "scale", "se", "uncertainty_method", "note")
    rows = []
    for marker, ch in shift.changes.items():
        d = ch.to_dict()
        rows.append((marker, METRIC_UNITS.get(marker, ""), *(d.get(f) for f in fields)))
    return Table(("marker", "unit", *fields), tuple(rows))


#: Manifest columns that describe one recording, not the pre/post pair it belongs to.
PER_RECORDING_COLUMNS: frozenset[str] = frozenset(
    ("file", "phase", "kind", "format", "sampling_rate_hz", "channel", *ANXIETY_COLUMNS)
)
#: Manifest columns that identify a pre/post pair.
PAIR_KEYS: tuple[str, ...] = ("participant", "session")


def pair_items(items: Iterable[RecordingItem]) -> list[PairItem]:
    """Pre/post pairs: recordings with the same ``participant`` and ``session`` and the
    ``phase`` ``pre`` and ``post`` (case-insensitive), in the order their first recording
    appears, each compared with :func:`hrv.compare`.

    The pair's manifest is the two key columns plus every other column both rows agree
    on (``group``, ...; not :data:`PER_RECORDING_COLUMNS`); the anxiety columns become
    ``anxiety_pre``/``anxiety_post``. A pair with a missing or failed recording, or
    whose comparison raises :class:`hrv.errors.HRVError`, carries the error in words.
    """
    from hrv.errors import HRVError
    from hrv.shift import compare

    groups: dict[tuple[str, ...], dict[str, RecordingItem]] = {}
    for it in items:
        phase = str(it.manifest.get("phase", "")).strip().lower()
        if phase not in ("pre", "post"):
            continue
        key = tuple(str(it.manifest.get(k, "")) for k in PAIR_KEYS)
        groups.setdefault(key, {}).setdefault(phase, it)
    pairs = []
    for key, phases in groups.items():
        pre, post = phases.get("pre"), phases.get("post")
        manifest: dict[str, str] = dict(zip(PAIR_KEYS, key, strict=True))
        if pre is not None and post is not None:
            for k, v in pre.manifest.items():
                if (k not in PER_RECORDING_COLUMNS and k not in manifest
                        and post.manifest.get(k) == v):
                    manifest[k] = v
        error = None
        shift = None
        if pre is None or post is None:
            error = f"no {'pre' if pre is None else 'post'} recording"
        elif pre.analysis is None or post.analysis is None:
            bad, name = (pre, "pre") if pre.analysis is None else (post, "post")
            error = f"the {name} recording failed: {bad.error}"
        else:
            try:
                shift = compare(pre.analysis, post.analysis)
            except HRVError as exc:
                error = str(exc)
        pairs.append(PairItem(
            manifest=manifest, shift=shift, error=error,
            anxiety_pre=None if pre is None else anxiety_of(pre.manifest),
            anxiety_post=None if post is None else anxiety_of(post.manifest),
        ))
    return pairs


def anxiety_of(manifest: Mapping[str, str]) -> float | None:
    """The self-reported anxiety in a manifest row (:data:`ANXIETY_COLUMNS`), or ``None``
    when absent or not a number."""
    for c in ANXIETY_COLUMNS:
        raw = manifest.get(c)
        if raw is not None and str(raw).strip():
            try:
                value = float(raw)
            except ValueError:
                return None
            return value if math.isfinite(value) else None
    return None


# ---------------------------------------------------------------------------------------
# Writing


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


class ManifestError(ValueError):
    """A manifest the rules of :func:`parse_manifest` refuse; the message names the line."""


def parse_manifest(text: str, name: str = "manifest.csv"
                   ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The columns (in order) and the rows of a study manifest, each with its line number.

    One set of rules for the service's batches and the ``hrv batch`` command: a header
    row, column names lower-cased and stripped, ``file`` required, no empty or repeated
    names, blank lines skipped, every row as long as the header, cells stripped, and
    ``phase`` lower-cased.

    Raises
    ------
    ManifestError
        Saying which rule the manifest broke, and where.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ManifestError(f"{name} is empty") from None
    if "file" not in header:
        raise ManifestError(
            f"{name} needs a 'file' column; found: {', '.join(header) or '(none)'}")
    if len(set(header)) != len(header) or "" in header:
        raise ManifestError(f"{name} has empty or repeated column names")
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ManifestError(
                f"{name} line {line} has {len(values)} cells; the header has {len(header)}")
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        if row.get("phase"):
            row["phase"] = row["phase"].lower()
        rows.append((line, row))
    if not rows:
        raise ManifestError(f"{name} lists no files")
    return header, rows
