"""Database rows (SQLAlchemy 2 typed ORM). Every row carries ``tenant_id``.

Rows are neither HTTP schemas nor ``hrv`` results: services convert between them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Account",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Batch",
    "BatchItem",
    "BatchResult",
    "Client",
    "IdempotencyRecord",
    "Job",
    "Recording",
    "Tenant",
    "Therapist",
    "TherapySession",
    "WebSession",
    "new_id",
    "utcnow",
]


def new_id() -> str:
    """A 32-hex-digit identifier that sorts by creation time (ms clock + 80 random bits).

    Time order lets cursor pagination use the primary key alone.
    """
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


ID = String(32)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Therapist(Base):
    __tablename__ = "therapists"
    __table_args__ = (UniqueConstraint("tenant_id", "reference"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    therapist_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("therapists.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RateBucket(Base):
    """An API key's request budget shared by every server process (a token bucket).

    ``tokens`` were left at ``updated_s`` (seconds since the epoch); ``allowed`` says
    whether the last request that touched the row was let through.
    """

    __tablename__ = "rate_buckets"

    key_id: Mapped[str] = mapped_column(
        ID, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    tokens: Mapped[float] = mapped_column()
    updated_s: Mapped[float] = mapped_column()
    allowed: Mapped[bool] = mapped_column()


class Client(Base):
    """A therapy client, known only by the clinic's own pseudonymous reference."""

    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("tenant_id", "reference"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TherapySession(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(
        ID, ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    therapist_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("therapists.id", ondelete="SET NULL"), nullable=True, index=True
    )
    modality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    duration_min: Mapped[float | None] = mapped_column(nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    anxiety_pre: Mapped[float | None] = mapped_column(nullable=True)
    anxiety_post: Mapped[float | None] = mapped_column(nullable=True)
    questionnaire: Mapped[str | None] = mapped_column(String(20), nullable=True)
    questionnaire_pre: Mapped[float | None] = mapped_column(nullable=True)
    questionnaire_post: Mapped[float | None] = mapped_column(nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    report_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Recording(Base):
    """A raw recording as received (compressed), with its latest analysis."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("session_id", "phase"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(ID, ForeignKey("sessions.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    analysis: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    hrv_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    analyzed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyRecord(Base):
    """The stored response of a write made with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[bytes] = mapped_column(LargeBinary)
    location: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Indexed for the periodic purge of records past their retention.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    session_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True
    )
    result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEvent(Base):
    """Who did what to which data: deletions and erasures.

    ``subject`` is an internal id (a session id) or ``None``; client references and
    other personal data are never written here, so the trail survives an erasure
    without undoing it.
    """

    __tablename__ = "audit_events"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Therapist pages: sign-in accounts and browser sessions -----------------------------


class Account(Base):
    """A person who signs in to the pages: a therapist or a clinic admin of one tenant.

    ``username`` is unique across tenants (the sign-in form does not ask for a clinic).
    A therapist account maps to the :class:`Therapist` reference the API uses, so the
    pages see exactly what a therapist key sees.
    """

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    therapist_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("therapists.id", ondelete="SET NULL"), nullable=True
    )
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(
        ID, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


# --- Study batches: many recordings analysed with one configuration -----------------------


class Batch(Base):
    """A researcher's batch: one analysis configuration over many recordings.

    ``status`` is stored as ``queued`` until an item starts, then ``running``; whether a
    batch is finished follows from its items' counts (see ``app.services.batches``), and
    ``cancelled_at`` marks a cancellation.
    """

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    columns: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hrv_version: Mapped[str] = mapped_column(String(40))
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BatchItem(Base):
    """One recording of a batch: its manifest row, its bytes (or a stored recording)."""

    __tablename__ = "batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "position"),
        Index("ix_batch_items_batch_id_status", "batch_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(ID, ForeignKey("batches.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(500))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_type: Mapped[str] = mapped_column(String(100), default="file")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    recording_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("recordings.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BatchResult(Base):
    """The analysis of one batch item; at most one per item (a retry overwrites it)."""

    __tablename__ = "batch_results"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(
        ID, ForeignKey("batches.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(
        ID, ForeignKey("batch_items.id", ondelete="CASCADE"), unique=True
    )
    # Analysis.to_dict(include_beats=False, include_series=True): what
    # hrv.Analysis.from_dict rebuilds for the tables and the pre/post shift reports.
    analysis: Mapped[dict[str, Any]] = mapped_column()
    hrv_version: Mapped[str] = mapped_column(String(40))
    compute_s: Mapped[float] = mapped_column(default=0.0)
    writes: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
