"""HTTP request bodies: read within the limits, then turned into their storable form.

Everything about the transport lives here: the size and time limits of reading, the
content types, multipart parts and the query parameters of a binary body. What comes
out is a :class:`~app.services.ingest.StoredBody` (what is kept for re-analysis) or a
decoded JSON document; the services never see a request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from app.config import Settings
from app.errors import AppError, BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.services.ingest import FILE, JSON, OCTET, StoredBody, load_json

__all__ = [
    "MAX_DOCUMENT_ELEMENTS",
    "RequestTimeout",
    "octet_params",
    "read_body",
    "read_json_document",
    "read_recording_body",
]

_DTYPES = ("float32", "float64")
#: Most elements of any array in a JSON body that is not a recording (a session).
MAX_DOCUMENT_ELEMENTS = 10_000
#: Bytes of such a body outside its arrays.
_MAX_DOCUMENT_BYTES = 256 * 1024


class RequestTimeout(AppError):
    status = 408
    slug = "request-timeout"
    title = "The request body did not arrive in time"


def _settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_body_bytes``.

    A declared ``Content-Length`` over the limit is refused before a byte is read. A
    body whose next chunk takes longer than ``body_read_timeout_s`` is a 408, so a
    client that never finishes its upload holds a worker for that long at most.
    """
    cfg = _settings(request)
    limit = cfg.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    buf = bytearray()
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), cfg.body_read_timeout_s)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise RequestTimeout(
                f"no part of the body arrived for {cfg.body_read_timeout_s:g} s; "
                f"{len(buf)} bytes were received"
            ) from None
        if len(buf) + len(chunk) > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        buf += chunk
    body = bytes(buf)
    del buf
    request._body = body  # let request.form() re-read the consumed stream
    return body


async def read_json_document(request: Request) -> tuple[Any, bytes]:
    """A small JSON body (not a recording), decoded within tight limits, and its bytes."""
    raw = await read_body(request)
    try:
        return load_json(raw, MAX_DOCUMENT_ELEMENTS, _MAX_DOCUMENT_BYTES), raw
    except BadRequest as exc:
        raise ValidationFailed(exc.detail) from None


def _media_type(request: Request) -> str:
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


def octet_params(query: dict[str, str]) -> dict[str, Any]:
    """Validate the query parameters that describe a binary float array."""
    kind = query.get("kind")
    if kind not in ("ecg", "ppg", "rr"):
        raise ValidationFailed(
            "query parameter 'kind' must be one of 'ecg', 'ppg', 'rr' for a binary body",
            errors=[{"field": "query.kind", "message": "expected ecg, ppg or rr"}],
        )
    dtype = query.get("dtype", "float32")
    if dtype not in _DTYPES:
        raise ValidationFailed(
            f"dtype {dtype!r} is not supported; valid: 'float32', 'float64'",
            errors=[{"field": "query.dtype", "message": "expected float32 or float64"}],
        )
    params: dict[str, Any] = {"kind": kind, "dtype": dtype}
    if kind != "rr":
        try:
            fs = float(query.get("sampling_rate_hz", ""))
        except ValueError:
            fs = float("nan")
        if not (0 < fs <= 100_000):
            raise ValidationFailed(
                "query parameter 'sampling_rate_hz' must be a number in (0, 100000]",
                errors=[{"field": "query.sampling_rate_hz", "message": "expected 0 < x"}],
            )
        params["sampling_rate_hz"] = fs
    if "unit" in query:
        params["unit"] = query["unit"][:20]
    return params


async def read_recording_body(request: Request) -> tuple[StoredBody, bytes]:
    """Parse the transport of a recording body into its storable form.

    Returns the stored body and the raw request bytes (for idempotency fingerprints).
    """
    raw = await read_body(request)
    mt = _media_type(request)
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
