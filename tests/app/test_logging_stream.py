"""Logging survives the replacement of sys.stderr after configuration (a closed stream
once turned every later log line, and so every request, into a ValueError)."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from app.observability import configure_logging


def test_log_after_the_configured_stream_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO", json=True)
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("t").info("after_close", n=1)
    assert '"event": "after_close"' in second.getvalue()
