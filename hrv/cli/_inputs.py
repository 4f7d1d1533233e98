"""Reading the inputs of the ``hrv`` command: files, study manifests, the analysis
configuration, and the worker processes that analyse them."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hrv.config import AnalysisConfig
    from hrv.types import Analysis


class UsageError(Exception):
    """A mistake on the command line or in its inputs (exit code 2)."""


@dataclasses.dataclass(frozen=True)
class Job:
    """One file to analyse: where, how to read it, and its manifest row."""

    path: str
    manifest: dict[str, str]
    format: str | None = None
    kind: str | None = None
    fs_hz: float | None = None
    channel: str | None = None


def load_config(path: str | None) -> AnalysisConfig | None:
    if path is None:
        return None
    from hrv.config import AnalysisConfig

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the configuration {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        return AnalysisConfig.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def _rate(value: str, where: str) -> float | None:
    if not value.strip():
        return None
    try:
        fs = float(value)
    except ValueError:
        fs = math.nan
    if not (math.isfinite(fs) and 0 < fs <= 100_000):
        raise UsageError(f"{where}: sampling_rate_hz {value!r} is not a number in (0, 100000]")
    return fs


def read_manifest(path: str, root: Path) -> list[Job]:
    """Jobs from a manifest CSV (the service's rules: lower-case header, ``file``
    required, no repeated or empty column names, blank lines skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read the manifest {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the manifest {path} is not UTF-8 text") from None
    from hrv import tables

    try:
        _, rows = tables.parse_manifest(text, f"the manifest {path}")
    except tables.ManifestError as exc:
        raise UsageError(str(exc)) from None
    jobs = []
    for line, row in rows:
        jobs.append(Job(
            path=str(root / row["file"]),
            manifest=row,
            format=check_format(row.get("format", ""), f"{path} line {line}: "),
            kind=row.get("kind", "").lower() or None,
            fs_hz=_rate(row.get("sampling_rate_hz", ""), f"{path} line {line}"),
            channel=row.get("channel") or None,
        ))
    return jobs


def folder_jobs(root: Path) -> list[Job]:
    """Every file under ``root`` (WFDB sidecars and hidden files aside), sorted."""
    skip = {".dat", ".atr", ".qrs", ".ecg"}
    jobs = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if p.suffix.lower() in skip or p.name.lower() == "manifest.csv":
            continue
        target = p.with_suffix("") if p.suffix.lower() == ".hea" else p
        jobs.append(Job(path=str(target), manifest={"file": rel.as_posix()}))
    return jobs


def analyse(job: Job, config: AnalysisConfig | None) -> tuple[Analysis | None, str | None]:
    """One file -> (result, None) or (None, why it failed in words)."""
    from hrv.analysis import analyze_recording
    from hrv.errors import HRVError
    from hrv.io import read_recording

    try:
        rec = read_recording(job.path, job.format, kind=job.kind, channel=job.channel,
                             fs_hz=job.fs_hz)
        return analyze_recording(rec, config=config), None
    except HRVError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"cannot read {job.path}: {exc.strerror or exc}"
    except MemoryError:
        return None, "the file is too large to analyse in memory"


# Worker state of a process pool: the configuration, sent once per worker.
_WORKER_CONFIG: AnalysisConfig | None = None


def init_worker(config: dict[str, Any] | None, parent: int | None = None) -> None:
    global _WORKER_CONFIG
    # The worker processes already fill the cores: one thread each for the waveform
    # path (unless the user chose otherwise).
    os.environ.setdefault("HRV_THREADS", "1")
    from hrv.config import AnalysisConfig

    _WORKER_CONFIG = None if config is None else AnalysisConfig.from_dict(config)
    _exit_with_parent(os.getppid() if parent is None else parent)


def _exit_with_parent(parent: int, poll_s: float = 1.0) -> None:
    """A pool process leaves when ``hrv batch`` (``parent``, the pid it passed) is killed
    outright: nothing else tells it, and it would wait for work for ever. A process that
    starts after its parent died leaves at once."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="hrv-parent-watch", daemon=True).start()


def work(job: Job) -> tuple[Analysis | None, str | None]:
    return analyse(job, _WORKER_CONFIG)

def check_format(fmt: str | None, where: str) -> str | None:
    if not fmt:
        return None
    from hrv.io import FileFormat

    valid = [f.value for f in FileFormat]
    if fmt.lower() not in valid:
        raise UsageError(f"{where}format {fmt!r} is unknown; valid: {', '.join(valid)}")
    return fmt.lower()
