"""Waveform quality windows on synthetic ECG and PPG with injected, named defects."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from hrv.config import QualityConfig
from hrv.errors import InvalidInputError
from hrv.quality import assess_waveform
from hrv.types import SignalKind

FloatArray = npt.NDArray[np.float64]
FS = 250.0
DUR = 120.0


def beat_times(duration_s: float, hr_bpm: float = 66.0, seed: int = 0) -> FloatArray:
    rng = np.random.default_rng(seed)
    rr = 60.0 / hr_bpm + rng.normal(0, 0.03, int(duration_s * hr_bpm / 60) + 5)
    t = 0.4 + np.cumsum(rr)
    return t[t < duration_s - 0.6]


def synth_ecg(duration_s: float = DUR, fs: float = FS, seed: int = 0
              ) -> tuple[FloatArray, FloatArray]:
    """QRS (narrow Gaussian, 1 mV) + T wave + 0.02 mV noise; returns (ecg, R times)."""
    t = np.arange(int(duration_s * fs)) / fs
    beats = beat_times(duration_s, seed=seed)
    x = np.random.default_rng(seed + 1).normal(0, 0.02, len(t))
    for b in beats:  # loop per beat, test data only
        m = (t > b - 0.1) & (t < b + 0.5)
        x[m] += np.exp(-(((t[m] - b) / 0.012) ** 2))
        x[m] += 0.25 * np.exp(-(((t[m] - b - 0.28) / 0.05) ** 2))
    return x, beats


def synth_ppg(duration_s: float = DUR, fs: float = 100.0, seed: int = 0
              ) -> tuple[FloatArray, FloatArray]:
    t = np.arange(int(duration_s * fs)) / fs
    beats = beat_times(duration_s, seed=seed)
    x = np.random.default_rng(seed + 1).normal(0, 0.01, len(t))
    for b in beats:
        m = (t >= b) & (t < b + 0.9)
        tau = t[m] - b
        x[m] += np.exp(-(((tau - 0.18) / 0.07) ** 2)) + 0.4 * np.exp(-(((tau - 0.42) / 0.1) ** 2))
    return x, beats


def reasons(q: object) -> set[str]:
    return {w.reason for w in q.excluded_windows}  # type: ignore[attr-defined]


class TestCleanSignals:
    @pytest.mark.parametrize("kind", ["ecg", "ppg"])
    def test_clean_has_no_exclusions(self, kind: str) -> None:
        x, beats = synth_ecg() if kind == "ecg" else synth_ppg()
        fs = FS if kind == "ecg" else 100.0
        q = assess_waveform(x, fs, kind, beat_times_s=beats)
        assert q.excluded_windows == ()
        assert q.usable_s == pytest.approx(DUR)
        assert np.all(q.window_scores >= 0.5)
        assert len(q.window_starts_s) == len(q.window_scores) == 12  # 120 s / 10 s
        assert q.motion_share == 0.0

    def test_window_length_from_config(self) -> None:
        x, _ = synth_ppg()
        q = assess_waveform(x, 100.0, SignalKind.PPG, QualityConfig(window_s=5.0))
        np.testing.assert_allclose(q.window_starts_s, np.arange(0, 120, 5.0))


class TestNamedDefects:
    def test_flat_line_whole_recording(self) -> None:
        q = assess_waveform(np.full(30000, 1.5), FS, "ecg")
        assert reasons(q) == {"flat_line"}
        assert q.usable_s == 0.0
        assert any(w.code == "short_usable_duration" for w in q.warnings)

    def test_missing_data(self) -> None:
        x, _ = synth_ppg()
        x[3000:5000] = np.nan  # 30-50 s
        q = assess_waveform(x, 100.0, "ppg")
        miss = [w for w in q.excluded_windows if w.reason == "missing_data"]
        assert [(w.start_s, w.end_s) for w in miss] == [(30.0, 50.0)]
        assert q.usable_s == pytest.approx(100.0)

    def test_all_nan(self) -> None:
        q = assess_waveform(np.full(5000, np.nan), 100.0, "ppg")
        assert reasons(q) == {"missing_data"}
        assert q.usable_s == 0.0

    def test_clipping_at_adc_rail(self) -> None:
        x, _ = synth_ecg()
        adc = np.round(x * 800 + 200).astype(np.int64)
        seg = slice(int(40 * FS), int(60 * FS))
        adc[seg] = np.minimum(adc[seg] * 3, 1023)  # gain jump: R peaks saturate at 10 bits
        adc = np.minimum(adc, 1023)
        q = assess_waveform(adc, FS, "ecg")
        clip = [w for w in q.excluded_windows if w.reason == "clipping"]
        assert [(w.start_s, w.end_s) for w in clip] == [(40.0, 60.0)]

    def test_disconnection_to_rail(self) -> None:
        x, _ = synth_ppg()
        x[6000:8000] = x.max() + 1.0  # lead off: the front end sits at full scale
        q = assess_waveform(x, 100.0, "ppg")
        assert "disconnection" in reasons(q)
        disc = [w for w in q.excluded_windows if w.reason == "disconnection"]
        assert disc[0].start_s == 60.0 and disc[-1].end_s == 80.0

    def test_motion_burst_ppg(self) -> None:
        x, beats = synth_ppg()
        rng = np.random.default_rng(5)
        x[7000:8000] += rng.normal(0, 3.0, 1000)  # 70-80 s of large broadband motion
        q = assess_waveform(x, 100.0, "ppg", beat_times_s=beats)
        mot = [w for w in q.excluded_windows if w.reason == "motion"]
        assert [(w.start_s, w.end_s) for w in mot] == [(70.0, 80.0)]
        assert q.motion_share == pytest.approx(10.0 / 120.0)

    def test_noise_burst_ecg(self) -> None:
        x, beats = synth_ecg()
        rng = np.random.default_rng(6)
        seg = slice(int(20 * FS), int(30 * FS))
        x[seg] += rng.normal(0, 1.5, int(10 * FS))  # EMG-like noise 1.5× the QRS
        q = assess_waveform(x, FS, "ecg", beat_times_s=beats)
        assert [(w.start_s, w.end_s, w.reason) for w in q.excluded_windows] == [
            (20.0, 30.0, "noise")
        ]

    def test_template_sqi_penalises_wrong_beats(self) -> None:
        x, beats = synth_ppg()
        good = assess_waveform(x, 100.0, "ppg", beat_times_s=beats).window_scores
        rng = np.random.default_rng(2)
        wrong = np.sort(rng.uniform(0, DUR, len(beats)))  # beats unrelated to the pulses
        bad = assess_waveform(x, 100.0, "ppg", beat_times_s=wrong).window_scores
        assert bad.mean() < good.mean() - 0.3


class TestInput:
    def test_unknown_kind_lists_valid(self) -> None:
        with pytest.raises(InvalidInputError, match="'ecg', 'ppg'"):
            assess_waveform(np.zeros(1000), 100.0, "rr")

    @pytest.mark.parametrize("fs", [0.0, -1.0, float("inf")])
    def test_bad_rate(self, fs: float) -> None:
        with pytest.raises(InvalidInputError):
            assess_waveform(np.zeros(1000), fs, "ecg")

    def test_two_dimensional(self) -> None:
        with pytest.raises(InvalidInputError, match="1-D"):
            assess_waveform(np.zeros((100, 3)), 100.0, "ecg")
