"""procrastinate (PostgreSQL) job queue: the web process defers, workers execute."""

from __future__ import annotations

import functools
from typing import Any

import procrastinate
from starlette.background import BackgroundTasks

from app.config import Settings

__all__ = ["QUEUE", "ProcrastinateRunner", "apply_schema", "make_app", "run_worker"]

QUEUE = "hrv"


def _conninfo(settings: Settings) -> str:
    url = settings.sqlalchemy_url
    if not url.startswith("postgresql"):
        raise ValueError("the procrastinate job backend needs a PostgreSQL database_url")
    return "postgresql://" + url.split("://", 1)[1]


def make_app(settings: Settings) -> procrastinate.App:
    """A procrastinate app with the service's tasks registered."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(settings))
    )

    @app.task(name="reanalyze_session", queue=QUEUE)
    def reanalyze(job_id: str) -> None:
        from app.jobs.tasks import run_job

        db, limits = _worker_state(
            settings.sqlalchemy_url, settings.max_samples, settings.max_intervals
        )
        run_job(db, job_id, limits)

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

    with psycopg.connect(_conninfo(settings)) as conn:
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    if exists and exists[0] is not None:
        return False
    app = make_app(settings)
    with app.open():
        app.schema_manager.apply_schema()
    return True


def run_worker(settings: Settings, concurrency: int = 1) -> None:
    make_app(settings).run_worker(queues=[QUEUE], concurrency=concurrency, wait=True)


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
