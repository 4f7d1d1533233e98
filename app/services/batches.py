"""Study batches: a ZIP of files with a manifest (or stored recordings) analysed with
one configuration, tracked item by item.

A ZIP is checked from its central directory (size, member count, names, expansion
ratio) before any member is decompressed; each data file becomes one item whose bytes
are stored compressed (a deflated member as it lies in the ZIP, checked when its item
runs). A bad or damaged file fails its own item with the reader's message, never the
batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import IO, Any

import orjson
from sqlalchemy.orm import Session

import hrv
from app.auth import Principal
from app.db.batches import FINAL, BatchRepository
from app.db.models import Batch, BatchItem, new_id, utcnow
from app.db.repositories import RecordingRepository, SessionRepository
from app.errors import NotFound, PayloadTooLarge, ValidationFailed
from hrv import tables
from hrv.io import FileFormat

__all__ = [
    "MANIFEST",
    "ZipLimits",
    "batch_status",
    "cancel_batch",
    "create_from_recordings",
    "create_from_zip",
    "get_batch",
    "read_config",
]

MANIFEST = "manifest.csv"
CONFIG = "config.json"
#: Manifest columns the service interprets; any other column is carried into the rows.
KNOWN_COLUMNS = ("file", "participant", "session", "phase", "kind", "sampling_rate_hz",
                 "format", "channel")
_KINDS = ("ecg", "ppg", "rr")
_ERRORS_SHOWN = 100


@dataclasses.dataclass(frozen=True)
class ZipLimits:
    max_members: int
    max_unpacked_bytes: int
    max_member_bytes: int
    max_ratio: float
    compression_level: int = 6


def read_config(data: object) -> dict[str, Any]:
    """Validate an analysis configuration; the full normalised form is what is stored."""
    if data is None:
        return hrv.AnalysisConfig().to_dict()
    if not isinstance(data, dict):
        raise ValidationFailed("config must be a JSON object (hrv.AnalysisConfig.from_dict)")
    try:
        return hrv.AnalysisConfig.from_dict(data).to_dict()
    except (hrv.HRVError, TypeError, ValueError, KeyError) as exc:
        raise ValidationFailed(f"invalid analysis config: {exc}",
                               errors=[{"field": "config", "message": str(exc)}]) from None


# -- the ZIP -------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    bad = (name.startswith(("/", "\\")) or "\\" in name or "\x00" in name
           or (len(name) > 1 and name[1] == ":"))
    parts = name.split("/")
    if bad or ".." in parts:
        raise ValidationFailed(f"ZIP member {name[:200]!r} has an unsafe path",
                               errors=[{"field": "body", "message": "unsafe member path"}])
    return name


def open_zip(
    fileobj: IO[bytes], limits: ZipLimits
) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """Open a ZIP and check its directory before anything is decompressed."""
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationFailed(f"the upload is not a readable ZIP archive: {exc}") from None
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_members:
        raise PayloadTooLarge(
            f"the ZIP holds {len(infos)} files; at most {limits.max_members} are accepted")
    total = 0
    packed = 0
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = _check_name(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ValidationFailed(f"ZIP member {name!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise ValidationFailed(f"ZIP member {name!r} is encrypted")
        if name in members:
            raise ValidationFailed(f"ZIP member {name!r} appears twice")
        if info.file_size > limits.max_member_bytes:
            raise PayloadTooLarge(
                f"{name!r} unpacks to {info.file_size} bytes; the limit per file is "
                f"{limits.max_member_bytes}")
        # Small members may compress very well without being a threat.
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > 1 << 20 and ratio > limits.max_ratio:
            raise PayloadTooLarge(
                f"{name!r} expands {ratio:.0f}-fold; "
                f"at most {limits.max_ratio:.0f}-fold is accepted")
        total += info.file_size
        packed += info.compress_size
        members[name] = info
    if total > limits.max_unpacked_bytes:
        raise PayloadTooLarge(
            f"the ZIP unpacks to {total} bytes; the limit is {limits.max_unpacked_bytes}")
    if total > 1 << 20 and total > limits.max_ratio * max(1, packed):
        raise PayloadTooLarge(
            f"the ZIP expands {total / max(1, packed):.0f}-fold; at most "
            f"{limits.max_ratio:.0f}-fold is accepted")
    return zf, members


def _manifest_name(members: dict[str, zipfile.ZipInfo]) -> str:
    found = sorted((n for n in members if posixpath.basename(n) == MANIFEST),
                   key=lambda n: (n.count("/"), n))
    if not found:
        raise ValidationFailed(
            f"the ZIP has no {MANIFEST} (columns: file, participant, session, phase, kind, "
            "sampling_rate_hz, format)")
    return found[0]


def _rate(value: str, line: int) -> float | None:
    if not value:
        return None
    try:
        fs = float(value)
    except ValueError:
        fs = -1.0
    if not 0 < fs <= 100_000:
        raise ValidationFailed(
            f"{MANIFEST} line {line}: sampling_rate_hz {value!r} is not a number in (0, 100000]",
            errors=[{"field": f"manifest.line{line}.sampling_rate_hz", "message": "bad rate"}])
    return fs


def parse_manifest(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The manifest's columns (in order) and rows, by the rules of
    :func:`hrv.tables.parse_manifest` (the ones ``hrv batch`` applies on a laptop)."""
    try:
        header, rows = tables.parse_manifest(text, MANIFEST)
    except tables.ManifestError as exc:
        raise ValidationFailed(str(exc)) from None
    return header, [{"_line": str(line), **row} for line, row in rows]


def _item_params(row: dict[str, str], line: int) -> dict[str, Any]:
    params: dict[str, Any] = {"filename": posixpath.basename(row["file"])[:200]}
    fmt = row.get("format", "").lower()
    if fmt:
        valid = [f.value for f in FileFormat]
        if fmt not in valid:
            raise ValidationFailed(
                f"{MANIFEST} line {line}: format {fmt!r} is unknown; valid: {', '.join(valid)}")
        params["format"] = fmt
    kind = row.get("kind", "").lower()
    if kind:
        if kind not in _KINDS:
            raise ValidationFailed(
                f"{MANIFEST} line {line}: kind {kind!r} is unknown; valid: ecg, ppg, rr")
        params["kind"] = kind
    fs = _rate(row.get("sampling_rate_hz", ""), line)
    if fs is not None:
        params["sampling_rate_hz"] = fs
    if row.get("channel"):
        params["channel"] = row["channel"][:100]
    return params


def _pack(data: bytes, level: int) -> bytes:
    """zlib-compress an item's bytes, at level 0 (stored) when a 64 KiB sample shrinks by
    less than 10 %: binary signal files (EDF, WFDB) barely compress, and compressing them
    at level 6 took 20 ms per 5-min 250 Hz EDF, longer than analysing it."""
    sample = data[:65536]
    if level > 0 and len(zlib.compress(sample, 1)) > 0.9 * len(sample):
        level = 0
    return zlib.compress(data, level)


#: A gzip member's header (deflate, no name, no time): before a ZIP member's own deflate
#: stream, followed by the member's CRC-32 and size, it makes a stream that ``zlib``
#: inflates and checks (:func:`app.jobs.batch_items.unpack`).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _member_raw(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """A member's compressed bytes as they lie in the archive (after its local header)."""
    fp = zf.fp
    if fp is None:
        return None
    fp.seek(info.header_offset)
    local = fp.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fp.read(info.compress_size)
    return raw if len(raw) == info.compress_size else None


def _stored_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, level: int) -> bytes:
    """An item's stored bytes for ZIP member ``info``.

    A deflated member's compressed bytes are kept as they are, framed as gzip with the
    member's CRC-32 and size from the ZIP's directory: neither inflated nor compressed
    again here (recompressing took 6.6 ms per 5-min 250 Hz EDF, half the time of
    analysing it). The worker inflates them once and checks both, so a damaged member
    fails its own item. Members stored uncompressed are packed with zlib as before.
    """
    if info.compress_type == zipfile.ZIP_DEFLATED and level > 0:
        raw = _member_raw(zf, info)
        if raw is not None:
            return (_GZIP_HEADER + raw
                    + struct.pack("<II", info.CRC, info.file_size & 0xFFFFFFFF))
    return _pack(zf.read(info), level)


def _meta(header: Sequence[str], row: dict[str, str]) -> dict[str, str]:
    meta = {h: row.get(h, "") for h in header}
    if meta.get("phase"):
        meta["phase"] = meta["phase"].lower()
    return meta


def create_from_zip(
    db: Session,
    principal: Principal,
    fileobj: IO[bytes],
    limits: ZipLimits,
    config: dict[str, Any] | None,
) -> Batch:
    """Record a batch from an uploaded ZIP (checked before unpacking)."""
    zf, members = open_zip(fileobj, limits)
    with zf:
        manifest = _manifest_name(members)
        base = posixpath.dirname(manifest)
        try:
            text = zf.read(members[manifest]).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(f"{MANIFEST} is not UTF-8 text") from None
        header, rows = parse_manifest(text)
        if config is None:
            cfg_name = posixpath.join(base, CONFIG) if base else CONFIG
            if cfg_name in members:
                try:
                    config = orjson.loads(zf.read(members[cfg_name]))
                except orjson.JSONDecodeError as exc:
                    raise ValidationFailed(f"{CONFIG} is not valid JSON: {exc}") from None
        stored_config = read_config(config)
        batch = Batch(id=new_id(), tenant_id=principal.tenant_id, key_id=principal.key_id,
                      source="zip",
                      config=stored_config, columns={"manifest": header},
                      hrv_version=hrv.__version__, total=len(rows))
        items: list[BatchItem] = []
        for position, row in enumerate(rows):
            line = int(row["_line"])
            params = _item_params(row, line)
            meta = _meta(header, row)
            name = posixpath.normpath(posixpath.join(base, row["file"])) if base else \
                posixpath.normpath(row["file"])
            info = members.get(name)
            item = BatchItem(tenant_id=principal.tenant_id, batch_id=batch.id,
                             position=position, file=row["file"][:500], meta=meta,
                             params=params, content_type="file", status="queued", attempts=0)
            if info is None:
                item.status = "failed"
                item.error = f"{row['file']!r} (manifest line {line}) is not in the ZIP"
                item.finished_at = utcnow()
            else:
                item.raw = _stored_member(zf, info, limits.compression_level)
            items.append(item)
    BatchRepository(db).add(batch, items)
    return batch


def create_from_recordings(
    db: Session, principal: Principal, recordings: list[dict[str, Any]],
    config: dict[str, Any] | None,
) -> Batch:
    """Record a batch over recordings already stored with sessions.

    Each entry names ``session_id`` and ``phase``; its other keys (participant, group,
    ...) are carried into the rows like manifest columns.
    """
    if not recordings:
        raise ValidationFailed("recordings must list at least one {session_id, phase}")
    header: list[str] = ["file", "participant", "session", "phase"]
    for entry in recordings:
        for key in entry:
            if key not in header and key != "session_id":
                header.append(str(key))
    stored_config = read_config(config)
    batch = Batch(id=new_id(), tenant_id=principal.tenant_id, key_id=principal.key_id,
                  source="recordings",
                  config=stored_config, columns={"manifest": header},
                  hrv_version=hrv.__version__, total=len(recordings))
    sessions = SessionRepository(db)
    recs = RecordingRepository(db)
    items = []
    for position, entry in enumerate(recordings):
        sid, phase = str(entry.get("session_id", "")), str(entry.get("phase", ""))
        s = sessions.get(principal.tenant_id, sid) if sid else None
        rec = recs.get(principal.tenant_id, sid, phase) if s is not None else None
        if rec is None:
            raise ValidationFailed(
                f"recordings[{position}]: no {phase or '?'} recording in session {sid or '?'}",
                errors=[{"field": f"recordings.{position}", "message": "not found"}])
        meta = {h: "" if entry.get(h) is None else str(entry.get(h)) for h in header}
        meta["file"] = meta["file"] or f"{sid}/{phase}"
        meta["session"] = meta["session"] or sid
        meta["phase"] = phase
        items.append(BatchItem(
            tenant_id=principal.tenant_id, batch_id=batch.id, position=position,
            file=meta["file"][:500], meta=meta, params=dict(rec.params or {}),
            content_type=rec.content_type, recording_id=rec.id, status="queued", attempts=0))
    BatchRepository(db).add(batch, items)
    return batch


# -- reading back -----------------------------------------------------------------------


def get_batch(db: Session, principal: Principal, batch_id: str) -> Batch:
    batch = BatchRepository(db).get(principal.tenant_id, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


def derived_status(batch: Batch, counts: dict[str, int], started: bool = False) -> str:
    """The batch's status from its items: runners only touch items, never the batch."""
    if batch.cancelled_at is not None:
        return "cancelled"
    final = sum(counts.get(s, 0) for s in FINAL)
    if final >= batch.total:
        return "succeeded" if counts.get("succeeded", 0) else "failed"
    if started or batch.started_at is not None or counts.get("running", 0):
        return "running"
    return "queued"


def batch_status(db: Session, batch: Batch) -> dict[str, Any]:
    repo = BatchRepository(db)
    counts = repo.counts(batch.id)
    # Read-only: runners write items, never the batch, and a status read writes nothing.
    started_at = batch.started_at or repo.first_started_at(batch.id)
    status = derived_status(batch, counts, started_at is not None)
    done = counts.get("succeeded", 0)
    failed = counts.get("failed", 0)
    cancelled = counts.get("cancelled", 0)
    finished = done + failed + cancelled
    finished_at = batch.finished_at
    if status in ("succeeded", "failed") and finished_at is None:
        finished_at = repo.last_finished_at(batch.id)
    eta_s: float | None = None
    processed = repo.processed(batch.id) if status == "running" else 0
    if processed and started_at is not None:
        elapsed = (utcnow() - started_at).total_seconds()
        eta_s = round(elapsed / processed * (batch.total - finished), 1)
    elif status in FINAL:
        eta_s = 0.0
    errors = [{"position": p, "file": f, "error": e}
              for p, f, e in repo.errors(batch.id, _ERRORS_SHOWN)]
    return {
        "id": batch.id,
        "status": status,
        "source": batch.source,
        "total": batch.total,
        "done": done,
        "failed": failed,
        "cancelled": cancelled,
        "running": counts.get("running", 0),
        "queued": counts.get("queued", 0),
        "progress": round(finished / batch.total, 4) if batch.total else 1.0,
        "eta_s": eta_s,
        "errors": errors,
        "errors_truncated": failed > len(errors),
        "config": batch.config,
        "hrv_version": batch.hrv_version,
        "created_at": _iso(batch.created_at),
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "cancelled_at": _iso(batch.cancelled_at),
        "links": {"self": f"/v1/batches/{batch.id}",
                  "results": f"/v1/batches/{batch.id}/results"},
    }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def cancel_batch(db: Session, batch: Batch) -> None:
    repo = BatchRepository(db)
    if batch.cancelled_at is None and derived_status(batch, repo.counts(batch.id)) not in (
            "succeeded", "failed"):
        repo.cancel(batch)
