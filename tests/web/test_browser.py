"""The pages in a real browser: Playwright driving Debian's Chromium against uvicorn.

Chromium must be at /usr/bin/chromium (``apt-get install chromium``; .ci/run installs
it). Without it these tests fail with that message: they never skip.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
import pytest

from app.auth import Principal, Role
from app.db.database import Database, migrate
from app.schemas import Phase, SessionCreate
from app.services import sessions as svc
from app.services.keys import create_tenant
from app.web.accounts import create_account
from tests.web.conftest import LIMITS, PASSWORD, SAMPLES, file_body

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
XSS_REF = '<script>window.__xss=1</script>C'
XSS_NOTE = '<img src=x onerror="window.__xss=2"><script>window.__xss=3</script>'
CHARTS = ("chart-tachogram", "chart-spectrum", "chart-poincare", "chart-windowed")


@dataclass
class Server:
    url: str
    sessions: dict[str, str]
    clients: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(url: str) -> dict[str, str]:
    db = Database.from_url(url)
    migrate(db.engine)
    out: dict[str, str] = {}
    with db.session() as s:
        tenant, _ = create_tenant(s, "Browser Test Clinic")
        tid = tenant.id
        create_account(s, tid, "ther1", PASSWORD, Role.THERAPIST, therapist="T-1",
                       display_name="First Therapist")
        create_account(s, tid, "ther2", PASSWORD, Role.THERAPIST, therapist="T-2")
    admin = Principal(key_id="seed", tenant_id=tid, role=Role.ADMIN)
    for week, (label, ref, notes) in enumerate((
        ("ecg", "C-browser", "5-minute ECGs before and after"),
        ("ecg2", "C-browser", None), ("xss", XSS_REF, XSS_NOTE),
    )):
        with db.session() as s:
            created = svc.create_session(s, admin, SessionCreate(
                client=ref, therapist="T-1", modality="massage", notes=notes,
                started_at=dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC) + dt.timedelta(weeks=week),
                pre={"anxiety": 6}, post={"anxiety": 3},  # type: ignore[arg-type]
            ))
            for phase in Phase:
                svc.put_recording(s, admin, created.id, phase,
                                  file_body(f"mitdb101_{phase.value}.edf"), LIMITS, 1)
            out[label] = created.id
    db.dispose()
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("browser") / "pages.db"
    url = f"sqlite:///{path}"
    sessions = _seed(url)
    port = _free_port()
    env = {**os.environ, "HRV_DATABASE_URL": url, "HRV_MIGRATE_ON_STARTUP": "false",
           "HRV_LOG_LEVEL": "WARNING", "HRV_IDEMPOTENCY_PURGE_INTERVAL_S": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"uvicorn exited: {err[-2000:]}")
                time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not answer /healthz within 30 s")
        yield Server(base, sessions)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the browser tests and is not at {CHROMIUM}: "
                    "apt-get install chromium (.ci/run does this)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, failed requests, error responses and any off-machine request."""

    def __init__(self, context: Any, base: str) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.bad: list[str] = []
        self.outside: list[str] = []
        self.base = base

        def route(r: Any) -> None:
            if r.request.url.startswith(base) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        context.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        context.on("weberror", lambda e: self.errors.append(str(e.error)))
        def failed(r: Any) -> None:
            # A request the browser itself cancelled (the page moved on, e.g. to a
            # download) is not a failure of the service.
            if "ERR_ABORTED" not in (r.failure or ""):
                self.failed.append(f"{r.url} {r.failure}")

        context.on("requestfailed", failed)
        context.on("response", lambda r: self.bad.append(f"{r.status} {r.url}")
                   if r.status >= 400 else None)

    def clean(self) -> None:
        assert self.outside == [], self.outside
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.bad == [], self.bad
        assert self.outside == [], self.outside


def _context(browser: Any, server: Server, **kwargs: Any) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  accept_downloads=True, **kwargs)
    watch = Watch(context, server.url)
    return context, context.new_page(), watch


def _sign_in(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clients")


def _assert_charts_drawn(page: Any) -> None:
    for chart in CHARTS:
        svg = page.locator(f"svg#{chart}")
        assert svg.is_visible(), chart
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, chart
        marks = svg.locator("polyline, circle, polygon").count()
        assert marks > 2, chart
        assert svg.locator("title").text_content(), chart
        assert any(ch.isdigit() for ch in svg.locator("desc").text_content() or ""), chart


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    # The README's copies change only on request (or when missing), so a test run
    # leaves the tracked files alone: HRV_README_IMAGES=1 to refresh them.
    if os.environ.get("HRV_README_IMAGES") == "1" or not (DOCS_IMG / name).exists():
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / name)


class TestTherapistInBrowser:
    def test_course_and_report(self, browser: Any, server: Server) -> None:
        context, page, watch = _context(browser, server)
        _sign_in(page, server, "ther1")
        page.get_by_role("link", name="C-browser", exact=True).click()
        page.wait_for_selector("svg#chart-course")
        assert page.locator("svg#chart-course polyline").count() >= 2
        assert page.get_by_role("heading", name="Course of client C-browser").is_visible()
        _shot(page, "course.png")
        page.locator("table a", has_text="Report").first.click()
        page.wait_for_selector("section.verdict")
        headline = page.locator(".verdict .headline").inner_text()
        assert "client" in headline.lower()
        assert page.locator(".verdict .confidence").inner_text().startswith("Confidence:")
        _assert_charts_drawn(page)
        _shot(page, "report.png")
        # Keyboard: the skip link is the first stop and moves focus to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        watch.clean()
        context.close()

    def test_upload_shows_the_new_report(self, browser: Any, server: Server) -> None:
        context, page, watch = _context(browser, server)
        _sign_in(page, server, "ther1")
        page.get_by_label("Client reference (a pseudonym, no names)").fill("C-uploaded")
        page.get_by_label("Anxiety before (0–10)").fill("8")
        page.get_by_label("Anxiety after (0–10)").fill("4")
        page.get_by_label("Recording before the session").set_input_files(
            str(SAMPLES / "mitdb101_pre.edf"))
        page.get_by_label("Recording after the session").set_input_files(
            str(SAMPLES / "mitdb101_post.edf"))
        page.get_by_role("button", name="Create session").click()
        page.wait_for_url("**/sessions/*", timeout=60_000)
        page.wait_for_selector("section.verdict")
        assert "8.0 before → 4.0 after" in page.locator(".selfreport").inner_text()
        _assert_charts_drawn(page)
        # A file the readers cannot use: the error in words, on the page.
        page.get_by_label("Recording before the session").set_input_files(
            files=[{"name": "junk.bin", "mimeType": "application/octet-stream",
                    "buffer": b"\x00\x01 not a recording"}])
        page.get_by_role("button", name="Upload and analyse").click()
        error = page.locator(".upload-error")
        error.wait_for(state="visible")
        assert error.inner_text().strip()
        # That one failed request is the expected one.
        assert len(watch.bad) == 1 and "/upload" in watch.bad[0]
        watch.bad.clear()
        watch.errors = [e for e in watch.errors if "Failed to load resource" not in e]
        watch.clean()
        context.close()

    def test_pdf_download_has_the_verdict(self, browser: Any, server: Server) -> None:
        context, page, watch = _context(browser, server)
        _sign_in(page, server, "ther1")
        page.goto(f"{server.url}/sessions/{server.sessions['ecg']}")
        headline = page.locator(".verdict .headline").inner_text()
        with page.expect_download() as info:
            page.get_by_role("link", name="Download the PDF report").click()
        data = Path(info.value.path()).read_bytes()
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
        assert " ".join(headline.split()[:6]) in text
        assert "C-browser" in text and "Browser Test Clinic" in text
        assert len(reader.pages) <= 2
        watch.clean()
        context.close()

    def test_second_therapist_cannot_open_or_post(self, browser: Any, server: Server) -> None:
        sid = server.sessions["ecg"]
        first, page1, _ = _context(browser, server)
        _sign_in(page1, server, "ther1")
        page1.goto(f"{server.url}/sessions/{sid}")
        csrf1 = page1.locator("input[name=csrf_token]").first.get_attribute("value")
        client_url = page1.locator(".crumbs a").nth(1).get_attribute("href")

        context, page, _ = _context(browser, server)
        _sign_in(page, server, "ther2")
        for url in (f"/sessions/{sid}", client_url, f"/sessions/{sid}/report.pdf"):
            response = page.goto(server.url + url) if not url.endswith(".pdf") else \
                page.request.get(server.url + url)
            assert response.status == 404, url
        assert "C-browser" not in page.content()
        page.goto(server.url + "/clients")
        csrf2 = page.locator("input[name=csrf_token]").first.get_attribute("value")
        files = {"pre": {"name": "p.txt", "mimeType": "text/plain",
                         "buffer": (SAMPLES / "nsr001_pre.txt").read_bytes()}}
        own_token = page.request.post(f"{server.url}/sessions/{sid}/upload",
                                      multipart={"csrf_token": csrf2, **files})
        assert own_token.status == 404
        stolen_token = page.request.post(f"{server.url}/sessions/{sid}/upload",
                                         multipart={"csrf_token": csrf1, **files})
        assert stolen_token.status == 403
        first.close()
        context.close()

    def test_script_payloads_shown_as_text(self, browser: Any, server: Server) -> None:
        context, page, watch = _context(browser, server)
        _sign_in(page, server, "ther1")
        assert XSS_REF in page.locator("table").inner_text()
        page.goto(f"{server.url}/sessions/{server.sessions['xss']}")
        assert XSS_NOTE in page.locator(".notes").inner_text()
        assert page.evaluate("window.__xss") is None
        watch.clean()
        context.close()

    def test_accessibility_scan(self, browser: Any, server: Server) -> None:
        # axe is injected by the test, so this context alone bypasses the page's CSP.
        context, page, _ = _context(browser, server, bypass_csp=True)
        page.goto(server.url + "/sign-in")
        pages = ["/sign-in"]
        _sign_in(page, server, "ther1")
        page.get_by_role("link", name="C-browser", exact=True).click()
        course = page.url
        pages += ["/clients", course.removeprefix(server.url),
                  f"/sessions/{server.sessions['ecg']}"]
        problems = []
        for url in pages:
            page.goto(server.url + url)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document)")
            for v in result["violations"]:
                if v["impact"] in ("serious", "critical"):
                    problems.append((url, v["id"], v["help"], len(v["nodes"])))
        assert problems == []
        context.close()

    def test_api_docs_offline(self, browser: Any, server: Server) -> None:
        context, page, watch = _context(browser, server)
        page.goto(server.url + "/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        page.get_by_role("button", name="Authorize").first.wait_for()
        page.goto(server.url + "/redoc")
        page.wait_for_selector("h1", timeout=30_000)
        assert "HRV session service" in page.locator("h1").first.inner_text()
        watch.clean()
        context.close()
