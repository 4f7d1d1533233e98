"""A client's own history as the baseline of a session report.

The smallest worthwhile change (SWC) of a report comes from the client's earlier
sessions when there are enough of them (``hrv.shift.ShiftConfig.min_baseline_sessions``,
3): :meth:`hrv.shift.Baseline.from_analyses` summarises the stored analyses of their
*pre* recordings (resting state before each session, rebuilt with
:meth:`hrv.Analysis.from_dict`, no re-analysis); a recording graded unusable does not
count. ``hrv`` decides whether the baseline is large enough; with fewer sessions it falls
back to published typical errors and says so in a caveat.

Only sessions that started before the reported one count, so adding a later session
never changes an earlier report; adding, editing or deleting an earlier one does, and
:attr:`ClientBaseline.fingerprint` changes with it (it is part of the report cache key).

Whose sessions count: a report read by a therapist is built only from sessions that
therapist can read (their own sessions with the client); researchers and admins, who
read the whole clinic, get the client's clinic-wide history. A report computed without
a reader in mind (a re-analysis job, a page) uses the reported session's own
therapist's sessions, so no path shows a therapist anything of another therapist's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.db.models import TherapySession
from app.db.repositories import BaselineRow, RecordingRepository, SessionRepository
from hrv import Analysis
from hrv.shift import Baseline

__all__ = ["ClientBaseline", "baseline_section", "client_baseline", "load_baseline"]

_PRE = "pre"


@dataclass(frozen=True)
class ClientBaseline:
    """The earlier sessions a report's baseline is built from.

    Attributes
    ----------
    session_ids : tuple of str
        Earlier sessions of the client with a usable pre recording, newest first.
    baseline : Baseline or None
        Their summary statistics, or ``None`` when there is no usable earlier session.
    fingerprint : str
        Changes whenever the set of earlier sessions or one of their pre recordings
        (or its analysis version) changes.
    """

    session_ids: tuple[str, ...]
    baseline: Baseline | None
    fingerprint: str
    #: The earlier sessions found, not yet loaded (see :func:`load_baseline`).
    rows: tuple[BaselineRow, ...] = field(default=(), repr=False, compare=False)


def _when(s: TherapySession) -> dt.datetime:
    when = s.started_at or s.created_at
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _earlier(rows: list[BaselineRow], s: TherapySession, limit: int) -> list[BaselineRow]:
    """Rows of sessions before ``s`` (ties broken by id, which sorts by creation)."""
    here = (_when(s), s.id)
    out = [r for r in rows if r.at is not None and (r.at, r.session_id) < here]
    return out[:limit]


def _fingerprint(rows: list[BaselineRow], scope: str) -> str:
    h = hashlib.sha256()
    h.update(f"{scope}\n".encode())
    for r in rows:
        h.update(f"{r.session_id}:{r.sha256}:{r.hrv_version}\n".encode())
    return h.hexdigest()[:16]


def _usable(analysis: dict[str, Any]) -> bool:
    grade = (analysis.get("quality") or {}).get("grade")
    ln_rmssd = (analysis.get("metrics") or {}).get("ln_rmssd")
    return grade != "unusable" and isinstance(ln_rmssd, int | float) and math.isfinite(ln_rmssd)


def _analysis(stored: dict[str, Any]) -> Analysis | None:
    try:
        return Analysis.from_dict(stored)
    except ValueError:
        return None


def client_baseline(
    db: Session, s: TherapySession, *, max_sessions: int, load: bool = True,
    clinic_wide: bool = False,
) -> ClientBaseline:
    """The client's baseline for session ``s``: up to ``max_sessions`` earlier sessions.

    Only sessions of ``s``'s therapist count unless ``clinic_wide`` (a reader who may
    see every session of the tenant) or ``s`` has no therapist. With ``load=False``
    only the fingerprint is computed (one small query), which is all a cached report
    needs; :func:`load_baseline` then loads it without a second lookup.
    """
    therapist_id = None if clinic_wide else s.therapist_id
    rows = SessionRepository(db).history(
        s.tenant_id, s.client_id, s.id, _PRE, therapist_id=therapist_id
    )
    rows = _earlier(rows, s, max_sessions)
    found = ClientBaseline((), None, _fingerprint(rows, therapist_id or "clinic"), tuple(rows))
    return load_baseline(db, s, found) if load else found


def load_baseline(db: Session, s: TherapySession, found: ClientBaseline) -> ClientBaseline:
    """The baseline of the sessions a fingerprint-only :func:`client_baseline` found,
    without looking them up again (a report's cache miss needs both)."""
    if not found.rows:
        return ClientBaseline((), None, found.fingerprint)
    stored = RecordingRepository(db).analyses(s.tenant_id, [r.recording_id for r in found.rows])
    used = [(r, a) for r in found.rows
            if r.recording_id in stored and _usable(stored[r.recording_id])
            and (a := _analysis(stored[r.recording_id])) is not None]
    if not used:
        return ClientBaseline((), None, found.fingerprint)
    baseline = Baseline.from_analyses([a for _, a in used])
    return ClientBaseline(tuple(r.session_id for r, _ in used), baseline, found.fingerprint)


def baseline_section(
    cb: ClientBaseline, report: dict[str, Any], min_sessions: int
) -> dict[str, Any]:
    """What the report says about its smallest worthwhile change and where it came from."""
    provenance = report.get("provenance") or {}
    source = provenance.get("swc_source")
    n = len(cb.session_ids)
    if source == "baseline":
        reason = f"the client's own {n} earlier session(s) (0.5 x their SD of ln RMSSD)"
    elif n:
        reason = (f"only {n} earlier session(s) with a usable pre recording; "
                  f"{min_sessions} are needed, so published typical errors are used")
    else:
        reason = "no earlier session of this client; published typical errors are used"
    return {
        "source": "client_history" if source == "baseline" else "published",
        "n_sessions": n,
        "min_sessions": min_sessions,
        "session_ids": list(cb.session_ids),
        "reason": reason,
    }
