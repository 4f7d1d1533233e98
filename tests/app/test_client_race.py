"""Two first sessions of a new client at the same moment: one client row, no error."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.database import make_engine, migrate
from app.db.models import Client, Tenant
from app.db.repositories import ClientRepository
from tests.app.conftest import create_pg_database, drop_pg_database


def test_concurrent_get_or_create_makes_one_client() -> None:
    admin, db = create_pg_database("hrv_test_race")
    engine = make_engine(db.url)
    try:
        migrate(engine)
        with Session(engine) as s:
            tenant = Tenant(name="race clinic")
            s.add(tenant)
            s.commit()
            tenant_id = tenant.id
        first_inserted = threading.Event()
        results: dict[str, str] = {}
        errors: list[BaseException] = []

        def first() -> None:
            with Session(engine) as s:
                c = ClientRepository(s).get_or_create(tenant_id, "C-RACE")
                first_inserted.set()  # the row exists but is not committed yet
                threading.Event().wait(0.5)
                s.commit()
                results["first"] = c.id

        def second() -> None:
            first_inserted.wait(10)
            try:
                with Session(engine) as s:
                    # Blocks on the unique index until the first commits, then must read it.
                    c = ClientRepository(s).get_or_create(tenant_id, "C-RACE")
                    s.commit()
                    results["second"] = c.id
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert results["first"] == results["second"]
        with Session(engine) as s:
            n = s.scalar(select(func.count()).select_from(Client).where(
                Client.tenant_id == tenant_id, Client.reference == "C-RACE"))
        assert n == 1
    finally:
        engine.dispose()
        drop_pg_database(admin, db)
