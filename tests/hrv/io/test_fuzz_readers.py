"""Structured fuzzing of the readers whose headers declare sizes, and of ``hrv.analyze*``.

``test_fuzz.py`` feeds random, truncated and overwritten bytes to every format. Here
hypothesis writes the *numbers* of EDF and WFDB headers (signal counts, record counts,
samples per record, formats, byte offsets, lengths), calls the readers directly and
through :func:`hrv.io.read_recording` with a sample limit, and feeds arbitrary arrays to
the analysis entry points. Each input must give a result or an ``HRVError``, within a
hang guard of ``_HANG_S`` seconds per input (a guard against loops, not a speed claim).
"""

from __future__ import annotations

import contextlib
import io
import signal
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrv
from hrv.errors import HRVError
from hrv.io import Recording, read_recording
from hrv.io._types import ReadOptions
from hrv.io.edf import read_edf
from hrv.io.wfdb import read_wfdb

_HANG_S = 20
_FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _hang_guard(seconds: int = _HANG_S) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise _Hang(f"input took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _only_hrv_errors(call: Callable[[], object]) -> object | None:
    """The result of ``call``, or ``None`` for an HRVError; anything else fails the test."""
    with _hang_guard():
        try:
            return call()
        except HRVError:
            return None


# --- EDF: a header whose numbers hypothesis chooses ----------------------------------

def _edf_bytes(ns: int, spr: list[int], records: int, declared: str, header_bytes: str,
               duration: str, data_len: int) -> bytes:
    head = b"0       " + b"X".ljust(80) + b"X".ljust(80) + b"01.01.25" + b"00.00.00"
    if header_bytes == "right":
        header_bytes = str(256 * (ns + 1))
    head += header_bytes.encode()[:8].ljust(8) + b"".ljust(44)
    head += declared.encode()[:8].ljust(8) + duration.encode()[:8].ljust(8)
    head += str(ns).encode()[:4].ljust(4)
    labels = b"".join(b"ECG".ljust(16) for _ in range(ns))
    fields = b"".ljust(80 * ns) + b"mV".ljust(8) * ns + b"-5".ljust(8) * ns
    fields += b"5".ljust(8) * ns + b"-32768".ljust(8) * ns + b"32767".ljust(8) * ns
    fields += b"".ljust(80 * ns)
    counts = b"".join(str(n).encode()[:8].ljust(8) for n in spr[:ns]) + b"1".ljust(8) * (
        ns - len(spr[:ns])
    )
    rng = np.random.default_rng(records)
    data = rng.integers(-2000, 2000, size=data_len, dtype="<i2").tobytes()
    return head + labels + fields + counts + b"".ljust(32 * ns) + data


_edf_inputs = st.builds(
    _edf_bytes,
    ns=st.integers(1, 4),
    spr=st.lists(st.integers(-2, 600), min_size=1, max_size=4),
    records=st.integers(0, 40),
    declared=st.sampled_from(["-1", "0", "1", "10", "30", "99999999", "x", "", "1e3"]),
    header_bytes=st.sampled_from(["right"] * 6 + ["512", "768", "1024", "0", "99999999", "abc"]),
    duration=st.sampled_from(["1"] * 4 + ["0", "-1", "0.5", "nan", "x"]),
    data_len=st.integers(0, 12_000),
)


class TestEdfHeaders:
    @_FUZZ
    @given(data=_edf_inputs, limit=st.sampled_from([None, 1, 500, 10**6]))
    def test_direct_and_through_read_recording(self, data: bytes, limit: int | None) -> None:
        pytest.importorskip("edfio")
        rec = _only_hrv_errors(lambda: read_edf(data, ReadOptions(max_samples=limit)))
        if isinstance(rec, Recording):
            assert rec.signal is not None
            if limit is not None:
                assert len(rec.signal.samples) <= limit
        _only_hrv_errors(lambda: read_recording(data, "edf", max_samples=limit))


# --- WFDB: a header whose numbers hypothesis chooses ---------------------------------

_FORMATS = ["8", "16", "24", "32", "61", "80", "160", "212", "310", "311", "508", "0", "x"]


@st.composite
def _wfdb_zip(draw: st.DrawFn) -> bytes:
    n_sig = draw(st.sampled_from([1, 1, 2, 0, 3]))
    length = draw(st.sampled_from(
        ["", " 100", " 2500", " 2500", " 0", " 99999999999", " -5", " x"]
    ))
    fs = draw(st.sampled_from(["250"] * 4 + ["0", "-1", "1e9", "abc", "360/2"]))
    lines = [f"r {n_sig} {fs}{length}"]
    for _ in range(n_sig):
        fmt = draw(st.sampled_from(["16", "212"] * 3 + _FORMATS))
        spf = draw(st.sampled_from(["", "", "", "x2", "x0", "x1000"]))
        offset = draw(st.sampled_from(["", "", ":0", ":16", ":999999"]))
        label = draw(st.sampled_from(["ECG", "MLII", "PLETH", "S"]))
        lines.append(f"r.dat {fmt}{spf}{offset} 200 16 0 0 0 0 {label}")
    dat = draw(st.binary(max_size=2000)) * draw(st.integers(0, 10))
    files = {"r.hea": ("\n".join(lines) + "\n").encode(), "r.dat": dat}
    if draw(st.booleans()):
        files["r.atr"] = draw(st.binary(max_size=200))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            where = draw(st.sampled_from([name] * 8 + [f"d/{name}", f"../{name}"]))
            zf.writestr(where, content)
    return buf.getvalue()


class TestWfdbHeaders:
    @_FUZZ
    @given(data=_wfdb_zip(), limit=st.sampled_from([None, 10, 1000, 10**6]),
           kind=st.sampled_from([None, "ecg", "rr"]))
    def test_direct_and_through_read_recording(
        self, data: bytes, limit: int | None, kind: str | None
    ) -> None:
        pytest.importorskip("wfdb")
        opts = ReadOptions(kind=None if kind is None else hrv.SignalKind(kind), max_samples=limit)
        rec = _only_hrv_errors(lambda: read_wfdb(data, opts))
        if isinstance(rec, Recording) and rec.signal is not None and limit is not None:
            assert len(rec.signal.samples) <= limit
        _only_hrv_errors(lambda: read_recording(data, "wfdb", kind=kind, max_samples=limit))


# --- hrv.analyze* -------------------------------------------------------------------

_values = st.floats(allow_nan=True, allow_infinity=True, width=64) | st.sampled_from(
    [0.0, -1.0, 1e308, 800.0, 0.8, 1e-300]
)
_arrays = st.one_of(
    st.lists(_values, max_size=60).map(lambda v: np.asarray(v, dtype=np.float64)),
    st.builds(lambda n, hr, noise, seed: (
        60_000.0 / hr + np.random.default_rng(seed).normal(0, noise, n)
    ), st.integers(0, 800), st.floats(20, 250), st.floats(0, 400), st.integers(0, 99)),
)
_fs = st.sampled_from([None, 0.0, -250.0, float("nan"), float("inf"), 1e-3, 1.0, 50.0, 250.0,
                       1e6])


class TestAnalyze:
    @_FUZZ
    @given(rr=_arrays, unit=st.sampled_from([None, "ms", "s", "auto"]))
    def test_analyze_intervals(self, rr: np.ndarray, unit: str | None) -> None:
        out = _only_hrv_errors(lambda: hrv.analyze_intervals(rr, unit=unit))
        assert out is None or isinstance(out, hrv.Analysis)

    @_FUZZ
    @given(t=_arrays)
    def test_analyze_beat_times(self, t: np.ndarray) -> None:
        beats = np.cumsum(np.abs(t) / 1000.0) if len(t) and np.isfinite(t).all() else t
        out = _only_hrv_errors(lambda: hrv.analyze_beat_times(beats))
        assert out is None or isinstance(out, hrv.Analysis)

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(x=st.one_of(_arrays, st.builds(
               lambda n, seed: np.random.default_rng(seed).normal(size=n),
               st.integers(0, 20_000), st.integers(0, 9))),
           fs=_fs, kind=st.sampled_from(["ecg", "ppg", "rr", "x", None]))
    def test_analyze_waveform(self, x: np.ndarray, fs: float | None, kind: str | None) -> None:
        out = _only_hrv_errors(lambda: hrv.analyze(x, fs, kind))
        assert out is None or isinstance(out, hrv.Analysis)

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=_edf_inputs)
    def test_analyze_recording_of_fuzzed_files(self, data: bytes) -> None:
        pytest.importorskip("edfio")
        rec = _only_hrv_errors(lambda: read_recording(data, "edf"))
        if isinstance(rec, Recording):
            out = _only_hrv_errors(lambda: hrv.analyze_recording(rec))
            assert out is None or isinstance(out, hrv.Analysis)
