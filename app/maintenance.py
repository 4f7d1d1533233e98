"""Housekeeping: purge of expired idempotency records (periodic task and CLI)."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog
from fastapi.concurrency import run_in_threadpool

from app.config import Settings
from app.db.database import Database
from app.services.idempotency import purge_expired

__all__ = ["purge_loop", "purge_once"]

_log = structlog.get_logger("app.maintenance")


def purge_once(db: Database, settings: Settings) -> int:
    """Delete idempotency records older than ``idempotency_ttl_hours``; returns how many."""
    with db.session() as session:
        n = purge_expired(session, dt.timedelta(hours=settings.idempotency_ttl_hours))
    if n:
        _log.info("idempotency_purged", records=n)
    return n


async def purge_loop(get_db: object, settings: Settings) -> None:
    """Purge now and then every ``idempotency_purge_interval_s`` until cancelled."""
    interval = settings.idempotency_purge_interval_s
    while True:
        try:
            db = get_db() if callable(get_db) else get_db
            assert isinstance(db, Database)
            await run_in_threadpool(purge_once, db, settings)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed purge is retried at the next tick
            _log.warning("idempotency_purge_failed", error_type=type(exc).__name__)
        await asyncio.sleep(interval)
