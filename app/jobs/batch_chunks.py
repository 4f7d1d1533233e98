"""Several batch items per queue job: claimed in one statement, recorded in one transaction.

One procrastinate job per item cost four commits per item (fetch, claim, record, finish)
besides the analysis, on a 15 ms item about as long again. A chunk job runs up to
``CHUNK_ITEMS`` items (:func:`chunks`) and keeps every guarantee of one item:

* claiming is ``UPDATE ... WHERE status = 'queued' RETURNING``: an item another runner
  finished, or one cancelled with its batch, is skipped;
* outcomes are written together (a multi-row upsert on the unique ``item_id`` of the
  results, the items' statuses in the same transaction) every ``FLUSH_S`` and at the end,
  by a writer thread while the next items run; an item is final exactly when its result
  is stored, and the job ends only once every outcome is; a retried item overwrites its
  result, never adds one;
* a bad file fails its own item (:func:`compute_item` returns an error, never raises);
* items left ``running`` by a worker that stopped (killed, connection lost) are run one at
  a time, each committed, when the job is retried; one claimed ``MAX_CLAIMS`` times
  without finishing is failed rather than run again, so a file that kills its worker
  does not hold back the rest of its chunk;
* a batch cancelled while a chunk runs: the chunk stops at its next write after
  ``CANCEL_CHECK_S`` and its items not yet run are cancelled.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.db.batch_claims import (
    Done,
    cancel_claimed,
    claim_queued_rows,
    fail_running,
    is_cancelled,
    left_running,
    record_outcomes,
)
from app.db.batches import BatchRepository, ClaimedItem, ItemOutcome
from app.db.database import Database
from app.db.models import utcnow
from app.jobs.batch_items import (
    DELETED,
    ItemInput,
    batch_config,
    compute_item,
    inflated,
    run_item,
)
from app.services.ingest import Limits

__all__ = [
    "FLUSH_S", "MAX_CLAIMS", "Done", "cancel_claimed", "chunks", "claim_queued", "is_cancelled",
    "left_running", "record_outcomes", "run_chunk",
]

#: Outcomes are written at least this often: each write runs beside the next items, so
#: the one a job waits for at its end is short (and a killed worker loses little).
FLUSH_S = 0.15
#: How often a running chunk looks whether its batch has been cancelled (a chunk
#: shorter than this runs to its end; the next one claims only items still queued).
CANCEL_CHECK_S = 0.5
#: An item claimed this many times without an outcome stopped its worker each time.
MAX_CLAIMS = 3
#: Items per queue job at most: enough that fetching and finishing the job is a small part
#: of it, few enough that cancelling stops soon (chunks shrink towards a batch's end).
CHUNK_ITEMS = 32


def chunks(item_ids: Sequence[str], size: int = CHUNK_ITEMS, share: int = 8,
           smallest: int = 4) -> list[list[str]]:
    """``item_ids`` in order, cut into chunks that shrink towards the end: each holds
    ``1/share`` of the items still to cut, at most ``size`` and at least ``smallest``.
    Workers take chunks in order, so the last ones, small, leave little idle tail (one
    worker finishing a full chunk while the others wait) and a small batch is shared."""
    out: list[list[str]] = []
    i, n = 0, len(item_ids)
    while i < n:
        left = n - i
        step = max(min(smallest, left), min(size, -(-left // share)))
        out.append(list(item_ids[i:i + step]))
        i += step
    return out


def run_chunk(db: Database, item_ids: Sequence[str], limits: Limits) -> int:
    """Run the items of one job; returns how many it ran."""
    done = 0
    with db.session() as session:
        stranded = left_running(session, item_ids)
        if not stranded:  # the usual case: one transaction to look and claim
            inputs, failed = claim_queued(session, item_ids)
            record_outcomes(session, failed)
    if stranded:
        for item_id, claims in stranded:
            if claims >= MAX_CLAIMS:
                with db.session() as session:
                    fail_running(session, item_id, f"the worker stopped {claims} times while "
                          "analysing this file (too large?)")
                continue
            done += run_item(db, item_id, limits)
        with db.session() as session:
            inputs, failed = claim_queued(session, item_ids)
            record_outcomes(session, failed)
    todo = list(inputs)
    outcomes: list[Done] = []
    writing: cf.Future[None] | None = None
    # The next item's bytes inflate beside this one's analysis (zlib releases the GIL).
    ahead = _thread("inflate").submit(inflated, todo[0]) if todo else None
    last = checked = time.monotonic()
    try:
        while todo and ahead is not None:
            todo.pop(0)
            inp = ahead.result()
            ahead = _thread("inflate").submit(inflated, todo[0]) if todo else None
            outcomes.append((inp.item, compute_item(inp, limits), utcnow()))
            # Also written before the last item: the write the job waits for at its end
            # then holds that item alone.
            if len(todo) > 1 and time.monotonic() - last < FLUSH_S:
                continue
            # One write at a time, in order: the previous one ran beside the analyses.
            if writing is not None:
                writing.result()
                writing = None
            done += len(outcomes)
            if todo and time.monotonic() - checked >= CANCEL_CHECK_S:
                checked = time.monotonic()
                with db.session() as session:
                    if is_cancelled(session, {i.item.batch_id for i in todo}):
                        record_outcomes(session, outcomes)
                        cancel_claimed(session, [i.item_id for i in todo])
                        break
            writing = _writer().submit(_write, db, outcomes)
            outcomes = []
            last = time.monotonic()
    finally:
        if writing is not None:
            writing.result()  # the job is finished only when its outcomes are stored
    return done + len(failed)


_THREADS: dict[str, cf.ThreadPoolExecutor] = {}


def _thread(name: str) -> cf.ThreadPoolExecutor:
    """One thread of the worker process for ``name``: ``write`` stores outcomes while the
    next items run (the database does its share of the work on another core meanwhile),
    ``inflate`` unpacks the next item's bytes."""
    pool = _THREADS.get(name)
    if pool is None:
        pool = _THREADS[name] = cf.ThreadPoolExecutor(1, thread_name_prefix=f"hrv-batch-{name}")
    return pool


def _writer() -> cf.ThreadPoolExecutor:
    return _thread("write")


def _write(db: Database, outcomes: Sequence[Done]) -> None:
    with db.session() as session:
        record_outcomes(session, outcomes)


def claim_queued(
    session: Session, item_ids: Sequence[str]
) -> tuple[list[ItemInput], list[Done]]:
    """Mark the chunk's queued items running in one statement; their inputs (bytes as
    stored, see :meth:`ItemInput.unpacked`) in the chunk's order, and the outcomes of
    those whose recording has been deleted."""
    rows, raws, recordings = claim_queued_rows(session, item_ids)
    repo = BatchRepository(session)
    inputs: list[ItemInput] = []
    failed: list[Done] = []
    for r in rows:
        item = ClaimedItem(str(r.id), str(r.tenant_id), str(r.batch_id), str(r.content_type),
                           dict(r.params or {}), None, r.recording_id)
        own = raws.get(item.item_id)
        if own is not None:
            inputs.append(ItemInput(item, own, batch_config(repo, item.batch_id), "item"))
        elif str(r.recording_id) in recordings:
            inputs.append(ItemInput(item, recordings[str(r.recording_id)],
                                    batch_config(repo, item.batch_id), "zlib"))
        else:
            failed.append((item, ItemOutcome(error=DELETED), utcnow()))
    return inputs, failed
