"""Application factory."""

from __future__ import annotations

from fastapi import FastAPI

from hrv import __version__


def create_app() -> FastAPI:
    app = FastAPI(title="HRV session service", version=__version__)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
