"""Rest-only control sessions (modality ``rest``) beside a session's report.

Rest sessions are created through the API with RR JSON whose HF amplitude rises by 10 %
from pre to post (lying still, no treatment); a treatment session with a large rise must
exceed them, one with the rest sessions' own small rise must not. Visibility follows the
baseline: a therapist's report never uses another therapist's rest sessions.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app._signals import rr_body
from tests.app.conftest import TenantKeys
from tests.app.test_recordings import POST, PRE
from tests.app.test_sessions import create


def _day(d: int) -> str:
    return f"2025-04-{d:02d}T10:00:00Z"


def _put(http: TestClient, tenant: TenantKeys, sid: str, phase: str, body: Any) -> None:
    r = http.put(f"/v1/sessions/{sid}/recordings/{phase}", json=body,
                 headers=tenant.auth("integration"))
    assert r.status_code in (200, 201), r.text


def rest_session(http: TestClient, tenant: TenantKeys, day: int, *, therapist: str = "T-1",
                 modality: str = "rest") -> str:
    """A completed rest-only session: HF amplitude 25 -> 27.5 ms (about +10 % RMSSD)."""
    s = create(http, tenant, started_at=_day(day), therapist=therapist, modality=modality)
    _put(http, tenant, s["id"], "pre", rr_body(hr_bpm=70, hf_ms=25.0, seed=200 + 2 * day))
    _put(http, tenant, s["id"], "post", rr_body(hr_bpm=69, hf_ms=27.5, seed=201 + 2 * day))
    return str(s["id"])


def treated_session(http: TestClient, tenant: TenantKeys, day: int = 20,
                    body: tuple[Any, Any] = (PRE, POST)) -> str:
    s = create(http, tenant, started_at=_day(day), modality="massage")
    _put(http, tenant, s["id"], "pre", body[0])
    _put(http, tenant, s["id"], "post", body[1])
    return str(s["id"])


def report(http: TestClient, tenant: TenantKeys, sid: str, role: str = "therapist") -> Any:
    r = http.get(f"/v1/sessions/{sid}/report", headers=tenant.auth(role))
    assert r.status_code == 200, r.text
    return r.json()


def test_rest_is_an_accepted_modality(client: TestClient, tenant: TenantKeys) -> None:
    sid = rest_session(client, tenant, 1, modality=" Rest ")
    got = client.get(f"/v1/sessions/{sid}", headers=tenant.auth("admin")).json()
    assert got["modality"] == "rest"
    listed = client.get("/v1/sessions?modality=rest", headers=tenant.auth("admin")).json()
    assert [s["id"] for s in listed["items"]] == [sid]


def test_no_rest_sessions_no_block(client: TestClient, tenant: TenantKeys) -> None:
    out = report(client, tenant, treated_session(client, tenant))
    assert out["rest_comparison"] is None
    # the summary of a rise says what rest alone does, once
    assert out["verdict"]["direction"] == "parasympathetic_increase"
    assert out["verdict"]["summary"].count("Rest alone also raises RMSSD") == 1


def test_a_large_rise_exceeds_the_clients_rest_sessions(
    client: TestClient, tenant: TenantKeys
) -> None:
    rests = [rest_session(client, tenant, d) for d in (1, 3, 5, 7)]
    sid = treated_session(client, tenant)
    out = report(client, tenant, sid)
    block = out["rest_comparison"]
    assert block is not None
    assert block["n_sessions"] == 4
    assert set(block["session_ids"]) == set(rests)
    # rest alone raised RMSSD by about the 10 % put into the HF amplitude
    assert 0.0 < block["rest_rmssd_pct"] < 20.0
    assert block["session_rmssd_pct"] > 50.0
    assert block["exceeded"] is True and block["outcome"] == "exceeded"
    assert "more than rest alone" in block["summary"]
    assert "4 rest-only sessions" in out["verdict"]["summary"]
    # the report page shows it in its own paragraph, once
    page = client.get(f"/v1/sessions/{sid}/report",
                      headers={**tenant.auth("therapist"), "Accept": "text/html"})
    assert page.status_code == 200
    assert "Compared with rest alone" in page.text
    assert page.text.count("4 rest-only sessions") == 1


def test_a_rise_like_rest_does_not_exceed_it(client: TestClient, tenant: TenantKeys) -> None:
    for d in (1, 3, 5, 7):
        rest_session(client, tenant, d)
    like_rest = (rr_body(hr_bpm=70, hf_ms=25.0, seed=300), rr_body(hr_bpm=69, hf_ms=27.5,
                                                                    seed=301))
    block = report(client, tenant, treated_session(client, tenant, body=like_rest))[
        "rest_comparison"]
    assert block is not None
    assert block["exceeded"] is False
    assert block["outcome"] == "within"


def test_another_therapists_rest_sessions_are_not_used(
    client: TestClient, tenant: TenantKeys
) -> None:
    own = [rest_session(client, tenant, d) for d in (1, 3)]
    other = [rest_session(client, tenant, d, therapist="T-2") for d in (5, 7, 9)]
    sid = treated_session(client, tenant)
    mine = report(client, tenant, sid)["rest_comparison"]
    assert mine["n_sessions"] == 2
    assert set(mine["session_ids"]) == set(own)
    assert not set(other) & set(mine["session_ids"])
    for sid_other in other:
        assert sid_other not in str(report(client, tenant, sid))
    # the clinic-wide reader sees all five
    clinic = report(client, tenant, sid, role="admin")["rest_comparison"]
    assert clinic["n_sessions"] == 5
    assert set(clinic["session_ids"]) == set(own) | set(other)


def test_another_therapist_alone_has_no_block(client: TestClient, tenant: TenantKeys) -> None:
    for d in (1, 3, 5):
        rest_session(client, tenant, d, therapist="T-2")
    out = report(client, tenant, treated_session(client, tenant))
    assert out["rest_comparison"] is None


def test_a_new_rest_session_changes_the_cached_report(
    client: TestClient, tenant: TenantKeys
) -> None:
    rest_session(client, tenant, 1)
    sid = treated_session(client, tenant)
    assert report(client, tenant, sid)["rest_comparison"]["n_sessions"] == 1
    rest_session(client, tenant, 25)  # a later control counts too
    assert report(client, tenant, sid)["rest_comparison"]["n_sessions"] == 2


def test_the_block_is_in_the_openapi_report(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    props = doc["components"]["schemas"]["Report"]["properties"]
    assert "rest_comparison" in props
    rest = doc["components"]["schemas"]["RestComparison"]
    for key in ("n_sessions", "rest_rmssd_pct", "session_rmssd_pct", "exceeded", "summary"):
        assert key in rest["properties"]


@pytest.mark.parametrize("role", ["therapist", "admin"])
def test_the_json_block_matches_its_schema(client: TestClient, tenant: TenantKeys,
                                           role: str) -> None:
    from app.schemas import RestComparisonOut

    rest_session(client, tenant, 1)
    rest_session(client, tenant, 3)
    block = report(client, tenant, treated_session(client, tenant), role=role)[
        "rest_comparison"]
    assert RestComparisonOut.model_validate(block).n_sessions == 2
