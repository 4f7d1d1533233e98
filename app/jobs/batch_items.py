"""The body of one batch item, shared by the in-process pool and the queue workers.

:func:`compute_item` is pure (bytes in, outcome out) so it can run in a child process;
:func:`run_item` claims an item, computes it and records the outcome in the database.
Recording is an upsert on the item's unique result row, so running an item twice (a
retry after a worker died) leaves one result.
"""

from __future__ import annotations

import dataclasses
import time
import zlib
from typing import Any

import orjson
import structlog

import hrv
from app.db.batches import BatchRepository, ClaimedItem, ItemOutcome
from app.db.database import Database
from app.db.models import Recording
from app.errors import AppError
from app.services.ingest import Limits, StoredBody, analyze_parsed, parse_stored

__all__ = [
    "DAMAGED", "DELETED", "ItemInput", "batch_config", "compute_item", "inflated", "load_input",
    "record_outcome", "run_item", "unpack", "warm_up",
]

_log = structlog.get_logger("app.jobs.batches")
DAMAGED = "the file is damaged: its data does not match the ZIP's checksum or size"
DELETED = "the stored recording was deleted"


@dataclasses.dataclass(frozen=True)
class ItemInput:
    """Everything :func:`compute_item` needs, picklable for a process pool.

    ``raw`` is the file's bytes, or with ``packed`` the bytes as stored (see
    :func:`unpack`; a recording's zlib stream with ``packed == "zlib"``): inflating
    them is left to whoever computes the item, so that it runs in the pool's processes
    or beside the previous item's analysis rather than in the claiming loop."""

    item: ClaimedItem
    raw: bytes
    config: dict[str, Any]
    packed: str | None = None  # None (raw file bytes), "item" or "zlib"

    @property
    def item_id(self) -> str:
        return self.item.item_id

    def unpacked(self) -> ItemInput:
        """The input with its file's bytes; raises ``zlib.error`` if they are damaged."""
        if self.packed is None:
            return self
        raw = zlib.decompress(self.raw) if self.packed == "zlib" else unpack(self.raw)
        return dataclasses.replace(self, raw=raw, packed=None)


def inflated(inp: ItemInput) -> ItemInput:
    """The input with its bytes inflated; a damaged one as it is (:func:`compute_item`
    reports the damage)."""
    try:
        return inp.unpacked()
    except zlib.error:
        return inp


def compute_item(inp: ItemInput, limits: Limits) -> ItemOutcome:
    """Parse and analyse one item; a bad file becomes an error in words, never a raise."""
    try:
        inp = inp.unpacked()
    except zlib.error:
        return ItemOutcome(error=DAMAGED)
    # compute_s is the time spent in hrv: reading the file (hrv.io) and the analysis.
    t0 = time.perf_counter()
    try:
        parsed = parse_stored(
            StoredBody(inp.item.content_type, inp.item.params, inp.raw), limits)
        parsed = dataclasses.replace(parsed, config=inp.config)
        analysis = analyze_parsed(parsed)
        compute_s = time.perf_counter() - t0
        # Through orjson: numpy scalars become plain JSON numbers, floats round-trip.
        document = orjson.loads(orjson.dumps(
            analysis.to_dict(include_beats=False, include_series=True),
            option=orjson.OPT_SERIALIZE_NUMPY))
    except hrv.HRVError as exc:
        return ItemOutcome(error=str(exc))
    except AppError as exc:
        return ItemOutcome(error=exc.detail)
    except Exception as exc:  # an unexpected error fails its item; the log names it
        _log.warning("batch_item_error", item_id=inp.item_id, error_type=type(exc).__name__)
        return ItemOutcome(error=f"the analysis failed unexpectedly ({type(exc).__name__})")
    return ItemOutcome(analysis=document, compute_s=compute_s, hrv_version=hrv.__version__)


def pool_child(parent: int | None = None) -> None:
    """Initialiser of a server's batch pool process: leave when the server (``parent``)
    is killed, then :func:`warm_up`."""
    from app.jobs._orphan import exit_with_parent

    exit_with_parent(parent)
    warm_up()


def warm_up() -> None:
    """Import and exercise the readers and the analysis once, when a worker process
    starts, so that its first item does not pay for it (about 1 s on this machine)."""
    import io

    import numpy as np

    from hrv.simulate import rr_series

    fs = 250.0
    beats = np.cumsum(rr_series(30, seed=0)) / 1000.0
    t = np.arange(int(30 * fs)) / fs
    ecg = np.zeros_like(t)
    for tb in beats[beats < 30]:
        ecg += np.exp(-0.5 * ((t - tb) / 0.012) ** 2)
    try:
        import edfio

        buf = io.BytesIO()
        edfio.Edf([edfio.EdfSignal(ecg, fs, label="ECG")]).write(buf)
        item = ClaimedItem("warm-up", "", "", "file", {"format": "edf", "kind": "ecg"},
                           None, None)
        compute_item(ItemInput(item, buf.getvalue(), {}), Limits(10**6, 10**5))
    except Exception as exc:  # warming up is an optimisation, never a failure
        _log.info("warm_up_skipped", error_type=type(exc).__name__)
    hrv.analyze(ecg, fs, "ecg")


#: Batch configurations this process has read (a batch's configuration never changes).
_CONFIGS: dict[str, dict[str, Any]] = {}


def batch_config(repo: BatchRepository, batch_id: str) -> dict[str, Any]:
    """The batch's analysis configuration, read once per process."""
    config = _CONFIGS.get(batch_id)
    if config is None:
        config = repo.config_unscoped(batch_id) or {}
        if len(_CONFIGS) > 1000:
            _CONFIGS.clear()
        _CONFIGS[batch_id] = config
    return config


def load_input(db: Database, item_id: str) -> ItemInput | None:
    """Claim the item (one more attempt) and load its bytes; ``None``: nothing to do."""
    with db.session() as session:
        repo = BatchRepository(session)
        item = repo.claim_unscoped(item_id)
        if item is None:
            return None
        config = batch_config(repo, item.batch_id)
        try:
            raw = _raw(session, item)
        except zlib.error:
            repo.record_unscoped(item, ItemOutcome(error=DAMAGED))
            return None
        if raw is None:
            repo.record_unscoped(item, ItemOutcome(error=DELETED))
            return None
        return ItemInput(item, raw, config)


def unpack(packed: bytes) -> bytes:
    """An item's stored bytes: a zlib stream, or a ZIP member's own deflate stream framed
    as gzip (``app.services.batches``), inflated to at most its recorded size and checked
    against the member's CRC-32 and size. Raises ``zlib.error`` if they do not match."""
    if packed[:2] != b"\x1f\x8b":
        return zlib.decompress(packed)
    size = int.from_bytes(packed[-4:], "little")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = inflate.decompress(packed, size + 1)
    if not inflate.eof or inflate.unused_data or len(data) != size:
        raise zlib.error("the data does not match the size in the ZIP")
    return data


def _raw(session: Any, item: ClaimedItem) -> bytes | None:
    if item.raw is not None:
        return unpack(item.raw)
    if item.recording_id is None:
        return None
    rec = session.get(Recording, item.recording_id)
    return None if rec is None else zlib.decompress(rec.raw)


def record_outcome(db: Database, inp: ItemInput, outcome: ItemOutcome) -> None:
    with db.session() as session:
        BatchRepository(session).record_unscoped(inp.item, outcome)


def run_item(db: Database, item_id: str, limits: Limits) -> bool:
    """Run one item end to end; returns whether it did anything."""
    inp = load_input(db, item_id)
    if inp is None:
        return False
    record_outcome(db, inp, compute_item(inp, limits))
    return True
