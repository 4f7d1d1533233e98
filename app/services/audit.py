"""The audit trail: who read, exported, deleted or erased which session.

An event names the tenant, the API key (or signed-in account) and an internal session
id; never a client reference or other personal data, so the trail can be kept after
an erasure without undoing it.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.orm import Session

from app.auth import Principal
from app.db.models import AuditEvent
from app.db.repositories import AuditRepository

__all__ = ["record"]

_log = structlog.get_logger("app.audit")


def record(
    db: Session,
    principal: Principal,
    action: str,
    subject: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one event to the request's unit of work and to the log."""
    AuditRepository(db).add(AuditEvent(
        tenant_id=principal.tenant_id, key_id=principal.key_id, action=action,
        subject=subject, details=details,
    ))
    _log.info("audit", action=action, tenant_id=principal.tenant_id,
              key_id=principal.key_id, subject=subject)
