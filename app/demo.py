"""Demo data for ``hrv-service demo``: a tenant, one key per role, example sessions.

Sessions come from ``sample_recordings/`` (files named ``*pre*``/``*post*`` are paired;
other files are paired in name order). When that folder is empty a synthetic pair from
:mod:`hrv.simulate` is loaded so the demo always has a report to show.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import structlog

from app.auth import Principal, Role
from app.config import Settings
from app.db.database import Database
from app.db.repositories import TenantRepository
from app.schemas import KeyCreated, Phase, SessionCreate
from app.services import sessions as svc
from app.services.ingest import FILE, JSON, Limits, StoredBody
from app.services.keys import create_key, create_tenant

__all__ = ["load_demo", "pair_files"]

_log = structlog.get_logger("app.demo")
DEMO_TENANT = "demo clinic"
_NOT_RECORDINGS = (".md", ".license", ".py", ".f32", ".f64", ".bin")


def pair_files(folder: Path) -> list[tuple[Path, Path]]:
    """Pre/post pairs among the files of ``folder``.

    Skipped: hidden files, docs and scripts, a batch ``manifest.csv`` (a table of other
    files, not a recording) and raw binary samples (``.f32``/``.f64``/``.bin``), which
    carry no sampling rate or signal kind and so cannot be read as a file.
    """
    if not folder.is_dir():
        return []
    files = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
        and p.suffix.lower() not in _NOT_RECORDINGS
        and p.name.lower() != "manifest.csv"
    )
    pairs: list[tuple[Path, Path]] = []
    used: set[Path] = set()
    for f in files:
        if "pre" in f.stem.lower() and f not in used:
            post = f.with_name(f.name.replace("pre", "post").replace("PRE", "POST"))
            if post.exists() and post != f:
                pairs.append((f, post))
                used.update((f, post))
    rest = [f for f in files if f not in used]
    pairs.extend(zip(rest[0::2], rest[1::2], strict=False))
    return pairs


def _synthetic_bodies() -> tuple[StoredBody, StoredBody]:
    from hrv.simulate import rr_series

    pre = rr_series(300, mean_hr_bpm=74, hf_amplitude_ms=18, lf_amplitude_ms=25,
                    noise_ms=5, seed=1)
    post = rr_series(300, mean_hr_bpm=66, hf_amplitude_ms=32, lf_amplitude_ms=25,
                     noise_ms=5, seed=2)
    return tuple(  # type: ignore[return-value]
        StoredBody(JSON, {}, json.dumps({"kind": "rr", "rr_ms": [float(x) for x in rr]}).encode())
        for rr in (pre, post)
    )


def load_demo(settings: Settings, port: int | None = None) -> None:
    """Create the demo tenant and keys (printed once) and load example sessions; the
    pages' address printed names ``port`` (default: the settings' port)."""
    db = Database.from_url(settings.sqlalchemy_url)
    limits = Limits(settings.max_samples, settings.max_intervals)
    with db.session() as session:
        tenant = TenantRepository(session).by_name_unscoped(DEMO_TENANT)
        if tenant is None:
            tenant, admin = create_tenant(session, DEMO_TENANT)
            fresh = True
        else:
            admin = create_key(session, tenant.id, Role.ADMIN, name="demo admin")
            fresh = False
        keys: dict[str, KeyCreated] = {"admin": admin}
        for role in (Role.INTEGRATION, Role.RESEARCHER):
            keys[role.value] = create_key(session, tenant.id, role, name=f"demo {role.value}")
        keys["therapist"] = create_key(session, tenant.id, Role.THERAPIST,
                                       name="demo therapist", therapist="T-demo")
        tenant_id = tenant.id
        admin_id = admin.id
    print(f"demo tenant {tenant_id}; API keys (shown once):")
    for label, key in keys.items():
        print(f"  {label:12s} {key.key}")
    if not fresh:
        print("demo sessions were loaded on an earlier run")
        return
    principal = Principal(key_id=admin_id, tenant_id=tenant_id, role=Role.ADMIN)
    folder = Path(settings.sample_recordings_dir)
    pairs: list[tuple[StoredBody, StoredBody, str]] = []
    for pre_path, post_path in pair_files(folder):
        pairs.append((
            StoredBody(FILE, {"filename": pre_path.name}, pre_path.read_bytes()),
            StoredBody(FILE, {"filename": post_path.name}, post_path.read_bytes()),
            pre_path.stem,
        ))
    if not pairs:
        pre, post = _synthetic_bodies()
        pairs.append((pre, post, "synthetic"))
    loaded = 0
    for i, (pre, post, label) in enumerate(pairs, start=1):
        try:
            with db.session() as session:
                s = svc.create_session(session, principal, SessionCreate(
                    client=f"demo-client-{i}", therapist="T-demo", modality="massage",
                    started_at=dt.datetime(2025, 1, i % 28 + 1, 10, tzinfo=dt.UTC),
                    duration_min=50, notes=f"demo session from {label}",
                ))
                for phase, body in ((Phase.PRE, pre), (Phase.POST, post)):
                    svc.put_recording(session, principal, s.id, phase, body, limits,
                                      settings.storage_compression_level)
            loaded += 1
        except Exception as exc:  # a sample the readers cannot handle is skipped
            _log.warning("demo_sample_skipped", sample=label, error=str(exc)[:200])
    print(f"loaded {loaded} demo session(s) from {folder if pairs else 'hrv.simulate'}")
    _demo_course(db, principal, limits, settings)
    _demo_accounts(db, tenant_id, port or settings.port)
    db.dispose()


DEMO_PASSWORD = "demo-password"


def _demo_accounts(db: Database, tenant_id: str, port: int) -> None:
    """Sign-in accounts for the pages: a therapist (the sessions' T-demo) and an admin."""
    from app.web.accounts import create_account

    with db.session() as session:
        create_account(session, tenant_id, "therapist", DEMO_PASSWORD, Role.THERAPIST,
                       therapist="T-demo", display_name="Demo therapist")
        create_account(session, tenant_id, "admin", DEMO_PASSWORD, Role.ADMIN,
                       display_name="Demo clinic admin")
    print(f"pages: http://127.0.0.1:{port}/ — sign in as 'therapist' or 'admin' "
          f"with password '{DEMO_PASSWORD}'")


def _demo_course(db: Database, principal: Principal, limits: Limits, settings: Settings) -> None:
    """A course of eight weekly sessions for one client, from :mod:`hrv.simulate`.

    Over the weeks the client's resting heart rate drifts down and RMSSD up, and
    anxiety falls, so the course page has a trend to show.
    """
    from hrv.simulate import rr_series

    for week in range(8):
        pre = rr_series(300, mean_hr_bpm=78 - 0.8 * week, hf_amplitude_ms=14 + 1.2 * week,
                        lf_amplitude_ms=22, noise_ms=5, seed=100 + week)
        post = rr_series(300, mean_hr_bpm=71 - 0.6 * week, hf_amplitude_ms=24 + 1.0 * week,
                         lf_amplitude_ms=22, noise_ms=5, seed=200 + week)
        with db.session() as session:
            s = svc.create_session(session, principal, SessionCreate(
                client="course-client", therapist="T-demo", modality="massage",
                started_at=dt.datetime(2025, 2, 3, 10, tzinfo=dt.UTC) + dt.timedelta(weeks=week),
                duration_min=50, notes=f"weekly massage, week {week + 1}",
                questionnaire="gad7",  # type: ignore[arg-type]
                pre={"anxiety": max(0, 7 - 0.5 * week), "questionnaire_score": 14 - week},  # type: ignore[arg-type]
                post={"anxiety": max(0, 4 - 0.4 * week), "questionnaire_score": 11 - week},  # type: ignore[arg-type]
            ))
            for phase, rr in ((Phase.PRE, pre), (Phase.POST, post)):
                body = StoredBody(JSON, {}, json.dumps(
                    {"kind": "rr", "rr_ms": [round(float(x), 2) for x in rr]}).encode())
                svc.put_recording(session, principal, s.id, phase, body, limits,
                                  settings.storage_compression_level)
    print("loaded a course of 8 weekly sessions for client 'course-client'")
