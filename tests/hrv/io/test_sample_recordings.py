"""Every file of sample_recordings/ reads with its format sniffed, as the demo loads it."""

from __future__ import annotations

import pytest

from hrv.io import FileFormat, read_recording
from hrv.types import SignalKind
from tests.hrv.io._paths import ROOT

SAMPLES = ROOT / "sample_recordings"
EXPECTED = {
    "mitdb101": (FileFormat.EDF, SignalKind.ECG, 300.0),
    "nsr001": (FileFormat.RR_TEXT, SignalKind.RR, 300.0),
    "polar_exercise": (FileFormat.POLAR_HRM, SignalKind.RR, 300.0),
    "welltory_subject16": (FileFormat.PHONE_PPG_CSV, SignalKind.PPG, 47.3),
    "bidmc01": (FileFormat.CSV, SignalKind.ECG, 240.0),
}


class TestSampleRecordings:
    @pytest.mark.parametrize("phase", ["pre", "post"])
    @pytest.mark.parametrize("stem", sorted(EXPECTED))
    def test_reads_as_documented(self, stem: str, phase: str) -> None:
        (path,) = SAMPLES.glob(f"{stem}_{phase}.*")
        fmt, kind, duration_s = EXPECTED[stem]
        rec = read_recording(path)
        assert rec.format is fmt and rec.kind is kind
        # Windows were cut to these lengths; RR windows end on a beat (< 1.5 s off).
        assert rec.duration_s == pytest.approx(duration_s, abs=1.5)

    def test_bidmc_ppg_channel(self) -> None:
        rec = read_recording(SAMPLES / "bidmc01_pre.csv", kind="ppg")
        assert rec.kind is SignalKind.PPG and rec.metadata["channel"] == "PLETH"
        assert rec.signal is not None and rec.signal.fs_hz == pytest.approx(125.0)

    def test_total_size_is_small(self) -> None:
        total = sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file())
        assert total < 3 * 1024 * 1024
