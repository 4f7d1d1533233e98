"""Hostile uploads: each is a 4xx, and the server's peak memory stays within budget.

The server is a real uvicorn process (SQLite) with a 16 MB body limit and 2,000,000
samples per recording; the budget of one request is 3 x that many float64 samples
(48 MB) above the resting RSS, read from /proc (VmHWM after a clear_refs reset).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import numpy as np
import orjson
import pytest

from app.errors import BadRequest, PayloadTooLarge
from app.services.ingest import Limits, load_json, parse_file
from benchmarks.reliability import hostile
from benchmarks.reliability._server import Server, make_tenant, running_server
from hrv.errors import FormatError, TooLargeError
from hrv.io import read_recording
from tests.hrv.io._paths import SHARED, needs_shared

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("hostile")
    env = hostile.server_env(tmp / "hrv.db")
    keys = make_tenant(env["HRV_DATABASE_URL"])
    with running_server(env, tmp / "server.log") as srv, httpx.Client(base_url=srv.url) as c:
        hostile.warm_up(c, keys["integration"])
        yield srv, keys["integration"]


class TestHostileUploads:
    @pytest.mark.parametrize("case", hostile.CASES, ids=[c.name for c in hostile.CASES])
    def test_refused_within_memory_budget(
        self, server: tuple[Server, str], case: hostile.Case
    ) -> None:
        srv, key = server
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            out = hostile.run_case(srv, key, case, client)
        assert out.status in case.expect, out
        assert out.peak_mb < hostile.BUDGET_MB, out
        # The server is still serving after each case.
        assert httpx.get(srv.url + "/healthz").status_code == 200


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


class TestTruncatedFiles:
    @needs_shared
    def test_half_an_edf_is_analysed_with_a_warning(self) -> None:
        from app.services.ingest import analyze_parsed

        data = (SHARED / "edf" / "mitdb101_first5min.edf").read_bytes()
        half = data[: len(data) // 2]
        parsed = parse_file(half, {"format": "edf"}, Limits(2_000_000, 320_000))
        # 300 records of 1 s at 360 Hz; the half file holds 149 complete ones.
        sig = parsed.recording.signal  # a file goes to hrv.analyze_recording as read
        assert sig is not None and len(sig.samples) == 149 * 360
        codes = [w.code for w in analyze_parsed(parsed).quality.warnings]
        assert "truncated_file" in codes
        whole = parse_file(data, {"format": "edf"}, Limits(2_000_000, 320_000))
        assert "truncated_file" not in [w.code for w in analyze_parsed(whole).quality.warnings]

    @needs_shared
    def test_half_a_wfdb_signal_file_warns(self) -> None:
        root = SHARED / "mitdb"
        dat = (root / "101.dat").read_bytes()
        zipped = _zip({"101.hea": (root / "101.hea").read_bytes(), "101.dat": dat[: len(dat) // 2]})
        rec = read_recording(zipped, "wfdb")
        # Format 212, two signals: 3 bytes per frame; 650,000 frames declared.
        assert rec.signal is not None and len(rec.signal.samples) == len(dat) // 2 // 3
        assert [w.code for w in rec.metadata["warnings"]] == ["truncated_file"]


class TestDeclaredSizes:
    def test_edf_record_count_is_checked_before_decoding(self) -> None:
        edf = hostile._edf(10, declared=10_000)
        with pytest.raises(TooLargeError, match="2500000 samples"):
            read_recording(edf, "edf", max_samples=1_000_000)
        # Without a limit the same header is only a truncated file.
        rec = read_recording(edf, "edf")
        assert rec.signal is not None and len(rec.signal.samples) == 2500

    def test_wfdb_traversal_names_are_refused(self) -> None:
        zipped = _zip({"../x.hea": b"x 1 250 10\nx.dat 16 200 16 0 0 0 0 ECG\n",
                       "../x.dat": bytes(20)})
        with pytest.raises(FormatError, match="outside the archive"):
            read_recording(zipped, "wfdb")

    def test_json_arrays_are_counted_before_decoding(self) -> None:
        raw = b'{"kind":"rr","rr_ms":[' + b",".join([b"800"] * 5000) + b"]}"
        with pytest.raises(PayloadTooLarge, match="5000 values"):
            load_json(raw, 4999)
        assert len(load_json(raw, 5000)["rr_ms"]) == 5000

    def test_numbers_inside_strings_are_not_arrays(self) -> None:
        text = "[" + ",".join(["1"] * 100) + "]"
        doc = load_json(orjson.dumps({"note": text, "x": [float(i) for i in range(100)]}), 1000)
        assert doc["note"] == text
        np.testing.assert_array_equal(doc["x"], np.arange(100.0))

    def test_too_much_outside_arrays_is_refused(self) -> None:
        raw = orjson.dumps({"kind": "rr", "rr_ms": [{} for _ in range(2000)]})
        with pytest.raises(PayloadTooLarge, match="outside flat arrays"):
            load_json(raw, 10**6, max_skeleton=1000)

    def test_deep_nesting_is_a_bad_request(self) -> None:
        with pytest.raises(BadRequest):
            load_json(b"[" * 5000 + b"]" * 5000, 10**6)

