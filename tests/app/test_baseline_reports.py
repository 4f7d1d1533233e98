"""Reports take the smallest worthwhile change from the client's own earlier sessions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.app._signals import rr_body
from tests.app.conftest import TenantKeys
from tests.app.test_recordings import POST, PRE
from tests.app.test_sessions import create

# Earlier resting (pre) recordings of one client with different vagal tone: HF amplitude
# 10..40 ms gives RMSSD spread enough for a clearly non-zero SD of ln RMSSD.
HISTORY_HF_MS = (10.0, 18.0, 28.0, 40.0)


def _day(d: int) -> str:
    return f"2025-03-{d:02d}T10:00:00Z"


def _put(http: TestClient, tenant: TenantKeys, sid: str, phase: str, body: Any) -> Any:
    r = http.put(f"/v1/sessions/{sid}/recordings/{phase}", json=body,
                 headers=tenant.auth("integration"))
    assert r.status_code in (200, 201), r.text
    return r.json()


def earlier_session(
    http: TestClient, tenant: TenantKeys, day: int, hf_ms: float, client: str = "C-1"
) -> tuple[str, float]:
    """A session with only a pre recording; returns its id and stored ln RMSSD."""
    s = create(http, tenant, client=client, started_at=_day(day))
    rec = _put(http, tenant, s["id"], "pre", rr_body(hr_bpm=70, hf_ms=hf_ms, seed=100 + day))
    return s["id"], math.log(rec["analysis"]["metrics"]["rmssd_ms"])


def reported_session(http: TestClient, tenant: TenantKeys, day: int = 20) -> str:
    s = create(http, tenant, started_at=_day(day))
    _put(http, tenant, s["id"], "pre", PRE)
    _put(http, tenant, s["id"], "post", POST)
    return str(s["id"])


def report(http: TestClient, tenant: TenantKeys, sid: str) -> dict[str, Any]:
    r = http.get(f"/v1/sessions/{sid}/report", headers=tenant.auth("therapist"))
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestBaselineSource:
    def test_first_session_uses_published_errors(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        out = report(client, tenant, reported_session(client, tenant))
        assert out["baseline"]["source"] == "published"
        assert out["baseline"]["n_sessions"] == 0
        # Published SWC of ln RMSSD: ln(1.10) (Al Haddad et al. 2011, ShiftConfig default).
        assert out["changes"]["ln_rmssd"]["swc"] == pytest.approx(math.log(1.10), rel=1e-9)

    def test_client_history_gives_the_swc(self, client: TestClient, tenant: TenantKeys) -> None:
        ln_r = [earlier_session(client, tenant, d, hf)[1]
                for d, hf in enumerate(HISTORY_HF_MS[:3], start=1)]
        # Another client's sessions and a later session of this client never count.
        earlier_session(client, tenant, 2, 90.0, client="C-other")
        earlier_session(client, tenant, 25, 90.0)
        sid = reported_session(client, tenant)
        out = report(client, tenant, sid)
        assert out["baseline"]["source"] == "client_history"
        assert out["baseline"]["n_sessions"] == 3
        assert sid not in out["baseline"]["session_ids"]
        change = out["changes"]["ln_rmssd"]
        assert change["swc_source"] == "baseline"
        # SWC = 0.5 x SD(ddof=1) of ln RMSSD over the three earlier pre recordings
        # (Hopkins 2000); same floats in, so only rounding separates the two sums.
        assert change["swc"] == pytest.approx(0.5 * float(np.std(ln_r, ddof=1)), rel=1e-9)

    def test_too_few_sessions_say_why(self, client: TestClient, tenant: TenantKeys) -> None:
        for d, hf in enumerate(HISTORY_HF_MS[:2], start=1):
            earlier_session(client, tenant, d, hf)
        out = report(client, tenant, reported_session(client, tenant))
        assert out["baseline"]["source"] == "published"
        assert out["baseline"]["n_sessions"] == 2
        assert "3 are needed" in out["baseline"]["reason"]
        assert out["changes"]["ln_rmssd"]["swc_source"] == "published"


class TestBaselineCache:
    def test_new_earlier_session_invalidates_report(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        for d, hf in enumerate(HISTORY_HF_MS[:2], start=1):
            earlier_session(client, tenant, d, hf)
        sid = reported_session(client, tenant)
        assert report(client, tenant, sid)["baseline"]["source"] == "published"
        # A later session leaves the cached report as it was.
        earlier_session(client, tenant, 28, 40.0)
        assert report(client, tenant, sid)["baseline"]["n_sessions"] == 2
        # An earlier one changes the baseline: now three sessions, the client's own SWC.
        earlier_session(client, tenant, 3, HISTORY_HF_MS[2])
        out = report(client, tenant, sid)
        assert out["baseline"]["source"] == "client_history"
        assert out["baseline"]["n_sessions"] == 3

    def test_moving_and_deleting_sessions_change_baseline(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        ids = [earlier_session(client, tenant, d, hf)[0]
               for d, hf in enumerate(HISTORY_HF_MS[:3], start=1)]
        later, _ = earlier_session(client, tenant, 27, HISTORY_HF_MS[3])
        sid = reported_session(client, tenant)
        assert report(client, tenant, sid)["baseline"]["n_sessions"] == 3
        # Re-dating the later session to before the reported one adds it.
        r = client.patch(f"/v1/sessions/{later}", json={"started_at": _day(4)},
                         headers=tenant.auth("admin"))
        assert r.status_code == 200, r.text
        assert report(client, tenant, sid)["baseline"]["n_sessions"] == 4
        # Deleting two earlier sessions takes the baseline under the minimum.
        for gone in ids[:2]:
            assert client.delete(f"/v1/sessions/{gone}",
                                 headers=tenant.auth("admin")).status_code == 204
        out = report(client, tenant, sid)
        assert out["baseline"]["n_sessions"] == 2
        assert out["baseline"]["source"] == "published"
        assert set(out["baseline"]["session_ids"]) == {ids[2], later}


class TestLookups:
    def test_a_report_cache_miss_looks_up_the_history_once(
        self, client: TestClient, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.db.repositories import SessionRepository

        for day, hf in zip((1, 2, 3), HISTORY_HF_MS, strict=False):
            earlier_session(client, tenant, day, hf)
        sid = reported_session(client, tenant)
        calls: list[str] = []
        real = SessionRepository.history

        def counting(self: SessionRepository, *args: Any, **kwargs: Any) -> Any:
            calls.append(args[3] if len(args) > 3 else kwargs.get("phase", "?"))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(SessionRepository, "history", counting)
        first = report(client, tenant, sid)
        assert first["baseline"]["source"] == "client_history"
        # One lookup of the earlier pre recordings (baseline) and one per phase for the
        # rest-only sessions: the cache miss reuses what the cache check found.
        assert sorted(calls) == ["post", "pre", "pre"], calls
