"""FIT beat intervals, gzip-compressed files, and CSV exports whose time column is rounded."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import hrv
from hrv.errors import FormatError, TooLargeError
from hrv.io import FileFormat, read_recording, sniff_format

ROOT = Path(__file__).resolve().parents[3]
FORMATS = ROOT / "tests" / "data" / "formats"
FIT = FORMATS / "garmin_hrv.fit"
BIDMC = Path("/work/shared/data/bidmc/bidmc_01_Signals.csv.gz")
SAMPLES = ROOT / "sample_recordings"


def _fit_bytes(times: list[list[float | None]]) -> bytes:
    """A small FIT file with the given ``hrv`` messages, by fit-tool's writer."""
    pytest.importorskip("fit_tool")
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.hrv_message import HrvMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer

    b = FitFileBuilder(auto_define=True)
    m = FileIdMessage()
    m.type = FileType.ACTIVITY
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = 1
    m.time_created = 1_700_000_000_000
    b.add(m)
    for t in times:
        h = HrvMessage()
        h.time = t
        b.add(h)
    return b.build().to_bytes()


class TestFit:
    def test_garmin_activity_file(self) -> None:
        pytest.importorskip("fit_tool")
        expected = np.loadtxt(FORMATS / "garmin_hrv_expected_rr_ms.txt")
        data = FIT.read_bytes()
        assert sniff_format(data) is FileFormat.FIT
        rec = read_recording(data)
        assert rec.format is FileFormat.FIT and rec.kind is hrv.types.SignalKind.RR
        assert rec.rr_ms is not None and rec.gap_flags is not None
        np.testing.assert_allclose(rec.rr_ms, expected, atol=1e-9)
        assert not rec.gap_flags.any()  # the padding of the last message is no gap
        assert rec.metadata["device"] == "garmin product 3113"
        assert rec.metadata["start_time"] == "2026-03-14T07:30:00+00:00"
        a = hrv.analyze_recording(rec)
        assert a.metrics.mean_nn_ms == pytest.approx(expected.mean(), rel=0.01)

    def test_by_name(self) -> None:
        assert sniff_format(b"whatever", "activity.FIT") is FileFormat.FIT

    def test_invalid_value_inside_marks_a_gap(self) -> None:
        data = _fit_bytes([[0.8, 0.81, 0.82, 0.83, 0.84], [0.85, None, 0.86, 0.87, 0.88]])
        rec = read_recording(data, "fit")
        np.testing.assert_allclose(rec.rr_ms, [800, 810, 820, 830, 840, 850, 860, 870, 880])
        assert rec.gap_flags is not None
        assert list(np.flatnonzero(rec.gap_flags)) == [6]
        assert rec.metadata["warnings"][0].code == "device_dropped_beats"

    def test_no_hrv_messages(self) -> None:
        with pytest.raises(FormatError, match="no beat intervals"):
            read_recording(_fit_bytes([]), "fit")

    def test_damaged_file(self) -> None:
        pytest.importorskip("fit_tool")
        data = bytearray(FIT.read_bytes())
        data[200] ^= 0xFF  # the CRC no longer matches
        with pytest.raises(FormatError):
            read_recording(bytes(data))
        with pytest.raises(FormatError):
            read_recording(FIT.read_bytes()[:100])

    def test_interval_limit(self) -> None:
        pytest.importorskip("fit_tool")
        with pytest.raises(TooLargeError):
            read_recording(FIT.read_bytes(), max_samples=100)


class TestGzip:
    def test_rr_text(self, tmp_path: Path) -> None:
        plain = (SAMPLES / "nsr001_pre.txt").read_bytes()
        gz = tmp_path / "nsr001_pre.txt.gz"
        gz.write_bytes(gzip.compress(plain))
        a, b = read_recording(plain), read_recording(gz)
        assert a.format is b.format
        np.testing.assert_array_equal(a.rr_ms, b.rr_ms)

    def test_edf(self, tmp_path: Path) -> None:
        pytest.importorskip("edfio")
        plain = SAMPLES / "mitdb101_pre.edf"
        gz = tmp_path / "x.edf.gz"
        gz.write_bytes(gzip.compress(plain.read_bytes()))
        a, b = read_recording(plain), read_recording(gz)
        assert b.format is FileFormat.EDF
        assert a.signal is not None and b.signal is not None
        np.testing.assert_array_equal(a.signal.samples, b.signal.samples)

    def test_several_members(self) -> None:
        data = gzip.compress(b"800\n810\n") + gzip.compress(b"820\n830\n" * 50)
        rec = read_recording(data, "rr_text")
        assert rec.rr_ms is not None and len(rec.rr_ms) == 102

    def test_expansion_limit(self) -> None:
        bomb = gzip.compress(b"800\n" * 2_000_000)  # 8 MB from a few kB
        with pytest.raises(TooLargeError):
            read_recording(bomb, max_samples=1000)

    def test_truncated(self) -> None:
        data = gzip.compress(b"800\n810\n" * 1000)
        with pytest.raises(FormatError):
            read_recording(data[: len(data) // 2])


class TestRoundedTimeColumn:
    def _rounded_csv(self, fs_hz: float, n: int) -> bytes:
        t = np.arange(n) / fs_hz
        ecg = np.sin(2 * np.pi * 1.2 * t)
        # As PhysioNet's exports: times to 2 decimals (they repeat at 125 Hz).
        rows = "".join(f"{round(ti, 2):g},{v:.5f}\n" for ti, v in zip(t, ecg, strict=True))
        return ("Time [s], II\n" + rows).encode()

    def test_declared_rate_wins_when_consistent(self) -> None:
        data = self._rounded_csv(125.0, 20_000)
        with pytest.raises(FormatError, match="time does not increase"):
            read_recording(data, "csv", kind="ecg")
        rec = read_recording(data, "csv", kind="ecg", fs_hz=125)
        assert rec.signal is not None and rec.signal.fs_hz == 125.0
        assert rec.sample_times_s is None and len(rec.signal.samples) == 20_000

    def test_inconsistent_rate_is_refused(self) -> None:
        data = self._rounded_csv(125.0, 20_000)
        with pytest.raises(FormatError, match="disagrees with the declared sampling rate"):
            read_recording(data, "csv", kind="ecg", fs_hz=128)

    @pytest.mark.skipif(not BIDMC.exists(), reason="shared BIDMC data not present")
    def test_bidmc_export(self) -> None:
        rec = read_recording(BIDMC, kind="ecg", channel="II", fs_hz=125)
        assert rec.signal is not None
        assert rec.signal.fs_hz == 125.0 and len(rec.signal.samples) == 60_001
        assert rec.metadata["channel"] == "II"
