"""A file uploaded to the service and the same file read and analysed with ``hrv`` in a
notebook give the same numbers (the service adds nothing of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import hrv
from hrv.io import read_recording
from tests.app.conftest import TenantKeys

SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"


@pytest.mark.parametrize(
    "name",
    ["nsr001_pre.txt", "polar_exercise_pre.hrm", "mitdb101_pre.edf",
     "welltory_subject16_pre.csv"],
)
class TestNotebookParity:
    def test_upload_equals_library(
        self, name: str, client: TestClient, tenant: TenantKeys
    ) -> None:
        path = SAMPLES / name
        r = client.post(
            "/v1/analyses", files={"file": (path.name, path.read_bytes())},
            headers=tenant.auth("integration"),
        )
        assert r.status_code == 200, r.text
        lib = hrv.analyze_recording(read_recording(path)).to_dict(include_beats=False)
        out = r.json()
        assert out["kind"] == lib["kind"]
        assert out["metrics"] == lib["metrics"]
        assert out["quality"]["grade"] == lib["quality"]["grade"]
        assert out["respiration"]["rate_bpm"] == lib["respiration"]["rate_bpm"]
