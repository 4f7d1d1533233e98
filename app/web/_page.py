"""What every therapist page shares: templates, security headers, the HTML error page,
the signed-in account, CSRF-checked forms and form fields.

Pages are server-rendered (Jinja2), carry a strict Content-Security-Policy and serve
every asset themselves. Every form posts a CSRF token bound to the browser session.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from app.api.deps import read_body
from app.auth import Principal, Role
from app.db.models import Account, WebSession
from app.db.repositories import TenantRepository
from app.errors import AppError
from app.web import accounts as acc
from hrv import __version__
from hrv.errors import HRVError

__all__ = [
    "COOKIE", "CSP", "SIGNIN_COOKIE", "CsrfRefused", "Invalid", "NotAdmin", "PageRoute",
    "Redirect", "db_of", "error_page", "number_field", "page_context", "posted_form",
    "principal_of", "require", "secure_headers", "signed_in", "templates", "text_field",
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


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


class PageRoute(APIRoute):
    """Turns service errors into an HTML error page rather than problem JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except Redirect as exc:
                response = RedirectResponse(exc.url, status_code=303)
            except AppError as exc:
                response = error_page(request, exc.status, exc.detail)
            except HRVError as exc:
                response = error_page(request, 422, str(exc))
            secure_headers(response)
            return response

        return route


def secure_headers(response: Response) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")


def error_page(request: Request, status: int, detail: str) -> Response:
    words = {401: "Please sign in", 403: "Not allowed", 404: "Not found",
             409: "Not ready yet", 413: "File too large", 415: "Unknown file type",
             422: "Cannot use this data"}.get(status, "Something went wrong")
    return templates.TemplateResponse(
        request, "error.html",
        {"title": words, "detail": detail, "status": status, **ctx_from_state(request)},
        status_code=status,
    )


# --- signed-in state ---------------------------------------------------------------------


def db_of(request: Request) -> Any:
    return request.app.state.db


def ctx_from_state(request: Request) -> dict[str, Any]:
    return dict(getattr(request.state, "page_ctx", {}) or {"account": None, "csrf": ""})


def signed_in(request: Request) -> tuple[WebSession, Account, str] | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    with db_of(request).session() as db:
        found = acc.web_session(db, token)
        if found is None:
            return None
        ws, account = found
        tenant = TenantRepository(db).get(account.tenant_id)
        return ws, account, tenant.name if tenant else ""


async def require(request: Request, *, admin: bool = False) -> tuple[WebSession, Account]:
    found = await run_in_threadpool(signed_in, request)
    if found is None:
        nxt = urllib.parse.quote(request.url.path, safe="/")
        raise Redirect(f"/sign-in?next={nxt}")
    ws, account, clinic = found
    request.state.page_ctx = {"account": account, "csrf": ws.csrf_token, "clinic": clinic}
    if admin and account.role != Role.ADMIN.value:
        raise NotAdmin()
    return ws, account


class NotAdmin(AppError):
    status = 403
    slug = "forbidden"
    title = "Only a clinic admin can do this"

    def __init__(self) -> None:
        super().__init__("only a clinic admin can manage accounts")


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urllib.parse.urlsplit(origin).netloc == host


async def posted_form(request: Request, ws: WebSession | None,
                      expected: str | None = None) -> FormData:
    """The posted form, refused unless its CSRF token matches (and the origin is ours)."""
    await read_body(request)
    try:
        form = await request.form(max_files=4, max_fields=40)
    except Exception:
        raise CsrfRefused("the form could not be read") from None
    token = form.get("csrf_token")
    want = expected if expected is not None else (ws.csrf_token if ws else "")
    if not same_origin(request) or not acc.csrf_ok(want, token if isinstance(token, str)
                                                      else None):
        raise CsrfRefused("the form has expired or did not come from this site; reload and retry")
    return form


class CsrfRefused(AppError):
    status = 403
    slug = "csrf"
    title = "Form check failed"


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {**ctx_from_state(request), "hrv_version": __version__, **extra}


def principal_of(account: Account) -> Principal:
    return acc.principal_of(account)


def text_field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def number_field(form: FormData, name: str) -> float | None:
    value = text_field(form, name, 20)
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise Invalid(f"{name.replace('_', ' ')} must be a number") from None


class Invalid(AppError):
    status = 422
    slug = "validation-error"
    title = "Invalid form"
