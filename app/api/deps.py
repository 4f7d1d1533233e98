"""Shared route helpers: settings and limits from the app (bodies: :mod:`app.api._body`)."""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from app.api._body import read_body, read_recording_body
from app.config import Settings
from app.services.ingest import Limits

__all__ = ["idempotency_ttl", "limits", "read_body", "read_recording_body", "settings"]


def settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def idempotency_ttl(request: Request) -> dt.timedelta:
    return dt.timedelta(hours=settings(request).idempotency_ttl_hours)


def limits(request: Request) -> Limits:
    lim: Limits = request.app.state.limits
    return lim
