"""Recordings (stored compressed, idempotent), reports in JSON, FHIR and CSV, re-analysis."""

from __future__ import annotations

import csv
import io
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.database import BoundDatabase
from app.db.models import Recording
from tests.app._signals import rr_body
from tests.app.conftest import TenantKeys
from tests.app.test_sessions import SESSION, create

# A true vagal increase: HR 74 -> 62 bpm, HF amplitude 12 -> 35 ms.
PRE = rr_body(hr_bpm=74, hf_ms=12, seed=11)
POST = rr_body(hr_bpm=62, hf_ms=35, seed=12)


def with_recordings(http: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    s = create(http, tenant)
    for phase, body in (("pre", PRE), ("post", POST)):
        r = http.put(f"/v1/sessions/{s['id']}/recordings/{phase}", json=body,
                     headers=tenant.auth("integration"))
        assert r.status_code == 201, r.text
    return s


class TestRecordings:
    def test_stored_compressed_before_response(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        s = create(client, tenant)
        r = client.put(f"/v1/sessions/{s['id']}/recordings/pre", json=PRE,
                       headers=tenant.auth("integration"))
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["phase"] == "pre" and out["kind"] == "rr"
        assert out["analysis"]["metrics"]["mean_hr_bpm"] == pytest.approx(74, abs=1.0)
        with bound_db.session() as db:
            row = db.scalars(select(Recording).where(Recording.id == out["id"])).one()
            raw = zlib.decompress(row.raw)
            assert len(row.raw) < len(raw) == row.raw_bytes
            assert raw == r.request.content
        got = client.get(f"/v1/sessions/{s['id']}/recordings/pre", headers=tenant.auth("admin"))
        assert got.status_code == 200 and got.json()["sha256"] == out["sha256"]
        assert client.get(f"/v1/sessions/{s['id']}", headers=tenant.auth("admin")).json()[
            "recordings"] == ["pre"]

    def test_replace_returns_200(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        url = f"/v1/sessions/{s['id']}/recordings/pre"
        h = tenant.auth("integration")
        assert client.put(url, json=PRE, headers=h).status_code == 201
        assert client.put(url, json=POST, headers=h).status_code == 200

    def test_idempotent_retry(self, client: TestClient, tenant: TenantKeys,
                              bound_db: BoundDatabase) -> None:
        s = create(client, tenant)
        url = f"/v1/sessions/{s['id']}/recordings/post"
        h = {**tenant.auth("integration"), "Idempotency-Key": "upload-1"}
        a = client.put(url, json=POST, headers=h)
        b = client.put(url, json=POST, headers=h)
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] == b.json()["id"]
        with bound_db.session() as db:
            assert len(db.scalars(select(Recording)).all()) == 1
        c = client.put(url, json=PRE, headers=h)
        assert c.status_code == 422 and c.json()["type"].endswith("/idempotency-key-reused")

    def test_unknown_phase_422(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.put(f"/v1/sessions/{s['id']}/recordings/during", json=PRE,
                       headers=tenant.auth("integration"))
        assert r.status_code == 422

    def test_rejected_recording_not_stored(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.put(f"/v1/sessions/{s['id']}/recordings/pre",
                       json={"kind": "rr", "rr_ms": [800, 0, -1]},
                       headers=tenant.auth("integration"))
        assert r.status_code == 422
        r = client.get(f"/v1/sessions/{s['id']}/recordings/pre", headers=tenant.auth("admin"))
        assert r.status_code == 404

    def test_researcher_cannot_upload(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.put(f"/v1/sessions/{s['id']}/recordings/pre", json=PRE,
                       headers=tenant.auth("researcher"))
        assert r.status_code == 403


class TestReport:
    def test_needs_both_recordings(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.get(f"/v1/sessions/{s['id']}/report", headers=tenant.auth("admin"))
        assert r.status_code == 409
        assert "pre" in r.json()["detail"]

    def test_json_report(self, client: TestClient, tenant: TenantKeys) -> None:
        s = with_recordings(client, tenant)
        r = client.get(f"/v1/sessions/{s['id']}/report", headers=tenant.auth("therapist"))
        assert r.status_code == 200, r.text
        rep = r.json()
        assert {"pre", "post", "changes", "verdict", "trend"} <= set(rep)
        # Truth: the simulated mean rates, within 1 bpm.
        assert rep["pre"]["metrics"]["mean_hr_bpm"] == pytest.approx(74, abs=1.0)
        assert rep["post"]["metrics"]["mean_hr_bpm"] == pytest.approx(62, abs=1.0)
        assert rep["changes"]["rmssd_ms"]["delta"] > 0
        assert rep["verdict"]["direction"] in (
            "parasympathetic_increase", "parasympathetic_decrease", "no_clear_change",
            "inconclusive")
        assert rep["self_report"]["pre"]["anxiety"] == SESSION["pre"]["anxiety"]
        # Served from the cache the second time, identical.
        again = client.get(f"/v1/sessions/{s['id']}/report", headers=tenant.auth("admin"))
        assert again.json() == rep

    def test_fhir_bundle(self, client: TestClient, tenant: TenantKeys) -> None:
        s = with_recordings(client, tenant)
        r = client.get(f"/v1/sessions/{s['id']}/report",
                       headers={**tenant.auth("researcher"), "Accept": "application/fhir+json"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/fhir+json")
        bundle = r.json()
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        obs = [e["resource"] for e in bundle["entry"]]
        assert all(o["resourceType"] == "Observation" and o["status"] == "final" for o in obs)
        assert len({e["fullUrl"] for e in bundle["entry"]}) == len(obs)
        codes = {(c["system"], c["code"]) for o in obs for c in o["code"]["coding"]}
        assert ("http://loinc.org", "8867-4") in codes
        assert ("http://loinc.org", "80404-7") in codes
        own = "https://hrv-session.dev/fhir/CodeSystem/hrv-markers"
        assert (own, "rmssd") in codes
        # No LOINC code is invented for RMSSD.
        assert not any(c[0] == "http://loinc.org" and c[1] not in ("8867-4", "80404-7")
                       for c in codes)
        hr = [o for o in obs if o["code"]["coding"][0]["code"] == "8867-4"]
        phases = {o["extension"][0]["valueCode"]: o["valueQuantity"] for o in hr}
        assert phases["pre"]["value"] == pytest.approx(74, abs=1.0)
        assert phases["pre"]["code"] == "/min"
        assert obs[0]["subject"]["identifier"]["value"] == SESSION["client"]

    def test_csv(self, client: TestClient, tenant: TenantKeys) -> None:
        s = with_recordings(client, tenant)
        r = client.get(f"/v1/sessions/{s['id']}/report",
                       headers={**tenant.auth("researcher"), "Accept": "text/csv"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        markers = {row["marker"]: row for row in rows}
        assert "rmssd_ms" in markers and "mean_hr_bpm" in markers
        assert float(markers["mean_hr_bpm"]["pre"]) == pytest.approx(74, abs=1.0)
        assert float(markers["rmssd_ms"]["delta"]) > 0
        assert all(row["session_id"] == s["id"] for row in rows)
        assert markers["rmssd_ms"]["anxiety_pre"] == "7.0"


class TestReanalysis:
    def test_inprocess_job(self, client: TestClient, tenant: TenantKeys) -> None:
        s = with_recordings(client, tenant)
        r = client.post(f"/v1/sessions/{s['id']}/reanalyze", headers=tenant.auth("researcher"))
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/v1/jobs/{job['id']}"
        # The in-process runner has finished by the time the test client returns.
        got = client.get(f"/v1/jobs/{job['id']}", headers=tenant.auth("researcher")).json()
        assert got["status"] == "succeeded", got
        assert got["result"]["phases"] == ["post", "pre"]
        assert got["result"]["direction"] is not None

    def test_integration_cannot_reanalyze(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.post(f"/v1/sessions/{s['id']}/reanalyze", headers=tenant.auth("integration"))
        assert r.status_code == 403

    def test_unknown_job_404(self, client: TestClient, tenant: TenantKeys) -> None:
        assert client.get("/v1/jobs/" + "0" * 32, headers=tenant.auth("admin")).status_code == 404
