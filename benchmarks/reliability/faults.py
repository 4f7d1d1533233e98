"""Faults with real processes: the database stopped, the API and a worker killed.

Run: ``python -m benchmarks.reliability.faults`` (about a minute; needs PostgreSQL's
``initdb``/``pg_ctl`` installed). Each scenario runs against a throwaway PostgreSQL
cluster of its own on port 5439 (``--port``) and a uvicorn server subprocess:

``database``
    PostgreSQL is stopped while clients create sessions and upload recordings. Every
    answer while it is down is a 503 problem with ``Retry-After`` (never a 500); after
    it is started again the service answers by itself (no restart), each request that
    got a 503 succeeds when retried with its ``Idempotency-Key``, and the database
    holds exactly one session per successful key and no recording without its analysis.
``api-kill``
    The API process gets SIGKILL while a recording upload is half sent, and again at
    random moments after a whole upload was sent. After a restart no partial recording
    is visible, and the client's retry with the same ``Idempotency-Key`` gives exactly
    one recording (retrying once more replays the answer).
``worker-kill``
    A procrastinate worker gets SIGKILL while it runs a re-analysis job. A second worker
    puts the stalled job back in the queue (heartbeats) and runs it; the job finishes
    once, with its result.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.reliability._pg import Cluster, throwaway_cluster
from benchmarks.reliability._server import ROOT, Server, free_port, make_tenant, start_server
from benchmarks.reliability.load import _ecg

__all__ = ["api_kill", "database_outage", "main", "worker_kill"]

_SESSION = {"client": "C-1", "therapist": "T-1", "modality": "massage",
            "started_at": "2026-01-05T10:00:00Z", "duration_min": 50}


def _auth(key: str, idem: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {key}"}
    if idem:
        h["Idempotency-Key"] = idem
    return h


def _put_params() -> dict[str, Any]:
    return {"kind": "ecg", "sampling_rate_hz": 250, "dtype": "float32"}


_OCTET = {"content-type": "application/octet-stream"}


def _env(cluster: Cluster, **extra: str) -> dict[str, str]:
    return {"HRV_DATABASE_URL": cluster.url, "HRV_MIGRATE_ON_STARTUP": "false",
            "HRV_AUTH_CACHE_SECONDS": "0", **extra}


def _wait_ok(url: str, timeout_s: float) -> float:
    """Seconds until ``url`` answers 200."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not back within {timeout_s} s")


def database_outage(cluster: Cluster, workdir: Path, outage_s: float = 5.0) -> dict[str, Any]:
    keys = make_tenant(cluster.url)
    key = keys["integration"]
    server = start_server(_env(cluster), workdir / "db-server.log")
    body = _ecg(1, dur_s=120)
    statuses: Counter[str] = Counter()
    pending: list[tuple[str, str]] = []  # (idempotency key, what) that got a 503
    created: dict[str, str] = {}  # idempotency key -> session id
    bad: list[str] = []
    stop = threading.Event()

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            i = 0
            while not stop.is_set():
                idem = f"db-{n}-{i}"
                i += 1
                try:
                    r = c.post("/v1/sessions", json=_SESSION, headers=_auth(key, idem))
                except httpx.HTTPError as exc:
                    statuses[f"transport {type(exc).__name__}"] += 1
                    continue
                statuses[str(r.status_code)] += 1
                if r.status_code == 201:
                    sid = r.json()["id"]
                    created[idem] = sid
                    up = c.put(f"/v1/sessions/{sid}/recordings/pre", content=body,
                               params=_put_params(),
                               headers={**_auth(key, idem + "-pre"), **_OCTET})
                    statuses[str(up.status_code)] += 1
                    if up.status_code == 503:
                        pending.append((idem + "-pre", sid))
                    elif up.status_code != 201:
                        bad.append(f"PUT {up.status_code}")
                elif r.status_code == 503:
                    if "Retry-After" not in r.headers or not r.headers.get(
                        "content-type", ""
                    ).startswith("application/problem+json"):
                        bad.append(f"503 without Retry-After/problem: {r.headers}")
                    pending.append((idem, ""))
                else:
                    bad.append(f"POST {r.status_code}: {r.text[:200]}")
                time.sleep(0.05)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(3)]
    # The client and therapist exist before the threads start: concurrent first
    # sessions of a new client race in its get-or-create (a separate finding).
    try:
        httpx.post(server.url + "/v1/sessions", json=_SESSION, headers=_auth(key),
                   timeout=30).raise_for_status()
        for t in threads:
            t.start()
        time.sleep(3)
        cluster.stop("fast")
        t_stop = time.monotonic()
        time.sleep(outage_s)
        ready_down = httpx.get(server.url + "/readyz", timeout=10).status_code
        cluster.start()
        recovery_s = _wait_ok(server.url + "/readyz", 60)
        down_for = time.monotonic() - t_stop
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join()
        # Retries of everything that got a 503, with the same key: each succeeds once.
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for idem, sid in pending:
                if sid:
                    r = c.put(f"/v1/sessions/{sid}/recordings/pre", content=body,
                              params=_put_params(), headers={**_auth(key, idem), **_OCTET})
                else:
                    r = c.post("/v1/sessions", json=_SESSION, headers=_auth(key, idem))
                    if r.status_code == 201:
                        created[idem] = r.json()["id"]
                if r.status_code not in (200, 201):
                    bad.append(f"retry {idem}: {r.status_code} {r.text[:200]}")
        n_sessions = int(cluster.psql("SELECT count(*) FROM sessions")) - 1
        orphans = int(cluster.psql(
            "SELECT count(*) FROM recordings WHERE analysis IS NULL OR analysis::text = 'null'"
        ))
    finally:
        stop.set()
        server.kill()
    return {
        "requests": sum(statuses.values()), "statuses": dict(statuses),
        "retried_after_503": len(pending), "sessions_created": len(created),
        "sessions_in_db": n_sessions, "recordings_without_analysis": orphans,
        "readyz_while_down": ready_down, "down_s": round(down_for, 1),
        "recovered_in_s": round(recovery_s, 1), "problems": bad[:5],
        "ok": not bad and statuses.get("500", 0) == 0 and n_sessions == len(created)
        and orphans == 0 and statuses.get("503", 0) > 0 and ready_down == 503,
    }


def _half_upload(server: Server, key: str, path: str, body: bytes, idem: str,
                 fraction: float) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (f"PUT {path}?kind=ecg&sampling_rate_hz=250&dtype=float32 HTTP/1.1\r\n"
            f"host: 127.0.0.1\r\nauthorization: Bearer {key}\r\nidempotency-key: {idem}\r\n"
            f"content-type: application/octet-stream\r\ncontent-length: {len(body)}\r\n\r\n")
    s.sendall(head.encode() + body[: int(len(body) * fraction)])
    return s


def api_kill(cluster: Cluster, workdir: Path, trials: int = 6, seed: int = 7) -> dict[str, Any]:
    keys = make_tenant(cluster.url)
    key = keys["integration"]
    port = free_port()
    env = _env(cluster)
    log = workdir / "kill-server.log"
    server = start_server(env, log, port=port)
    body = _ecg(2, dur_s=3600)  # 1 h of ECG: analysis long enough to be killed in
    rng = random.Random(seed)
    outcomes: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        for trial in range(trials):
            with httpx.Client(base_url=server.url, timeout=60) as c:
                sid = c.post("/v1/sessions", json=_SESSION, headers=_auth(key)).json()["id"]
            path = f"/v1/sessions/{sid}/recordings/pre"
            idem = f"kill-{trial}-{uuid.uuid4().hex[:6]}"
            if trial == 0:
                sock = _half_upload(server, key, path, body, idem, 0.5)
                time.sleep(0.3)
                when = "half the body sent"
            else:
                sock = _half_upload(server, key, path, body, idem, 1.0)
                delay = rng.uniform(0.0, 0.6)
                time.sleep(delay)
                when = f"{delay:.2f} s after the whole body"
            server.kill(signal.SIGKILL)
            sock.close()
            server = start_server(env, log, port=port)
            with httpx.Client(base_url=server.url, timeout=120) as c:
                seen = c.get(path, headers=_auth(key))
                visible = seen.status_code == 200
                complete = visible and seen.json().get("analysis") is not None
                hdrs = {**_auth(key, idem), **_OCTET}
                first = c.put(path, content=body, params=_put_params(), headers=hdrs)
                again = c.put(path, content=body, params=_put_params(), headers=hdrs)
            n_rec = int(cluster.psql(f"SELECT count(*) FROM recordings WHERE session_id = '{sid}'"))
            outcome = {"when": when, "visible_after_kill": visible,
                       "complete_if_visible": complete or not visible,
                       "retry": first.status_code, "replay": again.status_code,
                       "replayed_header": again.headers.get("Idempotent-Replayed"),
                       "recordings": n_rec}
            outcomes.append(outcome)
            if visible and not complete:
                problems.append(f"partial recording visible: {outcome}")
            if first.status_code not in (200, 201) or again.status_code != first.status_code:
                problems.append(f"retry failed: {outcome}")
            if n_rec != 1:
                problems.append(f"{n_rec} recordings: {outcome}")
    finally:
        server.kill()
    return {"trials": outcomes, "problems": problems, "ok": not problems}


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full = {**os.environ, **env}
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=full,
                            stdout=out, stderr=subprocess.STDOUT)


def worker_kill(cluster: Cluster, workdir: Path) -> dict[str, Any]:
    keys = make_tenant(cluster.url)
    env = _env(cluster, HRV_JOB_BACKEND="procrastinate", HRV_WORKER_HEARTBEAT_S="1",
               HRV_WORKER_STALLED_AFTER_S="4", HRV_WORKER_RECOVERY_INTERVAL_S="1")
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT,
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=120)
    server = start_server(env, workdir / "worker-server.log")
    key = keys["integration"]
    body = [_ecg(3, dur_s=12 * 3600), _ecg(4, dur_s=12 * 3600)]  # long: a job of seconds
    worker = None
    try:
        with httpx.Client(base_url=server.url, timeout=300) as c:
            sid = c.post("/v1/sessions", json=_SESSION, headers=_auth(key)).json()["id"]
            for phase, b in zip(("pre", "post"), body, strict=True):
                r = c.put(f"/v1/sessions/{sid}/recordings/{phase}", content=b,
                          params=_put_params(), headers={**_auth(key), **_OCTET})
                r.raise_for_status()
            job = c.post(f"/v1/sessions/{sid}/reanalyze", headers=_auth(keys["admin"]))
            job.raise_for_status()
            job_id = job.json()["id"]
            worker = _start_worker(env, workdir / "worker-1.log")
            t0 = time.monotonic()
            status = ""
            while time.monotonic() - t0 < 60:
                status = c.get(f"/v1/jobs/{job_id}", headers=_auth(keys["admin"])).json()["status"]
                if status != "queued":
                    break
                time.sleep(0.05)
            status_at_kill = c.get(f"/v1/jobs/{job_id}", headers=_auth(keys["admin"])).json()
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            t_kill = time.monotonic()
            worker = _start_worker(env, workdir / "worker-2.log")
            final: dict[str, Any] = {}
            while time.monotonic() - t_kill < 120:
                final = c.get(f"/v1/jobs/{job_id}", headers=_auth(keys["admin"])).json()
                if final["status"] in ("succeeded", "failed", "done", "error"):
                    break
                time.sleep(0.5)
            done_after_s = time.monotonic() - t_kill
        attempts = cluster.psql(
            "SELECT status || ':' || attempts FROM procrastinate_jobs "
            "WHERE task_name = 'reanalyze_session'"
        )
        events = cluster.psql(
            "SELECT string_agg(e.type::text, ',' ORDER BY e.id) FROM procrastinate_events e "
            "JOIN procrastinate_jobs j ON j.id = e.job_id WHERE j.task_name = 'reanalyze_session'"
        )
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
        server.kill()
    ok = final.get("status") == "succeeded" and attempts.count("\n") == 0
    return {"status_at_kill": status_at_kill.get("status"), "final": final.get("status"),
            "result": final.get("result"), "done_after_kill_s": round(done_after_s, 1),
            "queue_rows": attempts, "queue_events": events, "ok": ok}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=5439)
    p.add_argument("--logs", type=Path, default=None, help="keep the server logs here")
    p.add_argument("scenarios", nargs="*", default=["database", "api-kill", "worker-kill"])
    args = p.parse_args(argv)
    out: dict[str, Any] = {}
    runs: dict[str, Callable[[Cluster, Path], dict[str, Any]]] = {
        "database": database_outage, "api-kill": api_kill, "worker-kill": worker_kill,
    }
    with tempfile.TemporaryDirectory() as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        for name in args.scenarios:
            with throwaway_cluster(args.port) as cluster:
                out[name] = runs[name](cluster, logs)
            print(f"{name}: {out[name]}", flush=True)
    return out


if __name__ == "__main__":
    main()
