"""Timing and memory helpers shared by the speed benchmarks."""

from __future__ import annotations

import subprocess
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Best wall-clock time of ``repeat`` calls, in seconds (least disturbed by load)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated through Python's allocators during one call (tracemalloc)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return int(peak)


def best_command_time(cmd: Sequence[str], repeat: int, env: Mapping[str, str] | None = None
                      ) -> float:
    """Best wall-clock seconds of running ``cmd`` (a fresh process each time) to its end.

    The command's output is discarded; a failing command raises
    :class:`subprocess.CalledProcessError`.
    """
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(list(cmd), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=None if env is None else dict(env))
        best = min(best, time.perf_counter() - t0)
    return best
