"""Pool processes of the server: one whose parent is already gone leaves at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_pool_process_started_after_its_server_died_leaves_at_once() -> None:
    # The server passes its own pid; a process that starts after the server died has
    # another parent and must not wait for work for ever (nor start a watch of that one).
    code = ("from app.jobs._orphan import exit_with_parent\n"
            "exit_with_parent(2 ** 22 + 12345)\n"
            "print('still here')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=False)
    assert res.returncode == 0 and "still here" not in res.stdout


def test_a_pool_process_with_its_parent_stays() -> None:
    code = ("import os\n"
            "from app.jobs._orphan import exit_with_parent\n"
            "exit_with_parent(os.getppid())\n"
            "print('still here')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=False)
    assert res.returncode == 0 and "still here" in res.stdout


def _supervised(parent: str) -> subprocess.CompletedProcess[str]:
    code = ("import os, time\n"
            "from app.jobs._orphan import PARENT_ENV, stop_with_parent\n"
            "stop_with_parent()\n"
            "print('env kept' if PARENT_ENV in os.environ else 'env taken')\n"
            "time.sleep(0.5)\n"
            "print('still here')\n")
    env = {**__import__("os").environ, "HRV_SUPERVISOR_PID": parent}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=False, env=env)


def test_a_worker_whose_supervisor_died_during_its_start_up_stops_at_once() -> None:
    # The supervisor was killed before the worker reached stop_with_parent: the worker
    # has been re-parented already and must stop rather than watch its new parent.
    res = _supervised(str(2 ** 22 + 12345))
    assert res.returncode == -15 and "still here" not in res.stdout


def test_a_worker_with_its_supervisor_stays_and_hides_the_pid_from_its_children() -> None:
    import os
    res = _supervised(str(os.getpid()))
    assert res.returncode == 0 and "still here" in res.stdout
    assert "env taken" in res.stdout
