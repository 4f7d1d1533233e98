"""Readers on the real recordings in shared/data (EDF, WFDB, Polar, Welltory).

Truth comes from an independent source: the WFDB original of the EDF excerpt, the
``.atr`` reference annotations, the ``Length`` the Polar watch wrote in its header, the
chest-strap RR series recorded alongside the phone PPG.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from hrv.errors import FormatError, InvalidInputError
from hrv.io import FileFormat, read_recording
from hrv.types import SignalKind
from tests.hrv.io._paths import SHARED, needs_shared

pytestmark = needs_shared
wfdb = pytest.importorskip("wfdb")
BEATS = set("NLRBAaJSVrFejnE/fQ?")


class TestEdf:
    def test_matches_the_wfdb_original(self) -> None:
        rec = read_recording(SHARED / "edf" / "mitdb101_first5min.edf")
        assert rec.format is FileFormat.EDF and rec.kind is SignalKind.ECG
        assert rec.metadata["channel"] == "ECG MLII"  # chosen by label, lead II first
        orig = wfdb.rdrecord(str(SHARED / "mitdb" / "101"), sampto=300 * 360, channels=[0])
        assert rec.signal is not None and rec.signal.fs_hz == 360.0
        assert rec.signal.unit == "mV" and len(rec.signal.samples) == 300 * 360
        # MIT-BIH stores 200 ADC units/mV; EDF re-quantises to 16 bits over the
        # channel's physical range: agreement to one MIT-BIH unit (5 µV).
        np.testing.assert_allclose(rec.signal.samples, orig.p_signal[:, 0], atol=0.005)

    def test_beat_annotations_match_atr(self) -> None:
        rec = read_recording(SHARED / "edf" / "mitdb101_first5min.edf")
        ann = wfdb.rdann(str(SHARED / "mitdb" / "101"), "atr", sampto=300 * 360)
        keep = [s in BEATS for s in ann.symbol]
        truth = np.asarray(ann.sample)[keep] / 360.0
        got = np.asarray(rec.metadata["reference_beats_s"])
        assert len(got) == len(truth)
        np.testing.assert_allclose(got, truth, atol=1.0 / 360.0)  # one sample

    def test_channel_by_name_and_number(self) -> None:
        data = (SHARED / "edf" / "mitdb101_first5min.edf").read_bytes()
        assert read_recording(data, "edf", channel="ECG V1").metadata["channel"] == "ECG V1"
        assert read_recording(data, channel="2").metadata["channel"] == "ECG V1"
        with pytest.raises(InvalidInputError, match="ECG MLII"):
            read_recording(data, "edf", channel="Pleth")

    def test_truncated_header_is_format_error(self) -> None:
        data = (SHARED / "edf" / "mitdb101_first5min.edf").read_bytes()
        with pytest.raises(FormatError):
            read_recording(data[:300], "edf")


class TestWfdb:
    def test_record_path_chooses_lead_ii(self) -> None:
        rec = read_recording(SHARED / "challenge2015" / "a103l")
        assert rec.format is FileFormat.WFDB and rec.metadata["channel"] == "II"
        assert rec.signal is not None and rec.signal.fs_hz == 250.0
        assert len(rec.signal.samples) == 82500  # from the header: 5.5 min at 250 Hz

    def test_ppg_channel_by_kind(self) -> None:
        rec = read_recording(str(SHARED / "challenge2015" / "a103l"), kind="ppg")
        assert rec.kind is SignalKind.PPG and rec.metadata["channel"] == "PLETH"

    def test_zip_equals_path_and_carries_annotations(self) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for ext in ("hea", "dat", "atr"):
                zf.write(SHARED / "svdb" / f"800.{ext}", f"svdb/800.{ext}")
        from_zip = read_recording(buf.getvalue(), filename="800.zip")
        from_path = read_recording(SHARED / "svdb" / "800")
        assert from_zip.format is FileFormat.WFDB and from_zip.signal is not None
        assert from_path.signal is not None and from_zip.signal.fs_hz == 128.0
        np.testing.assert_array_equal(from_zip.signal.samples, from_path.signal.samples)
        ann = wfdb.rdann(str(SHARED / "svdb" / "800"), "atr")
        n_beats = sum(s in BEATS for s in ann.symbol)
        assert len(from_zip.metadata["reference_beats_s"]) == n_beats

    def test_rr_from_annotations(self) -> None:
        rec = read_recording(SHARED / "mitdb" / "101", kind="rr")
        ann = wfdb.rdann(str(SHARED / "mitdb" / "101"), "atr")
        samples = np.asarray(ann.sample)[[s in BEATS for s in ann.symbol]]
        assert rec.kind is SignalKind.RR and rec.rr_ms is not None
        np.testing.assert_allclose(rec.rr_ms, np.diff(samples) / 360.0 * 1000.0)
        assert rec.gap_flags is not None and 0 < rec.gap_flags.sum() < 20  # a few non-N beats

    def test_annotation_only_record_is_rr(self) -> None:
        rec = read_recording(SHARED / "nsr2db" / "nsr001")
        assert rec.kind is SignalKind.RR and rec.rr_ms is not None
        # Normal sinus rhythm, ~24 h: mean RR of a healthy adult, ~22 h of beats.
        assert 600 < float(np.median(rec.rr_ms)) < 1100
        assert 18 * 3600 < rec.duration_s < 26 * 3600

    def test_zip_without_header(self) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("800.dat", b"\x00" * 30)
        with pytest.raises(FormatError, match=r"\.hea"):
            read_recording(buf.getvalue(), "wfdb")

    def test_header_alone_is_explained(self) -> None:
        with pytest.raises(FormatError, match="zip"):
            read_recording((SHARED / "svdb" / "800.hea").read_bytes(), "wfdb")


class TestPolarHrm:
    def test_small_file_values(self) -> None:
        rec = read_recording(SHARED / "polar" / "test_file_2.hrm")
        assert rec.format is FileFormat.POLAR_HRM
        np.testing.assert_array_equal(rec.rr_ms, [800, 810, 815, 750])  # the [HRData] rows
        assert rec.metadata["start_time"] == "2008-02-09T09:28:17.0"
        assert "weight" not in {k.lower() for k in rec.metadata}

    @pytest.mark.parametrize("name", ["exercise_rri.hrm", "noisy_rri.hrm"])
    def test_duration_matches_header_length(self, name: str) -> None:
        rec = read_recording(SHARED / "polar" / name)
        text = (SHARED / "polar" / name).read_text()
        h, m, s = text.split("Length=")[1].split()[0].split(":")
        length_s = int(h) * 3600 + int(m) * 60 + float(s)
        # The watch's Length is the recording time; the RR sum may differ by the time
        # before the first beat and after the last one (< 2 s).
        assert rec.duration_s == pytest.approx(length_s, abs=2.0)

    def test_heart_rate_mode_is_unsupported(self) -> None:
        text = (
            (SHARED / "polar" / "test_file_2.hrm").read_text().replace("Interval=238", "Interval=5")
        )
        from hrv.errors import UnsupportedFormatError

        with pytest.raises(UnsupportedFormatError, match="238"):
            read_recording(text.encode(), "polar_hrm")


class TestRrTextFiles:
    def test_zero_interval_is_flagged(self) -> None:
        rec = read_recording(SHARED / "polar" / "real_rri.txt")
        values = [float(x) for x in (SHARED / "polar" / "real_rri.txt").read_text().split()]
        assert rec.format is FileFormat.RR_TEXT
        np.testing.assert_array_equal(rec.rr_ms, values)
        assert rec.gap_flags is not None
        np.testing.assert_array_equal(rec.gap_flags, np.array(values) <= 0)


class TestWelltory:
    def test_phone_ppg_matches_chest_strap_duration(self) -> None:
        rec = read_recording(SHARED / "welltory" / "subject_01" / "PPG.csv")
        rr = read_recording(SHARED / "welltory" / "subject_01" / "RR.txt")
        assert rec.format is FileFormat.PHONE_PPG_CSV and rec.kind is SignalKind.PPG
        assert rec.sample_times_s is not None and rec.signal is not None
        assert len(rec.sample_times_s) == len(rec.signal.samples) == 3155
        assert rec.sample_times_s[-1] == pytest.approx(111.609)
        # ~30 frames/s camera; the Polar H10 series covers the same minute and a half.
        assert 25 < rec.signal.fs_hz < 35
        assert rr.format is FileFormat.RR_TEXT
        assert rr.duration_s == pytest.approx(rec.duration_s, abs=10.0)

    def test_green_channel(self) -> None:
        rec = read_recording(SHARED / "welltory" / "subject_05" / "PPG.csv", channel="G")
        # The reader negates the camera channel so that pulses point up (see phone.py).
        assert rec.signal is not None and rec.signal.samples[0] == pytest.approx(-44.459)
