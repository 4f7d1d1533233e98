"""API key management (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth import Principal, Role, on_commit, require, unit_of_work
from app.errors import NotFound
from app.schemas import KeyCreate, KeyCreated, KeyOut
from app.services import keys as svc

router = APIRouter(prefix="/v1/keys", tags=["keys"])
ADMIN = Depends(require(Role.ADMIN))


@router.post("", status_code=201, response_model=KeyCreated, summary="Create a key (shown once)")
def create_key(body: KeyCreate, principal: Principal = ADMIN, db: Session = unit_of_work
               ) -> KeyCreated:
    return svc.create_key(
        db, principal.tenant_id, Role(body.role), name=body.name, therapist=body.therapist
    )


@router.get("", response_model=list[KeyOut], summary="List the tenant's keys")
def list_keys(principal: Principal = ADMIN, db: Session = unit_of_work) -> list[KeyOut]:
    return svc.list_keys(db, principal.tenant_id)


@router.delete(
    "/{key_id}", status_code=204, summary="Revoke a key",
    responses={409: {"description": "The tenant's last admin key cannot be revoked"}},
)
def revoke_key(
    request: Request, key_id: str, principal: Principal = ADMIN, db: Session = unit_of_work
) -> Response:
    if not svc.revoke_key(db, principal.tenant_id, key_id):
        raise NotFound(f"no key {key_id!r}")
    on_commit(db, request.app.state.key_cache.clear)
    return Response(status_code=204)
