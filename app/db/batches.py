"""Queries on study batches, their items and results.

Reads take the tenant; the functions used by job runners, which act for whichever
tenant owns the item, end in ``_unscoped``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import Batch, BatchItem, BatchResult, new_id, utcnow

__all__ = ["FINAL", "BatchRepository", "ClaimedItem", "ItemOutcome"]

#: Item states that no runner will change again.
FINAL = ("succeeded", "failed", "cancelled")


@dataclasses.dataclass(frozen=True)
class ClaimedItem:
    """An item a runner has claimed: what it needs to run it and record the outcome."""

    item_id: str
    tenant_id: str
    batch_id: str
    content_type: str
    params: dict[str, Any]
    raw: bytes | None
    recording_id: str | None


@dataclasses.dataclass(frozen=True)
class ItemOutcome:
    """What running one item produced: an analysis, or an error in words."""

    analysis: dict[str, Any] | None = None
    error: str | None = None
    compute_s: float = 0.0
    hrv_version: str = ""


class BatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- batches -------------------------------------------------------------------------

    def add(self, batch: Batch, items: Sequence[BatchItem]) -> None:
        self.session.add(batch)
        self.session.flush()
        self.session.add_all(items)
        self.session.flush()

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        return self.session.scalar(
            select(Batch).where(Batch.tenant_id == tenant_id, Batch.id == batch_id)
        )

    def get_unscoped(self, batch_id: str) -> Batch | None:
        return self.session.get(Batch, batch_id)

    def counts(self, batch_id: str) -> dict[str, int]:
        rows = self.session.execute(
            select(BatchItem.status, func.count())
            .where(BatchItem.batch_id == batch_id)
            .group_by(BatchItem.status)
        ).all()
        return {str(status): int(n) for status, n in rows}

    def processed(self, batch_id: str) -> int:
        """Items a runner has finished (not those refused when the batch was recorded)."""
        return int(self.session.scalar(
            select(func.count()).where(
                BatchItem.batch_id == batch_id, BatchItem.attempts > 0,
                BatchItem.status.in_(("succeeded", "failed")))
        ) or 0)

    def errors(self, batch_id: str, limit: int) -> list[tuple[int, str, str]]:
        """(position, file, error) of failed items, in manifest order."""
        rows = self.session.execute(
            select(BatchItem.position, BatchItem.file, BatchItem.error)
            .where(BatchItem.batch_id == batch_id, BatchItem.status == "failed")
            .order_by(BatchItem.position)
            .limit(limit)
        ).all()
        return [(int(p), str(f), str(e or "")) for p, f, e in rows]

    def last_finished_at(self, batch_id: str) -> dt.datetime | None:
        return self.session.scalar(
            select(func.max(BatchItem.finished_at)).where(BatchItem.batch_id == batch_id)
        )

    def first_started_at(self, batch_id: str) -> dt.datetime | None:
        """When a runner first claimed an item of the batch (``None``: none yet)."""
        value = self.session.scalar(
            select(func.min(BatchItem.started_at)).where(BatchItem.batch_id == batch_id)
        )
        if value is not None and value.tzinfo is None:  # SQLite drops the offset
            value = value.replace(tzinfo=dt.UTC)
        return value

    def cancel(self, batch: Batch) -> int:
        """Mark ``batch`` cancelled and its items that have not started; returns how many."""
        now = utcnow()
        batch.cancelled_at = now
        batch.status = "cancelled"
        result = self.session.execute(
            update(BatchItem)
            .where(BatchItem.batch_id == batch.id, BatchItem.status == "queued")
            .values(status="cancelled", finished_at=now)
        )
        self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0)

    def open_batches_unscoped(self) -> list[str]:
        """Ids of batches with items still to run (for a runner that resumes them)."""
        rows = self.session.scalars(
            select(BatchItem.batch_id)
            .where(BatchItem.status.in_(("queued", "running")))
            .distinct()
        ).all()
        return sorted(str(r) for r in rows)

    # -- items ---------------------------------------------------------------------------

    def pending_item_ids_unscoped(self, batch_id: str) -> list[str]:
        return [
            str(i)
            for i in self.session.scalars(
                select(BatchItem.id)
                .where(BatchItem.batch_id == batch_id,
                       BatchItem.status.in_(("queued", "running")))
                .order_by(BatchItem.position)
            ).all()
        ]

    def item_ids(self, batch_id: str) -> list[str]:
        return [
            str(i)
            for i in self.session.scalars(
                select(BatchItem.id).where(BatchItem.batch_id == batch_id)
                .order_by(BatchItem.position)
            ).all()
        ]

    def item_unscoped(self, item_id: str) -> BatchItem | None:
        return self.session.get(BatchItem, item_id)

    def claim_unscoped(self, item_id: str) -> ClaimedItem | None:
        """Mark the item running (one more attempt) unless it is final (done, failed or
        cancelled with its batch); returns what running it needs, or ``None``.

        One ``UPDATE ... RETURNING``: the row lock it takes makes two workers that got
        the same item (a retried job) take turns.
        """
        row = self.session.execute(
            update(BatchItem)
            .where(BatchItem.id == item_id, BatchItem.status.in_(("queued", "running")))
            .values(status="running", attempts=BatchItem.attempts + 1, started_at=utcnow())
            .returning(BatchItem.tenant_id, BatchItem.batch_id, BatchItem.content_type,
                       BatchItem.params, BatchItem.raw, BatchItem.recording_id)
        ).first()
        if row is None:
            return None
        return ClaimedItem(item_id, str(row.tenant_id), str(row.batch_id),
                           str(row.content_type), dict(row.params or {}), row.raw,
                           row.recording_id)

    def config_unscoped(self, batch_id: str) -> dict[str, Any] | None:
        config = self.session.scalar(select(Batch.config).where(Batch.id == batch_id))
        return None if config is None else dict(config)

    def record_unscoped(self, item: ClaimedItem, outcome: ItemOutcome) -> None:
        """Store the outcome of ``item``: at most one result row per item, ever.

        The result is an upsert on the unique ``item_id``, so a retried item (its worker
        killed after writing, before acknowledging) overwrites instead of duplicating.
        An item cancelled meanwhile stays cancelled.
        """
        now = utcnow()
        if outcome.error is None:
            assert outcome.analysis is not None
            values = {
                "id": new_id(), "tenant_id": item.tenant_id, "batch_id": item.batch_id,
                "item_id": item.item_id, "analysis": outcome.analysis,
                "hrv_version": outcome.hrv_version, "compute_s": outcome.compute_s,
                "writes": 1, "created_at": now,
            }
            dialect = self.session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            stmt = insert(BatchResult).values(**values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[BatchResult.item_id],
                set_={
                    "analysis": stmt.excluded.analysis,
                    "hrv_version": stmt.excluded.hrv_version,
                    "compute_s": stmt.excluded.compute_s,
                    "writes": BatchResult.writes + 1,
                },
            )
            self.session.execute(stmt)
        self.session.execute(
            update(BatchItem)
            .where(BatchItem.id == item.item_id, BatchItem.status != "cancelled")
            .values(status="failed" if outcome.error is not None else "succeeded",
                    error=outcome.error, finished_at=now)
        )

    # -- results -------------------------------------------------------------------------

    def results(self, batch_id: str) -> list[tuple[BatchItem, BatchResult | None]]:
        """Every item of the batch in manifest order, with its result if it has one."""
        rows = self.session.execute(
            select(BatchItem, BatchResult)
            .outerjoin(BatchResult, BatchResult.item_id == BatchItem.id)
            .where(BatchItem.batch_id == batch_id)
            .order_by(BatchItem.position)
        ).all()
        return [(item, res) for item, res in rows]

    def result_timing(self, batch_id: str) -> tuple[int, float]:
        """(number of results, summed compute seconds) of the batch."""
        n, total = self.session.execute(
            select(func.count(), func.coalesce(func.sum(BatchResult.compute_s), 0.0))
            .where(BatchResult.batch_id == batch_id)
        ).one()
        return int(n), float(total)
