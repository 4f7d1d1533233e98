"""Study batches: ``POST /v1/batches``, status, cancellation and result tables."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from typing import IO, Any, Literal

import orjson
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.responses import Response

from app.api._body import RequestTimeout, read_json_document
from app.auth import Principal, Role, get_db, require
from app.config import Settings
from app.db.batches import BatchRepository
from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.services import batch_results
from app.services import batches as svc

router = APIRouter(prefix="/v1/batches", tags=["batches"])

RESEARCH = (Role.RESEARCHER, Role.ADMIN)
JSON = "application/json"
_SPOOL_BYTES = 8 * 1024 * 1024

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "ZIP: data files + manifest.csv (+ optional config.json)"},
        "config": {"type": "string", "description": "hrv.AnalysisConfig as JSON"}}}},
    JSON: {"schema": {"type": "object", "required": ["recordings"], "properties": {
        "recordings": {"type": "array", "items": {
            "type": "object", "required": ["session_id", "phase"],
            "additionalProperties": {"type": "string"},
            "properties": {"session_id": {"type": "string"}, "phase": {"type": "string"},
                           "participant": {"type": "string"}}}},
        "config": {"type": "object"}}}},
}}}


def _settings(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def _zip_limits(cfg: Settings) -> svc.ZipLimits:
    return svc.ZipLimits(
        max_members=cfg.batch_max_items + 2,  # the manifest and a config.json
        max_unpacked_bytes=cfg.batch_max_unpacked_bytes,
        max_member_bytes=cfg.max_body_bytes,
        max_ratio=cfg.batch_max_ratio,
        compression_level=cfg.storage_compression_level,
    )


async def _stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks, refused past ``limit`` bytes or a read timeout."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"upload of {declared} bytes exceeds the limit of {limit} bytes")
    timeout = _settings(request).body_read_timeout_s
    size = 0
    it = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(it.__anext__(), timeout)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise RequestTimeout(
                f"no part of the upload arrived for {timeout:g} s; {size} bytes were received"
            ) from None
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"upload exceeds the limit of {limit} bytes")
        yield chunk


async def _spool(request: Request, limit: int) -> IO[bytes]:
    """Stream the body to a temporary file (memory up to 8 MiB, then disk)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    try:
        async for chunk in _stream(request, limit):
            # Buffered writes of ~64 KiB chunks: quicker inline than a thread hop each.
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def _multipart(request: Request, limit: int) -> tuple[IO[bytes], Any]:
    """The ZIP part (spooled to disk by the parser) and the optional config field."""
    spool = await _spool(request, limit)

    async def chunks() -> AsyncGenerator[bytes, None]:
        while block := await run_in_threadpool(spool.read, 1 << 20):
            yield block

    try:
        form = await MultiPartParser(request.headers, chunks(), max_files=1, max_fields=5,
                                     max_part_size=1024 * 1024).parse()
    except Exception as exc:  # python-multipart raises several types for bad bodies
        raise BadRequest(f"malformed multipart body: {exc}") from None
    finally:
        spool.close()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("multipart upload needs a 'file' part with the ZIP",
                               errors=[{"field": "body.file", "message": "missing file part"}])
    config: Any = None
    text = form.get("config")
    if isinstance(text, str) and text.strip():
        try:
            config = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValidationFailed(f"config is not valid JSON: {exc}") from None
    upload.file.seek(0)
    return upload.file, config


def _status_response(body: dict[str, Any], status_code: int = 200,
                     background: BackgroundTasks | None = None) -> Response:
    headers = {"Location": body["links"]["self"]} if status_code == 202 else {}
    return Response(orjson.dumps(body), status_code=status_code, media_type=JSON,
                    headers=headers, background=background)


@router.post(
    "",
    status_code=202,
    summary="Submit a study batch: a ZIP with manifest.csv, or stored recordings",
    openapi_extra=UPLOAD_BODY,
    responses={202: {"description": "The batch status; Location names it"}},
)
async def create_batch(
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(require(*RESEARCH)),
    db: Session = Depends(get_db),
) -> Response:
    cfg = _settings(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    runner = request.app.state.batches

    def record(make: Any) -> dict[str, Any]:
        batch = make()
        ids = BatchRepository(db).pending_item_ids_unscoped(batch.id)
        runner.submit(db, batch.id, ids, background)
        db.commit()
        return svc.batch_status(db, batch)

    if media in ("application/zip", "application/x-zip-compressed", "application/octet-stream"):
        fileobj = await _spool(request, cfg.batch_max_upload_bytes)
        config = None
    elif media == "multipart/form-data":
        fileobj, config = await _multipart(request, cfg.batch_max_upload_bytes)
    elif media == JSON or media.endswith("+json"):
        data, _ = await read_json_document(request)
        if not isinstance(data, dict) or not isinstance(data.get("recordings"), list):
            raise ValidationFailed(
                'a JSON batch is {"recordings": [{"session_id": ..., "phase": ...}, ...], '
                '"config": {...}}')
        recordings = data["recordings"]
        if len(recordings) > cfg.batch_max_items:
            raise PayloadTooLarge(
                f"{len(recordings)} recordings; at most {cfg.batch_max_items} per batch")
        if not all(isinstance(r, dict) for r in recordings):
            raise ValidationFailed("each entry of recordings is an object")
        body = await run_in_threadpool(record, lambda: svc.create_from_recordings(
            db, principal, recordings, data.get("config")))
        return _status_response(body, 202, background)
    else:
        raise UnsupportedMediaType(
            f"content type {media or '(none)'!r} is not accepted; send a ZIP "
            "(application/zip, or multipart/form-data with file=@study.zip) or JSON "
            '{"recordings": [...]}')
    limits = _zip_limits(cfg)
    try:
        body = await run_in_threadpool(record, lambda: svc.create_from_zip(
            db, principal, fileobj, limits, config))
    finally:
        fileobj.close()
    return _status_response(body, 202, background)


@router.get("/{batch_id}", summary="Batch status: counts, progress, ETA, item errors")
def get_batch(
    batch_id: str,
    principal: Principal = Depends(require(*RESEARCH)),
    db: Session = Depends(get_db),
) -> Response:
    return _status_response(svc.batch_status(db, svc.get_batch(db, principal, batch_id)))


@router.delete("/{batch_id}", summary="Cancel a batch (items not started are skipped)")
def cancel_batch(
    batch_id: str,
    principal: Principal = Depends(require(*RESEARCH)),
    db: Session = Depends(get_db),
) -> Response:
    batch = svc.get_batch(db, principal, batch_id)
    svc.cancel_batch(db, batch)
    db.commit()
    return _status_response(svc.batch_status(db, batch))


@router.get(
    "/{batch_id}/results",
    summary="Results: tidy or wide table, shift reports per pre/post pair",
    responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {},
                                 JSON: {}}}},
)
def get_results(
    batch_id: str,
    table: Literal["tidy", "wide", "shifts"] = Query(
        default="tidy", description="tidy: one row per recording x metric; wide: one row "
        "per recording; shifts: one row per pre/post pair"),
    format: Literal["csv", "parquet", "json"] = Query(default="csv"),
    principal: Principal = Depends(require(*RESEARCH)),
    db: Session = Depends(get_db),
) -> Response:
    batch = svc.get_batch(db, principal, batch_id)
    out = batch_results.render(db, batch, table, format)
    return Response(out.body, media_type=out.media_type, headers={
        "Content-Disposition": f'attachment; filename="{out.filename}"',
        "X-Batch-Status": out.status,
    })
