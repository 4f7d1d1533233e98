"""Shared route helpers: settings from the app, size-limited body reading."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from app.config import Settings
from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.services.ingest import FILE, JSON, OCTET, Limits, StoredBody, octet_params

__all__ = ["idempotency_ttl", "limits", "read_body", "read_recording_body", "settings"]


def settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def idempotency_ttl(request: Request) -> dt.timedelta:
    return dt.timedelta(hours=settings(request).idempotency_ttl_hours)


def limits(request: Request) -> Limits:
    lim: Limits = request.app.state.limits
    return lim


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_body_bytes``."""
    limit = settings(request).max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # let request.form() re-read the consumed stream
    return body


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _file_params(source: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in ("format", "filename", "kind", "channel"):
        value = source.get(name)
        if isinstance(value, str) and value:
            params[name] = value[:200]
    fs = source.get("sampling_rate_hz")
    if isinstance(fs, str) and fs:
        try:
            params["sampling_rate_hz"] = float(fs)
        except ValueError:
            params["sampling_rate_hz"] = -1.0
        if not 0 < params["sampling_rate_hz"] <= 100_000:
            raise ValidationFailed(
                "sampling_rate_hz must be a number in (0, 100000]",
                errors=[{"field": "sampling_rate_hz", "message": "expected 0 < x <= 100000"}],
            )
    return params


async def read_recording_body(request: Request) -> tuple[StoredBody, bytes]:
    """Parse the transport of a recording body into its storable form.

    Returns the stored body and the raw request bytes (for idempotency fingerprints).
    """
    raw = await read_body(request)
    mt = media_type(request)
    query = dict(request.query_params)
    if mt == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:  # python-multipart raises several types for bad bodies
            raise BadRequest(f"malformed multipart body: {exc}") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed(
                "multipart upload needs a 'file' part",
                errors=[{"field": "body.file", "message": "missing file part"}],
            )
        data = await upload.read()
        params = _file_params(form)
        if "filename" not in params and upload.filename:
            params["filename"] = upload.filename[:200]
        return StoredBody(FILE, params, data), raw
    if "format" in query:
        return StoredBody(FILE, _file_params(query), raw), raw
    if mt == JSON or mt.endswith("+json"):
        return StoredBody(JSON, {}, raw), raw
    if mt == OCTET:
        return StoredBody(OCTET, octet_params(query), raw), raw
    raise UnsupportedMediaType(
        f"content type {mt or '(none)'!r} is not accepted; send application/json, "
        "application/octet-stream (float32/float64 with ?kind=&sampling_rate_hz=), "
        "multipart/form-data with a file, or a file body with ?format="
    )
