"""Independent chunks of a long recording on a few threads.

The heavy loops of the waveform path (the band-pass filters, numpy's reductions, the
peak search) run in compiled code that releases the GIL, so threads of one process can
share the work of a 24-hour recording without copying it. Each chunk computes exactly
what it computes alone (same input slice, same context around it), and the results
are put together in chunk order: the outcome is identical to the serial loop, whatever
the number of threads or the order in which the chunks finish.

The number of threads is the number of CPUs the process may use, at most
``MAX_THREADS``; the environment variable ``HRV_THREADS`` sets it (``HRV_THREADS=1``
runs everything in the calling thread, e.g. in a pool of worker processes that already
uses every core). Work started from inside a worker thread runs serially there (no
nested waits on the same pool).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # concurrent.futures loads on first parallel use, not with ``import hrv``
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["BESIDE_MIN_S", "ENV_THREADS", "MAX_THREADS", "beside_threads", "map_chunks",
           "run_beside", "start_beside", "thread_count"]

T = TypeVar("T")
R = TypeVar("R")

ENV_THREADS = "HRV_THREADS"
MAX_THREADS = 4  # the chunks are memory-bound beyond a few cores
#: Recordings shorter than this (s) run their independent stages in turn, not beside
#: each other: the stages of a short recording are many small numpy calls that hold
#: the GIL, so a second thread only adds switching (a 5-minute ECG took 8.7 ms in turn
#: and 11.9 ms beside; the two break even near 40 minutes, 2 cores).
BESIDE_MIN_S = 40 * 60.0

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_local = threading.local()


def thread_count() -> int:
    """Threads the waveform path may use: ``HRV_THREADS`` if set, else the usable CPUs."""
    env = os.environ.get(ENV_THREADS, "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_THREADS))


def beside_threads(duration_s: float) -> int | None:
    """``threads`` for :func:`run_beside` and :func:`start_beside` on a recording of
    ``duration_s`` seconds: 1 below :data:`BESIDE_MIN_S`, else the default."""
    return 1 if duration_s < BESIDE_MIN_S else None


def _mark_worker() -> None:
    _local.worker = True


def _executor(size: int) -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            # Grown only (HRV_THREADS raised): a smaller pool may still be serving
            # another caller; its threads end when it is collected.
            _pool = ThreadPoolExecutor(size, thread_name_prefix="hrv",
                                       initializer=_mark_worker)
            _pool_size = size
        return _pool


def _forget_pool() -> None:
    """In a forked child the parent's threads do not exist: start a new pool on demand."""
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def map_chunks(fn: Callable[[T], R], items: Iterable[T], *, threads: int | None = None
               ) -> list[R]:
    """``[fn(item) for item in items]``, the items shared among threads.

    Results keep the order of ``items``. The calling thread works too: it and
    ``threads - 1`` pool threads each take the next item not yet taken until none is
    left. With one thread, one item, or when called from inside a chunk, the loop runs
    serially in the calling thread. An exception in a chunk stops the taking of new
    items and is raised here once the running chunks have finished.
    """
    seq: Sequence[T] = items if isinstance(items, Sequence) else list(items)
    n_threads = thread_count() if threads is None else max(1, threads)
    if n_threads < 2 or len(seq) < 2 or getattr(_local, "worker", False):
        return [fn(item) for item in seq]
    results: list[R | None] = [None] * len(seq)
    errors: list[BaseException] = []
    taken = iter(range(len(seq)))
    take_lock = threading.Lock()

    def run() -> None:
        while True:
            with take_lock:
                i = None if errors else next(taken, None)
            if i is None:
                return
            try:
                results[i] = fn(seq[i])
            except BaseException as exc:
                with take_lock:
                    errors.append(exc)
                return

    helpers = min(n_threads, len(seq)) - 1
    pool = _executor(n_threads - 1)
    futures = [pool.submit(run) for _ in range(helpers)]
    _local.worker = True  # chunks started by this thread's own chunks run serially
    try:
        run()
    finally:
        _local.worker = False
        for f in futures:
            # One still queued (the pool busy with another caller's chunks) is not
            # waited for: every item has been taken.
            if not f.cancel():
                f.result()
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]  # every slot was filled



def run_beside(background: Callable[[], R], foreground: Callable[[], T], *,
               threads: int | None = None) -> tuple[R, T]:
    """``(background(), foreground())``, the first on a pool thread while the calling
    thread runs the second.

    For two independent stages (each only reads shared input): the calling thread's
    own chunked work is then helped by the pool as soon as ``background`` is done.
    With one thread (``threads=1``, or :func:`thread_count` is 1), or from inside a
    chunk, both run in the calling thread, in that order.
    """
    n_threads = thread_count() if threads is None else max(1, threads)
    if n_threads < 2 or getattr(_local, "worker", False):
        return background(), foreground()
    future = _executor(n_threads - 1).submit(background)
    try:
        fg = foreground()
    except BaseException:
        if not future.cancel():
            future.exception()  # let it finish; the foreground's error is raised
        raise
    # Not started yet (the pool busy with another caller's chunks): run it here.
    bg = background() if future.cancel() else future.result()
    return bg, fg


def start_beside(background: Callable[[], R], *, threads: int | None = None
                 ) -> Callable[[], R]:
    """Start ``background()`` on a pool thread now; return a function giving its result.

    For a stage whose result is needed only later, while the calling thread goes on
    with other work. The returned function waits for the result (raising what
    ``background`` raised), or runs ``background`` in the calling thread if no pool
    thread has started it yet (the pool busy with other chunks). With one thread
    (``threads=1``, or :func:`thread_count` is 1), or from inside a chunk,
    ``background`` runs when its result is first asked for.
    """
    done: list[R] = []
    n_threads = thread_count() if threads is None else max(1, threads)
    if n_threads < 2 or getattr(_local, "worker", False):
        def later() -> R:
            if not done:
                done.append(background())
            return done[0]
        return later
    future = _executor(n_threads - 1).submit(background)

    def result() -> R:
        if not done:
            done.append(background() if future.cancel() else future.result())
        return done[0]
    return result

