"""The benchmark scripts still run against the code they measure: every module imports,
and the pieces that call into the service or the library work on a small input (a
refactor that moves a name they use fails here, not in the next benchmark run)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import orjson
import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "benchmarks").glob(
    "*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_module_imports(name: str) -> None:
    importlib.import_module(f"benchmarks.{name}")


def test_http_bench_times_the_in_process_path() -> None:
    from benchmarks import http_bench
    from hrv.simulate import rr_series

    body = orjson.dumps({"kind": "rr", "rr_ms": rr_series(120, seed=1).tolist()})
    req = {"headers": {"content-type": "application/json"}, "content": body}
    assert http_bench.analysis_time(req, repeat=2) > 0
    ecg = np.sin(np.arange(2500) / 25.0).astype("<f4").tobytes()
    req = {"headers": {"content-type": "application/octet-stream"}, "content": ecg,
           "params": {"kind": "ecg", "sampling_rate_hz": 250, "dtype": "float32"}}
    try:
        http_bench.analysis_time(req, repeat=1)
    except Exception as exc:  # a sine is no ECG: only an analysis error is acceptable
        import hrv

        assert isinstance(exc, hrv.HRVError), exc


def test_batch_speed_reads_process_cpu() -> None:
    import os

    from benchmarks import batch_speed

    if not Path("/proc").is_dir():
        pytest.skip("reads /proc")
    assert batch_speed._tree_cpu_s(os.getpid()) > 0


def test_apex_only_leaves_the_apex_times_and_restores_the_matching() -> None:
    # benchmarks.ecg_noise.apex_only patches the detector's template matching out; a
    # rename of what it patches must fail here, not in the next benchmark run.
    from benchmarks.ecg_noise import apex_only
    from hrv.detect import _ecg_beats
    from tests.hrv.detect.test_ecg_rhythm import FS, PR_S, _ecg, _rsa_times

    q = _rsa_times(70, 15, 0.05, 60.0, seed=1)
    x = _ecg(61.0, q, q - PR_S)
    kept = _ecg_beats._aligned
    approx = np.rint(q * FS).astype(np.int64)
    matched, _, apex = _ecg_beats.refine_peaks(x, FS, approx)
    with apex_only():
        plain, _, apex2 = _ecg_beats.refine_peaks(x, FS, approx)
    assert _ecg_beats._aligned is kept
    np.testing.assert_array_equal(plain, apex2)
    np.testing.assert_array_equal(apex2, apex)
    assert not np.array_equal(matched, apex)
