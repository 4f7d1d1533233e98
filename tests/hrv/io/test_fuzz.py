"""Hostile bytes: every reader returns a Recording or raises HRVError, nothing else.

For each format, hypothesis feeds random bytes, truncations of a valid file and valid
files with random bytes overwritten, both with the format named and sniffed.
"""

from __future__ import annotations

import functools
import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrv.errors import HRVError
from hrv.io import FileFormat, Recording, read_recording
from tests.hrv.io._paths import FORMATS, SHARED

_TEXT_SEEDS = {
    FileFormat.CSV: "generic_semicolon_decimal_comma.csv",
    FileFormat.POLAR_H10_RR: "polar_h10_notifications.txt",
    FileFormat.POLAR_SENSOR_LOGGER_RR: "polar_sensor_logger_rr.txt",
    FileFormat.POLAR_SENSOR_LOGGER_ECG: "polar_sensor_logger_ecg.txt",
    FileFormat.APPLE_HEALTH_ECG: "apple_health_ecg.csv",
    FileFormat.EMPATICA_IBI: "empatica_IBI.csv",
    FileFormat.EMPATICA_BVP: "empatica_BVP.csv",
    FileFormat.OURA_IBI: "oura_ibi.json",
    FileFormat.RR_TEXT: "generic_rr_with_time.csv",
}
_HRM = b"""[Params]
Version=106
Monitor=13
SMode=000000000
Date=20080209
StartTime=09:28:17.0
Length=00:00:03.2
Interval=238

[Note]
a note

[HRData]
800
810
815
750
"""
_PPG = b"time,R,G,B\n0,252.65,0.0,0.012\n39,252.556,0.0,0.014\n62,252.228,0.0,0.014\n"


@functools.cache
def _wfdb_zip() -> bytes:
    wfdb = pytest.importorskip("wfdb")
    t = np.arange(500) / 100.0
    sig = np.column_stack([np.sin(2 * np.pi * 1.2 * t), np.cos(2 * np.pi * 1.2 * t)])
    with tempfile.TemporaryDirectory() as tmp:
        wfdb.wrsamp("rec", fs=100, units=["mV", "mV"], sig_name=["II", "PLETH"],
                    p_signal=sig, fmt=["16", "16"], write_dir=tmp)  # fmt: skip
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for p in Path(tmp).iterdir():
                zf.write(p, p.name)
    return buf.getvalue()


@functools.cache
def _seed(fmt: FileFormat) -> bytes:
    if fmt is FileFormat.POLAR_HRM:
        return _HRM
    if fmt is FileFormat.PHONE_PPG_CSV:
        return _PPG
    if fmt is FileFormat.WFDB:
        return _wfdb_zip()
    if fmt is FileFormat.FIT:
        return (FORMATS / "garmin_hrv.fit").read_bytes()
    if fmt is FileFormat.EDF:
        path = SHARED / "edf" / "mitdb101_first5min.edf"
        if not path.is_file():
            pytest.skip(f"shared EDF not found at {path}")
        data = path.read_bytes()
        return data[: 256 * 4 + 360 * 2 * 2 * 20]  # header + the first data records
    text = (FORMATS / _TEXT_SEEDS[fmt]).read_bytes()
    return text[: text.rfind(b"\n", 0, 4000) + 1]  # whole lines only


def _check(data: bytes, fmt: FileFormat | None) -> None:
    try:
        rec = read_recording(data, fmt)
    except HRVError:
        return
    assert isinstance(rec, Recording)


@st.composite
def _hostile(draw: st.DrawFn, seed: bytes) -> bytes:
    how = draw(st.sampled_from(["random", "truncate", "mutate"]))
    if how == "random":
        return draw(st.binary(max_size=600))
    if how == "truncate":
        return seed[: draw(st.integers(0, len(seed)))]
    out = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(out) - 1))
        out[pos] = draw(st.integers(0, 255))
    return bytes(out)


@pytest.mark.parametrize("fmt", list(FileFormat), ids=str)
class TestHostileBytes:
    def test_seed_is_valid(self, fmt: FileFormat) -> None:
        assert isinstance(read_recording(_seed(fmt), fmt), Recording)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_named_format(self, fmt: FileFormat, data: st.DataObject) -> None:
        _check(data.draw(_hostile(_seed(fmt))), fmt)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_sniffed_format(self, fmt: FileFormat, data: st.DataObject) -> None:
        _check(data.draw(_hostile(_seed(fmt))), None)
