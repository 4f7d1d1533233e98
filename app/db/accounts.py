"""SQL for sign-in accounts and browser sessions of the therapist pages.

Queries take the tenant, except the two a sign-in needs before it knows one
(:meth:`AccountRepository.by_username_unscoped`, :meth:`WebSessionRepository.get_unscoped`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import Account, WebSession, utcnow

__all__ = ["AccountRepository", "WebSessionRepository"]


class AccountRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, account: Account) -> Account:
        self.db.add(account)
        self.db.flush()
        return account

    def by_username_unscoped(self, username: str) -> Account | None:
        """The account signing in (its tenant is not known yet)."""
        return self.db.scalars(select(Account).where(Account.username == username)).first()

    def get(self, tenant_id: str, account_id: str) -> Account | None:
        return self.db.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.id == account_id)
        ).first()

    def list(self, tenant_id: str) -> Sequence[Account]:
        return self.db.scalars(
            select(Account).where(Account.tenant_id == tenant_id).order_by(Account.username)
        ).all()

    def record_failure(self, account: Account, *, lock_after: int, lock_for: dt.timedelta) -> None:
        account.failed_sign_ins = (account.failed_sign_ins or 0) + 1
        if account.failed_sign_ins >= lock_after:
            account.locked_until = utcnow() + lock_for
        self.db.flush()

    def record_success(self, account: Account) -> None:
        account.failed_sign_ins = 0
        account.locked_until = None
        self.db.flush()


class WebSessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, session: WebSession) -> WebSession:
        self.db.add(session)
        self.db.flush()
        return session

    def get_unscoped(self, token_hash: str) -> tuple[WebSession, Account] | None:
        """The live session of a cookie and its account (the cookie names the tenant)."""
        row = self.db.execute(
            select(WebSession, Account)
            .join(Account, Account.id == WebSession.account_id)
            .where(WebSession.token_hash == token_hash, WebSession.expires_at > utcnow(),
                   Account.tenant_id == WebSession.tenant_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def delete(self, tenant_id: str, token_hash: str) -> None:
        self.db.execute(
            delete(WebSession).where(
                WebSession.tenant_id == tenant_id, WebSession.token_hash == token_hash
            )
        )

    def delete_for_account(self, tenant_id: str, account_id: str) -> None:
        self.db.execute(
            delete(WebSession).where(
                WebSession.tenant_id == tenant_id, WebSession.account_id == account_id
            )
        )

    def purge_expired_unscoped(self) -> int:
        result = self.db.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)
