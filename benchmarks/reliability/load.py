"""Steady load against a real server on loopback: errors, latency, memory over time.

Run: ``python -m benchmarks.reliability.load`` (5 minutes at 8 requests/s by default;
``--duration-s``, ``--rate``, ``--threads``, ``--database-url`` to change them). The
server is a uvicorn subprocess of the service on SQLite in a temporary folder, on
``--database-url``, or with ``--throwaway-pg PORT`` on PostgreSQL in a new cluster of
its own. The client is open-loop: request *i* is due at ``i / rate`` s
whatever happened to the ones before it, and a bounded pool of threads sends them, so
a slow server shows up as latency rather than as a lower rate.

The mix: 40 % RR analyses (5 min of RR), 20 % 5-min ECG analyses (250 Hz, float32
body), 20 % recording uploads (a session is created, then its pre and post ECG are
PUT), 20 % report reads of finished sessions. The server's RSS is read from /proc every
second; the slope after the warm-up (the first fifth) says whether memory is flat.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.reliability._server import ROOT, Server, make_tenant, start_server
from hrv.simulate import rr_series

__all__ = ["LoadResult", "main", "run_load"]


def _ecg(seed: int, dur_s: float = 300.0, fs_hz: float = 250.0) -> bytes:
    rr = rr_series(dur_s + 5, mean_hr_bpm=62, hf_amplitude_ms=25, seed=seed)
    beats = np.cumsum(rr) / 1000.0
    t = np.arange(int(dur_s * fs_hz)) / fs_hz
    x = np.zeros_like(t)
    for tb in beats[beats < dur_s]:
        i0 = int(tb * fs_hz)
        seg = slice(max(i0 - 10, 0), min(i0 + 60, len(t)))
        x[seg] += np.exp(-0.5 * ((t[seg] - tb) / 0.012) ** 2)
    x += np.random.default_rng(seed).normal(0, 0.02, len(t))
    return x.astype("<f4").tobytes()


@dataclasses.dataclass
class _Shared:
    keys: dict[str, str]
    rr: list[list[float]]
    ecg: list[bytes]
    reports: list[str]


@dataclasses.dataclass(frozen=True)
class _Sample:
    kind: str
    due_s: float
    latency_ms: float
    status: int
    error: str | None


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _session(client: httpx.Client, key: str, n: int) -> str:
    r = client.post("/v1/sessions", headers=_auth(key), json={
        "client": f"C-{n % 50}", "therapist": "T-1", "modality": "massage",
        "started_at": "2026-01-05T10:00:00Z", "duration_min": 50,
    })
    r.raise_for_status()
    return str(r.json()["id"])


def _put(client: httpx.Client, key: str, sid: str, phase: str, body: bytes) -> httpx.Response:
    return client.put(
        f"/v1/sessions/{sid}/recordings/{phase}", content=body, headers={
            **_auth(key), "content-type": "application/octet-stream",
        }, params={"kind": "ecg", "sampling_rate_hz": 250, "dtype": "float32"},
    )


def _one(client: httpx.Client, kind: str, i: int, shared: _Shared) -> int:
    key = shared.keys["integration"]
    if kind == "rr":
        r = client.post("/v1/analyses", headers=_auth(key),
                        json={"kind": "rr", "rr_ms": shared.rr[i % len(shared.rr)]})
    elif kind == "ecg":
        r = client.post("/v1/analyses", content=shared.ecg[i % len(shared.ecg)],
                        params={"kind": "ecg", "sampling_rate_hz": 250, "dtype": "float32"},
                        headers={**_auth(key), "content-type": "application/octet-stream"})
    elif kind == "upload":
        sid = _session(client, key, i)
        r = _put(client, key, sid, "pre", shared.ecg[i % len(shared.ecg)])
        if r.status_code < 300:
            r = _put(client, key, sid, "post", shared.ecg[(i + 1) % len(shared.ecg)])
    else:
        sid = shared.reports[i % len(shared.reports)]
        r = client.get(f"/v1/sessions/{sid}/report", headers=_auth(key))
    return r.status_code


@dataclasses.dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    by_kind: dict[str, dict[str, float]]
    p50_ms: float
    p99_ms: float
    rss_start_mb: float
    rss_end_mb: float
    rss_slope_mb_per_min: float
    achieved_rate: float
    statuses: dict[int, int]
    error_examples: list[str]


def run_load(server: Server, shared: _Shared, duration_s: float, rate: float,
             threads: int) -> LoadResult:
    mix = ["rr", "rr", "ecg", "upload", "report"]
    due: queue.Queue[tuple[int, float] | None] = queue.Queue()
    samples: list[_Sample] = []
    lock = threading.Lock()
    t0 = time.monotonic()

    def worker() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while (item := due.get()) is not None:
                i, at = item
                delay = t0 + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                start = time.monotonic()
                kind = mix[i % len(mix)]
                status, error = 0, None
                try:
                    status = _one(client, kind, i, shared)
                    if status >= 400:
                        error = f"{kind}: HTTP {status}"
                except Exception as exc:  # a failed request is a result, not a crash
                    error = f"{kind}: {type(exc).__name__}: {exc}"
                latency = (time.monotonic() - start) * 1000.0
                with lock:
                    samples.append(_Sample(kind, at, latency, status, error))

    n = int(duration_s * rate)
    for i in range(n):
        due.put((i, i / rate))
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for th in pool:
        due.put(None)
        th.start()
    rss: list[tuple[float, float]] = []
    while any(th.is_alive() for th in pool):
        rss.append((time.monotonic() - t0, server.rss_mb()))
        time.sleep(1.0)
    for th in pool:
        th.join()
    elapsed = time.monotonic() - t0
    lat = np.array([s.latency_ms for s in samples])
    by_kind = {}
    for kind in sorted(set(mix)):
        k = np.array([s.latency_ms for s in samples if s.kind == kind])
        by_kind[kind] = {"n": float(len(k)), "p50_ms": float(np.percentile(k, 50)),
                         "p99_ms": float(np.percentile(k, 99))}
    ts = np.array(rss)
    after = ts[ts[:, 0] >= duration_s / 5]
    slope = float(np.polyfit(after[:, 0] / 60.0, after[:, 1], 1)[0]) if len(after) > 2 else 0.0
    errors = [s.error for s in samples if s.error]
    statuses: dict[int, int] = {}
    for s in samples:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    return LoadResult(
        requests=len(samples), errors=len(errors), by_kind=by_kind,
        p50_ms=float(np.percentile(lat, 50)), p99_ms=float(np.percentile(lat, 99)),
        rss_start_mb=float(after[0, 1]) if len(after) else float(ts[0, 1]),
        rss_end_mb=float(ts[-1, 1]), rss_slope_mb_per_min=slope,
        achieved_rate=len(samples) / elapsed, statuses=statuses,
        error_examples=sorted(set(errors))[:5],
    )


def _prepare(server: Server, keys: dict[str, str], n_reports: int) -> _Shared:
    rr = [[round(float(x), 2) for x in rr_series(300, mean_hr_bpm=hr, seed=s)]
          for s, hr in enumerate((58, 64, 71, 77))]
    ecg = [_ecg(seed) for seed in range(4)]
    shared = _Shared(keys, rr, ecg, [])
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for i in range(n_reports):
            sid = _session(client, keys["integration"], i)
            for phase, body in (("pre", ecg[i % 4]), ("post", ecg[(i + 1) % 4])):
                _put(client, keys["integration"], sid, phase, body).raise_for_status()
            client.get(f"/v1/sessions/{sid}/report",
                       headers=_auth(keys["integration"])).raise_for_status()
            shared.reports.append(sid)
    return shared


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> LoadResult:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration-s", type=float, default=300.0)
    p.add_argument("--rate", type=float, default=8.0, help="requests per second")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    p.add_argument("--throwaway-pg", type=int, metavar="PORT", default=None,
                   help="run PostgreSQL in a new cluster of its own on PORT (e.g. 5440)")
    args = p.parse_args(argv)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = args.database_url or f"sqlite:///{Path(tmp) / 'hrv.db'}"
        if args.throwaway_pg:
            from benchmarks.reliability._pg import throwaway_cluster

            url = stack.enter_context(throwaway_cluster(args.throwaway_pg)).url
        keys = make_tenant(url)
        server = start_server({"HRV_DATABASE_URL": url, "HRV_MIGRATE_ON_STARTUP": "false"},
                              Path(tmp) / "server.log")
        try:
            shared = _prepare(server, keys, n_reports=10)
            result = run_load(server, shared, args.duration_s, args.rate, args.threads)
        finally:
            server.kill()
    _print(result, args, url.split(":", 1)[0])
    return result


def _print(r: LoadResult, args: Any, backend: str) -> None:
    print(f"load: {args.duration_s:.0f} s at {args.rate:g}/s ({r.achieved_rate:.2f}/s achieved), "
          f"{args.threads} client threads, {backend}, commit {_commit()}, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"requests {r.requests}, errors {r.errors}, statuses {r.statuses}")
    print(f"all: p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms")
    for kind, v in r.by_kind.items():
        print(f"  {kind}: n {v['n']:.0f}, p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms")
    print(f"RSS after warm-up {r.rss_start_mb:.0f} MB -> end {r.rss_end_mb:.0f} MB, "
          f"slope {r.rss_slope_mb_per_min:+.2f} MB/min")
    for e in r.error_examples:
        print("  error:", e)


if __name__ == "__main__":
    main()
