"""procrastinate (PostgreSQL) job queue: the web process defers, workers execute.

Tasks:

``reanalyze_session``
    re-analysis of one therapy session.
``run_batch_items``
    a chunk of up to 32 items of a study batch, smaller towards its end
    (:mod:`app.jobs.batch_chunks`: claimed together, outcomes written together, each
    item still final exactly once). Deferred
    in the same transaction that records the batch, so a batch never exists without its
    jobs (nor jobs without their batch). Retried by procrastinate's retry strategy when
    it raises (a lost database connection); a bad file does not raise, it fails its item.
``run_batch_item``
    one item: what earlier versions deferred, still run for jobs already queued.
``retry_stalled_jobs`` (periodic, every ``HRV_WORKER_RECOVERY_INTERVAL_S``)
    jobs left ``doing`` by a worker that stopped sending heartbeats (killed, machine
    lost) are put back in the queue. It takes no ``lock``: a lock would queue it behind
    the very jobs it has to rescue. Its ``queueing_lock`` only keeps one copy waiting.
``remove_old_jobs`` (periodic, hourly)
    deletes finished jobs older than ``HRV_WORKER_JOB_RETENTION_HOURS``.

A sync task holds the GIL while it computes, so a worker process runs one item at a
time; ``hrv-service worker --processes N`` starts N of them (one per core).
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any, cast

import procrastinate
import structlog
from procrastinate.jobs import Job as QueueJob
from sqlalchemy.orm import Session
from starlette.background import BackgroundTasks

from app.config import Settings

__all__ = [
    "BATCH_ITEM",
    "BATCH_ITEMS",
    "QUEUE",
    "ProcrastinateBatchRunner",
    "ProcrastinateRunner",
    "apply_schema",
    "make_app",
    "run_worker",
    "run_workers",
]

QUEUE = "hrv"
BATCH_ITEM = "run_batch_item"
BATCH_ITEMS = "run_batch_items"
_log = structlog.get_logger("app.jobs.queue")

#: Up to 5 attempts, 1 s then 2, 4, 8 s apart: enough to ride out a database restart.
RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=1, exponential_wait=2)


def _conninfo(settings: Settings) -> str:
    url = settings.sqlalchemy_url
    if not url.startswith("postgresql"):
        raise ValueError("the procrastinate job backend needs a PostgreSQL database_url")
    return "postgresql://" + url.split("://", 1)[1]


def make_app(settings: Settings, connector: procrastinate.BaseConnector | None = None
             ) -> procrastinate.App:
    """A procrastinate app with the service's tasks registered."""
    app = procrastinate.App(
        connector=connector or procrastinate.PsycopgConnector(conninfo=_conninfo(settings))
    )

    @app.task(name="reanalyze_session", queue=QUEUE)
    def reanalyze(job_id: str) -> None:
        from app.jobs.tasks import run_job

        db, limits = _worker_state(
            settings.sqlalchemy_url, settings.max_samples, settings.max_intervals
        )
        run_job(db, job_id, limits)

    @app.task(name=BATCH_ITEM, queue=QUEUE, retry=RETRY)
    def run_batch_item(item_id: str) -> None:
        from app.jobs.batch_items import run_item

        db, limits = _worker_state(
            settings.sqlalchemy_url, settings.max_samples, settings.max_intervals
        )
        run_item(db, item_id, limits)

    @app.task(name=BATCH_ITEMS, queue=QUEUE, retry=RETRY)
    def run_batch_items(item_ids: list[str]) -> None:
        from app.jobs.batch_chunks import run_chunk

        db, limits = _worker_state(
            settings.sqlalchemy_url, settings.max_samples, settings.max_intervals
        )
        run_chunk(db, item_ids, limits)

    recovery_s = max(1, int(settings.worker_recovery_interval_s))
    stalled_s = settings.worker_stalled_after_s

    @app.periodic(cron=f"* * * * * */{recovery_s}", periodic_id="stalled")
    @app.task(name="retry_stalled_jobs", queue=QUEUE, queueing_lock="retry_stalled_jobs",
              pass_context=True)
    async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_s):
            if job.task_name == "retry_stalled_jobs":
                continue
            _log.warning("stalled_job_retried", job_id=job.id, task=job.task_name,
                         attempts=job.attempts)
            await manager.retry_job(job)

    retention_h = settings.worker_job_retention_hours

    @app.periodic(cron="17 * * * *", periodic_id="cleanup")
    @app.task(name="remove_old_jobs", queue=QUEUE, queueing_lock="remove_old_jobs",
              pass_context=True)
    async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
        await context.app.job_manager.delete_old_jobs(
            nb_hours=retention_h, queue=QUEUE, include_failed=True, include_cancelled=True,
            include_aborted=True,
        )

    return app


@functools.cache
def _worker_state(url: str, max_samples: int, max_intervals: int) -> tuple[Any, Any]:
    """One database handle per worker process."""
    from app.db.database import Database
    from app.services.ingest import Limits

    return Database.from_url(url), Limits(max_samples, max_intervals)


def apply_schema(settings: Settings) -> bool:
    """Create procrastinate's tables unless they exist; returns whether it applied them."""
    import psycopg

    from app.db.repositories import queue_schema_exists

    with psycopg.connect(_conninfo(settings)) as conn:
        exists = queue_schema_exists(conn)
    if exists:
        return False
    app = make_app(settings)
    with app.open():
        app.schema_manager.apply_schema()
    return True


def run_worker(settings: Settings, concurrency: int = 1) -> None:
    """One worker process: heartbeats every ``worker_heartbeat_s``."""
    from app.jobs._orphan import stop_with_parent
    from app.jobs.batch_items import warm_up

    stop_with_parent()
    warm_up()
    make_app(settings).run_worker(
        queues=[QUEUE], concurrency=concurrency, wait=True,
        update_heartbeat_interval=settings.worker_heartbeat_s,
        stalled_worker_timeout=settings.worker_stalled_after_s,
    )


def run_workers(argv: Sequence[str], processes: int) -> int:
    """Start ``processes`` single-process workers (``argv`` each) and wait for them.

    SIGTERM/SIGINT are passed on; a child that dies is started again; a child whose
    supervisor is killed stops by itself (:func:`app.jobs._orphan.stop_with_parent`).
    """
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from app.jobs._orphan import PARENT_ENV

    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    children.extend(subprocess.Popen([sys.executable, *argv], env=env) for _ in range(processes))
    while not stopping:
        time.sleep(0.5)
        for i, child in enumerate(children):
            if child.poll() is not None and not stopping:
                _log.warning("worker_restarted", exit_code=child.returncode)
                children[i] = subprocess.Popen([sys.executable, *argv], env=env)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


class ProcrastinateRunner:
    """Defers jobs to the procrastinate queue; ``hrv-service worker`` executes them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: procrastinate.App | None = None

    def _opened(self) -> procrastinate.App:
        if self._app is None:
            self._app = make_app(self.settings).open()
        return self._app

    def submit(self, job_id: str, background: BackgroundTasks) -> None:
        self._opened().configure_task("reanalyze_session").defer(job_id=job_id)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


class ProcrastinateBatchRunner:
    """Defers ``run_batch_items`` jobs, a chunk of items each, on the batch's own
    connection."""

    def __init__(self, settings: Settings) -> None:
        self._app = make_app(
            settings, procrastinate.SyncPsycopgConnector(conninfo=_conninfo(settings)))

    def submit(
        self, session: Session, batch_id: str, item_ids: Sequence[str],
        background: BackgroundTasks,
    ) -> None:
        if not item_ids:
            return
        from app.jobs.batch_chunks import chunks

        dbapi = session.connection().connection.dbapi_connection
        jobs = [
            QueueJob(id=None, queue=QUEUE, lock=None, queueing_lock=None,
                     task_name=BATCH_ITEMS, task_kwargs={"item_ids": cast(Any, chunk)})
            for chunk in chunks(item_ids)
        ]
        self._app.job_manager.batch_defer_jobs(jobs, connection=dbapi)

    def resume(self) -> None:
        """Nothing to do: the jobs live in PostgreSQL and workers recover stalled ones."""

    def close(self) -> None:
        """The connector was never opened: deferring uses the request's connection."""
