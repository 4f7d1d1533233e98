"""Readers of wearable exports, on the sample files written by tests/data/formats/make_samples.py.

Expected values come from the generator's definitions (``truth_*``), not from a reader.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

from hrv.errors import FormatError, InvalidInputError, UnsupportedFormatError
from hrv.io import FileFormat, read_recording
from hrv.types import SignalKind
from tests.hrv.io._paths import FORMATS


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_samples", FORMATS / "make_samples.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = mod
    spec.loader.exec_module(mod)
    return mod


gen = _load_generator()


def _read(name: str, fmt: str | None = None, **kw: object) -> object:
    return read_recording((FORMATS / name).read_bytes(), fmt, filename=name, **kw)  # type: ignore[arg-type]


class TestAppleHealthEcg:
    def test_samples_rate_and_unit(self) -> None:
        rec = read_recording(FORMATS / "apple_health_ecg.csv")
        ecg, _ = gen.truth_ecg(512.0, 30.0, 900.0)
        assert rec.format is FileFormat.APPLE_HEALTH_ECG and rec.kind is SignalKind.ECG
        assert rec.signal is not None and rec.signal.fs_hz == 512.0 and rec.signal.unit == "uV"
        # Written with 3 decimals: rounding error is at most 0.0005 µV.
        np.testing.assert_allclose(rec.signal.samples, ecg, atol=5.1e-4)

    def test_personal_data_never_returned(self) -> None:
        rec = read_recording(FORMATS / "apple_health_ecg.csv")
        flat = json.dumps(dict(rec.metadata), default=str)
        assert "Jane" not in flat and "1988" not in flat and "Feb 29" not in flat
        assert rec.metadata["classification"] == "Sinus Rhythm"
        assert rec.metadata["start_time"] == "2024-03-01T09:30:00+01:00"
        assert rec.metadata["lead"] == "Lead I"

    def test_decimal_comma_and_other_rate(self) -> None:
        text = "Name,X\nSample Rate,256 hertz\nUnit,µV\n\n" + "\n".join(
            f'"{v},5"' for v in range(-3, 300)
        )
        rec = read_recording(text.encode(), "apple_health_ecg")
        assert rec.signal is not None and rec.signal.fs_hz == 256.0
        assert rec.signal.samples[0] == -3.5 and rec.signal.samples[-1] == 299.5

    def test_bad_sample_names_line(self) -> None:
        lines = (FORMATS / "apple_health_ecg.csv").read_text(encoding="utf-8").splitlines()
        lines[100] = "12.5x"
        with pytest.raises(FormatError) as exc:
            read_recording("\n".join(lines).encode(), "apple_health_ecg")
        assert exc.value.line == 101


class TestPolarSensorLogger:
    def test_ecg(self) -> None:
        rec = read_recording(FORMATS / "polar_sensor_logger_ecg.txt")
        ecg, _ = gen.truth_ecg(130.0, 20.0, 1200.0)
        assert rec.format is FileFormat.POLAR_SENSOR_LOGGER_ECG and rec.signal is not None
        # Sensor clock period 7 692 308 ns -> 129.99999 Hz; 1e-3 Hz is far below jitter.
        assert rec.signal.fs_hz == pytest.approx(1e9 / 7_692_308, abs=1e-3)
        np.testing.assert_allclose(rec.signal.samples, np.round(ecg), atol=0)
        assert rec.signal.unit == "uV" and rec.sample_times_s is None
        assert rec.metadata["start_time"].startswith("2024-03-01T09:30:00")

    def test_ecg_lost_packet_gives_sample_times(self) -> None:
        lines = (FORMATS / "polar_sensor_logger_ecg.txt").read_text().splitlines()
        del lines[200:273]  # one BLE packet of 73 samples lost
        rec = read_recording("\n".join(lines).encode(), "polar_sensor_logger_ecg")
        assert rec.sample_times_s is not None and rec.metadata["lost_sample_gaps"] == 1
        jump = np.diff(rec.sample_times_s).max()
        assert jump == pytest.approx(74 * 7_692_308e-9, abs=1e-6)

    def test_rr(self) -> None:
        rec = read_recording(FORMATS / "polar_sensor_logger_rr.txt")
        assert rec.format is FileFormat.POLAR_SENSOR_LOGGER_RR
        np.testing.assert_array_equal(rec.rr_ms, gen.truth_rr_ms())
        assert rec.gap_flags is not None and not rec.gap_flags.any()

    def test_rr_phone_clock_jump_is_a_gap(self) -> None:
        lines = (FORMATS / "polar_sensor_logger_rr.txt").read_text().splitlines()
        del lines[31:41]  # ten intervals (~8.5 s) never arrived
        rec = read_recording("\n".join(lines).encode(), "polar_sensor_logger_rr")
        assert rec.gap_flags is not None and list(np.flatnonzero(rec.gap_flags)) == [30]
        # Beat times follow the phone clock across the hole: true time of beat 40.
        truth = np.cumsum(gen.truth_rr_ms()) / 1000.0
        assert rec.beat_times_s is not None
        assert rec.beat_times_s[30] == pytest.approx(truth[40], abs=0.01)

    def test_bad_timestamp_names_line_and_column(self) -> None:
        lines = (FORMATS / "polar_sensor_logger_rr.txt").read_text().splitlines()
        lines[5] = "yesterday;900"
        with pytest.raises(FormatError) as exc:
            read_recording("\n".join(lines).encode(), "polar_sensor_logger_rr")
        assert exc.value.line == 6 and exc.value.column is not None
        assert exc.value.column.startswith("1")


class TestPolarH10:
    def test_ticks(self) -> None:
        rec = _read("polar_h10_rr_ticks.txt", "polar_h10_rr")
        ticks = np.round(np.array(gen.truth_rr_ms()) * 1024 / 1000)
        np.testing.assert_allclose(rec.rr_ms, ticks * 1000 / 1024)  # type: ignore[attr-defined]
        # 1/1024 s quantisation: within 0.5 tick (0.49 ms) of the true intervals.
        np.testing.assert_allclose(rec.rr_ms, gen.truth_rr_ms(), atol=0.49)  # type: ignore[attr-defined]

    def test_notifications(self) -> None:
        rec = read_recording(FORMATS / "polar_h10_notifications.txt")
        assert rec.format is FileFormat.POLAR_H10_RR
        np.testing.assert_allclose(rec.rr_ms, gen.truth_rr_ms(), atol=0.49)

    def test_uint16_heart_rate_and_energy_fields(self) -> None:
        # flags 0x19: HR uint16, energy expended present, RR present.
        line = "(0x) 19-46-00-10-00-00-04-00-02"
        rec = read_recording(f"value: {line}\n".encode(), "polar_h10_rr")
        np.testing.assert_allclose(rec.rr_ms, [1000.0, 500.0])

    def test_truncated_notification(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b"10-46-66-03\n10-46-66\n", "polar_h10_rr")
        assert exc.value.line == 2


class TestEmpatica:
    def test_ibi_and_gaps(self) -> None:
        rec = read_recording(FORMATS / "empatica_IBI.csv")
        ts, ibis, gaps = gen.truth_e4_ibi()
        assert rec.format is FileFormat.EMPATICA_IBI
        np.testing.assert_allclose(rec.rr_ms, np.array(ibis) * 1000.0, atol=1e-6)
        np.testing.assert_allclose(rec.beat_times_s, ts, atol=1e-6)
        assert rec.gap_flags is not None and list(np.flatnonzero(rec.gap_flags)) == gaps
        assert rec.metadata["start_time"] == "2024-03-01T09:30:00+00:00"
        iv = rec.intervals()
        assert len(iv) == len(ibis) - len(gaps) and iv.n_gaps == len(gaps)

    def test_bvp(self) -> None:
        rec = read_recording(FORMATS / "empatica_BVP.csv")
        assert rec.kind is SignalKind.PPG and rec.signal is not None
        assert rec.signal.fs_hz == 64.0 and len(rec.signal.samples) == 64 * 20

    def test_bad_first_line(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b"hello, IBI\n1.0,0.8\n", "empatica_ibi")
        assert exc.value.line == 1


class TestOura:
    def test_validity_and_time_gap(self) -> None:
        rec = read_recording(FORMATS / "oura_ibi.json")
        assert rec.format is FileFormat.OURA_IBI
        np.testing.assert_array_equal(rec.rr_ms, gen.truth_rr_ms(40))
        assert rec.gap_flags is not None
        assert list(np.flatnonzero(rec.gap_flags)) == [10, 11, 25]
        assert rec.beat_times_s is not None and rec.beat_times_s[0] == pytest.approx(0.85)

    def test_bare_list_without_times(self) -> None:
        rec = read_recording(b'[{"ibi": 800, "validity": 1}, {"ibi": 810, "validity": 2}]')
        np.testing.assert_array_equal(rec.rr_ms, [800, 810])
        assert list(rec.gap_flags) == [False, True]  # type: ignore[arg-type]

    def test_invalid_json_names_line_and_column(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b'{"ibi": [\n  {"ibi": 800,}\n]}', "oura_ibi")
        assert exc.value.line == 2 and exc.value.column == "15"

    def test_bad_item(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b'{"ibi": [{"ibi": 800}, {"ibi": "x"}]}', "oura_ibi")
        assert exc.value.column == "ibi[1]"


class TestGenericCsv:
    def test_semicolon_decimal_comma_time_column(self) -> None:
        rec = read_recording(FORMATS / "generic_semicolon_decimal_comma.csv", "csv")
        ecg, _ = gen.truth_ecg(250.0, 10.0, 1.0)
        assert rec.kind is SignalKind.ECG and rec.signal is not None
        assert rec.signal.fs_hz == pytest.approx(250.0)  # 4 ms steps from "Zeit [ms]"
        np.testing.assert_allclose(rec.signal.samples, ecg, atol=5.1e-5)  # 4 decimals

    def test_single_column_needs_kind_and_rate(self) -> None:
        with pytest.raises(InvalidInputError, match="kind"):
            read_recording(FORMATS / "generic_single_column.csv", "csv")
        rec = read_recording(FORMATS / "generic_single_column.csv", "csv", kind="ecg", fs_hz=250)
        assert rec.signal is not None and rec.signal.duration_s == pytest.approx(10.0)

    def test_rr_with_time(self) -> None:
        rec = read_recording(FORMATS / "generic_rr_with_time.csv")
        assert rec.format is FileFormat.CSV and rec.kind is SignalKind.RR
        np.testing.assert_array_equal(rec.rr_ms, gen.truth_rr_ms(30))
        np.testing.assert_allclose(
            rec.beat_times_s, np.cumsum(gen.truth_rr_ms(30)) / 1000, atol=1e-3
        )

    def test_choose_column_and_uneven_time(self) -> None:
        text = "t_ms,ppg,ecg\n0,1,5\n10,2,6\n25,3,7\n30,4,8\n50,5,9\n"
        rec = read_recording(text.encode(), "csv", channel="ecg")
        assert rec.kind is SignalKind.ECG and rec.signal is not None
        np.testing.assert_array_equal(rec.signal.samples, [5, 6, 7, 8, 9])
        np.testing.assert_allclose(rec.sample_times_s, [0, 0.01, 0.025, 0.03, 0.05])  # type: ignore[arg-type]
        rec = read_recording(text.encode(), "csv", kind="ppg")
        assert rec.signal is not None and rec.signal.samples[0] == 1

    def test_wrong_field_count(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b"a,b\n1,2\n3\n5,6\n", "csv", kind="ecg", fs_hz=100)
        assert exc.value.line == 3

    def test_non_number_names_column(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b"time;ecg\n0;1,5\n0,01;abc\n", "csv")
        assert exc.value.line == 3 and exc.value.column == "2 (ecg)"

    def test_unknown_channel_lists_columns(self) -> None:
        with pytest.raises(InvalidInputError, match="'time'"):
            read_recording(b"time,ecg\n0,1\n1,2\n", "csv", channel="ppg")


class TestRrText:
    def test_seconds_with_header(self) -> None:
        rec = read_recording(b"RR (s)\n0.812\n0.799\n0.830\n", "rr_text")
        np.testing.assert_allclose(rec.rr_ms, [812, 799, 830])
        assert rec.metadata["source_unit"] == "s"

    def test_decimal_comma_seconds(self) -> None:
        rec = read_recording(b"0,812\n0,799\n")
        assert rec.format is FileFormat.RR_TEXT
        np.testing.assert_allclose(rec.rr_ms, [812, 799])

    def test_bad_value_names_line(self) -> None:
        with pytest.raises(FormatError) as exc:
            read_recording(b"800\n810\n8l0\n", "rr_text")
        assert exc.value.line == 3 and exc.value.column == "1"


class TestFormatNames:
    def test_unknown_format_lists_valid(self) -> None:
        with pytest.raises(UnsupportedFormatError, match="polar_hrm"):
            read_recording(b"1\n", "garmin_fit")

    def test_unknown_kind_lists_valid(self) -> None:
        with pytest.raises(InvalidInputError, match="ecg, ppg, rr"):
            read_recording(b"1\n", "csv", kind="eeg")
