"""The therapist pages: sign-in, clients, a client's course, a session's report, upload,
the PDF download and the admin's account page.

Pages are server-rendered (Jinja2), carry a strict Content-Security-Policy and serve
every asset themselves. Every form posts a CSRF token bound to the browser session;
reads and writes go through the API's services with the account's principal.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import limits as app_limits
from app.api.deps import read_body
from app.api.deps import settings as app_settings
from app.auth import Principal, Role
from app.db.models import Account, WebSession
from app.db.repositories import ClientRepository, RecordingRepository, TenantRepository
from app.errors import AppError
from app.schemas import Phase, SessionCreate
from app.services import audit
from app.services import sessions as svc
from app.services.ingest import FILE, StoredBody
from app.web import accounts as acc
from app.web import service
from app.web.pdf import render_pdf
from app.web.view import report_view, verdict_symbol
from hrv import __version__
from hrv.errors import HRVError

__all__ = [
    "COOKIE", "api_report_response", "page_context", "render_report_html", "router", "templates",
]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["num"] = (
    lambda v, digits=1: "–" if v is None else f"{float(v):.{digits}f}"
)
COOKIE = "hrv_session"
SIGNIN_COOKIE = "hrv_signin_csrf"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


class PageRoute(APIRoute):
    """Turns service errors into an HTML error page rather than problem JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Redirect as exc:
                response = RedirectResponse(exc.url, status_code=303)
            except AppError as exc:
                response = _error_page(request, exc.status, exc.detail)
            except HRVError as exc:
                response = _error_page(request, 422, str(exc))
            _secure_headers(response)
            return response

        return route


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _secure_headers(response: Response) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")


def _error_page(request: Request, status: int, detail: str) -> Response:
    words = {401: "Please sign in", 403: "Not allowed", 404: "Not found",
             409: "Not ready yet", 413: "File too large", 415: "Unknown file type",
             422: "Cannot use this data"}.get(status, "Something went wrong")
    return templates.TemplateResponse(
        request, "error.html",
        {"title": words, "detail": detail, "status": status, **_ctx_from_state(request)},
        status_code=status,
    )


# --- signed-in state ---------------------------------------------------------------------


def _db(request: Request) -> Any:
    return request.app.state.db


def _ctx_from_state(request: Request) -> dict[str, Any]:
    return dict(getattr(request.state, "page_ctx", {}) or {"account": None, "csrf": ""})


def _signed_in(request: Request) -> tuple[WebSession, Account, str] | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    with _db(request).session() as db:
        found = acc.web_session(db, token)
        if found is None:
            return None
        ws, account = found
        tenant = TenantRepository(db).get(account.tenant_id)
        return ws, account, tenant.name if tenant else ""


async def _require(request: Request, *, admin: bool = False) -> tuple[WebSession, Account]:
    found = await run_in_threadpool(_signed_in, request)
    if found is None:
        nxt = urllib.parse.quote(request.url.path, safe="/")
        raise _Redirect(f"/sign-in?next={nxt}")
    ws, account, clinic = found
    request.state.page_ctx = {"account": account, "csrf": ws.csrf_token, "clinic": clinic}
    if admin and account.role != Role.ADMIN.value:
        raise _NotAdmin()
    return ws, account


class _NotAdmin(AppError):
    status = 403
    slug = "forbidden"
    title = "Only a clinic admin can do this"

    def __init__(self) -> None:
        super().__init__("only a clinic admin can manage accounts")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urllib.parse.urlsplit(origin).netloc == host


async def _form(request: Request, ws: WebSession | None, expected: str | None = None) -> FormData:
    """The posted form, refused unless its CSRF token matches (and the origin is ours)."""
    await read_body(request)
    try:
        form = await request.form(max_files=4, max_fields=40)
    except Exception:
        raise _Csrf("the form could not be read") from None
    token = form.get("csrf_token")
    want = expected if expected is not None else (ws.csrf_token if ws else "")
    if not _same_origin(request) or not acc.csrf_ok(want, token if isinstance(token, str)
                                                      else None):
        raise _Csrf("the form has expired or did not come from this site; reload and retry")
    return form


class _Csrf(AppError):
    status = 403
    slug = "csrf"
    title = "Form check failed"


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {**_ctx_from_state(request), "hrv_version": __version__, **extra}


def _principal(account: Account) -> Principal:
    return acc.principal_of(account)


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(form: FormData, name: str) -> float | None:
    value = _text(form, name, 20)
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise _Invalid(f"{name.replace('_', ' ')} must be a number") from None


class _Invalid(AppError):
    status = 422
    slug = "validation-error"
    title = "Invalid form"


# --- sign-in -----------------------------------------------------------------------------


def _cookie_secure(request: Request) -> bool:
    forced = app_settings(request).cookie_secure
    return request.url.scheme == "https" if forced is None else forced


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/clients"
    return value


@router.get("/")
async def home(request: Request) -> Response:
    found = await run_in_threadpool(_signed_in, request)
    return RedirectResponse("/clients" if found else "/sign-in", status_code=303)


def _sign_in_page(request: Request, *, error: str = "", status: int = 200,
                  next_url: str = "/clients") -> Response:
    import secrets

    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "sign_in.html",
        page_context(request, signin_csrf=token, error=error, next_url=next_url,
                     account=None),
        status_code=status,
    )
    response.set_cookie(SIGNIN_COOKIE, token, httponly=True, samesite="lax",
                        secure=_cookie_secure(request), path="/sign-in", max_age=3600)
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_page(request, next_url=_safe_next(next))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    throttle: acc.AddressThrottle = request.app.state.sign_in_throttle
    address = request.client.host if request.client else "-"
    form = await _form(request, None, expected=request.cookies.get(SIGNIN_COOKIE, ""))
    next_url = _safe_next(_text(form, "next", 500))
    if throttle.blocked(address):
        return _sign_in_page(request, status=429, next_url=next_url,
                             error="too many failed sign-ins from this address; wait 15 minutes")
    username, password = _text(form, "username"), form.get("password")
    hours = app_settings(request).web_session_hours

    def work() -> acc.SignIn:
        refused: acc.SignInRefused | None = None
        with _db(request).session() as db:
            try:
                return acc.sign_in(db, username, password if isinstance(password, str) else "",
                                   session_hours=hours)
            except acc.SignInRefused as exc:
                refused = exc  # the failure count is committed, then the refusal raised
        raise refused

    try:
        done = await run_in_threadpool(work)
    except acc.SignInRefused as exc:
        throttle.failed(address)
        return _sign_in_page(request, error=exc.message, status=429 if exc.throttled else 401,
                             next_url=next_url)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(COOKIE, done.token, httponly=True, samesite="lax",
                        secure=_cookie_secure(request), path="/",
                        max_age=int(hours * 3600))
    response.delete_cookie(SIGNIN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    ws, _ = await _require(request)
    await _form(request, ws)

    def work() -> None:
        with _db(request).session() as db:
            acc.sign_out(db, ws)

    await run_in_threadpool(work)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- clients and course ------------------------------------------------------------------


@router.get("/clients")
async def clients_page(request: Request) -> Response:
    _, account = await _require(request)

    def work() -> list[Any]:
        with _db(request).session() as db:
            principal = _principal(account)
            rows = service.clients_of(db, principal)
            audit.record(db, principal, "client.list", None,
                         {"via": "clients page", "clients": len(rows)})
            return rows

    rows = await run_in_threadpool(work)
    return templates.TemplateResponse(request, "clients.html",
                                      page_context(request, rows=rows))


@router.get("/clients/{client_id}")
async def course_page(request: Request, client_id: str) -> Response:
    _, account = await _require(request)
    lim = app_limits(request)

    def work() -> Any:
        with _db(request).session() as db:
            principal = _principal(account)
            course = service.client_course(db, principal, client_id, lim)
            for item in course[1]:
                audit.record(db, principal, "session.read", item.session.id,
                             {"via": "course page"})
            return course

    client, course, chart = await run_in_threadpool(work)
    return templates.TemplateResponse(
        request, "course.html",
        page_context(request, client=client, course=course, chart=chart,
                     verdict_symbol=verdict_symbol),
    )


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
    fmt = _text(form, "format", 40)
    lim, level = app_limits(request), app_settings(request).storage_compression_level
    bodies = []
    for phase, upload in files.items():
        params: dict[str, Any] = {"filename": (upload.filename or phase.value)[:200]}
        if fmt:
            params["format"] = fmt
        bodies.append((phase, StoredBody(FILE, params, await upload.read())))

    def work() -> None:
        for phase, body in bodies:
            with _db(request).session() as db:
                try:
                    svc.put_recording(db, principal, session_id, phase, body, lim, level)
                except HRVError as exc:
                    raise _Invalid(f"the {phase.value}-session file could not be analysed: "
                                   f"{exc}") from None

    await run_in_threadpool(work)


@router.post("/sessions")
async def create_session(request: Request) -> Response:
    ws, account = await _require(request)
    form = await _form(request, ws)
    principal = _principal(account)
    started = _text(form, "started_at", 40)
    try:
        started_at = (dt.datetime.fromisoformat(started).replace(tzinfo=dt.UTC)
                      if started else dt.datetime.now(dt.UTC))
    except ValueError:
        raise _Invalid("the date must look like 2025-03-04 or 2025-03-04T10:00") from None
    questionnaire = _text(form, "questionnaire", 10) or None
    try:
        body = SessionCreate(
            client=_text(form, "client"),
            therapist=(_text(form, "therapist") or None) if account.role == "admin" else None,
            modality=_text(form, "modality", 100) or None,
            started_at=started_at,
            notes=_text(form, "notes", 10_000) or None,
            questionnaire=questionnaire,  # type: ignore[arg-type]
            pre={"anxiety": _number(form, "anxiety_pre"),
                 "questionnaire_score": _number(form, "questionnaire_pre")},  # type: ignore[arg-type]
            post={"anxiety": _number(form, "anxiety_post"),
                  "questionnaire_score": _number(form, "questionnaire_post")},  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
                         for e in exc.errors()[:4])
        raise _Invalid(msgs) from None

    def work() -> str:
        with _db(request).session() as db:
            return svc.create_session(db, principal, body).id

    session_id = await run_in_threadpool(work)
    await _store_uploads(request, principal, session_id, form)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/upload")
async def upload(request: Request, session_id: str) -> Response:
    ws, account = await _require(request)
    form = await _form(request, ws)
    principal = _principal(account)

    def check() -> None:
        with _db(request).session() as db:
            service.session_for(db, principal, session_id)

    await run_in_threadpool(check)
    if not _files(form):
        raise _Invalid("choose a file for before or after the session")
    await _store_uploads(request, principal, session_id, form)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


def _report_parts(request: Request, principal: Principal, session_id: str,
                  audit_as: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the report template needs; ``audit_as`` (action, details) logs the read in the
    same unit of work (the API's HTML/PDF route logs its export itself)."""
    lim = app_limits(request)
    cache: service.ChartCache = request.app.state.chart_cache
    with _db(request).session() as db:
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
    _, account = await _require(request)
    parts = await run_in_threadpool(_report_parts, request, _principal(account), session_id,
                                    ("session.read", {"via": "report page"}))
    return HTMLResponse(render_report_html(request, parts))


@router.get("/sessions/{session_id}/report.pdf")
async def report_pdf(request: Request, session_id: str) -> Response:
    _, account = await _require(request)
    return await pdf_response(request, _principal(account), session_id)


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
    _secure_headers(response)
    return response


class _NotReady(AppError):
    status = 409
    slug = "conflict"
    title = "Report not ready"


# --- accounts (admin) ----------------------------------------------------------------------


def _accounts_page(request: Request, account: Account, *, error: str = "", created: str = "",
                   status: int = 200) -> Response:
    with _db(request).session() as db:
        rows = acc.AccountRepository(db).list(account.tenant_id)
        clients = ClientRepository(db)
        refs = {t.id: t.reference for t in (clients.therapist(r.tenant_id, r.therapist_id)
                                            for r in rows) if t is not None}
    return templates.TemplateResponse(
        request, "accounts.html",
        page_context(request, rows=rows, refs=refs, error=error, created=created),
        status_code=status,
    )


@router.get("/admin/accounts")
async def accounts_page(request: Request) -> Response:
    _, account = await _require(request, admin=True)
    return await run_in_threadpool(_accounts_page, request, account)


@router.post("/admin/accounts")
async def accounts_create(request: Request) -> Response:
    ws, account = await _require(request, admin=True)
    form = await _form(request, ws)
    role_text = _text(form, "role", 20)
    password = form.get("password")

    def work() -> Response:
        try:
            with _db(request).session() as db:
                new = acc.create_account(
                    db, account.tenant_id, _text(form, "username"),
                    password if isinstance(password, str) else "",
                    Role(role_text) if role_text in ("therapist", "admin") else Role.INTEGRATION,
                    therapist=_text(form, "therapist") or None,
                    display_name=_text(form, "display_name"),
                )
                name = new.username
        except acc.AccountError as exc:
            return _accounts_page(request, account, error=str(exc), status=422)
        return _accounts_page(request, account, created=name)

    return await run_in_threadpool(work)
