"""The pages over HTTP: ownership (404 for another therapist), CSRF on every form,
escaping, charts with their numbers, upload, content negotiation, PDF, FHIR."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pypdf
import pytest
from fastapi.testclient import TestClient

from app.db.database import BoundDatabase
from tests.web.conftest import SAMPLES, Accounts, csrf_of, seed_session, sign_in

XSS = '<script>alert("x")</script>'


def _svgs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<svg [^>]*id="(chart-[a-z]+)".*?</svg>', html, flags=re.S)
                and [(m.group(1), m.group(0)) for m in
                     re.finditer(r'<svg [^>]*id="(chart-[a-z]+)".*?</svg>', html, flags=re.S)])


class TestOwnership:
    def test_second_therapist_gets_404(self, client: TestClient, bound_db: BoundDatabase,
                                       accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-own")
        own = TestClient(client.app)
        sign_in(own, "ther1")
        page = own.get("/clients")
        client_link = re.search(r'href="(/clients/[0-9a-f]{32})">C-own<', page.text)
        assert client_link
        assert own.get(f"/sessions/{sid}").status_code == 200

        csrf2 = sign_in(client, "ther2")
        assert "C-own" not in client.get("/clients").text
        for url in (client_link.group(1), f"/sessions/{sid}", f"/sessions/{sid}/report.pdf"):
            r = client.get(url)
            assert r.status_code == 404, url
            assert "C-own" not in r.text
        # Their own valid CSRF token does not open the first therapist's session.
        files = {"pre": ("p.txt", (SAMPLES / "nsr001_pre.txt").read_bytes())}
        r = client.post(f"/sessions/{sid}/upload", data={"csrf_token": csrf2}, files=files)
        assert r.status_code == 404
        # The first therapist's token is bound to the first therapist's browser session.
        csrf1 = csrf_of(own.get("/clients").text)
        r = client.post(f"/sessions/{sid}/upload", data={"csrf_token": csrf1}, files=files)
        assert r.status_code == 403

    def test_admin_sees_the_whole_clinic(self, client: TestClient, bound_db: BoundDatabase,
                                         accounts: Accounts) -> None:
        seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-a")
        seed_session(bound_db, accounts.tenant.tenant_id, "T-2", "C-b")
        sign_in(client, "boss")
        text = client.get("/clients").text
        assert "C-a" in text and "C-b" in text

    def test_other_tenant_session_404(self, client: TestClient, bound_db: BoundDatabase,
                                      accounts: Accounts, other_tenant: object) -> None:
        sid = seed_session(bound_db, other_tenant.tenant_id, "T-1", "C-x")  # type: ignore[attr-defined]
        sign_in(client, "boss")
        assert client.get(f"/sessions/{sid}").status_code == 404


class TestForms:
    def test_every_form_carries_a_csrf_token(self, client: TestClient, bound_db: BoundDatabase,
                                             accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1")
        sign_in(client, "boss")
        for url in ("/clients", f"/sessions/{sid}", "/admin/accounts"):
            html = client.get(url).text
            forms = re.findall(r"<form.*?</form>", html, flags=re.S)
            assert forms, url
            assert all('name="csrf_token"' in f for f in forms), url

    def test_create_session_without_token_refused(self, client: TestClient,
                                                  accounts: Accounts) -> None:
        sign_in(client, "ther1")
        r = client.post("/sessions", data={"client": "C-new"})
        assert r.status_code == 403
        assert "C-new" not in client.get("/clients").text

    def test_create_and_upload(self, client: TestClient, accounts: Accounts) -> None:
        csrf = sign_in(client, "ther1")
        files = {"pre": ("nsr001_pre.txt", (SAMPLES / "nsr001_pre.txt").read_bytes()),
                 "post": ("nsr001_post.txt", (SAMPLES / "nsr001_post.txt").read_bytes())}
        r = client.post("/sessions", data={
            "csrf_token": csrf, "client": "C-up", "started_at": "2025-03-04T10:00",
            "anxiety_pre": "6", "anxiety_post": "2.5"}, files=files)
        assert r.status_code == 200
        assert re.search(r"/sessions/[0-9a-f]{32}$", str(r.url))
        assert "Key markers before" in r.text and len(_svgs(r.text)) == 4
        assert "6.0 before → 2.5 after" in r.text

    def test_bad_file_explained_in_words(self, client: TestClient, bound_db: BoundDatabase,
                                         accounts: Accounts) -> None:
        csrf = sign_in(client, "ther1")
        r = client.post("/sessions", data={"csrf_token": csrf, "client": "C-bad"},
                        files={"pre": ("junk.bin", b"\x00\x01not a recording")})
        assert r.status_code in (415, 422)
        assert 'class="form-error"' in r.text
        assert "file" in r.text.lower()


class TestEscaping:
    def test_script_payloads_are_text(self, client: TestClient, bound_db: BoundDatabase,
                                      accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", XSS, notes=XSS)
        sign_in(client, "ther1")
        for url in ("/clients", f"/sessions/{sid}"):
            html = client.get(url).text
            assert XSS not in html
            assert "&lt;script&gt;alert(" in html


class TestReportPage:
    def test_verdict_markers_and_charts(self, client: TestClient, bound_db: BoundDatabase,
                                        accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1")
        sign_in(client, "ther1")
        html = client.get(f"/sessions/{sid}").text
        report = client.get(f"/v1/sessions/{sid}/report",
                            headers=accounts.tenant.auth("therapist")).json()
        verdict = report["verdict"]
        assert verdict["summary"] in html.replace("&#39;", "'")
        assert f"Confidence: {verdict['confidence_label']}" in html
        charts = _svgs(html)
        assert set(charts) == {"chart-tachogram", "chart-spectrum", "chart-poincare",
                               "chart-windowed"}
        for svg in charts.values():
            assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
            assert "<polyline" in svg or "<circle" in svg
        # The text alternatives state hrv's numbers.
        pre, post = report["pre"]["metrics"], report["post"]["metrics"]
        assert f"SD1 {pre['sd1_ms']:.1f} ms" in charts["chart-poincare"]
        assert f"(mean {post['mean_hr_bpm']:.1f})" in charts["chart-tachogram"]
        rate = report["pre"]["respiration"]["rate_bpm"]
        assert f"breathing {rate:,.1f} breaths/min" in charts["chart-spectrum"]
        assert f"HF power {pre['hf_power_ms2']:,.0f} ms²" in charts["chart-spectrum"]

    def test_charts_cached_per_report_version(self, app: object, client: TestClient,
                                              bound_db: BoundDatabase,
                                              accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1")
        csrf = sign_in(client, "ther1")
        first = client.get(f"/sessions/{sid}").text
        cache = app.state.chart_cache  # type: ignore[attr-defined]
        keys = [k for k in cache._items if k[0] == sid]
        assert len(keys) == 1
        assert client.get(f"/sessions/{sid}").text.count("<svg") == first.count("<svg")
        # A new recording is a new report version: new charts.
        files = {"post": ("nsr001_post.txt", (SAMPLES / "nsr001_post.txt").read_bytes())}
        client.post(f"/sessions/{sid}/upload", data={"csrf_token": csrf}, files=files)
        assert len([k for k in cache._items if k[0] == sid]) == 2

    def test_incomplete_session_asks_for_recordings(self, client: TestClient,
                                                    accounts: Accounts) -> None:
        csrf = sign_in(client, "ther1")
        r = client.post("/sessions", data={"csrf_token": csrf, "client": "C-empty"})
        assert r.status_code == 200 and "Recordings needed" in r.text
        sid = str(r.url).rsplit("/", 1)[-1]
        assert client.get(f"/sessions/{sid}/report.pdf").status_code == 409

    def test_course_lists_sessions_in_order(self, client: TestClient, bound_db: BoundDatabase,
                                            accounts: Accounts) -> None:
        for _ in range(3):
            seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-course")
        sign_in(client, "ther1")
        link = re.search(r'href="(/clients/[0-9a-f]{32})">C-course<', client.get("/clients").text)
        assert link
        html = client.get(link.group(1)).text
        assert 'id="chart-course"' in html
        assert html.count('href="/sessions/') == 3
        assert "Course over 3 session(s)" in html


class TestNegotiation:
    def test_406_lists_the_types(self, client: TestClient, bound_db: BoundDatabase,
                                 accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1")
        r = client.get(f"/v1/sessions/{sid}/report",
                       headers={**accounts.tenant.auth("admin"), "Accept": "image/png"})
        assert r.status_code == 406
        body = r.json()
        assert set(body["available"]) == {"application/json", "application/fhir+json",
                                          "text/csv", "text/html", "application/pdf"}

    def test_html_and_pdf_by_accept(self, client: TestClient, bound_db: BoundDatabase,
                                    accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-pdf")
        auth = accounts.tenant.auth("therapist")
        verdict = client.get(f"/v1/sessions/{sid}/report", headers=auth).json()["verdict"]
        r = client.get(f"/v1/sessions/{sid}/report", headers={**auth, "Accept": "text/html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "<form" not in r.text and 'id="chart-spectrum"' in r.text
        r = client.get(f"/v1/sessions/{sid}/report",
                       headers={**auth, "Accept": "application/pdf"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        pdf = pypdf.PdfReader(io.BytesIO(r.content))
        assert 1 <= len(pdf.pages) <= 3
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
        first_words = " ".join(verdict["summary"].split()[:6])
        assert first_words in text
        assert "C-pdf" in text and "hrv" in text
        # Another therapist's key: 404, as for JSON.
        r = client.get(f"/v1/sessions/{sid}/report",
                       headers={**accounts.tenant.auth("therapist2"), "Accept": "text/html"})
        assert r.status_code == 404

    def test_fhir_verdict_grade_and_recording_times(self, client: TestClient,
                                                    bound_db: BoundDatabase,
                                                    accounts: Accounts) -> None:
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1")
        auth = accounts.tenant.auth("admin")
        report = client.get(f"/v1/sessions/{sid}/report", headers=auth).json()
        bundle = client.get(f"/v1/sessions/{sid}/report",
                            headers={**auth, "Accept": "application/fhir+json"}).json()
        obs = [e["resource"] for e in bundle["entry"]]
        by_code: dict[str, list[dict[str, Any]]] = {}
        for o in obs:
            by_code.setdefault(o["code"]["coding"][0]["code"], []).append(o)
        verdict = by_code["session-verdict"][0]
        assert verdict["valueCodeableConcept"]["coding"][0]["code"] == \
            report["verdict"]["direction"]
        markers = [o for k, v in by_code.items()
                   if k not in ("session-verdict", "quality-grade") for o in v]
        assert len(verdict["derivedFrom"]) == len(markers)
        grades = {o["extension"][0]["valueCode"]: o["valueCodeableConcept"]["coding"][0]["code"]
                  for o in by_code["quality-grade"]}
        assert grades == {"pre": report["pre"]["quality"]["grade"],
                          "post": report["post"]["quality"]["grade"]}
        hr = {o["extension"][0]["valueCode"]: o["effectiveDateTime"] for o in by_code["8867-4"]}
        assert hr["pre"] < hr["post"]  # each carries its own recording's time


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class TestPdfFetchesNothing:
    def test_fetcher_refuses_files_and_http(self) -> None:
        from app.web.pdf import StaticOnlyFetcher, render_pdf

        server = HTTPServer(("127.0.0.1", 0), _Recorder)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/probe.png"
        try:
            fetcher = StaticOnlyFetcher()
            html = (f'<p>x</p><img src="file:///etc/passwd"><img src="{url}">'
                    f'<link rel="stylesheet" href="{url}">'
                    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                    '<link rel="stylesheet" href="/static/web.css">'
                    '<img src="/static/../pdf.py">')
            pdf = render_pdf(html, fetcher)
        finally:
            server.shutdown()
        assert pdf.startswith(b"%PDF")
        assert _Recorder.hits == []
        assert "file:///etc/passwd" in fetcher.refused and url in fetcher.refused
        assert not any("web.css" in u for u in fetcher.refused)  # own static file served
        assert any(u.endswith("pdf.py") for u in fetcher.refused)  # no way out of static/
        assert b"root:x:0:0" not in pdf

    def test_note_with_payloads_fetches_nothing(self, client: TestClient,
                                                bound_db: BoundDatabase, accounts: Accounts,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        from app.web import pdf as pdf_module

        seen: list[str] = []
        original = pdf_module.StaticOnlyFetcher.fetch

        def spy(self: object, url: str, headers: object = None) -> object:
            seen.append(url)
            return original(self, url, headers)  # type: ignore[arg-type]

        monkeypatch.setattr(pdf_module.StaticOnlyFetcher, "fetch", spy)
        note = ('<img src="file:///etc/passwd"> <img src="http://127.0.0.1:9/x.png"> '
                '<link rel="stylesheet" href="http://127.0.0.1:9/a.css">')
        sid = seed_session(bound_db, accounts.tenant.tenant_id, "T-1", "C-1", notes=note)
        sign_in(client, "ther1")
        r = client.get(f"/sessions/{sid}/report.pdf")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert seen and all("/static/" in u or u.startswith("data:") for u in seen)
        pages = pypdf.PdfReader(io.BytesIO(r.content)).pages
        text = " ".join(p.extract_text() or "" for p in pages)
        assert "file:///etc/passwd" in text  # the note is shown as text
