"""Session shift report: re-analysis of the stored recordings and ``hrv`` comparison."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

import hrv
from app.auth import Principal, Role
from app.db.models import Recording, TherapySession, utcnow
from app.db.repositories import (
    ClientRepository,
    RecordingRepository,
    SessionFilters,
    SessionRepository,
)
from app.errors import AppError, Conflict
from app.schemas import REST_MODALITY, Phase
from app.services import audit, exports
from app.services.baseline import baseline_section, client_baseline, load_baseline
from app.services.ingest import Limits, analyze_parsed, parse_stored
from app.services.sessions import analysis_dict, get_session, load_stored_body, stored_analysis

__all__ = [
    "REST_MODALITY",
    "ReportDocument",
    "RestSessions",
    "compute_report",
    "reanalyze_session",
    "report_document",
    "rest_sessions",
    "session_report",
]


def _analyze(rec: Recording, limits: Limits) -> hrv.Analysis:
    return analyze_parsed(parse_stored(load_stored_body(rec), limits))


DEFAULT_BASELINE_SESSIONS = 10
#: At most this many of the client's rest-only sessions (the newest) are compared with.
DEFAULT_REST_SESSIONS = 10


def _version(pre: Recording, post: Recording, *fingerprints: str) -> str:
    """The report cache key: algorithm version, both recordings, the baseline and the
    rest-only sessions."""
    parts = (hrv.__version__, pre.sha256, post.sha256, *fingerprints)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class RestSessions:
    """The client's rest-only control sessions a report sets its session beside.

    Attributes
    ----------
    session_ids : tuple of str
        Rest sessions whose comparison was usable (both recordings, a conclusive
        before/after comparison), newest first.
    shifts : tuple of dict
        Their comparisons, as much of ``hrv.shift.SessionShift.to_dict()`` as
        ``hrv.shift.RestShift.from_shifts`` reads.
    fingerprint : str
        Changes whenever the set of rest sessions or one of their recordings (or its
        analysis version) changes; part of the report cache key.
    """

    session_ids: tuple[str, ...]
    shifts: tuple[dict[str, Any], ...]
    fingerprint: str
    #: The rest sessions found with their cache keys, not yet compared
    #: (see :func:`load_rest_sessions`).
    found: tuple[tuple[TherapySession, tuple[str, ...]], ...] = field(
        default=(), repr=False, compare=False)


#: Comparisons of rest sessions by (session, recordings, version): a rest session's change
#: does not depend on the report it is used in, so it is computed once per process.
_REST_CACHE: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
_REST_CACHE_SIZE = 1024
_REST_LOCK = threading.Lock()
_REST_KEYS = ("delta", "se", "df", "pre", "post")


def _when(s: TherapySession) -> dt.datetime:
    when = s.started_at or s.created_at
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _rest_shift(db: Session, r: TherapySession, limits: Limits,
                key: tuple[str, ...]) -> dict[str, Any] | None:
    """The comparison of one rest session, trimmed to what a rest summary needs."""
    with _REST_LOCK:
        hit = _REST_CACHE.get(key)
        if hit is not None:
            _REST_CACHE.move_to_end(key)
            return hit
    from hrv.shift import compare

    recs = {x.phase: x for x in RecordingRepository(db).for_session(r.tenant_id, r.id)}
    try:
        shift = compare(stored_analysis(recs[Phase.PRE.value], limits),
                        stored_analysis(recs[Phase.POST.value], limits))
    except (hrv.HRVError, AppError, KeyError, ValueError):
        return None  # a recording the current algorithm rejects: not a rest change
    out = {
        "verdict": {"direction": shift.verdict.direction.value},
        "changes": {k: {f: getattr(c, f) for f in _REST_KEYS}
                    for k, c in shift.changes.items()},
    }
    with _REST_LOCK:
        _REST_CACHE[key] = out
        while len(_REST_CACHE) > _REST_CACHE_SIZE:
            _REST_CACHE.popitem(last=False)
    return out


def rest_sessions(
    db: Session, s: TherapySession, limits: Limits, *, clinic_wide: bool = False,
    max_sessions: int = DEFAULT_REST_SESSIONS, load: bool = True,
) -> RestSessions:
    """The client's rest-only sessions (modality ``rest``) with both recordings.

    Whose sessions count is the baseline's rule (:mod:`app.services.baseline`): only
    those of ``s``'s therapist unless ``clinic_wide`` (a reader who may see every session
    of the tenant) or ``s`` has no therapist, so a therapist never sees anything of a
    session they cannot read. Rest sessions before and after ``s`` count (a control
    session recorded later is as much a control); ``s`` itself never does. With
    ``load=False`` only the fingerprint is computed (small columns only).
    """
    therapist_id = None if clinic_wide else s.therapist_id
    repo = SessionRepository(db)
    found: list[TherapySession] = []
    after: str | None = None
    while True:
        page = repo.page(s.tenant_id, SessionFilters(s.client_id, therapist_id, REST_MODALITY),
                         after=after, limit=200)
        found.extend(x for x in page if x.id != s.id)
        if len(page) < 200:
            break
        after = page[-1].id
    phases = {
        phase: {row.session_id: row for row in repo.history(
            s.tenant_id, s.client_id, s.id, phase, therapist_id=therapist_id)}
        for phase in (Phase.PRE.value, Phase.POST.value)
    }
    pre_rows, post_rows = phases[Phase.PRE.value], phases[Phase.POST.value]
    complete = sorted((x for x in found if x.id in pre_rows and x.id in post_rows),
                      key=lambda x: (_when(x), x.id), reverse=True)[:max_sessions]
    keys = {x.id: (x.id, hrv.__version__, pre_rows[x.id].sha256, post_rows[x.id].sha256,
                   pre_rows[x.id].hrv_version or "", post_rows[x.id].hrv_version or "")
            for x in complete}
    h = hashlib.sha256(f"rest:{therapist_id or 'clinic'}\n".encode())
    for x in complete:
        h.update(("|".join(keys[x.id]) + "\n").encode())
    found_ = RestSessions((), (), h.hexdigest()[:16], tuple((x, keys[x.id]) for x in complete))
    return load_rest_sessions(db, limits, found_) if load else found_


def load_rest_sessions(db: Session, limits: Limits, found: RestSessions) -> RestSessions:
    """The comparisons of the rest sessions a fingerprint-only :func:`rest_sessions`
    found, without looking them up again."""
    used = [(x.id, shift) for x, key in found.found
            if (shift := _rest_shift(db, x, limits, key)) is not None
            and shift["verdict"]["direction"] != "inconclusive"
            and shift["changes"]["ln_rmssd"]["delta"] is not None]
    return RestSessions(tuple(i for i, _ in used), tuple(sh for _, sh in used),
                        found.fingerprint)


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
    With the client's rest-only sessions (modality ``rest``, the same visibility rule,
    :func:`rest_sessions`), ``report["rest_comparison"]`` sets this session's change
    beside their typical one (``hrv.shift.compare(rest=...)``), with the ids used.
    The cache key covers the algorithm version, both recordings, the earlier
    sessions' pre recordings and the rest sessions' recordings.
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
    rests = rest_sessions(db, s, limits, clinic_wide=clinic_wide, load=False)
    version = _version(pre, post, history.fingerprint, rests.fingerprint)
    if not force and s.report is not None and s.report_version == version:
        return s.report
    from hrv.shift import ShiftConfig, compare

    history = load_baseline(db, s, history)
    rests = load_rest_sessions(db, limits, rests)
    # Built from the stored analyses (no raw file decoded) when this version made them.
    pre_a, post_a = stored_analysis(pre, limits), stored_analysis(post, limits)
    shift = compare(pre_a, post_a, baseline=history.baseline, rest=list(rests.shifts) or None)
    report = dict(shift.to_dict())
    report["baseline"] = baseline_section(
        history, report, ShiftConfig().min_baseline_sessions
    )
    if report.get("rest_comparison") is not None:
        report["rest_comparison"]["session_ids"] = list(rests.session_ids)
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
