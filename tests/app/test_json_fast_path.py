"""Waveform JSON skips per-sample pydantic validation but refuses exactly what it refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.services.ingest import Limits, parse_json
from tests.app._signals import ecg
from tests.app.conftest import TenantKeys

LIMITS = Limits(max_samples=10_000, max_intervals=1_000)


def _raw(body: dict[str, Any]) -> bytes:
    import orjson

    return orjson.dumps(body)


class TestFastPath:
    def test_values_are_exact(self) -> None:
        x = [0.5, -1.25, 3.0, 7, 1e-3]
        parsed = parse_json(_raw({"kind": "ppg", "sampling_rate_hz": 64, "samples": x}), LIMITS)
        assert parsed.samples is not None and parsed.samples.dtype == np.float64
        np.testing.assert_array_equal(parsed.samples, np.asarray(x, dtype=np.float64))
        assert parsed.kind == "ppg" and parsed.fs_hz == 64.0

    @pytest.mark.parametrize("samples, field", [
        ([0.1, None, 0.3], "samples.1"),
        ([0.1, "x", 0.3], "samples.1"),
        ([0.1, [0.2], 0.3], "samples.1"),
        ([], "samples"),
    ])
    def test_bad_samples_name_the_field(self, samples: list[Any], field: str) -> None:
        from app.errors import ValidationFailed

        with pytest.raises(ValidationFailed) as info:
            parse_json(_raw({"kind": "ecg", "sampling_rate_hz": 250, "samples": samples}),
                       LIMITS)
        assert any(e["field"].endswith(field) for e in info.value.errors or [])

    def test_times_must_match(self) -> None:
        from app.errors import ValidationFailed

        body = {"kind": "ppg", "samples": [1.0, 2.0, 3.0], "times_s": [0.0, 0.1]}
        with pytest.raises(ValidationFailed, match="one entry per sample"):
            parse_json(_raw(body), LIMITS)

    def test_other_fields_still_validated(self) -> None:
        from app.errors import PayloadTooLarge, ValidationFailed

        with pytest.raises(ValidationFailed, match="sampling_rate_hz"):
            parse_json(_raw({"kind": "ecg", "sampling_rate_hz": -1, "samples": [1.0]}), LIMITS)
        with pytest.raises(ValidationFailed, match="oops"):
            parse_json(_raw({"kind": "ecg", "sampling_rate_hz": 1, "samples": [1.0],
                             "oops": 1}), LIMITS)
        with pytest.raises(PayloadTooLarge):
            parse_json(_raw({"kind": "ecg", "sampling_rate_hz": 250,
                             "samples": [0.0] * 10_001}), LIMITS)

    def test_ecg_over_http_heart_rate(self, client: TestClient, tenant: TenantKeys) -> None:
        x = ecg(hr_bpm=60.0, dur_s=90)
        r = client.post("/v1/analyses", json={"kind": "ecg", "sampling_rate_hz": 250,
                                              "samples": x.tolist()},
                        headers=tenant.auth("integration"))
        assert r.status_code == 200, r.text
        # Simulated at 60 bpm; 2 bpm covers the RR variability of a 90 s excerpt.
        assert r.json()["metrics"]["mean_hr_bpm"] == pytest.approx(60.0, abs=2.0)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.dtype == b.dtype and np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (isinstance(a, float) and isinstance(b, float)
                            and np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("array", [
    ", ".join(f"{v:.6g}" for v in np.random.default_rng(0).normal(0, 1, 300)),
    ", ".join(["1", "-2.5", "3e2", "4E-3"] * 30),
    ", ".join(["1.5"] * 50 + ["1e999"] + ["2"] * 50),  # overflow: not a finite number
    ", ".join(["1.5"] * 50 + ["-"] + ["2"] * 50),  # not a number at all
])
def test_short_and_long_array_paths_decode_alike(array: str, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    """Short arrays go through orjson, long ones through numpy's parser: the same body
    gives the same values (or the same fallback to full validation) either way."""
    from app.services import ingest

    raw = ('{"kind": "ecg", "sampling_rate_hz": 250, "samples": [' + array + "]}").encode()

    def decode() -> Any:
        try:
            return ("ok", ingest.load_json(raw, 10**6))
        except Exception as exc:  # the same refusal either way
            return ("error", type(exc).__name__)

    short = decode()
    monkeypatch.setattr(ingest, "SMALL_ARRAY", 0)
    long = decode()
    assert short[0] == long[0]
    assert _same(short[1], long[1]), (short, long)
