"""All SQL of the service.

Every query is scoped by ``tenant_id`` (and, where a therapist's view is asked for, by
the therapist), or its method is named ``*_unscoped``: those few look a row up across
tenants on purpose (the API key of an incoming request, the tenant a command names, a
job picked up by a worker, the periodic purge) and are tested as such. Methods that
take a row (``add``, ``delete``) act on that row, which carries its tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import (
    ApiKey,
    AuditEvent,
    Client,
    IdempotencyRecord,
    Job,
    Recording,
    Tenant,
    Therapist,
    TherapySession,
    utcnow,
)

__all__ = [
    "AuditRepository",
    "BaselineRow",
    "ClientRepository",
    "DeletedCounts",
    "IdempotencyRepository",
    "JobRepository",
    "KeyRepository",
    "RecordingRepository",
    "SessionFilters",
    "SessionRepository",
    "TenantRepository",
    "queue_schema_exists",
]


def queue_schema_exists(conn: Any) -> bool:
    """Whether the job queue's tables exist, on a psycopg connection (no tenant data)."""
    row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    return bool(row and row[0] is not None)


class TenantRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def create(self, name: str) -> Tenant:
        tenant = Tenant(name=name)
        self.db.add(tenant)
        self.db.flush()
        return tenant

    def get(self, tenant_id: str) -> Tenant | None:
        return self.db.get(Tenant, tenant_id)

    def by_name_unscoped(self, name: str) -> Tenant | None:
        """A tenant by name, across all tenants (the demo and the command line)."""
        return self.db.scalars(select(Tenant).where(Tenant.name == name)).first()


class KeyRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, key: ApiKey) -> ApiKey:
        self.db.add(key)
        self.db.flush()
        return key

    def by_hash_unscoped(self, key_hash: str) -> ApiKey | None:
        """The key an incoming request presents: which tenant it is, is what it tells."""
        return self.db.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()

    def get(self, tenant_id: str, key_id: str) -> ApiKey | None:
        return self.db.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
        ).first()

    def by_prefix(self, tenant_id: str, prefix: str) -> ApiKey | None:
        return self.db.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.prefix == prefix)
        ).first()

    def active_admins(self, tenant_id: str) -> int:
        """How many unrevoked admin keys the tenant has."""
        return int(self.db.scalar(
            select(func.count()).select_from(ApiKey).where(
                ApiKey.tenant_id == tenant_id, ApiKey.role == "admin",
                ApiKey.revoked_at.is_(None),
            )
        ) or 0)

    def list(self, tenant_id: str) -> Sequence[ApiKey]:
        return self.db.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id)
        ).all()

    def revoke(self, key: ApiKey) -> None:
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            self.db.flush()


class ClientRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get_or_create(self, tenant_id: str, reference: str) -> Client:
        found = self.by_reference(tenant_id, reference)
        if found is not None:
            return found
        # Two first sessions of a new client may race: the insert runs in a savepoint, and
        # the loser of the race reads the winner's row instead of failing.
        try:
            with self.db.begin_nested():
                client = Client(tenant_id=tenant_id, reference=reference)
                self.db.add(client)
                self.db.flush()
        except IntegrityError:
            found = self.by_reference(tenant_id, reference)
            if found is None:
                raise
            return found
        return client

    def by_reference(self, tenant_id: str, reference: str) -> Client | None:
        return self.db.scalars(
            select(Client).where(Client.tenant_id == tenant_id, Client.reference == reference)
        ).first()

    def get(self, tenant_id: str, client_id: str) -> Client | None:
        return self.db.scalars(
            select(Client).where(Client.tenant_id == tenant_id, Client.id == client_id)
        ).first()

    def page(
        self, tenant_id: str, *, after: str | None, limit: int, therapist_id: str | None = None
    ) -> Sequence[Client]:
        q = select(Client).where(Client.tenant_id == tenant_id)
        if therapist_id is not None:
            q = q.where(
                Client.id.in_(
                    select(TherapySession.client_id).where(
                        TherapySession.tenant_id == tenant_id,
                        TherapySession.therapist_id == therapist_id,
                    )
                )
            )
        if after:
            q = q.where(Client.id > after)
        return self.db.scalars(q.order_by(Client.id).limit(limit)).all()

    def therapist_get_or_create(self, tenant_id: str, reference: str) -> Therapist:
        found = self.therapist_by_reference(tenant_id, reference)
        if found is not None:
            return found
        therapist = Therapist(tenant_id=tenant_id, reference=reference)
        self.db.add(therapist)
        self.db.flush()
        return therapist

    def therapist_by_reference(self, tenant_id: str, reference: str) -> Therapist | None:
        return self.db.scalars(
            select(Therapist).where(
                Therapist.tenant_id == tenant_id, Therapist.reference == reference
            )
        ).first()

    def therapist(self, tenant_id: str, therapist_id: str | None) -> Therapist | None:
        if therapist_id is None:
            return None
        return self.db.scalars(
            select(Therapist).where(Therapist.tenant_id == tenant_id, Therapist.id == therapist_id)
        ).first()

    def client(self, tenant_id: str, client_id: str) -> Client | None:
        return self.get(tenant_id, client_id)

    def delete(self, client: Client) -> None:
        self.db.delete(client)
        self.db.flush()


@dataclass(frozen=True)
class SessionFilters:
    client_id: str | None = None
    therapist_id: str | None = None
    modality: str | None = None
    started_from: dt.datetime | None = None
    started_to: dt.datetime | None = None


class SessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, session: TherapySession) -> TherapySession:
        self.db.add(session)
        self.db.flush()
        return session

    def get(
        self, tenant_id: str, session_id: str, *, therapist_id: str | None = None
    ) -> TherapySession | None:
        q = select(TherapySession).where(
            TherapySession.tenant_id == tenant_id, TherapySession.id == session_id
        )
        if therapist_id is not None:
            q = q.where(TherapySession.therapist_id == therapist_id)
        return self.db.scalars(q).first()

    def page(
        self, tenant_id: str, filters: SessionFilters, *, after: str | None, limit: int
    ) -> Sequence[TherapySession]:
        q = select(TherapySession).where(TherapySession.tenant_id == tenant_id)
        if filters.client_id is not None:
            q = q.where(TherapySession.client_id == filters.client_id)
        if filters.therapist_id is not None:
            q = q.where(TherapySession.therapist_id == filters.therapist_id)
        if filters.modality is not None:
            q = q.where(TherapySession.modality == filters.modality)
        if filters.started_from is not None:
            q = q.where(TherapySession.started_at >= filters.started_from)
        if filters.started_to is not None:
            q = q.where(TherapySession.started_at < filters.started_to)
        if after:
            q = q.where(TherapySession.id > after)
        return self.db.scalars(q.order_by(TherapySession.id).limit(limit)).all()

    def ids_for_client(self, tenant_id: str, client_id: str) -> list[str]:
        return list(self.db.scalars(
            select(TherapySession.id).where(
                TherapySession.tenant_id == tenant_id, TherapySession.client_id == client_id
            )
        ).all())

    def delete_many(self, tenant_id: str, session_ids: Sequence[str]) -> DeletedCounts:
        """Delete sessions with their recordings, jobs and idempotency records.

        Explicit deletes rather than foreign-key cascades, so the raw recordings are
        gone on every backend whatever its foreign-key settings.
        """
        if not session_ids:
            return DeletedCounts(0, 0)
        ids = list(session_ids)
        recordings = self.db.execute(
            delete(Recording).where(Recording.tenant_id == tenant_id,
                                    Recording.session_id.in_(ids))
        )
        self.db.execute(delete(Job).where(Job.tenant_id == tenant_id, Job.session_id.in_(ids)))
        # Stored responses of writes to these sessions hold their data too.
        for sid in ids:
            self.db.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.tenant_id == tenant_id,
                    IdempotencyRecord.location.like(f"/v1/sessions/{sid}%"),
                )
            )
        result = self.db.execute(
            delete(TherapySession).where(
                TherapySession.tenant_id == tenant_id, TherapySession.id.in_(ids)
            )
        )
        self.db.expire_all()
        return DeletedCounts(_rowcount(result), _rowcount(recordings))

    def history(
        self, tenant_id: str, client_id: str, exclude_id: str, phase: str,
        *, therapist_id: str | None = None,
    ) -> list[BaselineRow]:
        """The client's other sessions with a ``phase`` recording, newest first.

        With ``therapist_id`` only that therapist's sessions count (a therapist's view).
        Sessions are ordered by ``started_at`` (creation time when absent). Only small
        columns are read; the analyses are loaded separately when needed.
        """
        when = func.coalesce(TherapySession.started_at, TherapySession.created_at)
        rows = self.db.execute(
            select(TherapySession.id, when, Recording.id, Recording.sha256,
                   Recording.hrv_version)
            .join(Recording, Recording.session_id == TherapySession.id)
            .where(
                TherapySession.tenant_id == tenant_id,
                TherapySession.client_id == client_id,
                TherapySession.id != exclude_id,
                Recording.tenant_id == tenant_id,
                Recording.phase == phase,
                *([TherapySession.therapist_id == therapist_id] if therapist_id else []),
            )
            .order_by(when.desc(), TherapySession.id.desc())
        ).all()
        return [BaselineRow(r[0], _aware(r[1]), r[2], r[3], r[4]) for r in rows]


@dataclass(frozen=True)
class DeletedCounts:
    sessions: int
    recordings: int


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class BaselineRow:
    session_id: str
    at: dt.datetime | None
    recording_id: str
    sha256: str
    hrv_version: str | None


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    # Backends differ in what coalesce() of two datetime columns returns.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class RecordingRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, tenant_id: str, session_id: str, phase: str) -> Recording | None:
        return self.db.scalars(
            select(Recording).where(
                Recording.tenant_id == tenant_id,
                Recording.session_id == session_id,
                Recording.phase == phase,
            )
        ).first()

    def for_session(self, tenant_id: str, session_id: str) -> Sequence[Recording]:
        return self.db.scalars(
            select(Recording)
            .where(Recording.tenant_id == tenant_id, Recording.session_id == session_id)
            .order_by(Recording.id)
        ).all()

    def add(self, recording: Recording) -> Recording:
        self.db.add(recording)
        self.db.flush()
        return recording

    def analyses(self, tenant_id: str, recording_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored analyses by recording id (the raw data is not read)."""
        if not recording_ids:
            return {}
        rows = self.db.execute(
            select(Recording.id, Recording.analysis).where(
                Recording.tenant_id == tenant_id, Recording.id.in_(list(recording_ids))
            )
        ).all()
        return {r[0]: r[1] for r in rows if r[1] is not None}

    def delete(self, recording: Recording) -> None:
        self.db.delete(recording)
        self.db.flush()


class IdempotencyRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, tenant_id: str, key: str) -> IdempotencyRecord | None:
        return self.db.get(IdempotencyRecord, (tenant_id, key))

    def count(self, tenant_id: str) -> int:
        return int(self.db.scalar(
            select(func.count()).select_from(IdempotencyRecord)
            .where(IdempotencyRecord.tenant_id == tenant_id)
        ) or 0)

    def add(self, record: IdempotencyRecord) -> None:
        self.db.add(record)
        self.db.flush()

    def delete(self, record: IdempotencyRecord) -> None:
        self.db.delete(record)
        self.db.flush()

    def purge_older_than_unscoped(self, cutoff: dt.datetime) -> int:
        """Delete every tenant's records older than ``cutoff`` (periodic housekeeping)."""
        result = self.db.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class JobRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, job: Job) -> Job:
        self.db.add(job)
        self.db.flush()
        return job

    def get(self, tenant_id: str, job_id: str) -> Job | None:
        return self.db.scalars(
            select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id)
        ).first()

    def by_id_unscoped(self, job_id: str) -> Job | None:
        """A job by id alone: a worker picks up a job whatever its tenant."""
        return self.db.get(Job, job_id)


class AuditRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, event: AuditEvent) -> None:
        self.db.add(event)
        self.db.flush()

    def list(self, tenant_id: str) -> Sequence[AuditEvent]:
        return self.db.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.id)
        ).all()
