"""Sampling-rate limits are declared once in hrv.config and every check reads them."""

from __future__ import annotations

import numpy as np
import pytest

import hrv
from hrv.config import ECG_SAMPLING_RATE_HZ, PPG_SAMPLING_RATE_HZ, SAMPLING_RATE_HZ
from hrv.detect import _ppg_input
from hrv.detect import ecg as ecg_module


class TestRateRange:
    def test_membership(self) -> None:
        assert 250.0 in SAMPLING_RATE_HZ
        assert 5.0 not in SAMPLING_RATE_HZ
        assert float("nan") not in SAMPLING_RATE_HZ
        assert True not in SAMPLING_RATE_HZ
        assert "250" not in SAMPLING_RATE_HZ

    def test_check_says_range_and_reason(self) -> None:
        with pytest.raises(hrv.InvalidInputError, match=r"10–20000 Hz \(check the unit"):
            SAMPLING_RATE_HZ.check(250_000, "ECG")

    def test_detectors_derive_their_ranges(self) -> None:
        ecg = (ecg_module.MIN_FS_HZ, ecg_module.MAX_FS_HZ)
        ppg = (_ppg_input.MIN_FS_HZ, _ppg_input.MAX_FS_HZ)
        assert ecg == (ECG_SAMPLING_RATE_HZ.min_hz, ECG_SAMPLING_RATE_HZ.max_hz)
        assert ppg == (PPG_SAMPLING_RATE_HZ.min_hz, PPG_SAMPLING_RATE_HZ.max_hz)

    @pytest.mark.parametrize("fs", [SAMPLING_RATE_HZ.min_hz / 2, SAMPLING_RATE_HZ.max_hz * 2])
    def test_analyze_refuses_outside_the_declared_range(self, fs: float) -> None:
        with pytest.raises(hrv.InvalidInputError, match="outside"):
            hrv.analyze(np.zeros(int(max(fs, 1) * 10)), fs, "ecg")
