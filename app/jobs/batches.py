"""Where batch items run.

Default (``HRV_JOB_BACKEND=inprocess``): a dispatcher thread in the web process feeds
the items to a pool of ``HRV_BATCH_PROCESSES`` child processes (one per core by
default) and records their outcomes; at start-up it resumes every batch with items
still to run, so a restarted server finishes what it had. With 0 processes the items
run one after another in the request's background task (tests, tiny deployments).

``procrastinate``: every item is a queue job, deferred in the transaction that records
the batch (:class:`app.jobs.queue.ProcrastinateBatchRunner`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog
from sqlalchemy.orm import Session
from starlette.background import BackgroundTasks

from app.db.batches import BatchRepository, ItemOutcome
from app.db.database import Database
from app.db.models import utcnow
from app.jobs.batch_chunks import (
    FLUSH_S,
    Done,
    cancel_claimed,
    claim_queued,
    is_cancelled,
    left_running,
    record_outcomes,
)
from app.jobs.batch_items import (
    ItemInput,
    compute_item,
    inflated,
    load_input,
    pool_child,
    run_item,
)
from app.services.ingest import Limits

__all__ = ["BatchRunner", "InProcessBatchRunner", "default_processes", "single_threaded_blas"]

_log = structlog.get_logger("app.jobs.batches")


class BatchRunner(Protocol):
    def submit(
        self, session: Session, batch_id: str, item_ids: Sequence[str],
        background: BackgroundTasks,
    ) -> None:
        """Schedule the items of a batch; called before ``session`` commits the batch."""

    def resume(self) -> None:
        """Pick up batches left unfinished by an earlier process (at start-up)."""

    def close(self) -> None:
        """Stop running items (the server is shutting down)."""


#: Thread pools of the numeric libraries and of hrv: one thread per process when there is one
#: process per core (measured: a 5-min ECG takes 12.6 ms instead of 16.4 ms alone, and
#: two processes no longer fight over each other's threads).
BLAS_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "HRV_THREADS",
)


def single_threaded_blas() -> None:
    """Make processes started from now on use one BLAS/OpenMP thread (unless set)."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def default_processes() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class InProcessBatchRunner:
    """Runs batch items in a process pool inside the service."""

    def __init__(self, get_db: Callable[[], Database], limits: Limits, processes: int) -> None:
        self._get_db = get_db
        self.limits = limits
        self.processes = processes
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def submit(
        self, session: Session, batch_id: str, item_ids: Sequence[str],
        background: BackgroundTasks,
    ) -> None:
        if self.processes <= 0:
            background.add_task(self._run_inline, batch_id)
        else:
            # After the response, hence after the commit that made the items visible.
            background.add_task(self._enqueue, batch_id)

    def resume(self) -> None:
        if self.processes <= 0:
            return
        # Start the pool now, each process warmed up, rather than on the first batch.
        pool = self._executor()
        for _ in range(self.processes):
            pool.submit(_noop)
        with self._get_db().session() as session:
            open_ids = BatchRepository(session).open_batches_unscoped()
        for batch_id in open_ids:
            _log.info("batch_resumed", batch_id=batch_id)
            self._enqueue(batch_id)

    def _run_inline(self, batch_id: str) -> None:
        db = self._get_db()
        with db.session() as session:
            ids = BatchRepository(session).pending_item_ids_unscoped(batch_id)
        for item_id in ids:
            run_item(db, item_id, self.limits)

    def _enqueue(self, batch_id: str) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._dispatch, name="hrv-batches", daemon=True)
                self._thread.start()
        self._queue.put(batch_id)

    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            single_threaded_blas()
            # Children are spawned, not forked from a threaded server.
            self._pool = cf.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=pool_child, initargs=(os.getpid(),))
        return self._pool

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            batch_id = self._queue.get()
            if batch_id is None:
                return
            try:
                self._run_batch(batch_id)
            except Exception as exc:  # keep serving other batches; the items stay queued
                _log.error("batch_dispatch_failed", batch_id=batch_id,
                           error_type=type(exc).__name__)

    def _run_batch(self, batch_id: str) -> None:
        """Feed the batch's items to the pool: queued items claimed several at a time,
        outcomes written together every ``FLUSH_S`` (as a queue chunk job does); items a
        stopped server left running are claimed one at a time."""
        db = self._get_db()
        with db.session() as session:
            ids = BatchRepository(session).pending_item_ids_unscoped(batch_id)
            single = [i for i, _ in left_running(session, ids)]
        fresh = [i for i in ids if i not in set(single)]
        in_flight: dict[cf.Future[ItemOutcome], ItemInput] = {}
        broken: set[str] = set()
        retry: list[ItemInput] = []
        done: list[Done] = []
        window = 8 * self.processes
        last_write = time.monotonic()

        def submit(inp: ItemInput) -> None:
            # Inflated here: the server's thread works beside the pool's processes.
            inp = inflated(inp)
            in_flight[self._executor().submit(compute_item, inp, self.limits)] = inp

        while in_flight or retry or single or fresh:
            # Refill at half the window: claims of several items, and every process still
            # has items queued while the dispatcher claims and inflates the next ones.
            while (retry or single or fresh) and len(in_flight) <= window // 2:
                if self._stop.is_set():
                    self._write(db, done)
                    return
                if retry:
                    submit(retry.pop())
                elif single:
                    inp = load_input(db, single.pop(0))
                    if inp is not None:
                        submit(inp)
                else:
                    group, fresh = fresh[:window - len(in_flight)], fresh[window - len(in_flight):]
                    with db.session() as session:
                        inputs, failed = claim_queued(session, group)
                        record_outcomes(session, failed)
                    for inp in inputs:
                        submit(inp)
            if not in_flight:
                continue
            finished, _ = cf.wait(in_flight, timeout=FLUSH_S, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                inp = in_flight.pop(fut)
                try:
                    outcome = fut.result()
                except cf.process.BrokenProcessPool:
                    # A child died (out of memory, killed): every item in flight is lost.
                    # Each is tried once more in a fresh pool; twice is the item's fault.
                    self._pool = None
                    if inp.item_id not in broken:
                        broken.add(inp.item_id)
                        retry.append(inp)
                        continue
                    outcome = ItemOutcome(
                        error="the analysis process stopped twice on this file (too large?)")
                done.append((inp.item, outcome, utcnow()))
            if done and (not in_flight or time.monotonic() - last_write >= FLUSH_S):
                if self._write(db, done, batch_id):
                    # Cancelled: what was claimed and not run is cancelled too.
                    for fut in in_flight:
                        fut.cancel()
                    with db.session() as session:
                        cancel_claimed(session, [i.item_id for i in [*in_flight.values(), *retry]])
                    return
                done = []
                last_write = time.monotonic()
        self._write(db, done)

    @staticmethod
    def _write(db: Database, done: list[Done], batch_id: str | None = None) -> bool:
        """Write the outcomes; returns whether batch ``batch_id`` has been cancelled."""
        with db.session() as session:
            record_outcomes(session, done)
            return batch_id is not None and is_cancelled(session, {batch_id})

    def close(self) -> None:
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _noop() -> None:
    """A task that makes the pool start a process (which warms up as it starts)."""
