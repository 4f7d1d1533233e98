"""Speed and memory of :func:`hrv.detect.ecg.detect_ecg` against NeuroKit2.

A 24-hour and a 5-minute ECG at 250 Hz are made by resampling MIT-BIH record 101 (MLII)
to 250 Hz and tiling it. Both detectors run on the identical array in the same process;
NeuroKit2's path is ``ecg_clean`` + ``ecg_peaks`` (its default method). Peak memory is
measured with :mod:`tracemalloc` and reported relative to the size of the input array.

Run: ``.venv/bin/python -m benchmarks.ecg_speed`` (writes ``benchmarks/results/ecg_speed.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
from functools import partial
from pathlib import Path

import numpy as np
from scipy import signal

from benchmarks._data import load_mitdb
from benchmarks._provenance import header
from benchmarks._timing import best_time, peak_memory
from hrv.detect.ecg import detect_ecg

FS = 250.0
RESULTS = Path(__file__).resolve().parent / "results" / "ecg_speed.md"


def make_ecg(duration_s: float) -> np.ndarray:
    rec = load_mitdb("101")
    base = signal.resample_poly(rec.samples, 25, 36)  # 360 Hz -> 250 Hz
    n = round(duration_s * FS)
    reps = -(-n // base.size)
    return np.ascontiguousarray(np.tile(base, reps)[:n])


def nk_path(x: np.ndarray) -> object:
    import neurokit2 as nk

    clean = nk.ecg_clean(x, sampling_rate=int(FS))
    return nk.ecg_peaks(clean, sampling_rate=int(FS))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-neurokit", action="store_true")
    args = ap.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    for label, dur, rep in (("5 min", 300.0, 20), ("24 h", 86400.0, 3)):
        x = make_ecg(dur)
        ours = best_time(partial(detect_ecg, x, FS), rep)
        mem = peak_memory(partial(detect_ecg, x, FS))
        nk = np.nan if args.no_neurokit else best_time(partial(nk_path, x), 1 if dur > 1000 else 5)
        n_beats = detect_ecg(x, FS).times_s.size
        rows.append((label, x.size, ours, nk, mem / x.nbytes, n_beats))
        print(f"{label}: ours {ours * 1e3:.1f} ms, nk {nk * 1e3:.1f} ms, mem {mem / x.nbytes:.2f}x")
    lines = [
        "# ECG detector speed and memory",
        "",
        header(),
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; shared 2-core host "
        "(timings are the best of several runs; 1-min load average "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run, so absolute "
        "times vary between runs; the ratio to NeuroKit2, measured under the same load, "
        "is the stable figure).",
        "",
        "Input: MIT-BIH 101 MLII resampled to 250 Hz and tiled; float64 array.",
        "NeuroKit2 path: `ecg_clean` + `ecg_peaks` (default method), same array, same run.",
        "Peak memory: tracemalloc peak during `detect_ecg`, divided by the input array's bytes.",
        "",
        "| input | samples | beats | detect_ecg | NeuroKit2 | speed-up | peak memory / input |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, n, ours, nk, memr, nb in rows:
        lines.append(
            f"| {label} | {n:,} | {nb:,} | {ours * 1e3:.1f} ms | {nk * 1e3:.0f} ms | "
            f"{nk / ours:.0f}x | {memr:.2f}x |"
        )
    lines += ["", "Rerun: `.venv/bin/python -m benchmarks.ecg_speed`.", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
