"""The request budget of each API key, kept in the database so that every server
process draws on the same bucket.

One statement per request takes a token atomically: an upsert that refills the bucket
for the time passed, takes one token when at least one is there, and returns what is
left and whether the request may pass. PostgreSQL serialises concurrent takes on the
key's row; SQLite's write lock (``BEGIN IMMEDIATE``) does the same.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import case, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import RateBucket

__all__ = ["Take", "take_token"]


@dataclasses.dataclass(frozen=True)
class Take:
    """The outcome of one request: let through or not, and the tokens left after it."""

    allowed: bool
    tokens: float


def take_token(db: Session, key_id: str, *, now_s: float, rate_per_s: float,
               burst: int) -> Take:
    """Take one token of ``key_id``'s bucket (``burst`` at most, ``rate_per_s`` refill).

    Scoped by the key's id on purpose: the key was verified before, and the bucket
    belongs to the key, not to a tenant's data.
    """
    t = RateBucket.__table__.c
    elapsed = case((literal(now_s) > t.updated_s, literal(now_s) - t.updated_s), else_=0.0)
    grown = t.tokens + elapsed * rate_per_s
    refilled = case((grown > float(burst), float(burst)), else_=grown)
    ok = refilled >= 1.0
    insert = (postgresql.insert if db.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    stmt = (
        insert(RateBucket)
        .values(key_id=key_id, tokens=float(burst) - 1.0, updated_s=now_s, allowed=True)
        .on_conflict_do_update(
            index_elements=[RateBucket.key_id],
            set_={"tokens": case((ok, refilled - 1.0), else_=refilled),
                  "updated_s": case((literal(now_s) > t.updated_s, literal(now_s)),
                                    else_=t.updated_s),
                  "allowed": ok},
        )
        .returning(RateBucket.allowed, RateBucket.tokens)
    )
    allowed, tokens = db.execute(stmt).one()
    return Take(bool(allowed), float(tokens))
