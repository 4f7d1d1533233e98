"""Hostile uploads against a real server: status and peak memory of each.

Run: ``python -m benchmarks.reliability.hostile`` (prints a Markdown table). The server
runs with a 16 MB body limit and 2,000,000 samples per recording, so the memory budget
of one request is 3 x 2,000,000 x 8 bytes = 48 MB above the server's resting RSS.
The tests in ``tests/app/test_hostile_uploads.py`` run the same cases and assert it.
"""

from __future__ import annotations

import io
import socket
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from benchmarks.reliability._server import Server, make_tenant, running_server

__all__ = ["BUDGET_MB", "CASES", "LIMITS_ENV", "Case", "Outcome", "run_case", "server_env"]

MAX_SAMPLES = 2_000_000
MAX_BODY = 16 * 1024 * 1024
#: Peak RSS a single request may add: 3 x the limit's worth of float64 samples.
BUDGET_MB = 3 * MAX_SAMPLES * 8 / (1024 * 1024)
LIMITS_ENV = {
    "HRV_MAX_BODY_BYTES": str(MAX_BODY),
    "HRV_MAX_SAMPLES": str(MAX_SAMPLES),
    "HRV_MAX_INTERVALS": "320000",
    "HRV_BODY_READ_TIMEOUT_S": "1.5",
}
_GIB = 1 << 30


def _zip(files: dict[str, bytes | tuple[int, int]]) -> bytes:
    """A zip; a ``(n_bytes, byte)`` value is streamed as that many copies of the byte."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, content in files.items():
            if isinstance(content, bytes):
                zf.writestr(name, content)
                continue
            n, byte = content
            block = bytes([byte]) * (1 << 24)
            with zf.open(name, "w", force_zip64=True) as out:
                for _ in range(n // len(block)):
                    out.write(block)
    return buf.getvalue()


def _edf(n_records: int, declared: int | None = None, seconds: int = 1) -> bytes:
    """A one-signal EDF (250 Hz ECG, a 1 Hz sine) with ``declared`` in its header."""
    spr = 250 * seconds
    head = b"0       " + b"X".ljust(80) + b"X".ljust(80) + b"01.01.25" + b"00.00.00"
    head += b"512".ljust(8) + b"".ljust(44)
    head += str(n_records if declared is None else declared).encode().ljust(8)
    head += str(seconds).encode().ljust(8) + b"1".ljust(4)
    sig = b"ECG".ljust(16) + b"".ljust(80) + b"mV".ljust(8) + b"-5".ljust(8) + b"5".ljust(8)
    sig += b"-32768".ljust(8) + b"32767".ljust(8) + b"".ljust(80) + str(spr).encode().ljust(8)
    sig += b"".ljust(32)
    t = np.arange(n_records * spr) / 250.0
    beats = np.exp(-0.5 * ((t % 1.0 - 0.5) / 0.01) ** 2)  # one QRS-like spike per second
    data = (beats * 20000).astype("<i2").tobytes()
    return head + sig + data


@dataclass(frozen=True)
class Case:
    name: str
    #: What the request sends: (path, content bytes, headers, params).
    request: Callable[[], tuple[bytes, dict[str, str], dict[str, str]]]
    expect: tuple[int, ...]
    raw: bool = False  # sent over a raw socket (headers that httpx would not send)


def _file(data: bytes, fmt: str | None = None) -> tuple[bytes, dict[str, str], dict[str, str]]:
    params = {"format": fmt} if fmt else {"format": "wfdb"}
    return data, {"content-type": "application/octet-stream"}, params


def _json(data: bytes) -> tuple[bytes, dict[str, str], dict[str, str]]:
    return data, {"content-type": "application/json"}, {}


_HEA_BIG = b"b 1 250 500000000\nb.dat 16 200 16 0 0 0 0 ECG\n"
_HEA_NOLEN = b"b 1 250\nb.dat 16 200 16 0 0 0 0 ECG\n"
_HEA_SMALL = b"b 1 250 75000\nb.dat 16 200 16 0 0 0 0 ECG\n"

CASES: list[Case] = [
    Case("zip bomb, header declares 5e8 samples (1 GiB .dat)",
         lambda: _file(_zip({"b.hea": _HEA_BIG, "b.dat": (_GIB, 0)})), (413,)),
    Case("zip bomb, header without length (1 GiB .dat)",
         lambda: _file(_zip({"b.hea": _HEA_NOLEN, "b.dat": (_GIB, 0)})), (413,)),
    Case("zip bomb, header of 5 min (1 GiB .dat)",
         lambda: _file(_zip({"b.hea": _HEA_SMALL, "b.dat": (_GIB, 0)})), (422,)),
    Case("zip bomb, no header (1 GiB .dat)",
         lambda: _file(_zip({"b.dat": (_GIB, 0)})), (415, 422)),
    Case("zip bomb, annotation file of 1 GiB",
         lambda: _file(_zip({"b.hea": _HEA_SMALL, "b.dat": bytes(150_000),
                             "b.atr": (_GIB, 1)})), (422,)),
    Case("zip path traversal (../../b.hea)",
         lambda: _file(_zip({"../../b.hea": _HEA_SMALL, "../../b.dat": bytes(150_000)})),
         (422,)),
    Case("EDF header declares 10^8 records",
         lambda: _file(_edf(300, declared=100_000_000), "edf"), (413,)),
    Case("EDF header declares 9999 signals",
         lambda: _file(_edf(300)[:252] + b"9999" + _edf(300)[256:], "edf"), (422,)),
    Case("JSON RR list of 3.3 million values (16 MB)",
         lambda: _json(b'{"kind":"rr","rr_ms":[' + b",".join([b"800"] * 3_300_000) + b"]}"),
         (413,)),
    Case("JSON list of 2.7 million empty objects",
         lambda: _json(b'{"kind":"rr","rr_ms":[' + b",".join([b"{}"] * 2_700_000) + b"]}"),
         (413,)),
    Case("JSON nested 100,000 deep",
         lambda: _json(b'{"kind":"rr","rr_ms":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
         (400, 413, 422)),
    Case("CSV with a million columns",
         lambda: _file(b",".join([b"1"] * 1_000_000) + b"\n" + b",".join([b"2"] * 1_000_000),
                       "csv"), (413, 422)),
    Case("Content-Length of 10 GB", lambda: (b"", {"content-length": str(10 * 10**9)}, {}),
         (413,), raw=True),
    Case("body that never finishes", lambda: (b"{", {"content-length": "1000"}, {}),
         (408,), raw=True),
]


def _ecg_json(n: int) -> bytes:
    t = np.arange(n) / 250.0
    x = np.exp(-0.5 * ((t % 0.9 - 0.45) / 0.012) ** 2) + 0.01 * np.sin(t)
    return b'{"kind":"ecg","sampling_rate_hz":250,"samples":[' + ",".join(
        f"{v:.5f}" for v in x
    ).encode() + b"]}"


#: Valid requests near the limits, for comparison (reported, not held to the budget:
#: their memory is the analysis of a recording that is allowed).
REFERENCE: list[Case] = [
    Case("valid: 1.4 million ECG samples as JSON (13 MB)",
         lambda: _json(_ecg_json(1_400_000)), (200,)),
    Case("valid: 24 h RR as JSON (100,000 intervals)",
         lambda: _json(b'{"kind":"rr","rr_ms":[' + b",".join(
             str(800 + (i * 37) % 90).encode() for i in range(100_000)) + b"]}"), (200,)),
]


@dataclass(frozen=True)
class Outcome:
    name: str
    status: int
    peak_mb: float
    seconds: float


def _raw_request(server: Server, key: str, body: bytes, headers: dict[str, str]) -> int:
    """Send headers and a (possibly partial) body over a socket; return the status."""
    lines = ["POST /v1/analyses HTTP/1.1", f"host: 127.0.0.1:{server.port}",
             f"authorization: Bearer {key}", "content-type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        reply = s.recv(4096)
    return int(reply.split(b" ", 2)[1])


def run_case(server: Server, key: str, case: Case, client: httpx.Client) -> Outcome:
    body, headers, params = case.request()
    base = server.reset_peak()
    t0 = time.perf_counter()
    if case.raw:
        status = _raw_request(server, key, body, headers)
    else:
        r = client.post("/v1/analyses", content=body, params=params,
                        headers={**headers, "authorization": f"Bearer {key}"})
        status = r.status_code
    seconds = time.perf_counter() - t0
    del body
    return Outcome(case.name, status, server.peak_rss_mb() - base, seconds)


def warm_up(client: httpx.Client, key: str) -> None:
    """One valid request per reader, so lazy imports are not charged to a hostile case."""
    auth = {"authorization": f"Bearer {key}"}
    t = np.arange(75_000) / 250.0
    ecg = (np.exp(-0.5 * ((t % 1.0 - 0.5) / 0.01) ** 2) * 2000).astype("<i2").tobytes()
    bodies = [
        (_zip({"b.hea": _HEA_SMALL, "b.dat": ecg}), "wfdb"),
        (_edf(300), "edf"),
        ("\n".join(str(800 + i % 7) for i in range(400)).encode(), "csv"),
    ]
    for body, fmt in bodies:
        r = client.post("/v1/analyses", content=body, params={"format": fmt},
                        headers={**auth, "content-type": "application/octet-stream"})
        assert r.status_code == 200, (fmt, r.text[:300])
    r = client.post("/v1/analyses", json={"kind": "rr", "rr_ms": [800.0] * 400}, headers=auth)
    assert r.status_code == 200, r.text[:300]


def server_env(db_path: Path) -> dict[str, str]:
    return {**LIMITS_ENV, "HRV_DATABASE_URL": f"sqlite:///{db_path}"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(Path(tmp) / "hrv.db")
        keys = make_tenant(env["HRV_DATABASE_URL"])
        with running_server(env, Path(tmp) / "server.log") as server, \
                httpx.Client(base_url=server.url, timeout=60) as client:
            warm_up(client, keys["integration"])
            print(f"budget per request: {BUDGET_MB:.0f} MB above resting RSS "
                  f"({server.rss_mb():.0f} MB)\n")
            print("| case | status | peak RSS above rest (MB) | s |")
            print("|---|---|---|---|")
            for case in CASES + REFERENCE:
                out = run_case(server, keys["integration"], case, client)
                print(f"| {out.name} | {out.status} | {out.peak_mb:.1f} | {out.seconds:.2f} |")


if __name__ == "__main__":
    main()
