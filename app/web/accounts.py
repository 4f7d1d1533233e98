"""Sign-in accounts: Argon2id passwords, browser sessions, CSRF tokens, throttling.

A signed-in browser carries an opaque random cookie; the database keeps only its
SHA-256 with the account and a per-session CSRF token that every form must echo.
Failed sign-ins are throttled per account (locked for a while after a few failures)
and per client address (in memory), with one answer for every failure so the form does
not tell which usernames exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from app.auth import Principal, Role
from app.db.accounts import AccountRepository, WebSessionRepository
from app.db.models import Account, WebSession, utcnow
from app.db.repositories import ClientRepository, TenantRepository

__all__ = [
    "ACCOUNT_ROLES",
    "AccountError",
    "AddressThrottle",
    "SignIn",
    "SignInRefused",
    "create_account",
    "csrf_ok",
    "hash_password",
    "principal_of",
    "sign_in",
    "sign_out",
    "use_hasher",
    "web_session",
]

#: Roles that can sign in to the pages.
ACCOUNT_ROLES = (Role.THERAPIST, Role.ADMIN)
#: Failures in a row before an account is locked, and for how long.
LOCK_AFTER_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10

# argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id, 64 MiB).
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same.
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the password hasher (tests use cheaper Argon2id parameters); returns the old."""
    global _hasher, _dummy_hash
    old, _hasher, _dummy_hash = _hasher, hasher, None
    return old


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


class AccountError(ValueError):
    """An account cannot be created as asked (message for a person)."""


class SignInRefused(Exception):
    """A sign-in failed; ``message`` is safe to show (never says which part was wrong)."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_account(
    db: Session,
    tenant_id: str,
    username: str,
    password: str,
    role: Role,
    *,
    therapist: str | None = None,
    display_name: str = "",
) -> Account:
    """A new sign-in account of ``tenant_id``; therapists map to a therapist reference."""
    username = username.strip()
    if not username or len(username) > 200 or any(c.isspace() for c in username):
        raise AccountError("the username must be 1-200 characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role not in ACCOUNT_ROLES:
        raise AccountError("an account is a therapist or an admin")
    if TenantRepository(db).get(tenant_id) is None:
        raise AccountError(f"no tenant {tenant_id!r}")
    repo = AccountRepository(db)
    if repo.by_username_unscoped(username) is not None:
        raise AccountError(f"the username {username!r} is taken")
    therapist_id = None
    if role is Role.THERAPIST:
        ref = (therapist or "").strip()
        if not ref:
            raise AccountError("a therapist account needs the therapist reference the API uses")
        therapist_id = ClientRepository(db).therapist_get_or_create(tenant_id, ref[:200]).id
    return repo.add(Account(
        tenant_id=tenant_id, username=username, display_name=display_name.strip()[:200],
        password_hash=hash_password(password), role=role.value, therapist_id=therapist_id,
    ))


def principal_of(account: Account) -> Principal:
    """The API identity of a signed-in account: the same scoping as a key of its role."""
    return Principal(key_id=account.id, tenant_id=account.tenant_id, role=Role(account.role),
                     therapist_id=account.therapist_id)


class AddressThrottle:
    """At most ``limit`` failed sign-ins per client address in ``window_s`` seconds."""

    def __init__(self, limit: int = 20, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        q = self._failures.setdefault(address, deque())
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            if len(self._failures) > 10_000:
                self._failures.clear()
            self._recent(address, time.monotonic()).append(time.monotonic())


@dataclass(frozen=True)
class SignIn:
    """A new browser session: the cookie value (shown once) and its CSRF token."""

    token: str
    csrf_token: str
    account: Account


_WRONG = "wrong username or password"


def sign_in(
    db: Session, username: str, password: str, *, session_hours: float
) -> SignIn:
    """Check a password and open a browser session, or raise :class:`SignInRefused`."""
    repo = AccountRepository(db)
    account = repo.by_username_unscoped(username.strip())
    if account is None:
        _verify(_dummy(), password)
        raise SignInRefused(_WRONG)
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        minutes = max(1, round((account.locked_until - now).total_seconds() / 60))
        raise SignInRefused(
            f"too many failed sign-ins; try again in {minutes} minute(s)", throttled=True
        )
    if not _verify(account.password_hash, password) or account.disabled_at is not None:
        repo.record_failure(account, lock_after=LOCK_AFTER_FAILURES, lock_for=LOCK_FOR)
        raise SignInRefused(_WRONG)
    repo.record_success(account)
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sessions = WebSessionRepository(db)
    sessions.purge_expired_unscoped()  # expired sign-ins go at the next one (indexed)
    sessions.add(WebSession(
        token_hash=_token_hash(token), tenant_id=account.tenant_id, account_id=account.id,
        csrf_token=csrf, expires_at=now + dt.timedelta(hours=session_hours),
    ))
    return SignIn(token, csrf, account)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def web_session(db: Session, token: str) -> tuple[WebSession, Account] | None:
    """The live session and account of a cookie value, or ``None``."""
    if not token or len(token) > 200:
        return None
    found = WebSessionRepository(db).get_unscoped(_token_hash(token))
    if found is None or found[1].disabled_at is not None:
        return None
    return found


def sign_out(db: Session, session: WebSession) -> None:
    WebSessionRepository(db).delete(session.tenant_id, session.token_hash)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
