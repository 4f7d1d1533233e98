"""Run every benchmark in turn; each writes its Markdown table under ``benchmarks/results``.

Run: ``make bench`` (installs the ``bench`` extra, which brings NeuroKit2, first).
Expect tens of minutes on a 2-core machine: NeuroKit2 on 24-hour inputs is slow.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = [
    "benchmarks.nsr2db_vs_neurokit",
    "benchmarks.mitdb_rmssd",
    "benchmarks.ecg_accuracy",
    "benchmarks.ecg_hrv",
    "benchmarks.ecg_noise",
    "benchmarks.ecg_timing",
    "benchmarks.ecg_speed",
    "benchmarks.ppg_accuracy",
    "benchmarks.welltory",
    "benchmarks.respiration_bidmc",
    "benchmarks.respiration_rsa",
    "benchmarks.respiration_fusion",
    "benchmarks.shift_calibration",
    "benchmarks.pipeline_speed",
    "benchmarks.http_bench",
]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        rc = subprocess.call([sys.executable, "-m", name])
        print(f"== {name}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
