"""Service errors and their mapping to RFC 9457 problem responses.

This is the one place where ``hrv.HRVError`` subclasses, the service's own errors and
framework errors become ``application/problem+json`` responses with stable ``type`` URIs.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from hrv.errors import (
    ConfigError,
    FormatError,
    HRVError,
    InsufficientDataError,
    InvalidInputError,
    UnsupportedFormatError,
)

__all__ = [
    "PROBLEM_BASE",
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "IdempotencyMismatch",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "install_error_handlers",
    "problem_response",
]

PROBLEM_BASE = "https://hrv-session.dev/problems/"
PROBLEM_JSON = "application/problem+json"
#: The status recorded when the client went away before its request body arrived
#: (nginx's "client closed request"): the client's doing, never a server error.
CLIENT_CLOSED_REQUEST = 499

_log = structlog.get_logger("app.errors")


class AppError(Exception):
    """Base of the service's own errors: an HTTP status, a stable slug and a detail."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(AppError):
    pass


class ValidationFailed(AppError):
    status = 422
    slug = "validation-error"
    title = "The request body or parameters are invalid"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid API key"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "The API key's role does not allow this"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Request body or sample count over the limit"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported content type"


class TooManyRequests(AppError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests for this API key"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)


class IdempotencyMismatch(AppError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


#: Seconds a client is asked to wait before retrying when the database is unavailable.
DB_RETRY_AFTER_S = 5

# hrv domain errors: (status, slug, title), most specific class first.
_HRV_MAP: list[tuple[type[HRVError], int, str, str]] = [
    (FormatError, 422, "malformed-file", "The file is malformed"),
    (UnsupportedFormatError, 415, "unsupported-format", "Unknown or unsupported file format"),
    (InsufficientDataError, 422, "insufficient-data", "Not enough data for the analysis"),
    (ConfigError, 422, "invalid-config", "Invalid analysis configuration"),
    (InvalidInputError, 422, "invalid-input", "The data cannot be analysed as given"),
    (HRVError, 422, "analysis-error", "The data cannot be analysed"),
]


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _hrv_problem(exc: HRVError, instance: str) -> Response:
    for cls, status, slug, title in _HRV_MAP:
        if isinstance(exc, cls):
            extra: dict[str, Any] = {"code": exc.code}
            if isinstance(exc, FormatError):
                if exc.line is not None:
                    extra["line"] = exc.line
                if exc.column is not None:
                    extra["column"] = exc.column
            return problem_response(status, slug, title, str(exc), instance=instance, extra=extra)
    raise AssertionError("unreachable: HRVError is in the map")


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        out.append({"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem-response handlers on ``app``."""

    async def on_app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        extra = {"errors": exc.errors} if exc.errors else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return problem_response(
            exc.status, exc.slug, exc.title, exc.detail,
            instance=request.url.path, extra=extra, headers=headers,
        )

    async def on_hrv_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HRVError)
        return _hrv_problem(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(
            422, ValidationFailed.slug, ValidationFailed.title, detail or "invalid request",
            instance=request.url.path, extra={"errors": errors},
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(
            exc.status_code, slug, str(exc.detail), str(exc.detail),
            instance=request.url.path, headers=getattr(exc, "headers", None),
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.error("unhandled_error", error_type=type(exc).__name__, path=request.url.path)
        return problem_response(
            500, "internal-error", "Internal server error",
            "An unexpected error occurred; it has been logged.", instance=request.url.path,
        )

    async def on_data_error(request: Request, exc: Exception) -> Response:
        # The database refused a value (e.g. PostgreSQL and a NUL character in text):
        # bad input, not a server fault. The driver's message may quote the value.
        _log.info("database_refused_value", error_type=type(exc).__name__)
        return problem_response(
            422, ValidationFailed.slug, ValidationFailed.title,
            "a value cannot be stored (text must not contain NUL characters)",
            instance=request.url.path,
        )

    async def on_db_unavailable(request: Request, exc: Exception) -> Response:
        # The database is down or unreachable (stopped, restarting, network): the request
        # may be retried once it is back. Its transaction was rolled back, so nothing of
        # it was written. The pool's pre-ping reconnects by itself when it returns.
        if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and not (
            exc.connection_invalidated
        ):
            return await on_unexpected(request, exc)
        _log.warning("database_unavailable", error_type=type(exc).__name__,
                     path=request.url.path)
        return problem_response(
            503, "database-unavailable", "The database is unavailable",
            "the service cannot reach its database; retry after the time in Retry-After",
            instance=request.url.path, headers={"Retry-After": str(DB_RETRY_AFTER_S)},
        )

    async def on_disconnect(request: Request, exc: Exception) -> Response:
        # Nobody is left to read this answer; it is what the access log and metrics see.
        _log.info("client_disconnected", path=request.url.path)
        return problem_response(
            CLIENT_CLOSED_REQUEST, "client-disconnected", "Client closed the request",
            "the client disconnected before its request body was received",
            instance=request.url.path,
        )

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(DataError, on_data_error)
    for unavailable in (OperationalError, DBAPIError, DisconnectionError, PoolTimeout):
        app.add_exception_handler(unavailable, on_db_unavailable)
    app.add_exception_handler(HRVError, on_hrv_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
