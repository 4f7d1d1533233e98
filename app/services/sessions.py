"""Sessions, clients and their stored recordings."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import hrv
from app.auth import Principal, Role
from app.db.models import Recording, TherapySession, utcnow
from app.db.repositories import (
    ClientRepository,
    RecordingRepository,
    SessionFilters,
    SessionRepository,
)
from app.errors import Forbidden, NotFound, ValidationFailed
from app.schemas import (
    ClientOut,
    ClientPage,
    Phase,
    RecordingOut,
    SelfReport,
    SessionCreate,
    SessionOut,
    SessionPage,
)
from app.services import audit
from app.services.idempotency import StoredResponse, run_idempotent
from app.services.ingest import Limits, StoredBody, analyze_parsed, parse_stored

__all__ = [
    "Idempotency",
    "create_session_once",
    "decode_cursor",
    "encode_cursor",
    "get_session",
    "list_clients",
    "list_sessions",
    "load_stored_body",
    "put_recording",
    "put_recording_once",
    "read_recording",
    "read_session",
    "recording_out",
    "session_out",
    "therapist_scope",
]

_ID = re.compile(r"^[0-9a-f]{32}$")


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not _ID.match(raw):
        raise ValidationFailed(
            "cursor is not one this API returned",
            errors=[{"field": "query.cursor", "message": "invalid cursor"}],
        )
    return raw


def therapist_scope(principal: Principal) -> str | None:
    """The therapist id a caller is confined to, or ``None`` for tenant-wide roles."""
    if principal.role is Role.THERAPIST:
        # A therapist key without a therapist sees nothing rather than everything.
        return principal.therapist_id or "-"
    return None


def create_session(db: Session, principal: Principal, body: SessionCreate) -> TherapySession:
    clients = ClientRepository(db)
    client = clients.get_or_create(principal.tenant_id, body.client)
    therapist_id: str | None = None
    if principal.role is Role.THERAPIST:
        own = clients.therapist(principal.tenant_id, principal.therapist_id)
        if body.therapist is not None and (own is None or own.reference != body.therapist):
            raise Forbidden("a therapist key can only create its own sessions")
        therapist_id = principal.therapist_id
    elif body.therapist is not None:
        therapist_id = clients.therapist_get_or_create(principal.tenant_id, body.therapist).id
    pre = body.pre or SelfReport()
    post = body.post or SelfReport()
    return SessionRepository(db).add(
        TherapySession(
            tenant_id=principal.tenant_id,
            client_id=client.id,
            therapist_id=therapist_id,
            modality=body.modality,
            started_at=body.started_at,
            duration_min=body.duration_min,
            notes=body.notes,
            questionnaire=body.questionnaire.value if body.questionnaire else None,
            anxiety_pre=pre.anxiety,
            anxiety_post=post.anxiety,
            questionnaire_pre=pre.questionnaire_score,
            questionnaire_post=post.questionnaire_score,
        )
    )


def get_session(db: Session, principal: Principal, session_id: str) -> TherapySession:
    found = SessionRepository(db).get(
        principal.tenant_id, session_id, therapist_id=therapist_scope(principal)
    )
    if found is None:
        raise NotFound(f"no session {session_id!r}")
    return found


def session_out(db: Session, s: TherapySession) -> SessionOut:
    clients = ClientRepository(db)
    client = clients.client(s.tenant_id, s.client_id)
    therapist = clients.therapist(s.tenant_id, s.therapist_id)
    phases = [r.phase for r in RecordingRepository(db).for_session(s.tenant_id, s.id)]
    return SessionOut(
        id=s.id,
        client=client.reference if client else "",
        therapist=therapist.reference if therapist else None,
        modality=s.modality,
        started_at=s.started_at,
        duration_min=s.duration_min,
        notes=s.notes,
        questionnaire=s.questionnaire,
        pre=SelfReport(anxiety=s.anxiety_pre, questionnaire_score=s.questionnaire_pre),
        post=SelfReport(anxiety=s.anxiety_post, questionnaire_score=s.questionnaire_post),
        recordings=sorted(phases),
        created_at=s.created_at,
    )


@dataclass(frozen=True)
class SessionQuery:
    client: str | None = None
    therapist: str | None = None
    modality: str | None = None
    started_from: Any = None
    started_to: Any = None


def _no_nul(query: SessionQuery) -> None:
    """Refuse NUL in text filters on every backend (PostgreSQL cannot compare them)."""
    for name in ("client", "therapist", "modality"):
        value = getattr(query, name)
        if value is not None and "\x00" in value:
            raise ValidationFailed(
                f"query parameter {name!r} contains a NUL character",
                errors=[{"field": f"query.{name}", "message": "NUL character"}],
            )


def list_sessions(
    db: Session, principal: Principal, query: SessionQuery, cursor: str | None, limit: int
) -> SessionPage:
    _no_nul(query)
    clients = ClientRepository(db)
    client_id = therapist_id = None
    if query.client is not None:
        c = clients.by_reference(principal.tenant_id, query.client)
        if c is None:
            return SessionPage(items=[], next_cursor=None)
        client_id = c.id
    if query.therapist is not None:
        t = clients.therapist_by_reference(principal.tenant_id, query.therapist)
        if t is None:
            return SessionPage(items=[], next_cursor=None)
        therapist_id = t.id
    scope = therapist_scope(principal)
    if scope is not None:
        if therapist_id is not None and therapist_id != scope:
            return SessionPage(items=[], next_cursor=None)
        therapist_id = scope
    rows = SessionRepository(db).page(
        principal.tenant_id,
        SessionFilters(client_id, therapist_id, query.modality, query.started_from,
                       query.started_to),
        after=decode_cursor(cursor), limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        audit.record(db, principal, "session.list", None,
                     {"session_ids": [s.id for s in rows]})
    return SessionPage(
        items=[session_out(db, s) for s in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


def list_clients(
    db: Session, principal: Principal, cursor: str | None, limit: int
) -> ClientPage:
    rows = ClientRepository(db).page(
        principal.tenant_id, after=decode_cursor(cursor), limit=limit + 1,
        therapist_id=therapist_scope(principal),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ClientPage(
        items=[ClientOut(id=c.id, reference=c.reference, created_at=c.created_at) for c in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


def load_stored_body(rec: Recording) -> StoredBody:
    return StoredBody(rec.content_type, dict(rec.params or {}), zlib.decompress(rec.raw))


#: Parts of a stored analysis kept for reports and charts, not returned by the API.
SERIES_KEYS = ("beats", "nn", "spectrum")


def analysis_dict(analysis: hrv.Analysis) -> dict[str, Any]:
    """What a recording row stores: the result contract plus the beats, the NN series and
    the spectrum, so a report or a chart is built from it without analysing again."""
    return analysis.to_dict(include_beats=True, include_series=True)


def public_analysis(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored analysis as the API returns it (the contract, without the series)."""
    if stored is None:
        return None
    return {k: v for k, v in stored.items() if k not in SERIES_KEYS}


def stored_analysis(rec: Recording, limits: Limits) -> hrv.Analysis:
    """The recording's analysis: rebuilt from the row when this library version made it
    (``hrv.Analysis.from_dict``), else analysed again from the raw data."""
    data = rec.analysis
    if data and rec.hrv_version == hrv.__version__ and "nn" in data:
        return hrv.Analysis.from_dict(data)
    return analyze_parsed(parse_stored(load_stored_body(rec), limits))


def put_recording(
    db: Session,
    principal: Principal,
    session_id: str,
    phase: Phase,
    body: StoredBody,
    limits: Limits,
    compression_level: int,
) -> tuple[Recording, bool]:
    """Analyse and store a recording; returns it and whether it is new (vs replaced).

    The analysis runs first so that a recording ``hrv`` rejects is not stored.
    """
    s = get_session(db, principal, session_id)
    analysis = analyze_parsed(parse_stored(body, limits))
    repo = RecordingRepository(db)
    old = repo.get(principal.tenant_id, s.id, phase.value)
    if old is not None:
        repo.delete(old)
    rec = repo.add(
        Recording(
            tenant_id=principal.tenant_id,
            session_id=s.id,
            phase=phase.value,
            content_type=body.content_type,
            params=body.params,
            raw=zlib.compress(body.raw, compression_level),
            raw_bytes=len(body.raw),
            sha256=hashlib.sha256(body.raw).hexdigest(),
            kind=analysis.kind.value,
            analysis=analysis_dict(analysis),
            hrv_version=hrv.__version__,
            analyzed_at=utcnow(),
        )
    )
    s.report = None
    s.report_version = None
    return rec, old is None


def get_recording(
    db: Session, principal: Principal, session_id: str, phase: Phase
) -> Recording:
    s = get_session(db, principal, session_id)
    rec = RecordingRepository(db).get(principal.tenant_id, s.id, phase.value)
    if rec is None:
        raise NotFound(f"session {session_id!r} has no {phase.value!r} recording")
    return rec


def recording_out(rec: Recording, *, with_analysis: bool = True) -> RecordingOut:
    return RecordingOut(
        id=rec.id, session_id=rec.session_id, phase=rec.phase, kind=rec.kind,
        content_type=rec.content_type, raw_bytes=rec.raw_bytes, sha256=rec.sha256,
        hrv_version=rec.hrv_version, created_at=rec.created_at, analyzed_at=rec.analyzed_at,
        analysis=public_analysis(rec.analysis) if with_analysis else None,
    )


# --- writes with an Idempotency-Key, reads that leave an audit trail ------------------


@dataclass(frozen=True)
class Idempotency:
    """A write's ``Idempotency-Key`` (or ``None``), its request fingerprint and retention."""

    key: str | None
    request_hash: str
    ttl: dt.timedelta | None = None


def _session_id_of(location: str | None) -> str:
    return (location or "").rstrip("/").split("/")[3] if location else ""


def create_session_once(
    db: Session, principal: Principal, body: SessionCreate, once: Idempotency
) -> StoredResponse:
    """Create a session; a retry by the same caller with the same key replays the answer.

    The replay is given only while the caller can still read the session.
    """

    def action() -> StoredResponse:
        s = create_session(db, principal, body)
        out = session_out(db, s).model_dump_json().encode()
        return StoredResponse(201, out, f"/v1/sessions/{s.id}")

    def authorize(stored: StoredResponse) -> None:
        get_session(db, principal, _session_id_of(stored.location))

    return run_idempotent(db, principal.tenant_id, principal.key_id, once.key,
                          once.request_hash, action, once.ttl, authorize=authorize)


def put_recording_once(
    db: Session,
    principal: Principal,
    session_id: str,
    phase: Phase,
    body: StoredBody,
    limits: Limits,
    compression_level: int,
    once: Idempotency,
) -> StoredResponse:
    """Store and analyse a recording; a retry with the same key replays the answer."""

    def action() -> StoredResponse:
        rec, created = put_recording(db, principal, session_id, phase, body, limits,
                                     compression_level)
        out = recording_out(rec).model_dump_json().encode()
        return StoredResponse(
            201 if created else 200, out, f"/v1/sessions/{session_id}/recordings/{phase.value}"
        )

    def authorize(stored: StoredResponse) -> None:
        get_session(db, principal, session_id)

    return run_idempotent(db, principal.tenant_id, principal.key_id, once.key,
                          once.request_hash, action, once.ttl, authorize=authorize)


def read_session(db: Session, principal: Principal, session_id: str) -> SessionOut:
    """One session, as the caller may see it; the read is audit-logged."""
    s = get_session(db, principal, session_id)
    audit.record(db, principal, "session.read", s.id)
    return session_out(db, s)


def read_recording(
    db: Session, principal: Principal, session_id: str, phase: Phase
) -> RecordingOut:
    """A recording's metadata and analysis; the read is audit-logged."""
    rec = get_recording(db, principal, session_id, phase)
    audit.record(db, principal, "recording.read", rec.session_id, {"phase": rec.phase})
    return recording_out(rec)
