"""Format recognition from content and file name."""

from __future__ import annotations

import pytest

from hrv.errors import UnsupportedFormatError
from hrv.io import FileFormat, read_recording, sniff_format
from tests.hrv.io._paths import FORMATS, SHARED, needs_shared

SAMPLES = {
    "apple_health_ecg.csv": FileFormat.APPLE_HEALTH_ECG,
    "polar_sensor_logger_ecg.txt": FileFormat.POLAR_SENSOR_LOGGER_ECG,
    "polar_sensor_logger_rr.txt": FileFormat.POLAR_SENSOR_LOGGER_RR,
    "polar_h10_notifications.txt": FileFormat.POLAR_H10_RR,
    "empatica_IBI.csv": FileFormat.EMPATICA_IBI,
    "empatica_BVP.csv": FileFormat.EMPATICA_BVP,
    "oura_ibi.json": FileFormat.OURA_IBI,
    "generic_semicolon_decimal_comma.csv": FileFormat.CSV,
    "generic_single_column.csv": FileFormat.CSV,
    "generic_rr_with_time.csv": FileFormat.CSV,
}
REAL = {
    "edf/mitdb101_first5min.edf": FileFormat.EDF,
    "polar/exercise_rri.hrm": FileFormat.POLAR_HRM,
    "polar/rest_rri.txt": FileFormat.RR_TEXT,
    "polar/08012805.txt": FileFormat.RR_TEXT,
    "welltory/subject_02/PPG.csv": FileFormat.PHONE_PPG_CSV,
    "welltory/subject_02/RR.txt": FileFormat.RR_TEXT,
}


class TestSniff:
    @pytest.mark.parametrize(("name", "fmt"), sorted(SAMPLES.items()))
    def test_samples_without_name(self, name: str, fmt: FileFormat) -> None:
        assert sniff_format((FORMATS / name).read_bytes()) is fmt

    @needs_shared
    @pytest.mark.parametrize(("rel", "fmt"), sorted(REAL.items()))
    def test_real_files_without_name(self, rel: str, fmt: FileFormat) -> None:
        assert sniff_format((SHARED / rel).read_bytes()) is fmt

    def test_name_settles_e4_signal(self) -> None:
        data = b"1709285400.000000\n4.000000\n0.1\n0.2\n"
        with pytest.raises(UnsupportedFormatError, match="EDA"):
            sniff_format(data, "EDA.csv")
        assert sniff_format(data, "BVP.csv") is FileFormat.EMPATICA_BVP

    def test_binary_is_unsupported_and_lists_formats(self) -> None:
        with pytest.raises(UnsupportedFormatError, match="polar_hrm") as exc:
            sniff_format(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        assert "apple_health_ecg" in str(exc.value)

    def test_zip_without_wfdb(self) -> None:
        with pytest.raises(UnsupportedFormatError, match="WFDB"):
            sniff_format(b"PK\x05\x06" + b"\x00" * 18)

    def test_empty(self) -> None:
        with pytest.raises(UnsupportedFormatError):
            read_recording(b"")

    def test_plain_ticks_read_as_ms_unless_named(self) -> None:
        data = (FORMATS / "polar_h10_rr_ticks.txt").read_bytes()
        assert sniff_format(data) is FileFormat.RR_TEXT
        assert read_recording(data, "polar_h10_rr").format is FileFormat.POLAR_H10_RR
