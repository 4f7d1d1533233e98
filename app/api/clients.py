"""Clients (by pseudonymous reference)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.deps import settings
from app.auth import Principal, Role, require, unit_of_work
from app.schemas import ClientPage
from app.services import lifecycle
from app.services import sessions as svc

router = APIRouter(prefix="/v1/clients", tags=["clients"])


@router.get("", response_model=ClientPage, summary="List clients (cursor pagination)")
def list_clients(
    request: Request,
    cursor: str | None = Query(default=None),
    limit: int | None = Query(default=None, ge=1, le=500),
    principal: Principal = Depends(require(Role.THERAPIST, Role.RESEARCHER, Role.ADMIN)),
    db: Session = unit_of_work,
) -> ClientPage:
    cfg = settings(request)
    n = min(limit or cfg.page_size_default, cfg.page_size_max)
    return svc.list_clients(db, principal, cursor, n)


@router.delete(
    "/{reference}",
    status_code=204,
    summary="Erase a client: all their sessions and raw recordings (admin; audit-logged)",
)
def erase_client(
    reference: str = Path(min_length=1, max_length=200, description="Client reference"),
    principal: Principal = Depends(require(Role.ADMIN)),
    db: Session = unit_of_work,
) -> Response:
    lifecycle.erase_client(db, principal, reference)
    return Response(status_code=204)
