"""Background jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.auth import Principal, Role, require, unit_of_work
from app.schemas import JobOut
from app.services import jobs as svc

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut, summary="A background job's status")
def get_job(
    job_id: str,
    principal: Principal = Depends(require(Role.RESEARCHER, Role.ADMIN)),
    db: Session = unit_of_work,
) -> JobOut:
    return svc.get_job(db, principal, job_id)
