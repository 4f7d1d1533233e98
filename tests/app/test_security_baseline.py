"""A therapist's report is built only from sessions that therapist can read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.app._signals import rr_body
from tests.app.conftest import TenantKeys
from tests.app.test_baseline_reports import HISTORY_HF_MS, _day, _put
from tests.app.test_recordings import POST, PRE
from tests.app.test_sessions import create


def _history(http: TestClient, tenant: TenantKeys, therapist: str) -> list[str]:
    ids = []
    for i, hf in enumerate(HISTORY_HF_MS):
        s = create(http, tenant, client="C-shared", therapist=therapist, started_at=_day(i + 1))
        rec = _put(http, tenant, s["id"], "pre", rr_body(hr_bpm=70, hf_ms=hf, seed=200 + i))
        assert rec["analysis"]["metrics"]["rmssd_ms"] > 0
        ids.append(s["id"])
    return ids


class TestBaselineAcrossTherapists:
    def test_therapist_never_sees_another_therapists_sessions(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        others = _history(client, tenant, "T-2")
        mine = create(client, tenant, client="C-shared", therapist="T-1", started_at=_day(20))
        _put(client, tenant, mine["id"], "pre", PRE)
        _put(client, tenant, mine["id"], "post", POST)
        url = f"/v1/sessions/{mine['id']}/report"

        as_t1 = client.get(url, headers=tenant.auth("therapist"))
        assert as_t1.status_code == 200
        baseline = as_t1.json()["baseline"]
        assert baseline["source"] == "published" and baseline["session_ids"] == []
        assert baseline["n_sessions"] == 0
        for sid in others:
            assert sid not in as_t1.text
        for accept in ("text/csv", "application/fhir+json"):
            export = client.get(url, headers={**tenant.auth("therapist"), "Accept": accept})
            assert export.status_code == 200 and not any(sid in export.text for sid in others)

        # The clinic-wide roles see the client's whole history, and its SWC differs.
        as_admin = client.get(url, headers=tenant.auth("admin")).json()
        assert as_admin["baseline"]["source"] == "client_history"
        assert sorted(as_admin["baseline"]["session_ids"]) == sorted(others)
        assert as_admin["provenance"]["swc_source"] == "baseline"
        assert as_t1.json()["provenance"]["swc_source"] != "baseline"
        # Reading the therapist's view again after the admin's is still their view.
        again = client.get(url, headers=tenant.auth("therapist")).json()
        assert again["baseline"]["session_ids"] == []

    def test_own_earlier_sessions_do_count(self, client: TestClient, tenant: TenantKeys) -> None:
        own = _history(client, tenant, "T-1")
        _history(client, tenant, "T-2")
        mine = create(client, tenant, client="C-shared", therapist="T-1", started_at=_day(20))
        _put(client, tenant, mine["id"], "pre", PRE)
        _put(client, tenant, mine["id"], "post", POST)
        out = client.get(f"/v1/sessions/{mine['id']}/report", headers=tenant.auth("therapist"))
        assert out.status_code == 200
        assert sorted(out.json()["baseline"]["session_ids"]) == sorted(own)
