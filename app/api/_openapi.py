"""OpenAPI descriptions of the raw-body routes (they read the body themselves)."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from app.schemas import AnalysisBody

__all__ = ["RECORDING_BODY", "body_component_schemas"]

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
