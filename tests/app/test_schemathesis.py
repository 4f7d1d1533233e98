"""The service against its own OpenAPI document, every operation, with schemathesis.

Each generated request (valid and invalid bodies and parameters) is sent with a valid
admin key, a valid therapist key and a key that does not exist. No response may be a
5xx, and each must match what the document says of its status, content type, headers
and body. ``HRV_SCHEMATHESIS_EXAMPLES`` sets the examples per operation and key (the
default keeps the run to about a minute); ``HRV_SCHEMATHESIS_COUNT_FILE`` names a file
that receives the number of cases run per key, for the reliability results.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.db.database import make_engine, migrate
from app.main import create_app
from benchmarks.reliability._server import make_tenant

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("HRV_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
_RUN: Counter[str] = Counter()


def _service() -> tuple[FastAPI, dict[str, str]]:
    """An app on its own SQLite file; built at import, since the schema is needed then."""
    path = Path(tempfile.mkdtemp(prefix="hrv-schemathesis-")) / "hrv.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    keys = make_tenant(url)
    keys["invalid"] = "hrv_" + "0" * 40
    app = create_app(Settings(
        database_url=url, migrate_on_startup=False,
        log_level=os.environ.get("HRV_SCHEMATHESIS_LOG", "CRITICAL"),
        max_body_bytes=2_000_000, max_samples=200_000, max_intervals=20_000,
        idempotency_purge_interval_s=0,
    ))
    return app, keys


APP, KEYS = _service()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    count_file = os.environ.get("HRV_SCHEMATHESIS_COUNT_FILE")
    if count_file:
        with Path(count_file).open("a") as f:
            for key, n in sorted(_RUN.items()):
                f.write(f"{key}\t{n}\n")


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))


def _check(case: schemathesis.Case, role: str, keys: dict[str, str]) -> None:
    _RUN[role] += 1
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {keys[role]}"}, checks=CHECKS
    )
    _RUN[f"{role} {response.status_code}"] += 1
    if role == "invalid" and not case.path.startswith(("/healthz", "/readyz")):
        # An unknown key never reaches data; only refusals that come before the key
        # is looked at (a malformed request, a wrong method) may replace the 401.
        assert response.status_code in (400, 401, 404, 405, 406, 408, 413, 415, 422), (
            case.method, case.path, response.status_code
        )


@schema.parametrize()
@_SETTINGS
def test_admin_key(case: schemathesis.Case) -> None:
    _check(case, "admin", KEYS)


@schema.parametrize()
@_SETTINGS
def test_therapist_key(case: schemathesis.Case) -> None:
    _check(case, "therapist", KEYS)


@schema.parametrize()
@_SETTINGS
def test_unknown_key(case: schemathesis.Case) -> None:
    _check(case, "invalid", KEYS)
