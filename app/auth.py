"""API keys and the caller's identity.

A key looks like ``hrv_<8 hex prefix>_<43 url-safe chars>``. Only its SHA-256 is stored;
the prefix is kept in clear so people can tell keys apart in listings.
"""

from __future__ import annotations

import enum
import hashlib
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.db.models import ApiKey
from app.db.ratelimit import take_token
from app.db.repositories import KeyRepository
from app.errors import Forbidden, TooManyRequests, Unauthorized

__all__ = [
    "KeyCache",
    "Principal",
    "RateLimiter",
    "Role",
    "SharedRateLimiter",
    "generate_key",
    "get_db",
    "get_principal",
    "hash_key",
    "on_commit",
    "require",
    "unit_of_work",
]


class Role(enum.StrEnum):
    INTEGRATION = "integration"
    THERAPIST = "therapist"
    RESEARCHER = "researcher"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a tenant, a role, and for therapists the therapist they are."""

    key_id: str
    tenant_id: str
    role: Role
    therapist_id: str | None = None

    @property
    def own_sessions_only(self) -> bool:
        return self.role is Role.THERAPIST


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    secret: str
    prefix: str
    key_hash: str


def generate_key() -> NewKey:
    prefix = "hrv_" + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(secret=secret, prefix=prefix, key_hash=hash_key(secret))


_AFTER_COMMIT = "after_commit"


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request, committed when the request succeeds.

    Used as :data:`unit_of_work` (``scope="function"``) the commit happens when the
    route returns and before the response is sent, so a failed commit is an error
    response and a client that reads right after its write sees it. Callbacks
    registered with :func:`on_commit` run after a successful commit.
    """
    with request.app.state.db.session() as session:
        yield session
        callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        callback()


def on_commit(db: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's unit of work has committed."""
    db.info.setdefault(_AFTER_COMMIT, []).append(callback)


#: The one unit of work of an API request: its writes commit together, in one place.
unit_of_work: Any = Depends(get_db, scope="function")


class RateLimiter:
    """A token bucket per API key, in this process: ``rate_per_s`` sustained, ``burst`` at once.

    Each request takes one token; an empty bucket answers 429 with ``Retry-After``
    (the whole seconds until a token is back). ``rate_per_s = 0`` disables the limit.
    With several server processes each keeps its own buckets, so a key's limit is the
    per-process one times the number of processes: :class:`SharedRateLimiter` keeps one.
    """

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key_id: str, now: float | None = None) -> None:
        if self.rate_per_s <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key_id, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[key_id] = (tokens, now)
            raise _too_many(self.rate_per_s, self.burst, tokens)
        if len(self._buckets) > 100_000:
            self._buckets.clear()
        self._buckets[key_id] = (tokens - 1.0, now)


def _too_many(rate_per_s: float, burst: int, tokens: float) -> TooManyRequests:
    wait = max(1, math.ceil((1.0 - tokens) / rate_per_s))
    return TooManyRequests(
        f"this API key made more than {burst} requests at once or more than "
        f"{rate_per_s:g} per second; retry in {wait} s",
        retry_after_s=wait,
    )


class SharedRateLimiter:
    """The same token bucket per API key, kept in the database: one budget for the key
    across every server process (and machine) of the deployment.

    Each take is one atomic upsert (:func:`app.db.ratelimit.take_token`) in a short
    transaction of its own, so a refused request costs the same as an accepted one.
    """

    def __init__(self, db: Any, rate_per_s: float, burst: int) -> None:
        self.db = db
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)

    def take(self, key_id: str, now: float | None = None) -> None:
        if self.rate_per_s <= 0:
            return
        with self.db.session() as session:
            got = take_token(session, key_id, now_s=time.time() if now is None else now,
                             rate_per_s=self.rate_per_s, burst=self.burst)
        if not got.allowed:
            raise _too_many(self.rate_per_s, self.burst, got.tokens)


class KeyCache:
    """Recently verified keys, so hot endpoints skip the database lookup.

    A revocation made through this process clears the cache at once; one made by
    another process takes effect here within ``ttl_s`` seconds (0 disables caching).
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, key_hash: str) -> Principal | None:
        if self.ttl_s <= 0:
            return None
        hit = self._entries.get(key_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key_hash: str, principal: Principal) -> None:
        if self.ttl_s > 0:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (principal, time.monotonic() + self.ttl_s)

    def clear(self) -> None:
        self._entries.clear()


def _lookup(db: Any, key_hash: str) -> Principal:
    with db.session() as session:
        key: ApiKey | None = KeyRepository(session).by_hash_unscoped(key_hash)
        if key is None:
            raise Unauthorized("unknown API key")
        if key.revoked_at is not None:
            raise Unauthorized("this API key has been revoked")
        return Principal(
            key_id=key.id, tenant_id=key.tenant_id, role=Role(key.role),
            therapist_id=key.therapist_id,
        )


async def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key_hash = hash_key(token.strip())
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(key_hash)
    if principal is None:
        principal = await run_in_threadpool(_lookup, request.app.state.db, key_hash)
        cache.put(key_hash, principal)
    limiter = _limiter(request)
    if isinstance(limiter, SharedRateLimiter):
        if limiter.rate_per_s > 0:
            await run_in_threadpool(limiter.take, principal.key_id)
    else:
        limiter.take(principal.key_id)
    return principal


def _limiter(request: Request) -> RateLimiter | SharedRateLimiter:
    state = request.app.state
    limiter: RateLimiter | SharedRateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        cfg = state.settings
        db = state.db
        shared = cfg.rate_limit_shared
        if shared is None:
            shared = db.engine.dialect.name == "postgresql"
        limiter = state.rate_limiter = (
            SharedRateLimiter(db, cfg.rate_limit_per_s, cfg.rate_limit_burst) if shared
            else RateLimiter(cfg.rate_limit_per_s, cfg.rate_limit_burst))
    return limiter


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only callers with one of ``roles``."""
    allowed = frozenset(roles)

    async def dependency(principal: Principal = Depends(get_principal)) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"role '{principal.role.value}' cannot do this; needs one of: {names}")
        return principal

    return dependency
