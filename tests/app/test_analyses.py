"""POST /v1/analyses: every body form, limits and problem responses."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from hrv.analysis import analyze_intervals
from tests.app._signals import ecg, rr_body, rr_ms
from tests.app.conftest import SHARED_DATA, TenantKeys


class TestIntervals:
    def test_rr_json_gives_library_numbers(self, client: TestClient, tenant: TenantKeys) -> None:
        body = rr_body(hr_bpm=65, seed=4)
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["kind"] == "rr" and "beats" not in out
        # Truth: the simulator's mean rate; 1 bpm covers the series' own variability.
        assert out["metrics"]["mean_hr_bpm"] == pytest.approx(65, abs=1.0)
        # The service adds nothing: a notebook calling hrv gets the same numbers.
        lib = analyze_intervals(body["rr_ms"], unit="ms").to_dict(include_beats=False)
        assert out["metrics"] == lib["metrics"]

    def test_include_beats(self, client: TestClient, tenant: TenantKeys) -> None:
        body = rr_body(seed=5, dur_s=120)
        r = client.post("/v1/analyses?include=beats", json=body,
                        headers=tenant.auth("integration"))
        assert r.status_code == 200
        assert len(r.json()["beats"]["times_s"]) >= len(body["rr_ms"]) - 1

    def test_beat_times(self, client: TestClient, tenant: TenantKeys) -> None:
        times = np.concatenate([[0.0], np.cumsum(rr_ms(hr_bpm=70, seed=6)) / 1000.0])
        r = client.post("/v1/analyses", json={"kind": "rr", "beat_times_s": times.tolist()},
                        headers=tenant.auth("integration"))
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["mean_hr_bpm"] == pytest.approx(70, abs=1.0)

    def test_validity_flags_drop_intervals(self, client: TestClient, tenant: TenantKeys) -> None:
        rr = rr_ms(seed=7)
        rr[100] = 3000.0  # a dropped beat as a device would report it
        valid = [True] * len(rr)
        valid[100] = False
        r = client.post("/v1/analyses", json={"kind": "rr", "rr_ms": rr, "valid": valid},
                        headers=tenant.auth("integration"))
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["mean_hr_bpm"] == pytest.approx(65, abs=1.0)

    def test_binary_rr(self, client: TestClient, tenant: TenantKeys) -> None:
        rr = np.asarray(rr_ms(hr_bpm=72, seed=8), dtype="<f8")
        r = client.post("/v1/analyses?kind=rr&dtype=float64", content=rr.tobytes(),
                        headers={**tenant.auth("integration"),
                                 "content-type": "application/octet-stream"})
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["mean_hr_bpm"] == pytest.approx(72, abs=1.0)


class TestWaveforms:
    def test_ecg_json_and_binary_agree(self, client: TestClient, tenant: TenantKeys) -> None:
        x = ecg(hr_bpm=60, dur_s=120).astype(np.float32)
        h = tenant.auth("integration")
        j = client.post("/v1/analyses", json={"kind": "ecg", "sampling_rate_hz": 250,
                                              "samples": x.astype(float).tolist()}, headers=h)
        b = client.post("/v1/analyses?kind=ecg&sampling_rate_hz=250&dtype=float32",
                        content=x.astype("<f4").tobytes(),
                        headers={**h, "content-type": "application/octet-stream"})
        assert j.status_code == b.status_code == 200, (j.text, b.text)
        # Truth: beats placed at 60 bpm on average; 1 bpm for the RR modulation.
        assert j.json()["metrics"]["mean_hr_bpm"] == pytest.approx(60, abs=1.0)
        assert j.json()["metrics"] == b.json()["metrics"]

    def test_file_upload_polar_hrm(self, client: TestClient, tenant: TenantKeys) -> None:
        folder = SHARED_DATA / "polar"
        files = sorted(folder.glob("*.hrm")) if folder.is_dir() else []
        if not files:
            pytest.skip(f"no Polar .hrm files in {folder}")
        path = max(files, key=lambda p: p.stat().st_size)
        r = client.post("/v1/analyses", files={"file": (path.name, path.read_bytes())},
                        data={"format": "polar_hrm"}, headers=tenant.auth("integration"))
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "rr"

    def test_file_body_with_format_query(self, client: TestClient, tenant: TenantKeys) -> None:
        text = "\n".join(str(v) for v in rr_ms(hr_bpm=62, seed=9)).encode()
        r = client.post("/v1/analyses?format=rr_text", content=text,
                        headers={**tenant.auth("integration"), "content-type": "text/plain"})
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["mean_hr_bpm"] == pytest.approx(62, abs=1.0)


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "status", "slug"),
        [
            ({"kind": "rr", "rr_ms": [800, -5, 810]}, 422, "invalid-input"),
            ({"kind": "rr", "rr_ms": [800]}, 422, "insufficient-data"),
            ({"kind": "rr"}, 422, "validation-error"),
            ({"kind": "eeg", "samples": [1]}, 422, "validation-error"),
            ({"kind": "ecg", "samples": [1, 2, 3]}, 422, "validation-error"),
            ({"kind": "rr", "rr_ms": [800] * 50, "config": {"spectrum": {"method": "x"}}},
             422, "invalid-config"),
        ],
    )
    def test_problem_json(
        self, client: TestClient, tenant: TenantKeys, body: dict, status: int, slug: str
    ) -> None:
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["type"] == f"https://hrv-session.dev/problems/{slug}"
        assert problem["title"] and problem["detail"]

    def test_malformed_file_names_line(self, client: TestClient, tenant: TenantKeys) -> None:
        text = b"800\n810\nabc\n820\n" * 20
        r = client.post("/v1/analyses?format=rr_text", content=text,
                        headers={**tenant.auth("integration"), "content-type": "text/plain"})
        assert r.status_code in (415, 422), r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "line" in r.json()["detail"]

    def test_unknown_format(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/analyses?format=nope", content=b"1\n2\n",
                        headers={**tenant.auth("integration"), "content-type": "text/plain"})
        assert r.status_code in (415, 422)
        assert r.headers["content-type"] == "application/problem+json"

    def test_unsupported_content_type(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/analyses", content=b"x",
                        headers={**tenant.auth("integration"), "content-type": "image/png"})
        assert r.status_code == 415

    def test_binary_wrong_length(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/analyses?kind=ecg&sampling_rate_hz=250&dtype=float32",
                        content=b"\x00" * 7,
                        headers={**tenant.auth("integration"),
                                 "content-type": "application/octet-stream"})
        assert r.status_code == 400
        assert r.json()["type"].endswith("/bad-request")

    def test_binary_missing_rate(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/analyses?kind=ecg", content=b"\x00" * 8,
                        headers={**tenant.auth("integration"),
                                 "content-type": "application/octet-stream"})
        assert r.status_code == 422

    def test_body_limit_413(self, client: TestClient, tenant: TenantKeys) -> None:
        big = b"\x00" * 2_000_004  # settings fixture: max_body_bytes = 2,000,000
        r = client.post("/v1/analyses?kind=ecg&sampling_rate_hz=250", content=big,
                        headers={**tenant.auth("integration"),
                                 "content-type": "application/octet-stream"})
        assert r.status_code == 413
        assert r.json()["type"].endswith("/payload-too-large")

    def test_sample_limit_413(self, client: TestClient, tenant: TenantKeys) -> None:
        n = 200_001  # settings fixture: max_samples = 200,000; 800 kB is under the body limit
        r = client.post("/v1/analyses?kind=ecg&sampling_rate_hz=250&dtype=float32",
                        content=b"\x00" * (4 * n),
                        headers={**tenant.auth("integration"),
                                 "content-type": "application/octet-stream"})
        assert r.status_code == 413
