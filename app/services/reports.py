"""Session shift report: re-analysis of the stored recordings and ``hrv`` comparison."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

import hrv
from app.auth import Principal, Role
from app.db.models import Recording, TherapySession, utcnow
from app.db.repositories import ClientRepository, RecordingRepository
from app.errors import Conflict
from app.schemas import Phase
from app.services import audit, exports
from app.services.baseline import baseline_section, client_baseline
from app.services.ingest import Limits, analyze_parsed, parse_stored
from app.services.sessions import analysis_dict, get_session, load_stored_body, stored_analysis

__all__ = [
    "ReportDocument",
    "compute_report",
    "reanalyze_session",
    "report_document",
    "session_report",
]


def _analyze(rec: Recording, limits: Limits) -> hrv.Analysis:
    return analyze_parsed(parse_stored(load_stored_body(rec), limits))


DEFAULT_BASELINE_SESSIONS = 10


def _version(pre: Recording, post: Recording, baseline_fingerprint: str) -> str:
    """The report cache key: algorithm version, both recordings and the baseline."""
    parts = (hrv.__version__, pre.sha256, post.sha256, baseline_fingerprint)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _self_report(s: TherapySession) -> dict[str, Any]:
    return {
        "questionnaire": s.questionnaire,
        "pre": {"anxiety": s.anxiety_pre, "questionnaire_score": s.questionnaire_pre},
        "post": {"anxiety": s.anxiety_post, "questionnaire_score": s.questionnaire_post},
    }


def compute_report(
    db: Session,
    s: TherapySession,
    limits: Limits,
    *,
    force: bool = False,
    max_baseline_sessions: int = DEFAULT_BASELINE_SESSIONS,
    clinic_wide: bool = False,
) -> dict[str, Any]:
    """The session's shift report, from the cache when nothing it depends on changed.

    The smallest worthwhile change comes from the client's earlier sessions when there
    are enough (see :mod:`app.services.baseline`); ``report["baseline"]`` says which
    source was used; with ``clinic_wide`` every earlier session of the client counts,
    otherwise only those of the session's therapist (see :mod:`app.services.baseline`).
    The cache key covers the algorithm version, both recordings and the earlier
    sessions' pre recordings.
    """
    recs = {r.phase: r for r in RecordingRepository(db).for_session(s.tenant_id, s.id)}
    missing = [p.value for p in (Phase.PRE, Phase.POST) if p.value not in recs]
    if missing:
        raise Conflict(
            f"the report needs both recordings; missing: {', '.join(missing)} "
            f"(PUT /v1/sessions/{s.id}/recordings/<phase>)"
        )
    pre, post = recs[Phase.PRE.value], recs[Phase.POST.value]
    history = client_baseline(db, s, max_sessions=max_baseline_sessions, load=False,
                              clinic_wide=clinic_wide)
    version = _version(pre, post, history.fingerprint)
    if not force and s.report is not None and s.report_version == version:
        return s.report
    from hrv.shift import ShiftConfig, compare

    history = client_baseline(db, s, max_sessions=max_baseline_sessions,
                              clinic_wide=clinic_wide)
    # Built from the stored analyses (no raw file decoded) when this version made them.
    pre_a, post_a = stored_analysis(pre, limits), stored_analysis(post, limits)
    report = dict(compare(pre_a, post_a, baseline=history.baseline).to_dict())
    report["baseline"] = baseline_section(
        history, report, ShiftConfig().min_baseline_sessions
    )
    s.report = report
    s.report_version = version
    for rec, a in ((pre, pre_a), (post, post_a)):
        if rec.hrv_version != hrv.__version__:
            rec.analysis = analysis_dict(a)
            rec.hrv_version = hrv.__version__
            rec.analyzed_at = utcnow()
    db.flush()
    return report


def session_report(
    db: Session,
    principal: Principal,
    session_id: str,
    limits: Limits,
    max_baseline_sessions: int = DEFAULT_BASELINE_SESSIONS,
) -> tuple[TherapySession, dict[str, Any]]:
    """The report of a session the caller can read, its baseline drawn from what they read.

    A therapist's report uses only their own earlier sessions with the client; the
    tenant-wide roles get the client's clinic-wide history.
    """
    s = get_session(db, principal, session_id)
    shift = compute_report(db, s, limits, max_baseline_sessions=max_baseline_sessions,
                           clinic_wide=principal.role is not Role.THERAPIST)
    out = dict(shift)
    out["session_id"] = s.id
    out["self_report"] = _self_report(s)
    return s, out


def reanalyze_session(db: Session, s: TherapySession, limits: Limits) -> dict[str, Any]:
    """Re-analyse every stored recording of ``s`` with the current algorithm version."""
    phases: list[str] = []
    for rec in RecordingRepository(db).for_session(s.tenant_id, s.id):
        analysis = _analyze(rec, limits)
        rec.analysis = analysis_dict(analysis)
        rec.hrv_version = hrv.__version__
        rec.analyzed_at = utcnow()
        phases.append(rec.phase)
    s.report = None
    s.report_version = None
    db.flush()
    result: dict[str, Any] = {"hrv_version": hrv.__version__, "phases": sorted(phases)}
    if {Phase.PRE.value, Phase.POST.value} <= set(phases):
        report = compute_report(db, s, limits, force=True)
        verdict = report.get("verdict", {}) if isinstance(report, dict) else {}
        result["direction"] = verdict.get("direction")
    return result


@dataclass(frozen=True)
class ReportDocument:
    """A report rendered for one media type, with the headers that go with it."""

    body: bytes
    media_type: str
    headers: dict[str, str]


def report_document(
    db: Session, principal: Principal, session_id: str, limits: Limits, media: str
) -> ReportDocument:
    """The report as JSON, FHIR R4 Bundle or CSV; the export is audit-logged.

    The audit event names the session and the format, never the client reference.
    """
    s, report = session_report(db, principal, session_id, limits)
    audit.record(db, principal, "report.export", s.id, {"format": media})
    if media == "application/json":
        return ReportDocument(
            orjson.dumps(report, option=orjson.OPT_SERIALIZE_NUMPY), media, {}
        )
    client = ClientRepository(db).client(s.tenant_id, s.client_id)
    client_ref = client.reference if client else ""
    if media == "application/fhir+json":
        times = exports.recording_times(RecordingRepository(db).for_session(s.tenant_id, s.id))
        return ReportDocument(
            orjson.dumps(exports.fhir_bundle(s, client_ref, report, times)), media, {}
        )
    if media == "text/csv":
        return ReportDocument(
            exports.report_csv(s, client_ref, report).encode("utf-8"),
            "text/csv; charset=utf-8",
            {"Content-Disposition": f'attachment; filename="session-{s.id}.csv"'},
        )
    raise ValueError(f"no rendering for {media!r}")


def record_export(db: Session, principal: Principal, session_id: str, media: str) -> None:
    """Audit an export rendered elsewhere (the HTML and PDF pages of a report)."""
    s = get_session(db, principal, session_id)
    audit.record(db, principal, "report.export", s.id, {"format": media})
