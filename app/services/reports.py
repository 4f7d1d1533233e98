"""Session shift report: re-analysis of the stored recordings and ``hrv`` comparison."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

import hrv
from app.auth import Principal
from app.db.models import Recording, TherapySession, utcnow
from app.db.repositories import RecordingRepository
from app.errors import Conflict
from app.schemas import Phase
from app.services.baseline import baseline_section, client_baseline
from app.services.ingest import Limits, analyze_parsed, parse_stored
from app.services.sessions import analysis_dict, get_session, load_stored_body

__all__ = ["compute_report", "reanalyze_session", "session_report"]


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
) -> dict[str, Any]:
    """The session's shift report, from the cache when nothing it depends on changed.

    The smallest worthwhile change comes from the client's earlier sessions when there
    are enough (see :mod:`app.services.baseline`); ``report["baseline"]`` says which
    source was used. The cache key covers the algorithm version, both recordings and
    the earlier sessions' pre recordings.
    """
    recs = {r.phase: r for r in RecordingRepository(db).for_session(s.tenant_id, s.id)}
    missing = [p.value for p in (Phase.PRE, Phase.POST) if p.value not in recs]
    if missing:
        raise Conflict(
            f"the report needs both recordings; missing: {', '.join(missing)} "
            f"(PUT /v1/sessions/{s.id}/recordings/<phase>)"
        )
    pre, post = recs[Phase.PRE.value], recs[Phase.POST.value]
    history = client_baseline(db, s, max_sessions=max_baseline_sessions, load=False)
    version = _version(pre, post, history.fingerprint)
    if not force and s.report is not None and s.report_version == version:
        return s.report
    from hrv.shift import ShiftConfig, compare

    history = client_baseline(db, s, max_sessions=max_baseline_sessions)
    pre_a, post_a = _analyze(pre, limits), _analyze(post, limits)
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
    s = get_session(db, principal, session_id)
    shift = compute_report(db, s, limits, max_baseline_sessions=max_baseline_sessions)
    db.commit()
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
