"""Chunks of a long recording on several threads give exactly the serial result.

The waveform path shares the independent chunks of a long recording (the detector's
candidate chunks, the quality blocks, the raw-signal run searches) among threads.
Every figure must be bit-for-bit the one of ``HRV_THREADS=1``: the same beats, the
same classes, the same excluded windows and the same metrics, on annotated MIT-BIH
records (with chunks made small enough that they split there too) and on a synthetic
24-hour ECG with gaps, a flat stretch and noise across chunk edges.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import hrv
from hrv._dsp import _parallel, fill_nan, map_chunks, run_beside, thread_count
from hrv.config import DetectionConfig, QualityConfig
from hrv.detect import _ecg_feature, detect_ecg_working
from hrv.quality import WaveformQuality, assess_filled
from hrv.respiration import ecg_rate_filled
from hrv.types import Analysis, BeatDetection, SignalKind

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
HAVE_MITDB = (DATA / "mitdb" / "101.hea").exists()

FloatArray = npt.NDArray[np.float64]


class TestMapChunks:
    def test_results_keep_the_order_of_the_items(self) -> None:
        def slow_square(i: int) -> int:
            time.sleep(0.002 * (7 - i % 7))  # later items finish first
            return i * i

        assert map_chunks(slow_square, range(20), threads=3) == [i * i for i in range(20)]

    def test_work_runs_on_more_than_one_thread(self) -> None:
        seen: set[int] = set()
        barrier = threading.Barrier(2, timeout=10)

        def meet(_: int) -> None:
            seen.add(threading.get_ident())
            barrier.wait()  # only passes when two threads hold an item at once

        map_chunks(meet, range(2), threads=2)
        assert len(seen) == 2

    def test_one_thread_runs_in_the_caller(self) -> None:
        me = threading.get_ident()
        assert map_chunks(lambda _: threading.get_ident(), range(5), threads=1) == [me] * 5

    def test_an_error_in_a_chunk_is_raised(self) -> None:
        def fail_on_3(i: int) -> int:
            if i == 3:
                raise ValueError("chunk 3")
            return i

        with pytest.raises(ValueError, match="chunk 3"):
            map_chunks(fail_on_3, range(8), threads=2)

    def test_nested_chunks_run_serially_inside_a_chunk(self) -> None:
        def outer(i: int) -> list[int]:
            return map_chunks(lambda j: 10 * i + j, range(3), threads=2)

        assert map_chunks(outer, range(4), threads=2) == [
            [10 * i + j for j in range(3)] for i in range(4)]

    def test_beside_runs_both_at_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(_parallel.ENV_THREADS, "2")
        barrier = threading.Barrier(2, timeout=10)

        def meet(value: str) -> tuple[str, int]:
            barrier.wait()  # passes only if the other side runs at the same time
            return value, threading.get_ident()

        (bg, bg_thread), (fg, fg_thread) = run_beside(lambda: meet("bg"), lambda: meet("fg"))
        assert (bg, fg) == ("bg", "fg")
        assert fg_thread == threading.get_ident() != bg_thread

    def test_beside_on_one_thread_runs_in_order(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(_parallel.ENV_THREADS, "1")
        order: list[str] = []

        def step(name: str, value: int) -> int:
            order.append(name)
            return value

        assert run_beside(lambda: step("bg", 1), lambda: step("fg", 2)) == (1, 2)
        assert order == ["bg", "fg"]

    def test_beside_raises_the_error_of_either_side(self, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
        monkeypatch.setenv(_parallel.ENV_THREADS, "2")

        def fail(message: str) -> None:
            raise ValueError(message)

        with pytest.raises(ValueError, match="background"):
            run_beside(lambda: fail("background"), lambda: 1)
        with pytest.raises(ValueError, match="foreground"):
            run_beside(lambda: 1, lambda: fail("foreground"))

    def test_environment_sets_the_thread_count(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(_parallel.ENV_THREADS, "1")
        assert thread_count() == 1
        monkeypatch.setenv(_parallel.ENV_THREADS, "3")
        assert thread_count() == 3
        monkeypatch.setenv(_parallel.ENV_THREADS, "many")  # unreadable: the default
        assert 1 <= thread_count() <= _parallel.MAX_THREADS


def _analyze(x: FloatArray, fs: float, monkeypatch: pytest.MonkeyPatch, threads: int,
             kind: str = "ecg") -> Analysis:
    monkeypatch.setenv(_parallel.ENV_THREADS, str(threads))
    return hrv.analyze(x, fs, kind)


def _waveform_stages(x: FloatArray, fs: float, monkeypatch: pytest.MonkeyPatch,
                     threads: int) -> tuple[BeatDetection, WaveformQuality, float | None]:
    """Detection, quality and derived respiration of an ECG, as :func:`hrv.analyze`
    runs them on a recording with missing samples."""
    monkeypatch.setenv(_parallel.ENV_THREADS, str(threads))
    det, work = detect_ecg_working(x, fs, DetectionConfig(), keep_work=True)
    xf, nan = fill_nan(x)
    q = assess_filled(xf, nan, fs, SignalKind.ECG, QualityConfig(), det.times_s, work)
    return det, q, ecg_rate_filled(xf, fs, det.times_s, work)


def _assert_identical(a: Analysis, b: Analysis) -> None:
    assert a.beats.times_s.size > 0
    np.testing.assert_array_equal(a.beats.times_s, b.beats.times_s)
    assert a.beats.normal is not None and b.beats.normal is not None
    np.testing.assert_array_equal(a.beats.normal, b.beats.normal)
    np.testing.assert_array_equal(a.nn.rr_ms, b.nn.rr_ms)
    da: dict[str, Any] = a.to_dict(include_series=True)
    db: dict[str, Any] = b.to_dict(include_series=True)
    assert da == db


def synthetic_day(fs: float = 250.0, hours: float = 24.0, seed: int = 5
                  ) -> tuple[FloatArray, FloatArray]:
    """A day of ECG with known beats: heart rate drifting 50-100 bpm, respiratory
    modulation, a QRS with a T wave, baseline wander and noise; plus a NaN gap, a flat
    stretch and an EMG burst placed across the detector's chunk edges."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * fs)
    # Beats where the integrated instantaneous rate crosses a whole number.
    t_grid = np.arange(0.0, hours * 3600, 0.05)
    rate_hz = (75 + 25 * np.sin(2 * np.pi * t_grid / 7200)) / 60 * (
        1 - 0.05 * np.sin(2 * np.pi * 0.25 * t_grid))
    phase = np.cumsum(rate_hz) * 0.05
    beats = np.interp(np.arange(1.0, np.floor(phase[-1])), phase, t_grid)
    beats += rng.normal(0.0, 0.004, beats.size)
    x = rng.normal(0.0, 0.03, n)
    x += 0.2 * np.sin(2 * np.pi * 0.25 * np.arange(n) / fs)
    k = np.arange(-round(0.1 * fs), round(0.45 * fs))
    shape = np.exp(-((k / fs / 0.012) ** 2)) + 0.25 * np.exp(-(((k / fs) - 0.28) / 0.05) ** 2)
    centre = np.round(beats * fs).astype(np.int64)
    ok = (centre + k[0] >= 0) & (centre + k[-1] < n)
    centre, beats = centre[ok], beats[ok]
    amp = 1.0 + 0.15 * np.sin(2 * np.pi * 0.25 * beats)
    for r0 in range(0, centre.size, 8192):  # beats never overlap (RR > 0.55 s)
        c = centre[r0: r0 + 8192]
        x[c[:, None] + k[None, :]] += amp[r0: r0 + 8192, None] * shape[None, :]
    # Working rate 125 Hz here: a chunk is 2**19 working samples (69.9 min).
    edge_s = _ecg_feature.CHUNK_WORK_SAMPLES * 2 / fs
    x[int((edge_s - 20) * fs): int((edge_s + 15) * fs)] = np.nan
    x[int((3 * edge_s - 4) * fs): int((3 * edge_s + 6) * fs)] = x[int((3 * edge_s - 4) * fs)]
    burst = slice(int((5 * edge_s - 8) * fs), int((5 * edge_s + 30) * fs))
    x[burst] += rng.normal(0, 1.2, burst.stop - burst.start)
    return x, beats


class TestSameResultOnThreads:
    @pytest.mark.slow
    def test_synthetic_day(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # Every threaded stage of the day (detector, waveform quality, derived
        # respiration), as hrv.analyze runs them; the interval tail runs on one thread.
        x, beats = synthetic_day()
        runs = [_waveform_stages(x, 250.0, monkeypatch, n) for n in (1, 2)]
        (det1, q1, edr1), (det2, q2, edr2) = runs
        np.testing.assert_array_equal(det1.times_s, det2.times_s)
        np.testing.assert_array_equal(det1.normal, det2.normal)
        assert det1.excluded_windows == det2.excluded_windows
        assert det1.warnings == det2.warnings
        assert q1.excluded_windows == q2.excluded_windows
        np.testing.assert_array_equal(q1.window_scores, q2.window_scores)
        assert edr1 == edr2 and edr1 is not None
        # And it is a real detection: the known beats are found, the gap and the burst
        # are excluded.
        found = det1.times_s
        i = np.clip(np.searchsorted(found, beats), 1, found.size - 1)
        near = np.minimum(np.abs(found[i] - beats), np.abs(found[i - 1] - beats))
        assert np.mean(near < 0.02) > 0.99
        reasons = {w.reason for w in (*det1.excluded_windows, *q1.excluded_windows)}
        assert {"missing_data", "noise"} <= reasons

    @pytest.mark.slow
    @pytest.mark.skipif(not HAVE_MITDB, reason=f"shared MIT-BIH data not found at {DATA}")
    @pytest.mark.parametrize("record", ["101", "108", "119", "203", "215", "230"])
    def test_mitdb(self, record: str, monkeypatch: pytest.MonkeyPatch) -> None:
        wfdb = pytest.importorskip("wfdb")
        path = str(DATA / "mitdb" / record)
        names = wfdb.rdheader(path).sig_name
        rec = wfdb.rdrecord(path, channels=[names.index("MLII") if "MLII" in names else 0])
        x = np.ascontiguousarray(rec.p_signal[:, 0], dtype=np.float64)
        fs = float(rec.fs)
        # Candidate chunks of ~4.5 min so that a 30-min record is cut into several.
        monkeypatch.setattr(_ecg_feature, "CHUNK_WORK_SAMPLES", 1 << 15)
        serial = _analyze(x, fs, monkeypatch, 1)
        parallel = _analyze(x, fs, monkeypatch, 2)
        _assert_identical(serial, parallel)
        ann = wfdb.rdann(path, "atr")
        ref = np.asarray(ann.sample)[np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ?"))] / fs
        assert abs(serial.beats.times_s.size - ref.size) < 0.05 * ref.size

    def test_ppg_hour(self, monkeypatch: pytest.MonkeyPatch) -> None:
        fs = 64.0
        t = np.arange(int(3600 * fs)) / fs
        rng = np.random.default_rng(2)
        phase = 2 * np.pi * np.cumsum(np.full(t.size, 1.15 / fs) + 0.05 / fs *
                                      np.sin(2 * np.pi * 0.25 * t))
        x = np.sin(phase) + 0.3 * np.sin(2 * phase + 1.0) + rng.normal(0, 0.05, t.size)
        _assert_identical(_analyze(x, fs, monkeypatch, 1, "ppg"),
                          _analyze(x, fs, monkeypatch, 2, "ppg"))
