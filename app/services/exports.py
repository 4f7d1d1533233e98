"""Report renderings: HL7 FHIR R4 Bundle and a tidy CSV table.

Every value is read from the ``SessionShift`` dictionary that ``hrv`` produced.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from app.db.models import TherapySession

__all__ = ["MARKERS", "fhir_bundle", "report_csv"]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HRV_CODES = "https://hrv-session.dev/fhir/CodeSystem/hrv-markers"
PHASE_EXT = "https://hrv-session.dev/fhir/StructureDefinition/session-phase"
CLIENT_IDS = "https://hrv-session.dev/fhir/client"


@dataclass(frozen=True)
class Marker:
    key: str  # key in the Analysis metrics and in SessionShift.changes
    system: str
    code: str
    display: str
    unit: str
    ucum: str


MARKERS: tuple[Marker, ...] = (
    Marker("mean_hr_bpm", LOINC, "8867-4", "Heart rate", "beats/minute", "/min"),
    Marker("sdnn_ms", LOINC, "80404-7",
           "R-R interval.standard deviation (Heart rate variability)", "ms", "ms"),
    # No LOINC code exists for these: our own code system.
    Marker("rmssd_ms", HRV_CODES, "rmssd",
           "Root mean square of successive NN-interval differences", "ms", "ms"),
    Marker("hf_power_ms2", HRV_CODES, "hf-power",
           "High-frequency (0.15-0.4 Hz) power of NN intervals", "ms2", "ms2"),
    Marker("lf_hf_ratio", HRV_CODES, "lf-hf-ratio", "LF/HF power ratio", "ratio", "1"),
)


def _metric(report: dict[str, Any], phase: str, key: str) -> float | None:
    value = ((report.get(phase) or {}).get("metrics") or {}).get(key)
    return value if isinstance(value, int | float) else None


def _observation(
    s: TherapySession, client_ref: str, marker: Marker, phase: str, value: float
) -> dict[str, Any]:
    category = "vital-signs" if marker.code == "8867-4" else "exam"
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": category,
        }]}],
        "code": {"coding": [{"system": marker.system, "code": marker.code,
                             "display": marker.display}], "text": marker.display},
        "subject": {"identifier": {"system": CLIENT_IDS, "value": client_ref}},
        "valueQuantity": {"value": value, "unit": marker.unit, "system": UCUM,
                          "code": marker.ucum},
        "extension": [{"url": PHASE_EXT, "valueCode": phase}],
    }
    if s.started_at is not None:
        obs["effectiveDateTime"] = s.started_at.isoformat()
    return obs


def fhir_bundle(s: TherapySession, client_ref: str, report: dict[str, Any]) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle of Observations, one per marker and phase."""
    entries: list[dict[str, Any]] = []
    for phase in ("pre", "post"):
        for marker in MARKERS:
            value = _metric(report, phase, marker.key)
            if value is None:
                continue
            entries.append({
                "fullUrl": f"urn:uuid:{_uuid_for(s.id, len(entries))}",
                "resource": _observation(s, client_ref, marker, phase, value),
            })
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": "https://hrv-session.dev/fhir/session", "value": s.id},
        "entry": entries,
    }


def _uuid_for(session_id: str, i: int) -> str:
    """A stable UUID-shaped id per bundle entry (session id + entry index)."""
    h = f"{session_id[:24]}{i:08x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


CSV_COLUMNS = (
    "session_id", "client", "modality", "started_at", "marker", "pre", "post", "delta",
    "pct_change", "ci_low", "ci_high", "meaningful", "direction", "anxiety_pre",
    "anxiety_post", "questionnaire", "questionnaire_pre", "questionnaire_post",
)


def report_csv(s: TherapySession, client_ref: str, report: dict[str, Any]) -> str:
    """One row per marker of ``report['changes']`` with the session's self-reports."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    verdict = report.get("verdict") or {}
    for marker, change in (report.get("changes") or {}).items():
        change = change or {}
        writer.writerow([
            s.id, client_ref, s.modality or "",
            s.started_at.isoformat() if s.started_at else "", marker,
            *(_cell(change.get(k)) for k in
              ("pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful")),
            verdict.get("direction", ""),
            _cell(s.anxiety_pre), _cell(s.anxiety_post), s.questionnaire or "",
            _cell(s.questionnaire_pre), _cell(s.questionnaire_post),
        ])
    return buf.getvalue()


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)
