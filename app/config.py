"""Service settings, read from ``HRV_*`` environment variables.

No instance is created at import time: :func:`app.main.create_app` builds one (or takes
one from the caller), so tests and workers construct their own.
"""

from __future__ import annotations

import enum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["JobBackend", "Settings"]

# 24 h of 250 Hz ECG written as JSON text (about 10 bytes per sample, sign and
# separators included) is about 216 MB; the default leaves headroom above that.
_DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
_DEFAULT_MAX_SAMPLES = 24 * 3600 * 250
# 24 h at 220 beats/min is about 317,000 beats.
_DEFAULT_MAX_INTERVALS = 320_000


class JobBackend(enum.StrEnum):
    """Where background jobs (re-analysis) run."""

    INPROCESS = "inprocess"
    PROCRASTINATE = "procrastinate"


class Settings(BaseSettings):
    """Configuration of the HTTP service.

    Every field can be set from the environment with the ``HRV_`` prefix, e.g.
    ``HRV_DATABASE_URL=postgresql+psycopg://user@host/db``.
    """

    model_config = SettingsConfigDict(env_prefix="HRV_", extra="ignore")

    database_url: str = "sqlite:///./var/hrv.db"
    migrate_on_startup: bool = True
    job_backend: JobBackend = JobBackend.INPROCESS
    max_body_bytes: int = Field(default=_DEFAULT_MAX_BODY_BYTES, gt=0)
    max_samples: int = Field(default=_DEFAULT_MAX_SAMPLES, gt=0)
    max_intervals: int = Field(default=_DEFAULT_MAX_INTERVALS, gt=0)
    # A request body whose next chunk takes longer than this is refused with 408, so an
    # upload that never finishes holds a worker for this long at most.
    body_read_timeout_s: float = Field(default=30.0, gt=0)
    # zlib level for stored raw recordings: 6 is zlib's default speed/size balance.
    storage_compression_level: int = Field(default=6, ge=0, le=9)
    # Verified API keys are cached this long; revocations by another process take
    # effect here within this time (0 disables the cache).
    auth_cache_seconds: float = Field(default=10.0, ge=0)
    # Idempotency records older than this are neither replayed nor kept: a periodic
    # in-process task (every ``idempotency_purge_interval_s``; 0 disables it) and
    # ``hrv-service purge`` delete them.
    idempotency_ttl_hours: int = Field(default=24, gt=0)
    idempotency_purge_interval_s: float = Field(default=3600.0, ge=0)
    # When set, GET /metrics needs ``Authorization: Bearer <token>`` (off by default).
    metrics_token: SecretStr | None = None
    # Requests per API key: a token bucket refilled at ``rate_limit_per_s`` holding at
    # most ``rate_limit_burst``; past it, 429 with Retry-After (0 per second disables the
    # limit). ``rate_limit_shared``: one bucket per key in the database, shared by every
    # server process (one small write per request), or one per process in memory; unset,
    # shared on PostgreSQL and per process on SQLite.
    rate_limit_per_s: float = Field(default=50.0, ge=0)
    rate_limit_burst: int = Field(default=500, gt=0)
    rate_limit_shared: bool | None = None
    page_size_default: int = Field(default=50, gt=0)
    page_size_max: int = Field(default=500, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    sample_recordings_dir: str = "sample_recordings"
    # Therapist pages: how long a sign-in lasts, and whether the session cookie is
    # marked Secure (unset: Secure when the request came over https, e.g. through a
    # TLS proxy that sets X-Forwarded-Proto and uvicorn --proxy-headers).
    web_session_hours: float = Field(default=12.0, gt=0)
    cookie_secure: bool | None = None
    # Study batches (POST /v1/batches). A ZIP is checked against these limits from its
    # directory before any member is decompressed.
    batch_max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    batch_max_items: int = Field(default=10_000, gt=0)
    batch_max_unpacked_bytes: int = Field(default=8 * 1024**3, gt=0)
    batch_max_ratio: float = Field(default=100.0, gt=1)
    # In-process backend: analysis processes for batch items (unset: one per core;
    # 0 runs items one by one in the request's background task).
    batch_processes: int | None = Field(default=None, ge=0)
    # procrastinate workers: heartbeat period, how long without one makes a worker
    # stalled (its jobs are retried), how often that is checked, how long finished
    # jobs are kept.
    worker_heartbeat_s: float = Field(default=10.0, gt=0)
    worker_stalled_after_s: float = Field(default=30.0, gt=0)
    worker_recovery_interval_s: float = Field(default=10.0, ge=1)
    worker_job_retention_hours: int = Field(default=72, gt=0)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver chosen for plain PostgreSQL URLs."""
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")
