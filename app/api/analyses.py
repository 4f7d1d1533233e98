"""``POST /v1/analyses``: analyse one recording; nothing is stored."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from app.api._openapi import RECORDING_BODY
from app.api.deps import limits, read_recording_body
from app.auth import Principal, get_principal
from app.services.ingest import analyze_parsed, parse_stored

router = APIRouter(prefix="/v1", tags=["analyses"])

# Bodies up to this size (a 5-min RR series is ~6 kB) are analysed on the event loop:
# the work takes a few ms, less than the hand-off to a worker thread and back costs
# under load. Larger bodies (waveforms) go to the thread pool.
INLINE_MAX_BYTES = 64 * 1024


@router.post(
    "/analyses",
    summary="Analyse one recording (nothing stored)",
    openapi_extra=RECORDING_BODY,
    responses={200: {"description": "The Analysis JSON of the hrv result contract"}},
)
async def analyse(
    request: Request,
    include: Literal["beats"] | None = Query(default=None, description="'beats' adds beats"),
    principal: Principal = Depends(get_principal),
) -> Response:
    body, raw = await read_recording_body(request)
    lim = limits(request)
    metrics = request.app.state.metrics

    def work() -> bytes:
        parsed = parse_stored(body, lim)
        try:
            analysis = analyze_parsed(parsed)
        except Exception:
            metrics.analyses.labels(parsed.kind, "error").inc()
            raise
        metrics.analyses.labels(parsed.kind, "ok").inc()
        return orjson.dumps(
            analysis.to_dict(include_beats=include == "beats"),
            option=orjson.OPT_SERIALIZE_NUMPY,
        )

    out = work() if len(raw) <= INLINE_MAX_BYTES else await run_in_threadpool(work)
    return Response(out, media_type="application/json")
