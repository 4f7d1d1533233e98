"""Tenants and API keys."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.auth import Role, generate_key
from app.db.models import ApiKey, Tenant
from app.db.repositories import ClientRepository, KeyRepository, TenantRepository
from app.errors import Conflict, NotFound
from app.schemas import KeyCreated, KeyOut

__all__ = ["create_key", "create_tenant", "key_out", "list_keys", "revoke_key"]


def create_tenant(db: Session, name: str) -> tuple[Tenant, KeyCreated]:
    """A tenant and its first admin key."""
    tenant = TenantRepository(db).create(name)
    return tenant, create_key(db, tenant.id, Role.ADMIN, name="initial admin key")


def create_key(
    db: Session, tenant_id: str, role: Role, *, name: str = "", therapist: str | None = None
) -> KeyCreated:
    """A new key of ``tenant_id``; raises :class:`NotFound` for an unknown tenant."""
    if TenantRepository(db).get(tenant_id) is None:
        raise NotFound(f"no tenant {tenant_id!r}; 'hrv-service create-tenant NAME' makes one")
    therapist_id = None
    if therapist is not None:
        therapist_id = ClientRepository(db).therapist_get_or_create(tenant_id, therapist).id
    new = generate_key()
    key = KeyRepository(db).add(
        ApiKey(tenant_id=tenant_id, prefix=new.prefix, key_hash=new.key_hash,
               role=role.value, name=name, therapist_id=therapist_id)
    )
    return KeyCreated(**key_out(key).model_dump(), key=new.secret)


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(id=key.id, prefix=key.prefix, role=key.role, name=key.name,
                  created_at=key.created_at, revoked_at=key.revoked_at)


def list_keys(db: Session, tenant_id: str) -> list[KeyOut]:
    return [key_out(k) for k in KeyRepository(db).list(tenant_id)]


def revoke_key(db: Session, tenant_id: str, key_id_or_prefix: str) -> bool:
    """Revoke a key by id or prefix; ``False`` if the tenant has no such key.

    The tenant's last active admin key is refused (:class:`Conflict`): without it nobody
    could manage the tenant's keys any more. Create another admin key first.
    """
    repo = KeyRepository(db)
    key = repo.get(tenant_id, key_id_or_prefix) or repo.by_prefix(tenant_id, key_id_or_prefix)
    if key is None:
        return False
    if key.revoked_at is None and key.role == Role.ADMIN.value \
            and repo.active_admins(tenant_id) <= 1:
        raise Conflict(
            "this is the tenant's last admin key; create another admin key before "
            "revoking it, or the tenant's keys can no longer be managed"
        )
    repo.revoke(key)
    return True
