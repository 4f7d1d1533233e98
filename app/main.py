"""Application factory: ``create_app(settings)`` builds everything; nothing at import."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from app.auth import KeyCache
from app.config import Settings
from app.db.database import Database, migrate
from app.errors import install_error_handlers
from app.jobs import make_batch_runner, make_runner
from app.jobs._orphan import stop_with_parent
from app.observability import Metrics, RequestContextMiddleware, configure_logging
from app.services.ingest import Limits
from hrv import __version__

__all__ = ["create_app"]

DESCRIPTION = """\
Heart-rate-variability analysis of recordings (ECG, PPG, RR intervals, wearable files)
and before/after therapy-session reports. Every number comes from the `hrv` library.

Authenticate with `Authorization: Bearer <key>`. Errors are RFC 9457
`application/problem+json`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service from ``settings`` (read from ``HRV_*`` variables if omitted)."""
    cfg = settings or Settings()
    configure_logging(cfg.log_level, cfg.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A worker of `hrv-service serve --workers N` stops when its supervisor is killed
        # outright (it would serve on, beside the workers of a restarted supervisor).
        stop_with_parent()
        if cfg.migrate_on_startup:
            await run_in_threadpool(migrate, app.state.db.engine)
        purger = None
        if cfg.idempotency_purge_interval_s > 0:
            from app.maintenance import purge_loop

            purger = asyncio.create_task(purge_loop(lambda: app.state.db, cfg))
        # Batches left unfinished by a previous server process run on.
        await run_in_threadpool(app.state.batches.resume)
        yield
        app.state.batches.close()
        if purger is not None:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
        close = getattr(app.state.jobs, "close", None)
        if close is not None:
            close()
        app.state.db.dispose()

    app = FastAPI(
        title="HRV session service", version=__version__, description=DESCRIPTION,
        lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    app.state.settings = cfg
    app.state.db = Database.from_url(cfg.sqlalchemy_url)
    app.state.key_cache = KeyCache(cfg.auth_cache_seconds)
    app.state.limits = Limits(cfg.max_samples, cfg.max_intervals)
    app.state.metrics = Metrics()
    # The runner looks the database up at submit time, so tests can swap app.state.db.
    app.state.jobs = make_runner(cfg, lambda: app.state.db, app.state.limits)
    app.state.batches = make_batch_runner(cfg, lambda: app.state.db, app.state.limits)

    from app.api import analyses, batches, clients, health, jobs, keys, sessions

    for module in (health, analyses, sessions, clients, jobs, keys, batches):
        app.include_router(module.router)
    _mount_pages(app)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics, router=app.router)
    _extend_openapi(app)
    return app


def _mount_pages(app: FastAPI) -> None:
    """Therapist pages, their static files and the offline API docs (/docs, /redoc)."""
    from starlette.staticfiles import StaticFiles

    from app.web import routes
    from app.web.accounts import AddressThrottle
    from app.web.docs import docs_router
    from app.web.pdf import STATIC_DIR
    from app.web.service import ChartCache

    app.state.chart_cache = ChartCache()
    app.state.sign_in_throttle = AddressThrottle()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(docs_router(app))
    app.include_router(routes.router)


def _extend_openapi(app: FastAPI) -> None:
    """Add the schemas of the raw-body routes to the generated OpenAPI document."""
    from app.api._openapi import body_component_schemas, finish_openapi
    from app.schemas import SessionCreate

    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body_component_schemas())
            components["SessionCreate"] = SessionCreate.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            for name, sub in components["SessionCreate"].pop("$defs", {}).items():
                components.setdefault(name, sub)
            app.openapi_schema = finish_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
