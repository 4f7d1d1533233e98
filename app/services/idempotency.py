"""``Idempotency-Key`` handling for writes: a retry replays the first response.

A stored response belongs to the API key (or signed-in account) that made the request:
the record is filed under that principal's id and the ``Idempotency-Key``, so another
caller who sends the same key and body runs the request afresh, under their own access
rights, and never sees what the first caller got. Before a replay the caller's access
to what the stored response describes is checked again (a session may have changed
hands since).

Two requests are the same when method, path, query, content type and body match; a
JSON body is compared in a canonical form (keys sorted, insignificant whitespace
dropped), so the same document with its keys in another order is the same request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import IdempotencyRecord, utcnow
from app.db.repositories import IdempotencyRepository
from app.errors import Conflict, IdempotencyMismatch, ValidationFailed

__all__ = [
    "CANONICAL_JSON_MAX_BYTES",
    "StoredResponse",
    "canonical_body",
    "fingerprint",
    "purge_expired",
    "record_key",
    "run_idempotent",
]

#: JSON bodies up to this size are compared in canonical form; a larger body (a long
#: recording) is compared byte for byte, so that the comparison never decodes a large
#: upload twice.
CANONICAL_JSON_MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    location: str | None = None
    replayed: bool = False


def _is_json(content_type: str) -> bool:
    mt = content_type.split(";", 1)[0].strip().lower()
    return mt == "json" or mt == "application/json" or mt.endswith("+json")


def canonical_body(content_type: str, body: bytes) -> bytes:
    """``body`` in the form two equal requests share (JSON: keys sorted, compact)."""
    if not _is_json(content_type) or len(body) > CANONICAL_JSON_MAX_BYTES:
        return body
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):
        return body


def fingerprint(method: str, path: str, content_type: str, body: bytes, query: str = "") -> str:
    h = hashlib.sha256()
    for part in (method.upper(), path, query, content_type):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    h.update(hashlib.sha256(canonical_body(content_type, body)).digest())
    return h.hexdigest()


def record_key(principal_id: str, key: str) -> str:
    """The stored key of a record: the principal's id and a digest of the header value.

    The header value itself is not stored (it is the client's text); the principal's id
    scopes the record, so one caller's key never names another caller's response.
    """
    return f"{principal_id}:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def run_idempotent(
    db: Session,
    tenant_id: str,
    principal_id: str,
    key: str | None,
    request_hash: str,
    action: Callable[[], StoredResponse],
    ttl: dt.timedelta | None = None,
    *,
    authorize: Callable[[StoredResponse], None] | None = None,
) -> StoredResponse:
    """Run ``action`` once per ``(tenant, principal, key)``; its effects and the record
    go into the request's unit of work together (committed by the caller's unit of work).

    Without a key the action simply runs. A record older than ``ttl`` is
    expired: it is deleted and the key may be used afresh. ``authorize`` is called with
    the stored response before it is replayed and raises if the caller may no longer
    see what it describes.
    """
    if key is None:
        return action()
    if not 1 <= len(key) <= 200:
        raise ValidationFailed(
            "Idempotency-Key must be 1–200 characters",
            errors=[{"field": "header.idempotency-key", "message": "1–200 characters"}],
        )
    stored_key = record_key(principal_id, key)
    repo = IdempotencyRepository(db)
    existing = repo.get(tenant_id, stored_key)
    if existing is not None and ttl is not None and existing.created_at < utcnow() - ttl:
        repo.delete(existing)
        existing = None
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch(
                "this Idempotency-Key was used with a different request; use a new key"
            )
        stored = StoredResponse(existing.status_code, existing.response, existing.location, True)
        if authorize is not None:
            authorize(stored)
        return stored
    out = action()
    try:
        # A concurrent request with the same key inserts the same primary key: the
        # second insert fails here (PostgreSQL waits for the first to commit).
        repo.add(
            IdempotencyRecord(
                tenant_id=tenant_id, key=stored_key, request_hash=request_hash,
                status_code=out.status_code, response=out.body, location=out.location,
            )
        )
    except IntegrityError:
        db.rollback()
        raise Conflict("a request with this Idempotency-Key is already being processed") from None
    return out


def purge_expired(db: Session, ttl: dt.timedelta) -> int:
    """Delete idempotency records older than ``ttl``; returns how many."""
    return IdempotencyRepository(db).purge_older_than_unscoped(utcnow() - ttl)
