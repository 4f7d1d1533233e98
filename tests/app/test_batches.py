"""Study batches over HTTP: ZIP checks, manifest, item errors, roles, tables, repeatability.

Items run in the test's own transaction (``batch_processes=0``), on SQLite and PostgreSQL.
Worker processes and restarts are in ``test_batches_workers.py``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import hrv
from app.auth import Principal, Role
from app.db.batches import BatchRepository
from app.db.database import BoundDatabase
from app.db.models import BatchItem, BatchResult
from app.jobs.batch_items import run_item
from app.services import batches as svc
from app.services.ingest import Limits
from hrv.simulate import rr_series
from tests.app.conftest import TenantKeys
from tests.app.test_recordings import with_recordings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_recordings"
HEADER = "file,participant,session,phase,kind,sampling_rate_hz,format,group,anxiety"


def rr_text(hr_bpm: float, hf_ms: float, seed: int, dur_s: float = 300) -> bytes:
    rr = rr_series(dur_s, mean_hr_bpm=hr_bpm, hf_amplitude_ms=hf_ms, lf_amplitude_ms=15,
                   noise_ms=3, seed=seed)
    return "".join(f"{x:.3f}\n" for x in rr).encode()


def study_zip(
    files: Mapping[str, bytes], manifest: str, *, prefix: str = "",
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(prefix + "manifest.csv", manifest)
        for name, data in {**files, **(extra or {})}.items():
            z.writestr(prefix + name, data)
    return buf.getvalue()


#: Two participants, pre and post; P1 relaxes (HR 74 -> 62, HF 12 -> 35 ms), P2 does not
#: change; a file that is not a recording; a manifest row whose file is missing.
FILES = {
    "p1_pre.txt": rr_text(74, 12, 11), "p1_post.txt": rr_text(62, 35, 12),
    "p2_pre.txt": rr_text(68, 20, 13), "p2_post.txt": rr_text(68, 20, 14),
    "notes.txt": b"participant felt cold\n",
}
MANIFEST = "\n".join([
    HEADER,
    "p1_pre.txt,P1,1,pre,rr,,rr_text,massage,7",
    "p1_post.txt,P1,1,post,rr,,rr_text,massage,3",
    "p2_pre.txt,P2,1,pre,,,,control,5",
    "p2_post.txt,P2,1,post,,,,control,5",
    "notes.txt,P3,1,pre,rr,,csv,control,",
    "gone.txt,P3,1,post,rr,,,control,",
]) + "\n"
STUDY = study_zip(FILES, MANIFEST)
ZIP = {"content-type": "application/zip"}


def submit(client: TestClient, tenant: TenantKeys, body: bytes = STUDY,
           role: str = "researcher") -> dict[str, object]:
    r = client.post("/v1/batches", content=body, headers={**tenant.auth(role), **ZIP})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/batches/{r.json()['id']}"
    out = client.get(r.headers["location"], headers=tenant.auth(role))
    assert out.status_code == 200
    return dict(out.json())


def results(client: TestClient, tenant: TenantKeys, batch_id: object, table: str = "tidy",
            fmt: str = "csv") -> bytes:
    r = client.get(f"/v1/batches/{batch_id}/results", params={"table": table, "format": fmt},
                   headers=tenant.auth("researcher"))
    assert r.status_code == 200, r.text
    return r.content


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


class TestSubmit:
    def test_zip_runs_every_item_and_bad_files_fail_alone(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        st = submit(client, tenant)
        assert st["status"] == "succeeded"
        assert (st["total"], st["done"], st["failed"]) == (6, 4, 2)
        assert st["progress"] == 1.0 and st["eta_s"] == 0.0
        errors = {e["file"]: e["error"] for e in st["errors"]}  # type: ignore[attr-defined]
        assert set(errors) == {"notes.txt", "gone.txt"}
        assert "not in the ZIP" in errors["gone.txt"] and "line 7" in errors["gone.txt"]
        assert "line 1" in errors["notes.txt"]  # the reader's own words, with the place
        # Every parameter of the analysis is recorded with the batch.
        assert hrv.AnalysisConfig.from_dict(st["config"]) == hrv.AnalysisConfig()  # type: ignore[arg-type]

    def test_numbers_are_the_librarys(self, client: TestClient, tenant: TenantKeys) -> None:
        st = submit(client, tenant)
        wide = {r["file"]: r for r in rows(results(client, tenant, st["id"], "wide"))}
        assert len(wide) == 6
        for name in ("p1_pre.txt", "p2_post.txt"):
            direct = hrv.analyze_recording(hrv.io.read_recording(FILES[name], "rr_text"))
            assert float(wide[name]["rmssd_ms"]) == direct.metrics.rmssd_ms
        # Known answers of the simulation: mean heart rate 74 and 62 bpm.
        assert float(wide["p1_pre.txt"]["mean_hr_bpm"]) == pytest.approx(74, abs=1.0)
        assert float(wide["p1_post.txt"]["mean_hr_bpm"]) == pytest.approx(62, abs=1.0)
        assert wide["gone.txt"]["status"] == "failed" and wide["gone.txt"]["rmssd_ms"] == ""

    def test_manifest_columns_in_every_row(self, client: TestClient, tenant: TenantKeys) -> None:
        st = submit(client, tenant)
        tidy = rows(results(client, tenant, st["id"]))
        ok = [r for r in tidy if r["status"] == "ok"]
        assert {r["metric"] for r in ok} >= {"rmssd_ms", "sdnn_ms", "hf_power_ms2"}
        assert all(r["group"] in ("massage", "control") and r["participant"] for r in tidy)
        assert {r["unit"] for r in ok if r["metric"] == "rmssd_ms"} == {"ms"}
        assert len({r["file"] for r in tidy}) == 6  # failed items are rows too

    def test_shift_per_pair_with_anxiety(self, client: TestClient, tenant: TenantKeys) -> None:
        st = submit(client, tenant)
        shifts = {r["participant"]: r for r in rows(results(client, tenant, st["id"], "shifts"))}
        assert set(shifts) == {"P1", "P2", "P3"}
        p1 = shifts["P1"]
        assert p1["verdict"] == "parasympathetic_increase" and p1["group"] == "massage"
        assert (p1["anxiety_pre"], p1["anxiety_post"]) == ("7.0", "3.0")
        assert shifts["P2"]["verdict"] in ("no_clear_change", "inconclusive")
        assert shifts["P3"]["status"] == "failed" and "failed" in shifts["P3"]["error"]

    def test_manifest_in_a_folder_and_config_json(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        files = {k: v for k, v in FILES.items() if k.startswith("p1")}
        manifest = "\n".join(MANIFEST.splitlines()[:3]) + "\n"
        body = study_zip(files, manifest, prefix="study/",
                         extra={"config.json": b'{"spectrum": {"method": "lomb"}}'})
        st = submit(client, tenant, body)
        assert st["status"] == "succeeded" and st["done"] == 2
        assert st["config"]["spectrum"]["method"] == "lomb"  # type: ignore[index]
        items = json.loads(results(client, tenant, st["id"], fmt="json"))
        assert items[0]["analysis"]["provenance"]["config"]["spectrum"]["method"] == "lomb"

    def test_multipart_with_config(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/batches", headers=tenant.auth("researcher"),
                        files={"file": ("study.zip", STUDY, "application/zip")},
                        data={"config": '{"spectrum": {"method": "lomb"}}'})
        assert r.status_code == 202, r.text
        assert r.json()["config"]["spectrum"]["method"] == "lomb"
        bad = client.post("/v1/batches", headers=tenant.auth("researcher"),
                          files={"file": ("study.zip", STUDY, "application/zip")},
                          data={"config": '{"spectrum": {"method": "fft"}}'})
        assert bad.status_code == 422 and "SpectrumMethod" in bad.json()["detail"]

    def test_recordings_already_uploaded(self, client: TestClient, tenant: TenantKeys) -> None:
        s = with_recordings(client, tenant)
        body = {"recordings": [
            {"session_id": s["id"], "phase": "pre", "participant": "C-1", "anxiety": "6"},
            {"session_id": s["id"], "phase": "post", "participant": "C-1", "anxiety": "2"},
        ]}
        r = client.post("/v1/batches", json=body, headers=tenant.auth("researcher"))
        assert r.status_code == 202, r.text
        st = client.get(r.headers["location"], headers=tenant.auth("researcher")).json()
        assert (st["status"], st["done"]) == ("succeeded", 2)
        shift = rows(results(client, tenant, st["id"], "shifts"))
        assert len(shift) == 1 and shift[0]["verdict"] == "parasympathetic_increase"
        assert shift[0]["anxiety_pre"] == "6.0"
        missing = client.post("/v1/batches", headers=tenant.auth("researcher"), json={
            "recordings": [{"session_id": s["id"], "phase": "during"}]})
        assert missing.status_code == 422 and "no during recording" in missing.json()["detail"]


class TestZipChecks:
    def post(self, client: TestClient, tenant: TenantKeys, body: bytes) -> tuple[int, str]:
        r = client.post("/v1/batches", content=body, headers={**tenant.auth("researcher"), **ZIP})
        return r.status_code, r.json().get("detail", "")

    def test_unsafe_paths(self, client: TestClient, tenant: TenantKeys) -> None:
        for name in ("../evil.txt", "/etc/evil.txt", "a\\..\\evil.txt", "C:/evil.txt"):
            body = study_zip({name: b"1\n"}, f"file\n{name}\n")
            code, detail = self.post(client, tenant, body)
            assert code == 422 and "unsafe path" in detail, name

    def test_expansion_ratio(self, client: TestClient, tenant: TenantKeys) -> None:
        # 10 MB of zeros deflate to about 10 kB: a thousand-fold expansion.
        body = study_zip({"bomb.txt": bytes(10_000_000)}, "file\nbomb.txt\n")
        code, detail = self.post(client, tenant, body)
        assert code == 413 and ("fold" in detail or "limit per file" in detail)

    def test_member_count(self, client: TestClient, tenant: TenantKeys, app: object) -> None:
        limit = client.app.state.settings.batch_max_items  # type: ignore[attr-defined]
        client.app.state.settings.batch_max_items = 3  # type: ignore[attr-defined]
        try:
            files = {f"f{i}.txt": b"800\n" for i in range(6)}
            code, detail = self.post(client, tenant, study_zip(files, "file\nf0.txt\n"))
        finally:
            client.app.state.settings.batch_max_items = limit  # type: ignore[attr-defined]
        assert code == 413 and "holds 7 files" in detail

    def test_bad_archives_and_manifests(self, client: TestClient, tenant: TenantKeys) -> None:
        assert self.post(client, tenant, b"not a zip")[0] == 422
        code, detail = self.post(client, tenant, study_zip({"a.txt": b"1"}, "", extra={}))
        assert code == 422 and "empty" in detail
        no_manifest = io.BytesIO()
        with zipfile.ZipFile(no_manifest, "w") as z:
            z.writestr("a.txt", "800\n")
        code, detail = self.post(client, tenant, no_manifest.getvalue())
        assert code == 422 and "manifest.csv" in detail
        code, detail = self.post(client, tenant, study_zip({}, "participant\nP1\n"))
        assert code == 422 and "'file' column" in detail
        code, detail = self.post(client, tenant, study_zip(
            {"a.txt": b"1"}, "file,format\na.txt,xls\n"))
        assert code == 422 and "xls" in detail and "rr_text" in detail
        code, detail = self.post(client, tenant, study_zip(
            {"a.txt": b"1"}, "file,sampling_rate_hz\na.txt,fast\n"))
        assert code == 422 and "line 2" in detail

    def test_unsupported_content_type(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/batches", content=b"x", headers={
            **tenant.auth("researcher"), "content-type": "text/plain"})
        assert r.status_code == 415


class TestAccess:
    def test_roles(self, client: TestClient, tenant: TenantKeys) -> None:
        for role in ("therapist", "integration"):
            r = client.post("/v1/batches", content=STUDY, headers={**tenant.auth(role), **ZIP})
            assert r.status_code == 403, role
        st = submit(client, tenant, role="admin")
        assert client.get(f"/v1/batches/{st['id']}", headers=tenant.auth("therapist")
                          ).status_code == 403
        assert client.get(f"/v1/batches/{st['id']}", headers=tenant.auth("researcher")
                          ).status_code == 200

    def test_other_tenant_sees_nothing(
        self, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
    ) -> None:
        st = submit(client, tenant)
        h = other_tenant.auth("researcher")
        for method, path in (("GET", ""), ("GET", "/results"), ("DELETE", "")):
            r = client.request(method, f"/v1/batches/{st['id']}{path}", headers=h)
            assert r.status_code == 404, (method, path)
        assert client.get(f"/v1/batches/{st['id']}", headers=tenant.auth("researcher")
                          ).json()["status"] == "succeeded"


def _recorded_not_run(bound_db: BoundDatabase, tenant: TenantKeys) -> str:
    """A batch recorded without being handed to a runner (as if workers were busy)."""
    principal = Principal("k", tenant.tenant_id, Role.RESEARCHER)
    limits = svc.ZipLimits(100, 10**9, 10**8, 100.0)
    with bound_db.session() as db:
        return svc.create_from_zip(db, principal, io.BytesIO(STUDY), limits, None).id


class TestLifecycle:
    def test_cancel_skips_items_not_started(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        batch_id = _recorded_not_run(bound_db, tenant)
        h = tenant.auth("researcher")
        st = client.get(f"/v1/batches/{batch_id}", headers=h).json()
        assert (st["status"], st["queued"], st["eta_s"]) == ("queued", 5, None)
        r = client.get(f"/v1/batches/{batch_id}/results", headers=h)
        assert r.status_code == 409 and "queued" in r.json()["detail"]
        st = client.delete(f"/v1/batches/{batch_id}", headers=h).json()
        assert (st["status"], st["cancelled"], st["queued"]) == ("cancelled", 5, 0)
        with bound_db.session() as db:
            ids = BatchRepository(db).item_ids(batch_id)
        # A worker that picks up a job of the cancelled batch does nothing.
        assert not any(run_item(bound_db, i, Limits(10**6, 10**5)) for i in ids)
        wide = rows(results(client, tenant, batch_id, "wide"))
        assert {r["error"] for r in wide} == {"cancelled before it ran",
                                              "'gone.txt' (manifest line 7) is not in the ZIP"}

    def test_retried_item_keeps_one_result(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        batch_id = _recorded_not_run(bound_db, tenant)
        with bound_db.session() as db:
            first = BatchRepository(db).item_ids(batch_id)[0]
        limits = Limits(10**6, 10**5)
        assert run_item(bound_db, first, limits)
        with bound_db.session() as db:
            # As if the worker died after writing, before its job was marked done.
            db.get(BatchItem, first).status = "running"  # type: ignore[union-attr]
        assert run_item(bound_db, first, limits)
        with bound_db.session() as db:
            res = db.scalars(select(BatchResult).where(BatchResult.item_id == first)).all()
            assert len(res) == 1 and res[0].writes == 2
            assert db.get(BatchItem, first).attempts == 2  # type: ignore[union-attr]
            n = db.scalar(select(func.count()).select_from(BatchResult)
                          .where(BatchResult.batch_id == batch_id))
            assert n == 1

    def test_same_batch_twice_gives_identical_files(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        a, b = submit(client, tenant), submit(client, tenant)
        assert a["id"] != b["id"]
        for table in ("tidy", "wide", "shifts"):
            for fmt in ("csv", "parquet", "json"):
                assert results(client, tenant, a["id"], table, fmt) == \
                    results(client, tenant, b["id"], table, fmt), (table, fmt)
        parquet = pq.read_table(io.BytesIO(results(client, tenant, a["id"], "wide", "parquet")))
        assert parquet.num_rows == 6 and "participant" in parquet.column_names
