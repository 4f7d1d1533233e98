"""Session lifecycle: edit, delete, and erasure of a client with all their data."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth import Principal, Role
from app.db.models import TherapySession
from app.db.repositories import (
    ClientRepository,
    DeletedCounts,
    SessionRepository,
)
from app.errors import Forbidden, NotFound
from app.schemas import SelfReport, SessionCreate, SessionPatch
from app.services import audit
from app.services.ingest import validation_problem
from app.services.sessions import get_session

__all__ = ["delete_session", "erase_client", "patch_session"]


def _current(db: Session, s: TherapySession) -> dict[str, Any]:
    clients = ClientRepository(db)
    client = clients.client(s.tenant_id, s.client_id)
    therapist = clients.therapist(s.tenant_id, s.therapist_id)
    return {
        "client": client.reference if client else "-",
        "therapist": therapist.reference if therapist else None,
        "modality": s.modality,
        "started_at": s.started_at,
        "duration_min": s.duration_min,
        "notes": s.notes,
        "questionnaire": s.questionnaire,
        "pre": {"anxiety": s.anxiety_pre, "questionnaire_score": s.questionnaire_pre},
        "post": {"anxiety": s.anxiety_post, "questionnaire_score": s.questionnaire_post},
    }


def _merged(current: dict[str, Any], patch: SessionPatch) -> SessionCreate:
    """The session as it will be after ``patch``, validated like a new one."""
    out = dict(current)
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if isinstance(value, SelfReport):
            out[name] = {**out[name], **value.model_dump(include=value.model_fields_set)}
        elif name in ("pre", "post"):
            out[name] = None
        else:
            out[name] = value
    try:
        return SessionCreate.model_validate(out)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def patch_session(
    db: Session, principal: Principal, session_id: str, patch: SessionPatch
) -> TherapySession:
    """Apply a JSON merge patch; applying the same patch twice changes nothing more."""
    s = get_session(db, principal, session_id)
    new = _merged(_current(db, s), patch)
    if "therapist" in patch.model_fields_set:
        clients = ClientRepository(db)
        if principal.role is Role.THERAPIST:
            own = clients.therapist(principal.tenant_id, principal.therapist_id)
            if own is None or new.therapist != own.reference:
                raise Forbidden("a therapist key cannot hand a session to another therapist")
        elif new.therapist is None:
            s.therapist_id = None
        else:
            s.therapist_id = clients.therapist_get_or_create(
                principal.tenant_id, new.therapist
            ).id
    pre, post = new.pre or SelfReport(), new.post or SelfReport()
    s.modality = new.modality
    s.started_at = new.started_at
    s.duration_min = new.duration_min
    s.notes = new.notes
    s.questionnaire = new.questionnaire.value if new.questionnaire else None
    s.anxiety_pre, s.questionnaire_pre = pre.anxiety, pre.questionnaire_score
    s.anxiety_post, s.questionnaire_post = post.anxiety, post.questionnaire_score
    db.flush()
    return s


def _audit(
    db: Session, principal: Principal, action: str, subject: str | None, counts: DeletedCounts
) -> None:
    audit.record(db, principal, action, subject,
                 {"sessions": counts.sessions, "recordings": counts.recordings})


def delete_session(db: Session, principal: Principal, session_id: str) -> DeletedCounts:
    """Delete a session with its recordings (raw data included), jobs and replays."""
    s = get_session(db, principal, session_id)
    counts = SessionRepository(db).delete_many(principal.tenant_id, [s.id])
    _audit(db, principal, "session.delete", session_id, counts)
    return counts


def erase_client(db: Session, principal: Principal, reference: str) -> DeletedCounts:
    """Erase a client: every session, recording and stored response, then the client.

    The audit event records who erased how much, never the client reference.
    """
    if principal.role is not Role.ADMIN:
        raise Forbidden("only an admin key can erase a client")
    clients = ClientRepository(db)
    client = clients.by_reference(principal.tenant_id, reference)
    if client is None:
        raise NotFound("no client with this reference")
    sessions = SessionRepository(db)
    counts = sessions.delete_many(
        principal.tenant_id, sessions.ids_for_client(principal.tenant_id, client.id)
    )
    clients.delete(client)
    _audit(db, principal, "client.erase", None, counts)
    return counts
