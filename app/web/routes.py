"""The therapist pages: sign-in, clients, a client's course and the admin's account page;
the session pages (create, upload, report, PDF) are in :mod:`app.web.report_pages`.

Reads and writes go through the API's services with the signed-in account's principal;
plumbing shared by every page (templates, headers, CSRF, error page) is in
:mod:`app.web._page`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from app.api.deps import limits as app_limits
from app.api.deps import settings as app_settings
from app.auth import Role
from app.db.models import Account
from app.db.repositories import ClientRepository
from app.services import audit
from app.web import accounts as acc
from app.web import report_pages, service
from app.web._page import (
    COOKIE,
    SIGNIN_COOKIE,
    PageRoute,
    db_of,
    page_context,
    posted_form,
    principal_of,
    require,
    signed_in,
    templates,
    text_field,
)
from app.web.view import verdict_symbol

__all__ = ["COOKIE", "page_context", "router", "templates"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)
router.include_router(report_pages.router)


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
    found = await run_in_threadpool(signed_in, request)
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
    form = await posted_form(request, None, expected=request.cookies.get(SIGNIN_COOKIE, ""))
    next_url = _safe_next(text_field(form, "next", 500))
    if throttle.blocked(address):
        return _sign_in_page(request, status=429, next_url=next_url,
                             error="too many failed sign-ins from this address; wait 15 minutes")
    username, password = text_field(form, "username"), form.get("password")
    hours = app_settings(request).web_session_hours

    def work() -> acc.SignIn:
        refused: acc.SignInRefused | None = None
        with db_of(request).session() as db:
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
    ws, _ = await require(request)
    await posted_form(request, ws)

    def work() -> None:
        with db_of(request).session() as db:
            acc.sign_out(db, ws)

    await run_in_threadpool(work)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --- clients and course ------------------------------------------------------------------


@router.get("/clients")
async def clients_page(request: Request) -> Response:
    _, account = await require(request)

    def work() -> list[Any]:
        with db_of(request).session() as db:
            principal = principal_of(account)
            rows = service.clients_of(db, principal)
            audit.record(db, principal, "client.list", None,
                         {"via": "clients page", "clients": len(rows)})
            return rows

    rows = await run_in_threadpool(work)
    return templates.TemplateResponse(request, "clients.html",
                                      page_context(request, rows=rows))


@router.get("/clients/{client_id}")
async def course_page(request: Request, client_id: str) -> Response:
    _, account = await require(request)
    lim = app_limits(request)

    def work() -> Any:
        with db_of(request).session() as db:
            principal = principal_of(account)
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


# --- accounts (admin) ----------------------------------------------------------------------


def _accounts_page(request: Request, account: Account, *, error: str = "", created: str = "",
                   status: int = 200) -> Response:
    with db_of(request).session() as db:
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
    _, account = await require(request, admin=True)
    return await run_in_threadpool(_accounts_page, request, account)


@router.post("/admin/accounts")
async def accounts_create(request: Request) -> Response:
    ws, account = await require(request, admin=True)
    form = await posted_form(request, ws)
    role_text = text_field(form, "role", 20)
    password = form.get("password")

    def work() -> Response:
        try:
            with db_of(request).session() as db:
                new = acc.create_account(
                    db, account.tenant_id, text_field(form, "username"),
                    password if isinstance(password, str) else "",
                    Role(role_text) if role_text in ("therapist", "admin") else Role.INTEGRATION,
                    therapist=text_field(form, "therapist") or None,
                    display_name=text_field(form, "display_name"),
                )
                name = new.username
        except acc.AccountError as exc:
            return _accounts_page(request, account, error=str(exc), status=422)
        return _accounts_page(request, account, created=name)

    return await run_in_threadpool(work)
