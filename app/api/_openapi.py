"""OpenAPI descriptions of the raw-body routes (they read the body themselves)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.schemas import AnalysisBody, RestComparisonOut

__all__ = ["PROBLEM_STATUSES", "RECORDING_BODY", "RECORDING_QUERY", "body_component_schemas",
           "finish_openapi"]

_REF = "#/components/schemas/{model}"


def body_component_schemas() -> dict[str, Any]:
    schema = TypeAdapter(AnalysisBody).json_schema(ref_template=_REF)
    defs: dict[str, Any] = schema.pop("$defs", {})
    defs["AnalysisBody"] = schema
    return defs


RECORDING_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/AnalysisBody"},
                "examples": {
                    "rr": {"summary": "RR intervals",
                           "value": {"kind": "rr", "rr_ms": [812, 798, 845, 830, 801]}},
                    "ecg": {"summary": "ECG waveform",
                            "value": {"kind": "ecg", "sampling_rate_hz": 250, "unit": "mV",
                                      "samples": [0.01, 0.02, 0.9, 0.1, -0.05]}},
                    "beats": {"summary": "Beat times",
                              "value": {"kind": "rr", "beat_times_s": [0.0, 0.81, 1.61]}},
                },
            },
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary",
                           "description": "Little-endian float32/float64 samples; query "
                                          "kind, sampling_rate_hz, dtype"},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string",
                                   "description": "hrv.io format name; sniffed if absent"},
                        "kind": {"type": "string", "enum": ["ecg", "ppg", "rr"]},
                        "channel": {"type": "string"},
                    },
                },
                "examples": {"polar": {"value": {"format": "polar_hrm"}}},
            },
        },
    }
}


# --- The parts FastAPI cannot infer: security, problem responses, raw-body contracts ---

PROBLEM_JSON = "application/problem+json"
#: Statuses any operation of the API may answer with a problem document.
PROBLEM_STATUSES: dict[str, str] = {
    "400": "Malformed request (body not JSON, bad multipart)",
    "401": "Missing or invalid API key",
    "403": "The key's role does not allow this",
    "404": "Not found (or not visible to this key)",
    "406": "No representation matches Accept",
    "408": "The request body did not arrive in time",
    "409": "Conflict with the current state",
    "413": "Body or sample count over the limit",
    "415": "Unsupported content type or file format",
    "422": "Invalid body, parameters or data",
    "429": "Rate limit exceeded (see Retry-After)",
    "503": "Database unavailable (see Retry-After)",
}
_UNAUTHENTICATED = ("/healthz", "/readyz")
#: Problem statuses that always carry ``Retry-After`` (whole seconds).
_RETRY_AFTER_STATUSES = ("429", "503")
_RETRY_AFTER: dict[str, Any] = {
    "description": "Whole seconds to wait before retrying",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_NUMBER_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "null"}]}
_WARNING: dict[str, Any] = {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
_ANALYSIS: dict[str, Any] = {
    "type": "object",
    "description": "The hrv result contract (hrv.Analysis.to_dict)",
    "required": ["kind", "duration_s", "metrics", "respiration", "quality", "provenance"],
    "properties": {
        "kind": {"type": "string", "enum": ["ecg", "ppg", "rr"]},
        "variability": {"type": "string"},
        "duration_s": {"type": "number"},
        "metrics": {"type": "object", "additionalProperties": _NUMBER_OR_NULL},
        "respiration": {"type": "object"},
        "quality": {
            "type": "object",
            "required": ["grade", "warnings"],
            "properties": {"grade": {"type": "string"},
                           "warnings": {"type": "array", "items": _WARNING}},
        },
        "provenance": {"type": "object"},
        "beats": {"type": "object"},
        "spectrum": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    },
}
_REPORT: dict[str, Any] = {
    "type": "object",
    "description": "The before/after shift (hrv.SessionShift.to_dict) with the baseline "
                   "and the session's self-reports",
    "required": ["session_id", "pre", "post", "changes", "verdict", "provenance"],
    "properties": {
        "session_id": {"type": "string"},
        "pre": {"$ref": "#/components/schemas/Analysis"},
        "post": {"$ref": "#/components/schemas/Analysis"},
        "changes": {"type": "object"},
        "verdict": {"type": "object", "required": ["direction", "summary"]},
        "trend": {"type": "object"},
        "baseline": {"type": "object"},
        "self_report": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        "provenance": {"type": "object"},
        "rest_comparison": {
            "anyOf": [{"$ref": "#/components/schemas/RestComparison"}, {"type": "null"}],
            "description": "This session beside the client's rest-only control sessions "
                           "(modality rest); null without any",
        },
    },
}
#: Query parameters of a recording body sent raw (binary floats, or a file by format).
RECORDING_QUERY: list[dict[str, Any]] = [
    {"name": "format", "in": "query", "required": False,
     "description": "hrv.io format name: the body is that file (sniffed in multipart)",
     "schema": {"type": "string"}},
    {"name": "kind", "in": "query", "required": False,
     "description": "ecg, ppg or rr: what a binary body or a multi-channel file holds",
     "schema": {"type": "string", "enum": ["ecg", "ppg", "rr"]}},
    {"name": "sampling_rate_hz", "in": "query", "required": False,
     "description": "Sampling rate of a binary waveform (or a CSV without a time column)",
     "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000}},
    {"name": "dtype", "in": "query", "required": False,
     "description": "Binary body: little-endian float32 (default) or float64",
     "schema": {"type": "string", "enum": ["float32", "float64"]}},
    {"name": "unit", "in": "query", "required": False,
     "description": "Binary RR body: ms (default), s or auto", "schema": {"type": "string"}},
    {"name": "channel", "in": "query", "required": False,
     "description": "Channel label or 1-based number of a multi-channel file",
     "schema": {"type": "string"}},
    {"name": "filename", "in": "query", "required": False,
     "description": "Original file name, a hint for sniffing", "schema": {"type": "string"}},
]
#: (method, path) -> schema name of a 200 response FastAPI sees only as ``Response``.
_RESPONSE_SCHEMAS = {
    ("post", "/v1/analyses"): "Analysis",
    ("get", "/v1/sessions/{session_id}/report"): "Report",
}


def finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare what the generated document leaves out (in place; returns ``schema``).

    The bearer security scheme (every ``/v1`` operation), the problem+json responses
    of every operation, the schemas of the JSON responses the routes build themselves
    (the analysis, the report), and the query parameters of raw recording bodies.
    """
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer",
        "description": "An API key: Authorization: Bearer <key>",
    }
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = _PROBLEM
    schemas["Analysis"] = _ANALYSIS
    schemas["Report"] = _REPORT
    schemas["RestComparison"] = RestComparisonOut.model_json_schema(ref_template=_REF)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            if not path.startswith(_UNAUTHENTICATED):
                op["security"] = [{"bearer": []}]
            responses = op["responses"]
            for status, description in PROBLEM_STATUSES.items():
                responses[status] = {"description": description, "content": problem}
                if status in _RETRY_AFTER_STATUSES:
                    responses[status]["headers"] = {"Retry-After": _RETRY_AFTER}
            name = _RESPONSE_SCHEMAS.get((method, path))
            if name is not None:
                ok = responses.setdefault("200", {"description": "OK"})
                content = ok.setdefault("content", {})
                content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
            body = op.get("requestBody", {}).get("content", {})
            if "application/octet-stream" in body:
                have = {p["name"] for p in op.get("parameters", [])}
                op.setdefault("parameters", []).extend(
                    p for p in RECORDING_QUERY if p["name"] not in have
                )
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema
