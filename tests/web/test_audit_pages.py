"""The therapist pages write the same audit trail as the API: who read or exported which
session, by signed-in account id, never the client reference."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import Principal, Role
from app.db.database import BoundDatabase
from app.db.models import Account, AuditEvent
from app.schemas import SessionCreate
from app.services import sessions as svc
from tests.web.conftest import Accounts, seed_session, sign_in

REF = "C-audit-7731"


def _events(db: BoundDatabase, tenant_id: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
                              .order_by(AuditEvent.created_at, AuditEvent.id)))


def _account_id(db: BoundDatabase, username: str) -> str:
    with db.session() as s:
        return s.scalars(select(Account.id).where(Account.username == username)).one()


class TestPageAudit:
    def test_report_page_pdf_course_and_list_are_logged(
        self, client: TestClient, bound_db: BoundDatabase, accounts: Accounts
    ) -> None:
        tid = accounts.tenant.tenant_id
        sid = seed_session(bound_db, tid, "T-1", REF)
        sign_in(client, "ther1")
        me = _account_id(bound_db, "ther1")

        page = client.get("/clients")
        link = re.search(r'href="(/clients/[0-9a-f]{32})">' + REF, page.text)
        assert link
        assert client.get(link.group(1)).status_code == 200
        assert client.get(f"/sessions/{sid}").status_code == 200
        pdf = client.get(f"/sessions/{sid}/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        new = [e for e in _events(bound_db, tid) if e.key_id == me]
        seen = [(e.action, e.subject, e.key_id, (e.details or {}).get("via")) for e in new]
        assert ("client.list", None, me, "clients page") in seen
        assert ("session.read", sid, me, "course page") in seen
        assert ("session.read", sid, me, "report page") in seen
        assert ("report.export", sid, me, "report page") in seen
        export = next(e for e in new if e.action == "report.export")
        assert export.details == {"format": "application/pdf", "via": "report page"}
        for e in new:
            assert REF not in repr((e.action, e.subject, e.details))

    def test_refused_read_writes_no_event(
        self, client: TestClient, bound_db: BoundDatabase, accounts: Accounts
    ) -> None:
        tid = accounts.tenant.tenant_id
        sid = seed_session(bound_db, tid, "T-1", REF)
        sign_in(client, "ther2")
        other = _account_id(bound_db, "ther2")
        assert client.get(f"/sessions/{sid}").status_code == 404
        assert client.get(f"/sessions/{sid}/report.pdf").status_code == 404
        assert [e.action for e in _events(bound_db, tid)
                if e.key_id == other and e.subject is not None] == []

    def test_pdf_refused_for_want_of_a_report_is_not_an_export(
        self, client: TestClient, bound_db: BoundDatabase, accounts: Accounts
    ) -> None:
        tid = accounts.tenant.tenant_id
        principal = Principal(key_id="test", tenant_id=tid, role=Role.ADMIN)
        with bound_db.session() as s:
            sid = svc.create_session(s, principal, SessionCreate(
                client=REF, therapist="T-1", modality="massage")).id
        sign_in(client, "ther1")
        me = _account_id(bound_db, "ther1")
        assert client.get(f"/sessions/{sid}/report.pdf").status_code == 409
        assert client.get(f"/sessions/{sid}").status_code == 200
        mine = [(e.action, e.subject) for e in _events(bound_db, tid) if e.key_id == me]
        assert ("report.export", sid) not in mine
        assert ("session.read", sid) in mine
