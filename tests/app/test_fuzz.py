"""No 500 for any bad input: random bodies, headers and query strings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.conftest import TenantKeys

_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=5),
    max_leaves=20,
)
_number = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
_analysis_like = st.fixed_dictionaries(
    {"kind": st.sampled_from(["rr", "ecg", "ppg", "x"])},
    optional={
        "rr_ms": st.lists(_number, max_size=40),
        "beat_times_s": st.lists(_number, max_size=40),
        "samples": st.lists(_number, max_size=40),
        "sampling_rate_hz": _number,
        "times_s": st.lists(_number, max_size=40),
        "valid": st.lists(st.booleans(), max_size=40),
        "gap_flags": st.lists(st.booleans(), max_size=40),
        "unit": st.sampled_from(["ms", "s", "1/1024s", "auto", "x"]),
        "config": _json,
    },
)
_session_like = st.fixed_dictionaries(
    {},
    optional={
        "client": st.text(max_size=300) | _json,
        "therapist": st.text(max_size=5) | _json,
        "started_at": st.text(max_size=30) | _json,
        "duration_min": _number,
        "questionnaire": st.sampled_from(["gad7", "stai6", "x"]),
        "pre": st.fixed_dictionaries({}, optional={"anxiety": _number,
                                                   "questionnaire_score": _number}),
    },
)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


class TestNo500:
    @FUZZ
    @given(body=_analysis_like | _json)
    def test_analyses_json(self, client: TestClient, tenant: TenantKeys, body: Any) -> None:
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        assert r.status_code < 500, (body, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"

    @FUZZ
    @given(raw=st.binary(max_size=200), ctype=st.sampled_from(
        ["application/octet-stream", "application/json", "text/plain", "multipart/form-data",
         "multipart/form-data; boundary=x", ""]),
        query=st.dictionaries(st.sampled_from(["kind", "dtype", "sampling_rate_hz", "format"]),
                              st.text(max_size=6), max_size=4))
    def test_analyses_raw(self, client: TestClient, tenant: TenantKeys, raw: bytes,
                          ctype: str, query: dict[str, str]) -> None:
        r = client.post("/v1/analyses", content=raw, params=query,
                        headers={**tenant.auth("integration"), "content-type": ctype})
        assert r.status_code < 500, (raw, ctype, query, r.text)

    @FUZZ
    @given(body=_session_like | _json)
    def test_sessions(self, client: TestClient, tenant: TenantKeys, body: Any) -> None:
        r = client.post("/v1/sessions", json=body, headers=tenant.auth("integration"))
        assert r.status_code < 500, (body, r.text)

    @FUZZ
    @given(params=st.dictionaries(
        st.sampled_from(["cursor", "limit", "client", "started_from", "modality"]),
        st.text(max_size=12), max_size=4))
    def test_listing_params(self, client: TestClient, tenant: TenantKeys,
                            params: dict[str, str]) -> None:
        r = client.get("/v1/sessions", params=params, headers=tenant.auth("admin"))
        assert r.status_code < 500, (params, r.text)
