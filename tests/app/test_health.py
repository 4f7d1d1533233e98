"""Operations endpoints, request ids, metrics and problem responses for unknown routes."""

from __future__ import annotations

from fastapi.testclient import TestClient


class TestHealth:
    def test_healthz(self, client: TestClient) -> None:
        r = client.get("/healthz")
        assert r.status_code == 200
        assert r.json()["status"] == "ok"

    def test_readyz_checks_database(self, client: TestClient) -> None:
        r = client.get("/readyz")
        assert r.status_code == 200
        assert r.json() == {"status": "ready", "database": "ok"}

    def test_readyz_reports_broken_database(self, client: TestClient) -> None:
        def broken() -> None:
            raise ConnectionError("down")

        client.app.state.db.ping = broken  # type: ignore[attr-defined]
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable"
        assert int(r.headers["retry-after"]) > 0


class TestRequestId:
    def test_generated_when_absent(self, client: TestClient) -> None:
        r = client.get("/healthz")
        assert len(r.headers["x-request-id"]) == 32

    def test_echoed_when_given(self, client: TestClient) -> None:
        r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"

    def test_unsafe_id_replaced(self, client: TestClient) -> None:
        r = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
        assert r.headers["x-request-id"] != "bad id\twith spaces"


class TestMetrics:
    def test_counts_requests_by_route_template(self, client: TestClient) -> None:
        client.get("/healthz")
        # An id that no number in the exposition can contain (latencies, timestamps).
        client.get("/v1/sessions/sess-id-xyz", headers={"Authorization": "Bearer nope"})
        body = client.get("/metrics").text
        assert 'hrv_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in body
        # The id never appears in a label, only the template.
        assert 'route="/v1/sessions/{session_id}",status="401"' in body
        assert "sess-id-xyz" not in body


class TestProblems:
    def test_unknown_route_is_problem_json(self, client: TestClient) -> None:
        r = client.get("/nope")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["type"] == "https://hrv-session.dev/problems/not-found"
        assert body["status"] == 404

    def test_method_not_allowed(self, client: TestClient) -> None:
        r = client.delete("/healthz")
        assert r.status_code == 405
        assert r.json()["type"].endswith("/method-not-allowed")

    def test_openapi_has_body_examples(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        body = spec["paths"]["/v1/analyses"]["post"]["requestBody"]["content"]
        assert {"application/json", "application/octet-stream", "multipart/form-data"} <= set(
            body
        )
        assert "AnalysisBody" in spec["components"]["schemas"]
        assert "SessionCreate" in spec["components"]["schemas"]

    def test_openapi_declares_conflicts_limits_and_retry_after(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                responses = op["responses"]
                for status in ("409", "413", "429", "503"):
                    assert status in responses, (method, path, status)
                for status in ("429", "503"):
                    header = responses[status]["headers"]["Retry-After"]
                    assert header["schema"]["type"] == "integer", (method, path)
