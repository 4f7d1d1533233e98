"""Background jobs: an in-process runner (default) or a procrastinate queue."""

from __future__ import annotations

from typing import Protocol

from starlette.background import BackgroundTasks

from app.config import JobBackend, Settings
from app.db.database import Database
from app.jobs.batches import BatchRunner
from app.services.ingest import Limits

__all__ = ["InProcessRunner", "JobRunner", "make_batch_runner", "make_runner"]


class JobRunner(Protocol):
    def submit(self, job_id: str, background: BackgroundTasks) -> None:
        """Schedule job ``job_id`` (already committed as ``queued``)."""


class InProcessRunner:
    """Runs jobs in the web process after the response has been sent."""

    def __init__(self, get_db: object, limits: Limits) -> None:
        self._get_db = get_db
        self.limits = limits

    def submit(self, job_id: str, background: BackgroundTasks) -> None:
        from app.jobs.tasks import run_job

        db = self._get_db() if callable(self._get_db) else self._get_db
        assert isinstance(db, Database)
        background.add_task(run_job, db, job_id, self.limits)


def make_runner(settings: Settings, get_db: object, limits: Limits) -> JobRunner:
    if settings.job_backend is JobBackend.PROCRASTINATE:
        from app.jobs.queue import ProcrastinateRunner

        return ProcrastinateRunner(settings)
    return InProcessRunner(get_db, limits)


def make_batch_runner(settings: Settings, get_db: object, limits: Limits) -> BatchRunner:
    """Where batch items run: the queue, or a process pool inside the service."""
    if settings.job_backend is JobBackend.PROCRASTINATE:
        from app.jobs.queue import ProcrastinateBatchRunner

        return ProcrastinateBatchRunner(settings)
    from app.jobs.batches import InProcessBatchRunner, default_processes

    processes = settings.batch_processes
    return InProcessBatchRunner(
        get_db,  # type: ignore[arg-type]
        limits, default_processes() if processes is None else processes,
    )
