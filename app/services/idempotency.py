"""``Idempotency-Key`` handling for writes: a retry replays the first response."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import IdempotencyRecord, utcnow
from app.db.repositories import IdempotencyRepository
from app.errors import Conflict, IdempotencyMismatch, ValidationFailed

__all__ = ["StoredResponse", "fingerprint", "purge_expired", "run_idempotent"]


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    location: str | None = None
    replayed: bool = False


def fingerprint(method: str, path: str, content_type: str, body: bytes, query: str = "") -> str:
    h = hashlib.sha256()
    for part in (method.upper(), path, query, content_type):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    h.update(hashlib.sha256(body).digest())
    return h.hexdigest()


def run_idempotent(
    db: Session,
    tenant_id: str,
    key: str | None,
    request_hash: str,
    action: Callable[[], StoredResponse],
    ttl: dt.timedelta | None = None,
) -> StoredResponse:
    """Run ``action`` once per ``(tenant, key)`` and commit its effects with the record.

    Without a key the action simply runs and commits. A record older than ``ttl`` is
    expired: it is deleted and the key may be used afresh.
    """
    if key is None:
        out = action()
        db.commit()
        return out
    if not 1 <= len(key) <= 200:
        raise ValidationFailed(
            "Idempotency-Key must be 1–200 characters",
            errors=[{"field": "header.idempotency-key", "message": "1–200 characters"}],
        )
    repo = IdempotencyRepository(db)
    existing = repo.get(tenant_id, key)
    if existing is not None and ttl is not None and existing.created_at < utcnow() - ttl:
        repo.delete(existing)
        existing = None
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch(
                "this Idempotency-Key was used with a different request; use a new key"
            )
        return StoredResponse(existing.status_code, existing.response, existing.location, True)
    out = action()
    repo.add(
        IdempotencyRecord(
            tenant_id=tenant_id, key=key, request_hash=request_hash,
            status_code=out.status_code, response=out.body, location=out.location,
        )
    )
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("a request with this Idempotency-Key is already being processed") from None
    return out


def purge_expired(db: Session, ttl: dt.timedelta) -> int:
    """Delete idempotency records older than ``ttl``; returns how many."""
    return IdempotencyRepository(db).purge_older_than(utcnow() - ttl)
