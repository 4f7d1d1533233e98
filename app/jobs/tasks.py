"""Job bodies, shared by every backend."""

from __future__ import annotations

import structlog

from app.db.database import Database
from app.db.models import utcnow
from app.db.repositories import JobRepository, SessionRepository
from app.services.ingest import Limits
from app.services.reports import reanalyze_session

__all__ = ["REANALYZE", "run_job"]

REANALYZE = "reanalyze_session"
_log = structlog.get_logger("app.jobs")


def run_job(db: Database, job_id: str, limits: Limits) -> None:
    """Execute job ``job_id`` and record its outcome in the ``jobs`` table."""
    with db.session() as session:
        job = JobRepository(session).by_id_unscoped(job_id)
        if job is None or job.status not in ("queued", "running"):
            return
        job.status = "running"
        session.commit()
    try:
        with db.session() as session:
            job = JobRepository(session).by_id_unscoped(job_id)
            assert job is not None
            s = SessionRepository(session).get(job.tenant_id, job.session_id or "")
            if s is None:
                raise LookupError("the session no longer exists")
            result = reanalyze_session(session, s, limits)
            job.status = "succeeded"
            job.result = result
            job.finished_at = utcnow()
    except Exception as exc:  # a job records every failure instead of crashing its runner
        _log.warning("job_failed", job_id=job_id, error_type=type(exc).__name__)
        with db.session() as session:
            job = JobRepository(session).by_id_unscoped(job_id)
            if job is not None:
                job.status = "failed"
                job.error = f"{type(exc).__name__}: {exc}"
                job.finished_at = utcnow()
    else:
        _log.info("job_succeeded", job_id=job_id)
