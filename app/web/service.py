"""What the pages show: clients, a client's course, a session's report and its charts.

Every read goes through the API's services with the signed-in account's
:class:`~app.auth.Principal`, so a therapist sees exactly what a therapist key sees.
Rendered charts are cached per session and report version (the version covers the
algorithm, both recordings and the baseline, so a new upload or a new ``hrv`` release
draws new charts).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.auth import Principal, Role
from app.db.models import Client, TherapySession
from app.db.repositories import (
    ClientRepository,
    RecordingRepository,
    SessionFilters,
    SessionRepository,
)
from app.errors import NotFound
from app.schemas import Phase
from app.services.ingest import Limits
from app.services.reports import compute_report, session_report
from app.services.sessions import get_session, stored_analysis
from app.web.charts import CourseRow, course_chart, recording_series, report_charts
from app.web.view import verdict_symbol

__all__ = [
    "ChartCache",
    "CourseSession",
    "client_course",
    "clients_of",
    "report_with_charts",
]


class ChartCache:
    """Rendered SVG charts by (session id, report version), least recently used out."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> dict[str, str] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple[str, str], charts: dict[str, str]) -> None:
        with self._lock:
            self._items[key] = charts
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def therapist_scope(principal: Principal) -> str | None:
    if principal.role is Role.THERAPIST:
        return principal.therapist_id or "-"
    return None


def clients_of(db: Session, principal: Principal) -> list[tuple[Client, int, dt.datetime | None]]:
    """The caller's clients with their number of sessions and the latest session time."""
    scope = therapist_scope(principal)
    sessions = SessionRepository(db).page(
        principal.tenant_id, SessionFilters(therapist_id=scope), after=None, limit=100_000
    )
    counts: dict[str, list[Any]] = {}
    for s in sessions:
        entry = counts.setdefault(s.client_id, [0, None])
        entry[0] += 1
        when = s.started_at or s.created_at
        entry[1] = when if entry[1] is None or when > entry[1] else entry[1]
    clients = ClientRepository(db).page(principal.tenant_id, after=None, limit=100_000,
                                        therapist_id=scope)
    out = [(c, counts.get(c.id, [0, None])[0], counts.get(c.id, [0, None])[1]) for c in clients]
    return sorted(out, key=lambda row: row[0].reference.lower())


def client_for(db: Session, principal: Principal, client_id: str) -> Client:
    client = ClientRepository(db).get(principal.tenant_id, client_id)
    if client is None:
        raise NotFound(f"no client {client_id!r}")
    scope = therapist_scope(principal)
    if scope is not None and not SessionRepository(db).page(
        principal.tenant_id, SessionFilters(client_id=client.id, therapist_id=scope),
        after=None, limit=1,
    ):
        raise NotFound(f"no client {client_id!r}")
    return client


@dataclass(frozen=True)
class CourseSession:
    session: TherapySession
    report: dict[str, Any] | None
    phases: list[str]
    row: CourseRow


def _when(s: TherapySession) -> dt.datetime:
    return s.started_at or s.created_at


def client_course(
    db: Session, principal: Principal, client_id: str, limits: Limits
) -> tuple[Client, list[CourseSession], str]:
    """A client's sessions in time order with their reports, and the course chart."""
    client = client_for(db, principal, client_id)
    sessions = SessionRepository(db).page(
        principal.tenant_id,
        SessionFilters(client_id=client.id, therapist_id=therapist_scope(principal)),
        after=None, limit=500,
    )
    recs = RecordingRepository(db)
    out: list[CourseSession] = []
    questionnaire = None
    for s in sorted(sessions, key=_when):
        phases = sorted(r.phase for r in recs.for_session(s.tenant_id, s.id))
        report = None
        if {Phase.PRE.value, Phase.POST.value} <= set(phases):
            try:
                report = compute_report(db, s, limits)
            except Exception:  # a recording the current algorithm rejects: no verdict
                report = None
        questionnaire = questionnaire or s.questionnaire
        changes = (report or {}).get("changes") or {}
        rm, hr = changes.get("rmssd_ms") or {}, changes.get("mean_hr_bpm") or {}
        symbol, words = verdict_symbol(((report or {}).get("verdict") or {}).get("direction"))
        label = _when(s).strftime("%d %b")
        out.append(CourseSession(s, report, phases, CourseRow(
            label=label, rmssd_pre=rm.get("pre"), rmssd_post=rm.get("post"),
            hr_pre=hr.get("pre"), hr_post=hr.get("post"),
            anxiety_pre=s.anxiety_pre, anxiety_post=s.anxiety_post,
            questionnaire_pre=s.questionnaire_pre, questionnaire_post=s.questionnaire_post,
            verdict_symbol=symbol, verdict_words=words,
        )))
    db.commit()
    chart = course_chart("chart-course", [c.row for c in out], questionnaire) if out else ""
    return client, out, chart


def report_with_charts(
    db: Session, principal: Principal, session_id: str, limits: Limits, cache: ChartCache
) -> tuple[TherapySession, dict[str, Any], dict[str, str]]:
    """The session's report (as the API returns it) and its four charts."""
    s, report = session_report(db, principal, session_id, limits)
    key = (s.id, s.report_version or "")
    charts = cache.get(key)
    if charts is None:
        series = {}
        trend = report.get("trend") or {}
        for rec in RecordingRepository(db).for_session(s.tenant_id, s.id):
            analysis = stored_analysis(rec, limits)
            label = "Before" if rec.phase == Phase.PRE.value else "After"
            series[rec.phase] = recording_series(label, analysis, trend.get(rec.phase))
        charts = report_charts(series[Phase.PRE.value], series[Phase.POST.value])
        cache.put(key, charts)
    return s, report, charts


def session_for(db: Session, principal: Principal, session_id: str) -> TherapySession:
    return get_session(db, principal, session_id)
