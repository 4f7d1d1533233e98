"""Report renderings: HL7 FHIR R4 Bundle and a tidy CSV table.

Every value is read from the ``SessionShift`` dictionary that ``hrv`` produced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.db.models import Recording, TherapySession
from hrv.tables import escape_cell

__all__ = ["MARKERS", "fhir_bundle", "recording_times", "report_csv"]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HRV_CODES = "https://hrv-session.dev/fhir/CodeSystem/hrv-markers"
PHASE_EXT = "https://hrv-session.dev/fhir/StructureDefinition/session-phase"
CLIENT_IDS = "https://hrv-session.dev/fhir/client"
GRADE_CODES = "https://hrv-session.dev/fhir/CodeSystem/quality-grade"
DIRECTION_CODES = "https://hrv-session.dev/fhir/CodeSystem/shift-direction"


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


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code,
    }]}]


def _observation(
    s: TherapySession, client_ref: str, marker: Marker, phase: str, value: float,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    category = "vital-signs" if marker.code == "8867-4" else "exam"
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(category),
        "code": {"coding": [{"system": marker.system, "code": marker.code,
                             "display": marker.display}], "text": marker.display},
        "subject": {"identifier": {"system": CLIENT_IDS, "value": client_ref}},
        "valueQuantity": {"value": value, "unit": marker.unit, "system": UCUM,
                          "code": marker.ucum},
        "extension": [{"url": PHASE_EXT, "valueCode": phase}],
    }
    when = when or s.started_at
    if when is not None:
        obs["effectiveDateTime"] = when.isoformat()
    return obs


def _grade_observation(
    s: TherapySession, client_ref: str, phase: str, grade: str, when: dt.datetime | None
) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category("exam"),
        "code": {"coding": [{"system": HRV_CODES, "code": "quality-grade",
                             "display": "Recording quality grade"}],
                 "text": "Recording quality grade"},
        "subject": {"identifier": {"system": CLIENT_IDS, "value": client_ref}},
        "valueCodeableConcept": {"coding": [{"system": GRADE_CODES, "code": grade}],
                                 "text": grade},
        "extension": [{"url": PHASE_EXT, "valueCode": phase}],
    }
    when = when or s.started_at
    if when is not None:
        obs["effectiveDateTime"] = when.isoformat()
    return obs


def _verdict_observation(
    s: TherapySession, client_ref: str, verdict: dict[str, Any], derived: list[str]
) -> dict[str, Any]:
    direction = str(verdict.get("direction") or "inconclusive")
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category("exam"),
        "code": {"coding": [{"system": HRV_CODES, "code": "session-verdict",
                             "display": "Autonomic shift over the therapy session"}],
                 "text": "Autonomic shift over the therapy session"},
        "subject": {"identifier": {"system": CLIENT_IDS, "value": client_ref}},
        "valueCodeableConcept": {
            "coding": [{"system": DIRECTION_CODES, "code": direction,
                        "display": direction.replace("_", " ")}],
            "text": str(verdict.get("summary") or direction),
        },
        "derivedFrom": [{"reference": ref} for ref in derived],
    }
    components: list[dict[str, Any]] = []
    if verdict.get("confidence") is not None:
        components.append({
            "code": {"coding": [{"system": HRV_CODES, "code": "verdict-confidence",
                                 "display": "Confidence in the verdict (0-1)"}]},
            "valueQuantity": {"value": verdict["confidence"], "unit": "1", "system": UCUM,
                              "code": "1"},
        })
    if verdict.get("confidence_label"):
        components.append({
            "code": {"coding": [{"system": HRV_CODES, "code": "verdict-confidence-label"}]},
            "valueString": str(verdict["confidence_label"]),
        })
    if components:
        obs["component"] = components
    if s.started_at is not None:
        obs["effectiveDateTime"] = s.started_at.isoformat()
    return obs


def fhir_bundle(
    s: TherapySession, client_ref: str, report: dict[str, Any],
    recorded_at: dict[str, dt.datetime] | None = None,
) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle of Observations.

    One per marker and phase and one quality grade per phase, each with its own
    recording's time (``recorded_at[phase]``; the session start when unknown), and the
    verdict with its confidence, derived from the marker Observations.
    """
    times = recorded_at or {}
    entries: list[dict[str, Any]] = []

    def add(resource: dict[str, Any]) -> str:
        url = f"urn:uuid:{_uuid_for(s.id, len(entries))}"
        entries.append({"fullUrl": url, "resource": resource})
        return url

    markers: list[str] = []
    for phase in ("pre", "post"):
        for marker in MARKERS:
            value = _metric(report, phase, marker.key)
            if value is None:
                continue
            markers.append(add(_observation(s, client_ref, marker, phase, value,
                                            times.get(phase))))
        grade = ((report.get(phase) or {}).get("quality") or {}).get("grade")
        if isinstance(grade, str):
            add(_grade_observation(s, client_ref, phase, grade, times.get(phase)))
    verdict = report.get("verdict")
    if isinstance(verdict, dict):
        add(_verdict_observation(s, client_ref, verdict, markers))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": "https://hrv-session.dev/fhir/session", "value": s.id},
        "entry": entries,
    }


def recording_times(recordings: Iterable[Recording]) -> dict[str, dt.datetime]:
    """When each phase's recording was taken: the start time its file declares (kept
    in the analysis provenance) or, failing that, when the service received it."""
    out: dict[str, dt.datetime] = {}
    for rec in recordings:
        provenance = (rec.analysis or {}).get("provenance") or {}
        declared = provenance.get("start_time") or (provenance.get("recording") or {}).get(
            "start_time")
        when = rec.created_at
        if isinstance(declared, str):
            try:
                parsed = dt.datetime.fromisoformat(declared)
                when = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
            except ValueError:
                pass
        out[rec.phase] = when
    return out


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
        # Text cells pass through escape_cell (a client reference "=HYPERLINK(...)"
        # must not become a formula); numbers are formatted here and stay numbers.
        writer.writerow([
            escape_cell(s.id), escape_cell(client_ref), escape_cell(s.modality or ""),
            s.started_at.isoformat() if s.started_at else "", escape_cell(str(marker)),
            *(_cell(change.get(k)) for k in
              ("pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful")),
            escape_cell(str(verdict.get("direction") or "")),
            _cell(s.anxiety_pre), _cell(s.anxiety_post), escape_cell(s.questionnaire or ""),
            _cell(s.questionnaire_pre), _cell(s.questionnaire_post),
        ])
    return buf.getvalue()


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)
