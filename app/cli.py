"""``hrv-service``: serve, migrate, manage tenants and keys, run workers, demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

try:
    from app.config import JobBackend, Settings
except ModuleNotFoundError as _exc:  # installed without the service extra
    _MISSING: str | None = _exc.name
else:
    _MISSING = None

__all__ = ["main"]

#: Modules of the ``service`` extra (top-level names), for the message when one is absent.
_SERVICE_MODULES = frozenset((
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "pydantic",
    "pydantic_settings", "psycopg", "procrastinate", "structlog", "prometheus_client",
    "orjson", "multipart", "python_multipart", "jinja2", "argon2", "weasyprint",
    "matplotlib", "pyarrow", "edfio", "wfdb",
))


def _missing_extra(module: str) -> int:
    print(
        f"hrv-service: this command needs the 'service' extra (module {module!r} is not "
        "installed).\nInstall it with:  pip install 'hrv-session[service]'\n"
        "(the numeric library alone is the 'hrv' command; 'hrv-service batch' works "
        "without the extra)",
        file=sys.stderr,
    )
    return 2


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


def _migrate(settings: Settings) -> None:
    from app.db.database import Database, migrate

    db = Database.from_url(settings.sqlalchemy_url)
    migrate(db.engine)
    db.dispose()
    if settings.job_backend is JobBackend.PROCRASTINATE:
        from app.jobs.queue import apply_schema

        apply_schema(settings)


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(_settings(args))
    print("database schema is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings = _settings(args)
    host, port = args.host or settings.host, args.port or settings.port
    workers = getattr(args, "workers", 1) or 1
    if workers > 1:
        if settings.migrate_on_startup:
            _migrate(settings)
        from app.jobs._orphan import PARENT_ENV

        # Each worker process builds its own app from the HRV_* environment, and stops
        # when this supervisor is gone (app.jobs._orphan.stop_with_parent).
        os.environ["HRV_MIGRATE_ON_STARTUP"] = "false"
        os.environ[PARENT_ENV] = str(os.getpid())
        if getattr(args, "database_url", None):
            os.environ["HRV_DATABASE_URL"] = args.database_url
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level=settings.log_level.lower(), access_log=False)
        return 0
    uvicorn.run(create_app(settings), host=host, port=port,
                log_level=settings.log_level.lower(), access_log=False)
    return 0


def cmd_create_tenant(args: argparse.Namespace) -> int:
    from app.db.database import Database
    from app.services.keys import create_tenant

    settings = _settings(args)
    _migrate(settings)
    db = Database.from_url(settings.sqlalchemy_url)
    with db.session() as session:
        tenant, key = create_tenant(session, args.name)
        tenant_id = tenant.id
    print(f"tenant {tenant_id} ({args.name})")
    print(f"admin key (shown once): {key.key}")
    return 0


def cmd_create_key(args: argparse.Namespace) -> int:
    from app.auth import Role
    from app.db.database import Database
    from app.services.keys import create_key

    settings = _settings(args)
    db = Database.from_url(settings.sqlalchemy_url)
    if args.role == "therapist" and not args.therapist:
        print("--therapist REF is required for role therapist", file=sys.stderr)
        return 2
    with db.session() as session:
        key = create_key(session, args.tenant, Role(args.role), name=args.name or "",
                         therapist=args.therapist)
    print(f"{args.role} key {key.prefix} (shown once): {key.key}")
    return 0


def cmd_create_account(args: argparse.Namespace) -> int:
    import getpass

    from app.auth import Role
    from app.db.database import Database
    from app.web.accounts import AccountError, create_account

    settings = _settings(args)
    password = os.environ.get("HRV_ACCOUNT_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("password: ")
    db = Database.from_url(settings.sqlalchemy_url)
    try:
        with db.session() as session:
            account = create_account(session, args.tenant, args.username, password,
                                     Role(args.role), therapist=args.therapist,
                                     display_name=args.name or "")
            account_id = account.id
    except AccountError as exc:
        print(f"cannot create the account: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"{args.role} account {args.username} ({account_id}) created")
    return 0


def cmd_revoke_key(args: argparse.Namespace) -> int:
    from app.db.database import Database
    from app.services.keys import revoke_key

    db = Database.from_url(_settings(args).sqlalchemy_url)
    with db.session() as session:
        ok = revoke_key(session, args.tenant, args.key)
    print("revoked" if ok else "no such key for this tenant")
    return 0 if ok else 1


def cmd_purge(args: argparse.Namespace) -> int:
    from app.db.database import Database
    from app.maintenance import purge_once

    settings = _settings(args)
    if args.older_than_hours is not None:
        settings = settings.model_copy(update={"idempotency_ttl_hours": args.older_than_hours})
    db = Database.from_url(settings.sqlalchemy_url)
    n = purge_once(db, settings)
    db.dispose()
    print(f"purged {n} idempotency record(s) older than {settings.idempotency_ttl_hours} h")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    # One BLAS/OpenMP thread per process, set before numpy is imported (importing
    # app.jobs would import it): a worker runs one process per core (see
    # app.jobs.batches.BLAS_THREAD_VARIABLES for the measurement).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "HRV_THREADS"):
        os.environ.setdefault(name, "1")
    from app.jobs.queue import apply_schema, run_worker
    from app.observability import configure_logging

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_json)
    apply_schema(settings)
    processes = args.processes
    if processes == 0:
        from app.jobs.batches import default_processes

        processes = default_processes()
    if processes > 1:
        # One process per core: a sync task computes under its process's GIL.
        from app.jobs.queue import run_workers

        argv = ["-m", "app.cli", "worker", "--processes", "1",
                "--concurrency", str(args.concurrency)]
        if getattr(args, "database_url", None):
            argv[2:2] = ["--database-url", args.database_url]
        return run_workers(argv, processes)
    run_worker(settings, concurrency=args.concurrency)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import load_demo

    settings = _settings(args)
    _migrate(settings)
    # make run PORT=8010, or HRV_PORT=8010, chooses the port.
    port = args.port or settings.port
    load_demo(settings, port)
    if args.no_serve:
        return 0
    args.host, args.port = "127.0.0.1", port
    return cmd_serve(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hrv-service", description=__doc__)
    parser.add_argument("--database-url", help="overrides HRV_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP server")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-tenant", help="create a tenant and print an admin key once")
    p.add_argument("name")
    p.set_defaults(func=cmd_create_tenant)

    p = sub.add_parser("create-key", help="create an API key and print it once")
    p.add_argument("--tenant", required=True, help="tenant id")
    p.add_argument("--role", required=True,
                   choices=["integration", "therapist", "researcher", "admin"])
    p.add_argument("--name")
    p.add_argument("--therapist", help="therapist reference (role therapist)")
    p.set_defaults(func=cmd_create_key)

    p = sub.add_parser(
        "create-account",
        help="create a sign-in account for the pages (password from HRV_ACCOUNT_PASSWORD, "
             "standard input or a prompt)",
    )
    p.add_argument("--tenant", required=True, help="tenant id")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=["therapist", "admin"])
    p.add_argument("--therapist", help="therapist reference the API uses (role therapist)")
    p.add_argument("--name", help="display name")
    p.set_defaults(func=cmd_create_account)

    p = sub.add_parser("revoke-key", help="revoke an API key by id or prefix")
    p.add_argument("--tenant", required=True)
    p.add_argument("key", help="key id or prefix (hrv_xxxxxxxx)")
    p.set_defaults(func=cmd_revoke_key)

    p = sub.add_parser("purge", help="delete idempotency records past their retention")
    p.add_argument("--older-than-hours", type=int,
                   help="retention in hours (default HRV_IDEMPOTENCY_TTL_HOURS, 24)")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("worker", help="run a procrastinate worker (PostgreSQL)")
    p.add_argument("--concurrency", type=int, default=1,
                   help="jobs at a time per process (I/O-bound tasks; batch items are CPU-bound)")
    p.add_argument("--processes", type=int, default=1,
                   help="worker processes to start, one per core for batches (0: every core)")
    p.set_defaults(func=cmd_worker)

    from app.batch_client import add_parser as add_batch_parser

    add_batch_parser(sub)

    p = sub.add_parser("demo", help="SQLite demo: tenant, keys, sample sessions, serve")
    p.add_argument("--port", type=int)
    p.add_argument("--no-serve", action="store_true", help="load the demo data and exit")
    p.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    if _MISSING is not None and args.command != "batch":
        return _missing_extra(_MISSING)
    try:
        return int(args.func(args))
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in _SERVICE_MODULES:
            return _missing_extra(exc.name or "")
        raise
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure is one line; see _error_line
        print(f"hrv-service {args.command}: {_error_line(exc)}", file=sys.stderr)
        return 1


def _error_line(exc: Exception) -> str:
    """One line a person can act on, without secrets.

    Database errors are named by type only: their text quotes the statement's
    parameters (a new key's hash, a password hash) and the connection URL.
    """
    from pydantic import ValidationError
    from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

    from app.errors import AppError

    if isinstance(exc, AppError):
        return exc.detail
    if isinstance(exc, ValidationError):
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "?" for e in exc.errors())
        return f"invalid setting(s): {fields} (check the HRV_* environment variables)"
    if isinstance(exc, OperationalError):
        return ("cannot use the database (OperationalError): check HRV_DATABASE_URL or "
                "--database-url, that the server is running, and run 'hrv-service migrate'")
    if isinstance(exc, IntegrityError):
        return ("the database refused the change (IntegrityError): a referenced tenant or "
                "therapist does not exist, or the name is taken")
    if isinstance(exc, SQLAlchemyError):
        return f"database error ({type(exc).__name__}); run 'hrv-service migrate' and retry"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'operating-system error'}"
    return f"unexpected {type(exc).__name__}; nothing more is shown because it may hold data"


if __name__ == "__main__":
    raise SystemExit(main())
