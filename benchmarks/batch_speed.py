"""End-to-end speed of a study batch through the service, with 1 and 2 workers.

500 five-minute ECG recordings at 250 Hz (EDF files: MIT-BIH MLII windows resampled from
360 Hz; the 22 non-paced records x 6 windows = 132 distinct windows, reused in turn) with
a manifest, zipped, are submitted to a real ``hrv-service serve`` over loopback and run

* on the queue: PostgreSQL + procrastinate, ``hrv-service worker --processes N``;
* in-process: SQLite, the service's own pool of ``HRV_BATCH_PROCESSES=N`` processes.

Measured per run: the upload (POST: streaming, ZIP checks, unpacking, storing the items
and, on the queue, deferring the jobs in the same transaction), the wall time from the
start of the upload until the batch has succeeded, items per second, and the time spent
in ``hrv`` (each item's ``compute_s``: reading the file with ``hrv.io`` and analysing it,
summed over items). Everything else a worker spends (fetching the item, storage, queue,
recording the result, idle tail) is overhead:

    overhead = N x wall - sum(compute_s),   share = overhead / sum(compute_s)

(upload time included, during which workers wait). The client, the server, PostgreSQL
and the workers share the same cores.

Run: ``.venv/bin/python -m benchmarks.batch_speed [--items 500] [--backend queue|inprocess]``
(writes ``benchmarks/results/batch_speed.md``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._provenance import header

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "batch_speed.md"
FS = 250
WINDOW_S = 300
PG_ADMIN = os.environ.get("HRV_BENCH_PG", "postgresql+psycopg://root@127.0.0.1:5432/test")


def ecg_windows() -> list[np.ndarray]:
    """Five-minute MLII windows of the non-paced MIT-BIH records, resampled to 250 Hz."""
    from scipy import signal

    from benchmarks._data import MITDB_NONPACED, load_mitdb

    out: list[np.ndarray] = []
    for rec_name in MITDB_NONPACED:
        x = signal.resample_poly(load_mitdb(rec_name).samples, 25, 36)
        n = WINDOW_S * FS
        out.extend(x[i * n:(i + 1) * n] for i in range(len(x) // n))
    return out


def edf_bytes(x: np.ndarray) -> bytes:
    import edfio

    sig = edfio.EdfSignal(x, FS, label="ECG MLII", physical_dimension="mV",
                          physical_range=(-10.24, 10.235))
    buf = io.BytesIO()
    edfio.Edf([sig], data_record_duration=1.0).write(buf)
    return buf.getvalue()


def study_zip(n_items: int) -> bytes:
    windows = [edf_bytes(w) for w in ecg_windows()]
    lines = ["file,participant,session,phase,kind,sampling_rate_hz,format,group"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n_items):
            name = f"rec_{i:04d}.edf"
            z.writestr(name, windows[i % len(windows)])
            phase = "pre" if i % 2 == 0 else "post"
            lines.append(f"{name},P{i // 2:04d},1,{phase},ecg,,edf,{'AB'[i // 2 % 2]}")
        z.writestr("manifest.csv", "\n".join(lines) + "\n")
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          check=True).stdout


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _http(method: str, url: str, key: str, body: bytes | None = None,
          content_type: str | None = None) -> dict[str, Any]:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if content_type:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req, timeout=600) as resp:
        out: dict[str, Any] = json.loads(resp.read())
        return out


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds of a live process and of its children it has reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of ``root`` and its live descendants (Linux ``/proc``); 0 elsewhere."""
    if not os.path.isdir("/proc"):
        return 0.0
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _proc_cpu_s(pid)
        todo.extend(children.get(pid, []))
    return total


def _postmaster_pid() -> int | None:
    """The PostgreSQL server's main process on this machine, if it can be seen."""
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    cmd = fh.read().split(b"\0")[0]
            except OSError:
                continue
            if cmd.endswith(b"/postgres") or cmd == b"postgres":
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == 1:
                        return int(entry)
    return None


@contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "inprocess":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/hrv.db"
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"hrv_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Run:
    backend: str
    workers: int
    items: int
    upload_s: float
    wall_s: float
    compute_s: float
    failed: int
    #: CPU seconds from the upload to the end: worker processes, API server, PostgreSQL.
    cpu_s: tuple[float, float, float] = (float("nan"),) * 3

    @property
    def cpu_outside_ms(self) -> float:
        """CPU per item outside hrv, every process of the service counted (ms)."""
        return 1000 * (sum(self.cpu_s) - self.compute_s) / self.items

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall_s

    @property
    def overhead_share(self) -> float:
        return (self.workers * self.wall_s - self.compute_s) / self.compute_s

    @property
    def run_overhead_share(self) -> float:
        """The same from the accepted upload on: what the workers add to the analyses."""
        return (self.workers * (self.wall_s - self.upload_s) - self.compute_s) / self.compute_s


def run_once(backend: str, workers: int, body: bytes, n_items: int) -> Run:
    with _database(backend) as url:
        env = {"HRV_DATABASE_URL": url, "HRV_LOG_LEVEL": "WARNING",
               "HRV_MAX_BODY_BYTES": str(50 * 1024 * 1024)}
        if backend == "queue":
            env["HRV_JOB_BACKEND"] = "procrastinate"
        else:
            env["HRV_BATCH_PROCESSES"] = str(workers)
        _cli(["migrate"], env)
        out = _cli(["create-tenant", "bench"], env)
        tenant = out.split()[1]
        key = _cli(["create-key", "--tenant", tenant, "--role", "researcher"], env
                   ).strip().rsplit(" ", 1)[-1]
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        procs = [_start(["serve", "--port", str(port)], {**env,
                                                         "HRV_MIGRATE_ON_STARTUP": "false"})]
        try:
            _wait_ready(base)
            if backend == "queue":
                procs.append(_start(["worker", "--processes", str(workers)], env))
            # The workers (or the server's pool, started with the server) import and warm
            # up before the clock starts, as they have on a server that has been running.
            time.sleep(3.0)
            pg = _postmaster_pid() if backend == "queue" else None

            def cpu() -> tuple[float, float, float]:
                workers = _tree_cpu_s(procs[1].pid) if len(procs) > 1 else 0.0
                return (workers, _tree_cpu_s(procs[0].pid),
                        _tree_cpu_s(pg) if pg is not None else 0.0)

            cpu0 = cpu()
            t0 = time.perf_counter()
            st = _http("POST", base + "/v1/batches", key, body, "application/zip")
            upload_s = time.perf_counter() - t0
            while st["status"] in ("queued", "running"):
                # Polled about as a researcher's client would (the CLI asks once a
                # second), so that the reads do not load the database the workers write
                # to, and often near the end (by the ETA), so it is seen within 50 ms.
                eta = st.get("eta_s")
                time.sleep(0.5 if eta is None else min(0.5, max(0.05, float(eta) / 3)))
                st = _http("GET", f"{base}/v1/batches/{st['id']}", key)
            wall_s = time.perf_counter() - t0
            cpu1 = cpu()
            compute_s = _compute_seconds(url, st["id"])
        finally:
            for p in reversed(procs):
                _stop(p)
    used = tuple(b - a for a, b in zip(cpu0, cpu1, strict=True))
    return Run(backend, workers, n_items, upload_s, wall_s, compute_s, int(st["failed"]),
               (used[0], used[1], used[2]))


def _wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _compute_seconds(url: str, batch_id: str) -> float:
    from sqlalchemy import func, select

    from app.db.database import Database
    from app.db.models import BatchResult

    db = Database.from_url(url)
    try:
        with db.session() as s:
            total = s.scalar(select(func.sum(BatchResult.compute_s))
                             .where(BatchResult.batch_id == batch_id))
    finally:
        db.dispose()
    return float(total or 0.0)


def write(runs: list[Run], n_items: int, zip_mb: float) -> None:
    lines = [
        "# Study batch end to end through the service",
        "",
        header(),
        f"{n_items} five-minute 250 Hz ECG recordings as EDF (MIT-BIH MLII resampled from "
        f"360 Hz; 132 distinct windows reused), one ZIP of {zip_mb:.1f} MB with a "
        "manifest, submitted over loopback to `hrv-service serve`; the server, PostgreSQL, "
        "the workers and the client share the machine's cores. `hrv` time = sum of the "
        "items' `compute_s` (hrv.io read + analysis); overhead = workers x wall - hrv time "
        "(upload, ZIP checks, storage, queue, result writes, idle tail); `after the upload` "
        "counts from the accepted upload on: workers x (wall - upload) - hrv time.",
        "",
        "| backend | workers | upload s | wall s | items/s | hrv time s | overhead / hrv time "
        "| after the upload | speed-up vs 1 worker | failed | CPU s: workers / server / "
        "PostgreSQL | CPU outside hrv per item |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {r.backend: r.wall_s for r in runs if r.workers == 1}
    for r in runs:
        speedup = base.get(r.backend, float("nan")) / r.wall_s
        lines.append(
            f"| {r.backend} | {r.workers} | {r.upload_s:.2f} | {r.wall_s:.2f} | "
            f"{r.items_per_s:.1f} | {r.compute_s:.2f} | {100 * r.overhead_share:.0f} % | "
            f"{100 * r.run_overhead_share:.0f} % | {speedup:.2f}x | {r.failed} | "
            f"{r.cpu_s[0]:.2f} / {r.cpu_s[1]:.2f} / {r.cpu_s[2]:.2f} | "
            f"{r.cpu_outside_ms:.1f} ms |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines += [
        "",
        f"1-min load average at the end: {load:.1f} (on {os.cpu_count()} cores). With other "
        "work on the machine every process gets a share of a core: compare the `hrv time` "
        "per item with `benchmarks/results/pipeline_speed.md` (a 5-min ECG alone, plus "
        "reading its EDF) before reading the ratios.",
        "",
        "CPU columns: user + system time of each part from the upload to the end, read "
        "from `/proc` (the worker processes of `hrv-service worker`; for `inprocess` the "
        "server includes its pool; PostgreSQL is the whole local server, so other work on "
        "it counts too). `CPU outside hrv per item` = (all of it - hrv time) / items: the "
        "work the second core did for a single worker, which two workers must share.",
        "",
        "Targets (issue 11): overhead under 20 % of the hrv time; 1 -> 2 workers at least "
        "1.8x. `queue` = PostgreSQL + procrastinate, `hrv-service worker --processes N`; "
        "`inprocess` = SQLite, the service's own pool (`HRV_BATCH_PROCESSES=N`).",
        "",
        "Rerun: `.venv/bin/python -m benchmarks.batch_speed`.",
        "",
    ]
    row = readme_row(runs, n_items)
    if row:
        lines += [row, ""]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


def readme_row(runs: list[Run], n_items: int) -> str | None:
    """The README's row: the queue backend with 1 and 2 workers, against the targets."""
    queue = {r.workers: r for r in runs if r.backend == "queue"}
    if 1 not in queue or 2 not in queue:
        return None
    one, two = queue[1], queue[2]
    speedup = one.wall_s / two.wall_s
    after = sorted(100 * r.run_overhead_share for r in (one, two))
    total = sorted(100 * r.overhead_share for r in (one, two))
    met = total[-1] < 20 and speedup >= 1.8
    return (
        f"<!-- readme-row: | Study batch through the service, {n_items} five-minute ECGs "
        f"(PostgreSQL + procrastinate) | 1 worker {one.items_per_s:.1f} items/s, 2 workers "
        f"{two.items_per_s:.1f} items/s ({speedup:.2f}×, "
        f"{(one.wall_s - one.upload_s) / (two.wall_s - two.upload_s):.2f}× after the upload); "
        f"overhead {after[0]:.0f}–{after[1]:.0f} % of hrv time after the upload, "
        f"{total[0]:.0f}–{total[1]:.0f} % with it (targets: < 20 %, ≥ 1.8×, "
        f"{'met' if met else 'not met'}) | — | -->"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--backend", choices=["queue", "inprocess", "both"], default="both")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    body = study_zip(args.items)
    backends = ["queue", "inprocess"] if args.backend == "both" else [args.backend]
    runs = []
    for backend in backends:
        for n in args.workers:
            r = run_once(backend, n, body, args.items)
            print(r, f"items/s {r.items_per_s:.1f} overhead {100 * r.overhead_share:.0f} % "
                  f"(after the upload {100 * r.run_overhead_share:.0f} %)", file=sys.stderr)
            runs.append(r)
    write(runs, args.items, len(body) / 1e6)


if __name__ == "__main__":
    main()
