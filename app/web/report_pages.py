"""The session pages: create a session, upload its recordings, the report page and its
PDF; and the report's HTML and PDF for an API key (``GET /v1/sessions/{id}/report`` with
``Accept: text/html`` or ``application/pdf``): one template for all of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import limits as app_limits
from app.api.deps import settings as app_settings
from app.auth import Principal
from app.db.repositories import ClientRepository, RecordingRepository, TenantRepository
from app.errors import AppError
from app.schemas import Phase, SessionCreate
from app.services import audit
from app.services import sessions as svc
from app.services.ingest import FILE, StoredBody
from app.web import service
from app.web._page import (
    Invalid,
    PageRoute,
    db_of,
    number_field,
    page_context,
    posted_form,
    principal_of,
    require,
    secure_headers,
    templates,
    text_field,
)
from app.web.pdf import render_pdf
from app.web.view import report_view
from hrv.errors import HRVError

__all__ = ["api_report_response", "render_report_html", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


# --- sessions: create, upload, report ------------------------------------------------------


def _files(form: FormData) -> dict[Phase, UploadFile]:
    out = {}
    for phase in Phase:
        f = form.get(phase.value)
        if isinstance(f, UploadFile) and (f.filename or f.size):
            out[phase] = f
    return out


async def _store_uploads(request: Request, principal: Principal, session_id: str,
                         form: FormData) -> None:
    files = _files(form)
    fmt = text_field(form, "format", 40)
    lim, level = app_limits(request), app_settings(request).storage_compression_level
    bodies = []
    for phase, upload in files.items():
        params: dict[str, Any] = {"filename": (upload.filename or phase.value)[:200]}
        if fmt:
            params["format"] = fmt
        bodies.append((phase, StoredBody(FILE, params, await upload.read())))

    def work() -> None:
        for phase, body in bodies:
            with db_of(request).session() as db:
                try:
                    svc.put_recording(db, principal, session_id, phase, body, lim, level)
                except HRVError as exc:
                    raise Invalid(f"the {phase.value}-session file could not be analysed: "
                                   f"{exc}") from None

    await run_in_threadpool(work)


@router.post("/sessions")
async def create_session(request: Request) -> Response:
    ws, account = await require(request)
    form = await posted_form(request, ws)
    principal = principal_of(account)
    started = text_field(form, "started_at", 40)
    try:
        started_at = (dt.datetime.fromisoformat(started).replace(tzinfo=dt.UTC)
                      if started else dt.datetime.now(dt.UTC))
    except ValueError:
        raise Invalid("the date must look like 2025-03-04 or 2025-03-04T10:00") from None
    questionnaire = text_field(form, "questionnaire", 10) or None
    try:
        body = SessionCreate(
            client=text_field(form, "client"),
            therapist=(text_field(form, "therapist") or None) if account.role == "admin" else None,
            modality=text_field(form, "modality", 100) or None,
            started_at=started_at,
            notes=text_field(form, "notes", 10_000) or None,
            questionnaire=questionnaire,  # type: ignore[arg-type]
            pre={"anxiety": number_field(form, "anxiety_pre"),
                 "questionnaire_score": number_field(form, "questionnaire_pre")},  # type: ignore[arg-type]
            post={"anxiety": number_field(form, "anxiety_post"),
                  "questionnaire_score": number_field(form, "questionnaire_post")},  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
                         for e in exc.errors()[:4])
        raise Invalid(msgs) from None

    def work() -> str:
        with db_of(request).session() as db:
            return svc.create_session(db, principal, body).id

    session_id = await run_in_threadpool(work)
    await _store_uploads(request, principal, session_id, form)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/upload")
async def upload(request: Request, session_id: str) -> Response:
    ws, account = await require(request)
    form = await posted_form(request, ws)
    principal = principal_of(account)

    def check() -> None:
        with db_of(request).session() as db:
            service.session_for(db, principal, session_id)

    await run_in_threadpool(check)
    if not _files(form):
        raise Invalid("choose a file for before or after the session")
    await _store_uploads(request, principal, session_id, form)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


def _report_parts(request: Request, principal: Principal, session_id: str,
                  audit_as: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the report template needs; ``audit_as`` (action, details) logs the read in the
    same unit of work (the API's HTML/PDF route logs its export itself)."""
    lim = app_limits(request)
    cache: service.ChartCache = request.app.state.chart_cache
    with db_of(request).session() as db:
        s = service.session_for(db, principal, session_id)
        phases = sorted(r.phase for r in RecordingRepository(db).for_session(s.tenant_id, s.id))
        ready = not {Phase.PRE.value, Phase.POST.value} - set(phases)
        # A page shows the session either way (a read); an export that is refused with
        # 409 for want of a report exported nothing.
        if audit_as is not None and (ready or audit_as[0] != "report.export"):
            audit.record(db, principal, audit_as[0], s.id, audit_as[1])
        client = ClientRepository(db).client(s.tenant_id, s.client_id)
        therapist = ClientRepository(db).therapist(s.tenant_id, s.therapist_id)
        tenant = TenantRepository(db).get(s.tenant_id)
        base = {"session": s, "client": client, "therapist": therapist,
                "clinic": tenant.name if tenant else "", "phases": phases}
        if not ready:
            return {**base, "report": None, "view": None, "charts": {}}
        _, report, charts = service.report_with_charts(db, principal, session_id, lim, cache)
        return {**base, "report": report, "view": report_view(report), "charts": charts}


def render_report_html(request: Request, parts: dict[str, Any], *, pdf: bool = False,
                       standalone: bool = False) -> str:
    """The report page's HTML (also the PDF's source, with ``pdf=True``)."""
    ctx = page_context(request, **parts, pdf=pdf, standalone=standalone or pdf,
                       generated=dt.datetime.now(dt.UTC))
    if pdf or standalone:
        ctx["account"] = None
    return templates.get_template("report.html").render(ctx)


@router.get("/sessions/{session_id}")
async def report_page(request: Request, session_id: str) -> Response:
    _, account = await require(request)
    parts = await run_in_threadpool(_report_parts, request, principal_of(account), session_id,
                                    ("session.read", {"via": "report page"}))
    return HTMLResponse(render_report_html(request, parts))


@router.get("/sessions/{session_id}/report.pdf")
async def report_pdf(request: Request, session_id: str) -> Response:
    _, account = await require(request)
    return await pdf_response(request, principal_of(account), session_id)


async def pdf_response(request: Request, principal: Principal, session_id: str) -> Response:
    parts = await run_in_threadpool(
        _report_parts, request, principal, session_id,
        ("report.export", {"format": "application/pdf", "via": "report page"}))
    if parts["report"] is None:
        raise _NotReady(f"session {session_id} needs both recordings before it has a report")
    html = render_report_html(request, parts, pdf=True)
    data = await run_in_threadpool(render_pdf, html)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="session-{session_id}.pdf"'})


def api_report_response(request: Request, principal: Principal, session_id: str,
                        media: str) -> Response:
    """The report route's ``text/html`` and ``application/pdf`` (a key's principal).

    The same template as the page, without the page's navigation and forms.
    """
    parts = _report_parts(request, principal, session_id)
    if parts["report"] is None:
        raise _NotReady(f"the report needs both recordings; stored: "
                        f"{', '.join(parts['phases']) or 'none'}")
    if media == "application/pdf":
        data = render_pdf(render_report_html(request, parts, pdf=True))
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="session-{session_id}.pdf"'})
    response = HTMLResponse(render_report_html(request, parts, standalone=True))
    secure_headers(response)
    return response


class _NotReady(AppError):
    status = 409
    slug = "conflict"
    title = "Report not ready"
