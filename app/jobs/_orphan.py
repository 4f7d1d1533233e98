"""Child processes that do not outlive their parent.

A server's batch pool, the workers of ``hrv-service worker --processes N`` and those of
``hrv-service serve --workers N`` are child processes. When their parent is killed
outright (SIGKILL, the OOM killer) nothing tells them: a pool child would wait for work
forever, holding its memory; a supervised worker would go on beside the ones a restarted
supervisor starts; an HTTP worker would go on serving on the socket it inherited. Each
child therefore watches its parent and acts when it is gone (its parent id changes when
it is re-parented).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

__all__ = ["PARENT_ENV", "exit_with_parent", "stop_with_parent"]

#: Set by a supervisor for the children it starts: the pid they must not outlive.
PARENT_ENV = "HRV_SUPERVISOR_PID"
#: How often a child looks at its parent.
POLL_S = 1.0


def _watch(parent: int, act: Callable[[], None], poll_s: float) -> None:
    def run() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                act()
                return

    threading.Thread(target=run, name="hrv-parent-watch", daemon=True).start()


def exit_with_parent(parent: int | None = None, poll_s: float = POLL_S) -> None:
    """Exit at once when the parent is gone (a pool child: its parent's work is
    recovered by whoever runs the batch next). ``parent`` is the pid the parent passed
    (a child that starts after its parent died would otherwise watch its new parent)."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(0)
    _watch(parent, lambda: os._exit(0), poll_s)


def stop_with_parent(poll_s: float = POLL_S) -> None:
    """Stop gracefully (SIGTERM to itself: the current job finishes) when the supervisor
    named in :data:`PARENT_ENV` is no longer the parent, at once if it was gone before
    this process got here (a slow start-up can outlast a killed supervisor).

    The variable is taken out of the environment, so processes this one starts do not
    take its supervisor for theirs."""
    want = os.environ.pop(PARENT_ENV, None)
    if not want or not want.isdigit():
        return
    stop = lambda: os.kill(os.getpid(), signal.SIGTERM)  # noqa: E731
    if int(want) != os.getppid():
        stop()
        return
    _watch(int(want), stop, poll_s)
