"""Structured logs with a request id, and Prometheus metrics.

Logs name the route template, status and timing only: never signal data, query strings
or client references.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from typing import Any

import orjson
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "RequestContextMiddleware", "configure_logging"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = structlog.get_logger("app.request")



def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog (idempotent; the last call wins)."""
    lvl = logging.getLevelName(level.upper())
    if not isinstance(lvl, int):
        lvl = logging.INFO
    _INFO_ENABLED[0] = lvl <= logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        # sys.stderr looked up per logger, not once: a stream replaced since (and
        # closed) must not break logging.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


# Whether the structlog configuration of :func:`configure_logging` emits INFO lines.
_INFO_ENABLED = [True]


class Metrics:
    """Prometheus metrics in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hrv_http_requests_total", "HTTP requests",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "hrv_http_request_duration_seconds", "HTTP request latency",
            ["method", "route"], registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.in_flight = Gauge(
            "hrv_http_requests_in_flight", "Requests being served", registry=self.registry
        )
        self.analyses = Counter(
            "hrv_analyses_total", "Recordings analysed", ["kind", "outcome"],
            registry=self.registry,
        )
        # labels() takes a lock and builds a key on every call; children are cached.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and record its latency."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)),
                        self.latency.labels(method, route))
            if len(self._children) < 10_000:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


_INTERNAL_ERROR_BODY = orjson.dumps({
    "type": "https://hrv-session.dev/problems/internal-error",
    "title": "Internal server error",
    "status": 500,
    "detail": "An unexpected error occurred; it has been logged with this request's "
              "X-Request-ID.",
})


def _internal_error_start() -> Message:
    return {
        "type": "http.response.start",
        "status": 500,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(_INTERNAL_ERROR_BODY)).encode()),
        ],
    }


def _where(exc: BaseException) -> list[str]:
    """Code locations of a traceback (file:line function), without any values."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames]


def _route_template(app: Any, scope: Scope) -> str:
    found = scope.get("route")
    if found is not None and hasattr(found, "path"):
        return str(found.path)
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", scope.get("path", "")))
    return "unmatched"


class RequestContextMiddleware:
    """Pure ASGI middleware: request id in/out, one access-log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, router: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_wrapper(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            # Answer here rather than in Starlette's outermost error middleware, so the
            # 500 carries the request id. The message is not logged: it may hold data.
            _log.error("unhandled_error", error_type=type(exc).__name__,
                       where=_where(exc), path_template=_route_template(self.router, scope))
            if started:
                raise
            await send_wrapper(_internal_error_start())
            await send_wrapper({"type": "http.response.body", "body": _INTERNAL_ERROR_BODY})
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            route = _route_template(self.router, scope)
            method = scope.get("method", "")
            self.metrics.observe(method, route, status, elapsed)
            if _INFO_ENABLED[0]:  # skip building the access line when INFO is off
                _log.info(
                    "request", method=method, route=route, status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")
