"""Declared sampling rate against the mains interference of the ECG itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from hrv.analysis import analyze
from hrv.detect.ecg import detect_ecg

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _ecg_with_mains(fs: float, mains_hz: float | None, seed: int = 0
                    ) -> npt.NDArray[np.float64]:
    """120 s of Gaussian-wave ECG at 70/min with 0.05 mV of mains interference."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(120 * fs)) / fs
    x = np.zeros_like(t)
    for tb in np.arange(0.5, 119.5, 60 / 70) + rng.normal(0, 0.01, 139):
        sl = slice(int((tb - 0.4) * fs), int((tb + 0.6) * fs))
        for mu, sd, a in [(-0.16, 0.025, 0.15), (0.0, 0.012, 1.0), (0.03, 0.01, -0.25),
                          (0.3, 0.05, 0.3)]:
            x[sl] += a * np.exp(-0.5 * ((t[sl] - tb - mu) / sd) ** 2)
    if mains_hz is not None:
        x += 0.05 * np.sin(2 * np.pi * mains_hz * t + 0.3)
    return x + rng.normal(0, 0.01, t.size)


def _codes(x: npt.NDArray[np.float64], fs: float) -> set[str]:
    return {w.code for w in detect_ecg(x, fs).warnings}


class TestDeclaredRate:
    @pytest.mark.parametrize(("true_fs", "declared", "mains"),
                             [(360.0, 250.0, 60.0), (360.0, 500.0, 60.0), (250.0, 360.0, 50.0),
                              (128.0, 200.0, 50.0)])
    def test_wrong_rate_is_flagged(self, true_fs: float, declared: float, mains: float) -> None:
        # Not covered: a factor of two that moves the line onto a mains harmonic (250 Hz
        # declared as 500 Hz puts 50 Hz at 100 Hz) or below 30 Hz (among the QRS energy).
        x = _ecg_with_mains(true_fs, mains)
        assert "sampling_rate_implausible" in _codes(x, declared)
        assert "sampling_rate_implausible" not in _codes(x, true_fs)

    @pytest.mark.parametrize(("fs", "mains"), [(360.0, 60.0), (250.0, 50.0), (125.0, 60.0),
                                               (100.0, 60.0), (1000.0, 50.0), (360.0, None)])
    def test_right_rate_or_no_mains_line_is_not_flagged(self, fs: float, mains: float | None
                                                        ) -> None:
        # 60 Hz at 100 Hz folds to 40 Hz: still mains. No line at all: nothing is said.
        assert "sampling_rate_implausible" not in _codes(_ecg_with_mains(fs, mains), fs)

    @pytest.mark.skipif(not (DATA / "mitdb" / "109.hea").exists(), reason="no MIT-BIH data")
    def test_mitdb_360_hz_record_declared_as_250_hz(self) -> None:
        wfdb = pytest.importorskip("wfdb")
        rec = wfdb.rdrecord(str(DATA / "mitdb" / "109"), channels=[0], sampto=360 * 300)
        x = rec.p_signal[:, 0]
        wrong = analyze(x, 250.0, "ecg")
        right = analyze(x, 360.0, "ecg")
        assert "sampling_rate_implausible" in {w.code for w in wrong.quality.warnings}
        assert "sampling_rate_implausible" not in {w.code for w in right.quality.warnings}
        assert wrong.quality.grade.value == "poor"
