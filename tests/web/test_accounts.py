"""Sign-in accounts: Argon2id hashes, cookie flags, CSRF, throttling, sign-out, the
admin page and the CLI command."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import Role
from app.db.database import BoundDatabase
from app.db.models import Account, WebSession
from app.web.accounts import LOCK_AFTER_FAILURES, AccountError, create_account
from tests.web.conftest import PASSWORD, Accounts, csrf_of, sign_in


class TestAccounts:
    def test_password_stored_as_argon2id(self, bound_db: BoundDatabase,
                                         accounts: Accounts) -> None:
        with bound_db.session() as s:
            row = s.scalars(select(Account).where(Account.username == "ther1")).one()
            assert row.password_hash.startswith("$argon2id$")
            assert PASSWORD not in row.password_hash

    @pytest.mark.parametrize(("username", "password", "role", "therapist", "words"), [
        ("a b", PASSWORD, Role.THERAPIST, "T-9", "without spaces"),
        ("short", "123", Role.ADMIN, None, "at least 10"),
        ("nother", PASSWORD, Role.THERAPIST, None, "therapist reference"),
        ("resear", PASSWORD, Role.RESEARCHER, None, "therapist or an admin"),
        ("ther1", PASSWORD, Role.ADMIN, None, "taken"),
    ])
    def test_refused_accounts(self, bound_db: BoundDatabase, accounts: Accounts, username: str,
                              password: str, role: Role, therapist: str | None,
                              words: str) -> None:
        with bound_db.session() as s, pytest.raises(AccountError, match=words):
            create_account(s, accounts.tenant.tenant_id, username, password, role,
                           therapist=therapist)


class TestSignIn:
    def test_cookie_flags_and_redirect(self, client: TestClient, accounts: Accounts) -> None:
        page = client.get("/sign-in")
        r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther1",
                                          "password": PASSWORD, "next": "/clients"},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/clients"
        cookie = next(v for k, v in r.headers.multi_items()
                      if k == "set-cookie" and v.startswith("hrv_session="))
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "secure" not in flags  # plain http: a Secure cookie would never come back

    def test_secure_cookie_behind_tls(self, app: object, accounts: Accounts) -> None:
        tls = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
        page = tls.get("/sign-in")
        r = tls.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther1",
                                       "password": PASSWORD}, follow_redirects=False)
        cookie = next(v for k, v in r.headers.multi_items()
                      if k == "set-cookie" and v.startswith("hrv_session="))
        assert "secure" in cookie.lower()

    def test_pages_need_sign_in(self, client: TestClient, accounts: Accounts) -> None:
        r = client.get("/clients", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?next=/clients")
        assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"

    def test_same_answer_for_unknown_user_and_wrong_password(
        self, client: TestClient, accounts: Accounts
    ) -> None:
        answers = []
        for username, password in (("ther1", "wrong password!"), ("nobody", PASSWORD)):
            page = client.get("/sign-in")
            r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text),
                                              "username": username, "password": password})
            answers.append((r.status_code, "wrong username or password" in r.text))
            assert "hrv_session" not in r.cookies
        assert answers == [(401, True), (401, True)]

    def test_sign_in_form_needs_its_csrf_token(self, client: TestClient,
                                               accounts: Accounts) -> None:
        client.get("/sign-in")
        r = client.post("/sign-in", data={"csrf_token": "forged", "username": "ther1",
                                          "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 403
        assert "hrv_session" not in r.cookies

    def test_cross_site_origin_refused(self, client: TestClient, accounts: Accounts) -> None:
        page = client.get("/sign-in")
        r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther1",
                                          "password": PASSWORD},
                        headers={"Origin": "https://evil.example"}, follow_redirects=False)
        assert r.status_code == 403

    def test_account_locked_after_failures(self, client: TestClient, accounts: Accounts) -> None:
        for _ in range(LOCK_AFTER_FAILURES):
            page = client.get("/sign-in")
            r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text),
                                              "username": "ther2", "password": "not it at all"})
            assert r.status_code == 401
        page = client.get("/sign-in")
        r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther2",
                                          "password": PASSWORD}, follow_redirects=False)
        # Even the right password waits until the lock ends.
        assert r.status_code == 429 and "too many failed sign-ins" in r.text
        # Another account is not affected.
        assert sign_in(client, "ther1")

    def test_address_throttle(self, app: object, client: TestClient,
                              accounts: Accounts) -> None:
        throttle = app.state.sign_in_throttle  # type: ignore[attr-defined]
        throttle.limit = 3
        for name in ("u1", "u2", "u3"):
            page = client.get("/sign-in")
            client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": name,
                                          "password": "x" * 12})
        page = client.get("/sign-in")
        r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther1",
                                          "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 429 and "this address" in r.text

    def test_open_redirect_refused(self, client: TestClient, accounts: Accounts) -> None:
        page = client.get("/sign-in?next=//evil.example/x")
        assert 'value="/clients"' in page.text
        r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": "ther1",
                                          "password": PASSWORD, "next": "https://evil.example"},
                        follow_redirects=False)
        assert r.headers["location"] == "/clients"

    def test_sign_out_ends_the_session(self, client: TestClient, bound_db: BoundDatabase,
                                       accounts: Accounts) -> None:
        csrf = sign_in(client, "ther1")
        token = client.cookies.get("hrv_session")
        # Without the token the form is refused and the session lives on.
        assert client.post("/sign-out", data={}, follow_redirects=False).status_code == 403
        assert client.get("/clients").status_code == 200
        r = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        with bound_db.session() as s:
            assert s.scalars(select(WebSession)).all() == []
        client.cookies.set("hrv_session", token or "")
        assert client.get("/clients", follow_redirects=False).status_code == 303

    def test_security_headers(self, client: TestClient, accounts: Accounts) -> None:
        sign_in(client, "ther1")
        r = client.get("/clients")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"


class TestAdminPage:
    def test_therapist_cannot_manage_accounts(self, client: TestClient,
                                              accounts: Accounts) -> None:
        csrf = sign_in(client, "ther1")
        assert client.get("/admin/accounts").status_code == 403
        r = client.post("/admin/accounts", data={
            "csrf_token": csrf, "username": "sneaky", "password": PASSWORD, "role": "admin"})
        assert r.status_code == 403

    def test_admin_creates_a_therapist(self, client: TestClient, bound_db: BoundDatabase,
                                       accounts: Accounts) -> None:
        csrf = sign_in(client, "boss")
        r = client.post("/admin/accounts", data={
            "csrf_token": csrf, "username": "newbie", "password": PASSWORD, "role": "therapist",
            "therapist": "T-7", "display_name": "New Therapist"})
        assert r.status_code == 200 and "Account newbie created" in r.text
        assert sign_in(TestClient(client.app), "newbie")
        r = client.post("/admin/accounts", data={
            "csrf_token": csrf, "username": "weak", "password": "short", "role": "admin"})
        assert r.status_code == 422 and "at least 10" in r.text
        with bound_db.session() as s:
            new = s.scalars(select(Account).where(Account.username == "newbie")).one()
            assert new.tenant_id == accounts.tenant.tenant_id and new.therapist_id is not None


class TestCli:
    def test_create_account_command(self, tmp_path: object,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
        from app.cli import main
        from app.db.database import Database, migrate
        from app.services.keys import create_tenant

        url = f"sqlite:///{tmp_path}/cli.db"
        db = Database.from_url(url)
        migrate(db.engine)
        with db.session() as s:
            tenant_id = create_tenant(s, "clinic")[0].id
        monkeypatch.setenv("HRV_ACCOUNT_PASSWORD", PASSWORD)
        args = ["--database-url", url, "create-account", "--tenant", tenant_id,
                "--username", "cli-ther", "--role", "therapist", "--therapist", "T-3"]
        assert main(args) == 0
        assert main(args) == 2  # the username is taken now
        with db.session() as s:
            row = s.scalars(select(Account)).one()
            assert row.username == "cli-ther" and row.password_hash.startswith("$argon2id$")
        db.dispose()


class TestExpiry:
    def test_expired_session_is_refused_and_purged(self, client: TestClient,
                                                   bound_db: BoundDatabase,
                                                   accounts: Accounts) -> None:
        import datetime as dt

        sign_in(client, "ther1")
        with bound_db.session() as s:
            for row in s.scalars(select(WebSession)).all():
                row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        assert client.get("/clients", follow_redirects=False).status_code == 303
        sign_in(TestClient(client.app), "ther2")
        with bound_db.session() as s:
            rows = s.scalars(select(WebSession)).all()
            assert len(rows) == 1  # the expired one was deleted at the next sign-in
