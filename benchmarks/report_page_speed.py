"""Report page speed: ``GET /sessions/{id}`` for two analysed 5-minute ECGs.

The service runs in-process (FastAPI app on a SQLite file, one signed-in therapist);
each request's time is measured around the ASGI call, so it is the server's time
without network. Three states of the caches are timed:

* warm: the shift report is stored and the charts are in the chart cache (the usual
  case once a report has been opened; the target of issue 10 is <= 300 ms);
* charts not cached: the report is stored, the charts are drawn again (both ECGs are
  re-analysed by ``hrv`` for their NN series and spectra);
* cold: neither is stored (the report is computed and the charts drawn).

The PDF download (same template, WeasyPrint) is timed with warm caches.
Run: ``.venv/bin/python -m benchmarks.report_page_speed``; writes
``benchmarks/results/report_page_speed.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.auth import Principal, Role
from app.config import Settings
from app.db.database import Database, migrate
from app.db.models import TherapySession
from app.main import create_app
from app.schemas import Phase, SessionCreate
from app.services import sessions as svc
from app.services.ingest import FILE, Limits, StoredBody
from app.services.keys import create_tenant
from app.web.accounts import create_account

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_recordings"
RESULTS = ROOT / "benchmarks" / "results" / "report_page_speed.md"
PASSWORD = "benchmark password"
TARGET_MS = 300.0


def _seed(url: str) -> str:
    db = Database.from_url(url)
    migrate(db.engine)
    limits = Limits(24 * 3600 * 250, 320_000)
    with db.session() as s:
        tenant, _ = create_tenant(s, "bench clinic")
        create_account(s, tenant.id, "bench", PASSWORD, Role.THERAPIST, therapist="T-1")
        admin = Principal(key_id="bench", tenant_id=tenant.id, role=Role.ADMIN)
        created = svc.create_session(s, admin, SessionCreate(client="C-1", therapist="T-1"))
        for phase in Phase:
            name = f"mitdb101_{phase.value}.edf"
            body = StoredBody(FILE, {"filename": name}, (SAMPLES / name).read_bytes())
            svc.put_recording(s, admin, created.id, phase, body, limits, 6)
        sid = created.id
    db.dispose()
    return sid


def _times(fn: Callable[[], None], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def _row(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | "
            f"{ms[-1]:.1f} |")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    sid = _seed(url)
    # No batch pool: the page needs none, and its processes warming up would share the
    # cores with the measured requests.
    app = create_app(Settings(database_url=url, migrate_on_startup=False, log_level="WARNING",
                              idempotency_purge_interval_s=0, batch_processes=0))
    with TestClient(app) as client:  # one event loop for every request, as a server has
        _measure(app, client, sid)


def _measure(app: Any, client: TestClient, sid: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post("/sign-in", data={"csrf_token": token.group(1), "username": "bench",
                                      "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    path = f"/sessions/{sid}"
    cache = app.state.chart_cache

    def get() -> None:
        assert client.get(path).status_code == 200

    def no_charts() -> None:
        cache._items.clear()
        get()

    def cold() -> None:
        cache._items.clear()
        with app.state.db.session() as s:
            row = s.get(TherapySession, sid)
            assert row is not None
            row.report = None
            row.report_version = None
        get()

    def pdf() -> None:
        assert client.get(path + "/report.pdf").status_code == 200

    get()  # warm up imports and caches
    runs = {"warm": _times(get, 50), "charts": _times(no_charts, 15),
            "cold": _times(cold, 10), "pdf": _times(pdf, 5)}
    p50 = {k: statistics.median(v) for k, v in runs.items()}
    rows = [
        _row("warm (report stored, charts cached)", runs["warm"]),
        _row("charts not cached (report stored)", runs["charts"]),
        _row("cold (report and charts computed)", runs["cold"]),
        _row("PDF download (warm)", runs["pdf"]),
    ]
    size = len(client.get(path).content)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0]
    text = "\n".join([
        "# Report page speed: `GET /sessions/{id}` with two analysed 5-minute ECGs",
        "",
        f"Commit {commit}, run {dt.date.today().isoformat()}; {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work (1-min load {load:.1f}), "
        f"Python {platform.python_version()}, SQLite file database.",
        "Input: MIT-BIH record 101, minutes 0-5 and 25-30 (EDF+, 2 ECG leads at 360 Hz; "
        "`sample_recordings/mitdb101_*.edf`). In-process ASGI calls (no network), "
        "times in ms; the page is "
        f"{size / 1024:.0f} kB of HTML with its four inline SVG charts.",
        "",
        "| state | requests | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target (issue 10): the report page in <= {TARGET_MS:.0f} ms server time for two "
        "5-minute ECGs already analysed (the warm row; charts are cached per session and "
        "report version, in memory, 256 entries).",
        "",
        "Run: `.venv/bin/python -m benchmarks.report_page_speed`.",
        "",
        f"<!-- readme-row: | Therapist report page, two analysed 5-min ECGs (server time) | "
        f"warm p50 {p50['warm']:.1f} ms, charts redrawn {p50['charts']:.1f} ms, cold "
        f"{p50['cold']:.0f} ms; PDF {p50['pdf'] / 1000:.1f} s | — | -->",
        "",
    ])
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
