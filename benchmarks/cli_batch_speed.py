"""Speed of ``hrv batch`` (the laptop command) with 1 and 2 worker processes, and of
NeuroKit2 on the same ECG files.

Inputs, written to a temporary folder with a manifest:

* 500 five-minute ECG recordings at 250 Hz as EDF files: the MIT-BIH MLII windows the
  service benchmark (``benchmarks/batch_speed.py``) uses (22 non-paced records x 6
  windows, resampled from 360 Hz, reused in turn);
* 500 five-minute RR text files (one interval in ms per line), seeded synthetic series
  with LF and HF modulation and noise (``hrv.simulate.rr_series``).

``hrv batch DIR --manifest manifest.csv -o results.csv --jobs N`` is timed end to end as
a subprocess (interpreter start, imports, reading, analysis, the tidy CSV), best of
``--repeat`` runs. NeuroKit2 runs ``nk.ecg_process`` + ``nk.hrv`` (time, frequency and
nonlinear indices, its defaults) on the same 500 EDF windows in one process, reading each
file with ``edfio``; NeuroKit2 has no batch runner, so it is timed on one core only.

Run: ``.venv/bin/python -m benchmarks.cli_batch_speed [--items 500] [--repeat 1]``
(writes ``benchmarks/results/cli_batch_speed.md``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks._provenance import header
from benchmarks.batch_speed import ecg_windows, edf_bytes

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cli_batch_speed.md"
FS = 250


@dataclass(frozen=True)
class Run:
    tool: str
    inputs: str
    jobs: int
    seconds: float
    items: int
    failed: int
    load: float = float("nan")  # 1-min load average when the run started

    @property
    def per_s(self) -> float:
        return self.items / self.seconds


def write_ecg_study(folder: Path, n: int) -> None:
    windows = [edf_bytes(w) for w in ecg_windows()]
    lines = ["file,participant,session,phase,kind,sampling_rate_hz,format,group"]
    for i in range(n):
        name = f"ecg_{i:04d}.edf"
        (folder / name).write_bytes(windows[i % len(windows)])
        phase = "pre" if i % 2 == 0 else "post"
        lines.append(f"{name},P{i // 2:04d},1,{phase},ecg,,edf,{'AB'[i // 2 % 2]}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_rr_study(folder: Path, n: int) -> None:
    from hrv.simulate import rr_series

    lines = ["file,participant,session,phase,kind,group"]
    for i in range(n):
        rr = rr_series(300.0, mean_hr_bpm=55 + (i % 30), lf_amplitude_ms=20.0,
                       hf_amplitude_ms=15.0 + i % 10, noise_ms=12.0, noise_ar=0.5, seed=i)
        name = f"rr_{i:04d}.txt"
        (folder / name).write_text("\n".join(f"{v:.1f}" for v in rr) + "\n", encoding="utf-8")
        phase = "pre" if i % 2 == 0 else "post"
        lines.append(f"{name},P{i // 2:04d},1,{phase},rr,{'AB'[i // 2 % 2]}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def time_hrv_batch(folder: Path, jobs: int, repeat: int, n: int, label: str) -> Run:
    best = float("inf")
    failed = 0
    load = os.getloadavg()[0]
    for _ in range(repeat):
        out = folder.parent / f"{label}_{jobs}.csv"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "hrv.cli", "batch", str(folder), "--manifest",
             str(folder / "manifest.csv"), "-o", str(out), "--jobs", str(jobs)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        best = min(best, time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"hrv batch failed ({proc.returncode}): {proc.stderr[-2000:]}")
        failed = proc.stderr.count("hrv: failed:")
    return Run("hrv batch", label, jobs, best, n, failed, load)


def time_neurokit(folder: Path, n: int) -> Run:
    import edfio
    import neurokit2 as nk

    failed = 0
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    for i in range(n):
        try:
            edf = edfio.read_edf(folder / f"ecg_{i:04d}.edf")
            x = edf.signals[0].data
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _signals, info = nk.ecg_process(x, sampling_rate=FS)
                nk.hrv(info["ECG_R_Peaks"], sampling_rate=FS)
        except Exception:  # a failure counts, as an hrv item error would
            failed += 1
    return Run("NeuroKit2 ecg_process + hrv", "ecg", 1, time.perf_counter() - t0, n, failed,
               load)


def write(runs: list[Run], n: int, head: str) -> None:
    by = {(r.tool, r.inputs, r.jobs): r for r in runs}
    lines = [
        "# `hrv batch` speed (laptop command line) and NeuroKit2",
        "",
        head,
        f"{n} five-minute recordings per `hrv batch` row; wall time of the whole command "
        "(interpreter "
        "start, imports, reading every file, analysis, the tidy CSV), best of the runs. "
        "Made by `benchmarks/cli_batch_speed.py`. The machine's other work shares the "
        "cores (the load average at the start of each row is shown; 2.0 is a full machine "
        "on 2 cores), so absolute times are upper bounds and rows run under different "
        "loads compare only roughly.",
        "",
        "| tool | input | processes | recordings | wall (s) | recordings/s | failed | "
        "load at start | speed-up 1 → 2 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        one = by.get((r.tool, r.inputs, 1))
        speed = f"{one.seconds / r.seconds:.2f}×" if one and r.jobs == 2 else ""
        lines.append(f"| {r.tool} | {r.inputs} | {r.jobs} | {r.items} | {r.seconds:.1f} | "
                     f"{r.per_s:.1f} | {r.failed} | {r.load:.1f} | {speed} |")
    rr2 = by.get(("hrv batch", "rr", 2))
    if rr2 is not None:
        verdict = "met" if rr2.per_s >= 100 else "not met"
        lines += ["", f"Target ≥ 100 recordings/s for 5-min RR files on 2 cores: "
                      f"{rr2.per_s:.0f}/s, {verdict}."]
    ecg1 = by.get(("hrv batch", "ecg", 1))
    nk1 = by.get(("NeuroKit2 ecg_process + hrv", "ecg", 1))
    if ecg1 and nk1:
        subset = "" if nk1.items == n else f" (NeuroKit2 on the first {nk1.items} files)"
        lines += ["", f"On one core `hrv batch` analyses the ECG files "
                      f"{ecg1.per_s / nk1.per_s:.0f}× as fast as NeuroKit2{subset}, "
                      "(which computes a different, larger set of indices and no quality "
                      "grading, artefact correction or breathing check)."]
    rr2, ecg2 = by.get(("hrv batch", "rr", 2)), by.get(("hrv batch", "ecg", 2))
    if rr2 and ecg2:
        nk = f"`ecg_process`+`hrv`: {nk1.per_s:.1f} files/s" if nk1 else "—"
        lines += ["", f"<!-- readme-row: | `hrv batch` on {n} five-minute files, 2 processes "
                      f"| RR {rr2.per_s:.0f} files/s; ECG {ecg2.per_s:.0f} files/s "
                      f"(load at start {max(rr2.load, ecg2.load):.1f}) | {nk} | -->"]
    lines += ["", "ECG inputs: EDF, MIT-BIH MLII windows resampled to 250 Hz (as "
                  "`benchmarks/batch_speed.py`); RR inputs: text, one interval per line, "
                  "`hrv.simulate.rr_series` (seeded).", ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--neurokit-items", type=int, default=None,
                        help="NeuroKit2 on the first N ECG files only (default: all)")
    parser.add_argument("--skip-neurokit", action="store_true")
    args = parser.parse_args()
    runs: list[Run] = []
    head = header()
    with tempfile.TemporaryDirectory() as tmp:
        rr_dir, ecg_dir = Path(tmp) / "rr", Path(tmp) / "ecg"
        rr_dir.mkdir()
        ecg_dir.mkdir()
        write_rr_study(rr_dir, args.items)
        write_ecg_study(ecg_dir, args.items)
        for label, folder in (("rr", rr_dir), ("ecg", ecg_dir)):
            for jobs in (1, 2):
                run = time_hrv_batch(folder, jobs, args.repeat, args.items, label)
                print(run, flush=True)
                runs.append(run)
        if not args.skip_neurokit:  # about 2 s per file: a subset keeps the run short
            run = time_neurokit(ecg_dir, min(args.items, args.neurokit_items or args.items))
            print(run, flush=True)
            runs.append(run)
    write(runs, args.items, head)
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
