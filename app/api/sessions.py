"""Sessions, their recordings, reports and re-analysis."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api._body import read_json_document
from app.api._openapi import RECORDING_BODY
from app.api.deps import idempotency_ttl, limits, read_recording_body, settings
from app.auth import Principal, Role, require, unit_of_work
from app.schemas import (
    JobOut,
    Phase,
    RecordingOut,
    SessionCreate,
    SessionOut,
    SessionPage,
    SessionPatch,
)
from app.services import jobs, lifecycle, reports
from app.services import sessions as svc
from app.services.idempotency import StoredResponse, fingerprint
from app.services.ingest import validation_problem

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

WRITERS = (Role.INTEGRATION, Role.THERAPIST, Role.ADMIN)
READERS = (Role.INTEGRATION, Role.THERAPIST, Role.RESEARCHER, Role.ADMIN)
IDEMPOTENCY = Header(
    default=None, alias="Idempotency-Key", description="Retries with the same key replay"
)
JSON = "application/json"


def _replay(out: StoredResponse) -> Response:
    headers = {"Location": out.location} if out.location else {}
    if out.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(out.body, status_code=out.status_code, media_type=JSON, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=SessionOut,
    summary="Create a therapy session",
    openapi_extra={"requestBody": {"required": True, "content": {JSON: {
        "schema": {"$ref": "#/components/schemas/SessionCreate"}}}}},
)
async def create_session(
    request: Request,
    idempotency_key: str | None = IDEMPOTENCY,
    principal: Principal = Depends(require(*WRITERS)),
    db: Session = unit_of_work,
) -> Response:
    data, raw = await read_json_document(request)
    try:
        body = SessionCreate.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    once = svc.Idempotency(
        idempotency_key, fingerprint("POST", request.url.path, "json", raw),
        idempotency_ttl(request),
    )
    return _replay(await run_in_threadpool(svc.create_session_once, db, principal, body, once))


@router.get("", response_model=SessionPage, summary="List sessions (cursor pagination)")
def list_sessions(
    request: Request,
    cursor: str | None = Query(default=None),
    limit: int | None = Query(default=None, ge=1, le=500),
    client: str | None = Query(default=None, description="Client reference"),
    therapist: str | None = Query(default=None, description="Therapist reference"),
    modality: str | None = Query(default=None),
    started_from: dt.datetime | None = Query(default=None),
    started_to: dt.datetime | None = Query(default=None),
    principal: Principal = Depends(require(*READERS)),
    db: Session = unit_of_work,
) -> SessionPage:
    cfg = settings(request)
    n = min(limit or cfg.page_size_default, cfg.page_size_max)
    query = svc.SessionQuery(client, therapist, modality, started_from, started_to)
    return svc.list_sessions(db, principal, query, cursor, n)


@router.get("/{session_id}", response_model=SessionOut, summary="One session")
def get_session(
    session_id: str,
    principal: Principal = Depends(require(*READERS)),
    db: Session = unit_of_work,
) -> SessionOut:
    return svc.read_session(db, principal, session_id)


@router.patch(
    "/{session_id}",
    response_model=SessionOut,
    summary="Edit a session (JSON merge patch: notes, self-reports, therapist, modality, time)",
)
def patch_session(
    session_id: str,
    patch: SessionPatch,
    principal: Principal = Depends(require(*WRITERS)),
    db: Session = unit_of_work,
) -> SessionOut:
    s = lifecycle.patch_session(db, principal, session_id, patch)
    return svc.session_out(db, s)


@router.delete(
    "/{session_id}",
    status_code=204,
    summary="Delete a session with its recordings and raw data",
)
def delete_session(
    session_id: str,
    principal: Principal = Depends(require(*WRITERS)),
    db: Session = unit_of_work,
) -> Response:
    lifecycle.delete_session(db, principal, session_id)
    return Response(status_code=204)


@router.put(
    "/{session_id}/recordings/{phase}",
    status_code=201,
    response_model=RecordingOut,
    summary="Store and analyse the pre or post recording",
    responses={200: {"description": "An existing recording was replaced"}},
    openapi_extra=RECORDING_BODY,
)
async def put_recording(
    request: Request,
    session_id: str,
    phase: Phase,
    background: BackgroundTasks,
    idempotency_key: str | None = IDEMPOTENCY,
    principal: Principal = Depends(require(*WRITERS)),
    db: Session = unit_of_work,
) -> Response:
    body, raw = await read_recording_body(request)
    lim = limits(request)
    level = settings(request).storage_compression_level
    once = svc.Idempotency(
        idempotency_key,
        fingerprint("PUT", request.url.path, request.headers.get("content-type", ""), raw,
                    str(request.query_params)),
        idempotency_ttl(request),
    )
    return _replay(await run_in_threadpool(
        svc.put_recording_once, db, principal, session_id, phase, body, lim, level, once
    ))


@router.get(
    "/{session_id}/recordings/{phase}",
    response_model=RecordingOut,
    summary="A stored recording's metadata and latest analysis",
)
def get_recording(
    session_id: str,
    phase: Phase,
    principal: Principal = Depends(require(*READERS)),
    db: Session = unit_of_work,
) -> RecordingOut:
    return svc.read_recording(db, principal, session_id, phase)


@router.get(
    "/{session_id}/report",
    summary="The before/after shift report (JSON, FHIR R4 Bundle, CSV, HTML or PDF by Accept)",
    responses={
        200: {"content": {JSON: {}, "application/fhir+json": {}, "text/csv": {},
                          "text/html": {}, "application/pdf": {}}},
        406: {"description": "None of the Accept types can be served; the problem lists them"},
    },
)
def get_report(
    request: Request,
    session_id: str,
    principal: Principal = Depends(require(*READERS)),
    db: Session = unit_of_work,
) -> Response:
    from app.errors import problem_response
    from app.web.negotiate import REPORT_TYPES, choose

    media = choose(request.headers.get("accept"))
    if media is None:
        return problem_response(
            406, "not-acceptable", "Not acceptable",
            "this report is available as: " + ", ".join(REPORT_TYPES),
            instance=request.url.path, extra={"available": list(REPORT_TYPES)},
        )
    if media in ("text/html", "application/pdf"):
        from app.web.report_pages import api_report_response

        reports.record_export(db, principal, session_id, media)
        return api_report_response(request, principal, session_id, media)
    doc = reports.report_document(db, principal, session_id, limits(request), media)
    return Response(doc.body, media_type=doc.media_type, headers=doc.headers)


@router.post(
    "/{session_id}/reanalyze",
    status_code=202,
    response_model=JobOut,
    summary="Re-analyse the stored recordings with the current algorithm (a job)",
)
def reanalyze(
    request: Request,
    session_id: str,
    background: BackgroundTasks,
    principal: Principal = Depends(require(Role.RESEARCHER, Role.ADMIN)),
    db: Session = unit_of_work,
) -> Response:
    runner = request.app.state.jobs
    job = jobs.request_reanalysis(
        db, principal, session_id, lambda job_id: runner.submit(job_id, background)
    )
    out = jobs.job_out(job)
    return Response(
        out.model_dump_json(), status_code=202, media_type=JSON,
        headers={"Location": f"/v1/jobs/{job.id}"}, background=background,
    )
