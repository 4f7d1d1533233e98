"""Clients (by pseudonymous reference) and jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.deps import settings
from app.api.sessions import job_out
from app.auth import Principal, Role, get_db, require
from app.db.repositories import JobRepository
from app.errors import NotFound
from app.schemas import ClientPage, JobOut
from app.services import lifecycle
from app.services import sessions as svc

router = APIRouter(prefix="/v1", tags=["clients", "jobs"])


@router.get("/clients", response_model=ClientPage, summary="List clients (cursor pagination)")
def list_clients(
    request: Request,
    cursor: str | None = Query(default=None),
    limit: int | None = Query(default=None, ge=1, le=500),
    principal: Principal = Depends(require(Role.THERAPIST, Role.RESEARCHER, Role.ADMIN)),
    db: Session = Depends(get_db),
) -> ClientPage:
    cfg = settings(request)
    n = min(limit or cfg.page_size_default, cfg.page_size_max)
    return svc.list_clients(db, principal, cursor, n)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A background job's status")
def get_job(
    job_id: str,
    principal: Principal = Depends(require(Role.RESEARCHER, Role.ADMIN)),
    db: Session = Depends(get_db),
) -> JobOut:
    job = JobRepository(db).get(principal.tenant_id, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job_out(job)


@router.delete(
    "/clients/{reference}",
    status_code=204,
    summary="Erase a client: all their sessions and raw recordings (admin; audit-logged)",
)
def erase_client(
    reference: str = Path(min_length=1, max_length=200, description="Client reference"),
    principal: Principal = Depends(require(Role.ADMIN)),
    db: Session = Depends(get_db),
) -> Response:
    lifecycle.erase_client(db, principal, reference)
    db.commit()
    return Response(status_code=204)
