"""Result tables of a batch: tidy, wide and shift rows as CSV, Parquet or JSON.

Every table is built by :mod:`hrv.tables` from the stored results rebuilt with
:meth:`hrv.Analysis.from_dict`, so a table downloaded from the service and one written
by ``hrv batch`` on a laptop are made by the same code. Rows follow the manifest's order
and hold no ids or timestamps (those are in the status document), so the same batch
submitted twice gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

import hrv
from app.db.batches import BatchRepository
from app.db.models import Batch, BatchItem, BatchResult
from app.errors import Conflict
from app.services.batches import batch_status
from hrv import tables

__all__ = ["MEDIA_TYPES", "Rendered", "render"]

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
               "json": "application/json"}
_EXT = {"csv": "csv", "parquet": "parquet", "json": "json"}


@dataclasses.dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str
    status: str


@dataclasses.dataclass(frozen=True)
class _Loaded:
    manifest: dict[str, str]
    analysis: hrv.Analysis | None
    error: str | None
    raw: dict[str, Any] | None


def _load(item: BatchItem, result: BatchResult | None) -> _Loaded:
    manifest = {str(k): str(v) for k, v in (item.meta or {}).items()}
    if item.status == "succeeded" and result is not None:
        return _Loaded(manifest, hrv.Analysis.from_dict(result.analysis), None, result.analysis)
    if item.status == "cancelled":
        return _Loaded(manifest, None, "cancelled before it ran", None)
    return _Loaded(manifest, None, item.error or "failed", None)


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_INDENT_2) + b"\n"


def _table_bytes(table: tables.Table, fmt: str) -> bytes:
    if fmt == "csv":
        return tables.csv_bytes(table)
    if fmt == "parquet":
        buf = io.BytesIO()
        tables.write_parquet(table, buf)
        return buf.getvalue()
    return _json(table.records())


def _items_json(loaded: Sequence[_Loaded]) -> bytes:
    return _json([
        {"manifest": it.manifest, "status": "ok" if it.error is None else "failed",
         "error": it.error, "analysis": _without_series(it.raw)}
        for it in loaded
    ])


def _without_series(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {k: v for k, v in raw.items() if k not in ("nn", "spectrum")}


def _shifts_json(pairs: Sequence[tables.PairItem]) -> bytes:
    return _json([
        {"manifest": dict(p.manifest), "status": "ok" if p.error is None else "failed",
         "error": p.error, "anxiety_pre": p.anxiety_pre, "anxiety_post": p.anxiety_post,
         "shift": None if p.shift is None else p.shift.to_dict(include_beats=False)}
        for p in pairs
    ])


def render(db: Session, batch: Batch, table: str, fmt: str) -> Rendered:
    """The batch's results as ``table`` (tidy, wide, shifts) in ``fmt`` (csv, parquet,
    json). A batch still queued or running answers 409 with its progress."""
    status = batch_status(db, batch)
    if status["status"] in ("queued", "running"):
        raise Conflict(
            f"batch {batch.id} is {status['status']} ({status['done'] + status['failed']}/"
            f"{status['total']} items finished); its results are ready when it has finished")
    loaded = [_load(item, res) for item, res in BatchRepository(db).results(batch.id)]
    items = [tables.RecordingItem(manifest=it.manifest, analysis=it.analysis, error=it.error)
             for it in loaded]
    if table == "shifts":
        pairs = tables.pair_items(items)
        if fmt == "json":
            body = _shifts_json(pairs)
        else:
            body = _table_bytes(tables.shift_table(pairs), fmt)
    elif fmt == "json":
        body = _items_json(loaded)
    else:
        built = tables.tidy_table(items) if table == "tidy" else tables.wide_table(items)
        body = _table_bytes(built, fmt)
    name = f"batch-{batch.id}-{table}.{_EXT[fmt]}" if fmt != "json" or table == "shifts" \
        else f"batch-{batch.id}.json"
    return Rendered(body, MEDIA_TYPES[fmt], name, str(status["status"]))
