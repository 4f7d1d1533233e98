"""Background jobs as the API shows them: re-analysis requests and their status."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.auth import Principal, on_commit
from app.db.models import Job
from app.db.repositories import JobRepository
from app.errors import NotFound
from app.schemas import JobOut
from app.services.sessions import get_session

__all__ = ["REANALYZE", "get_job", "job_out", "request_reanalysis"]

#: The job kind of a re-analysis (what ``app.jobs.tasks.run_job`` executes).
REANALYZE = "reanalyze_session"


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id, kind=job.kind, status=job.status,  # type: ignore[arg-type]
        session_id=job.session_id, result=job.result, error=job.error,
        created_at=job.created_at, finished_at=job.finished_at,
    )


def request_reanalysis(
    db: Session, principal: Principal, session_id: str, submit: Callable[[str], None]
) -> Job:
    """Queue a re-analysis of a session the caller can read.

    The job row is part of the request's unit of work; ``submit`` hands its id to the
    runner only once that has committed, so a worker never looks for a job that is
    not there yet.
    """
    s = get_session(db, principal, session_id)
    job = JobRepository(db).add(Job(tenant_id=principal.tenant_id, kind=REANALYZE,
                                    session_id=s.id))
    job_id = job.id
    on_commit(db, lambda: submit(job_id))
    return job


def get_job(db: Session, principal: Principal, job_id: str) -> JobOut:
    job = JobRepository(db).get(principal.tenant_id, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job_out(job)
