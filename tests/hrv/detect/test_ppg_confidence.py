"""PPG beat-detection confidence: pulse shape, amplitude and the agreement of two
fiducials decide whether pulse timing is trusted (and so the grade)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from hrv.analysis import analyze
from hrv.detect.ppg import detect_ppg
from hrv.simulate import rr_series
from hrv.types import Grade

FloatArray = npt.NDArray[np.float64]
DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
FS = 125.0


def _ppg(
    rise_s: FloatArray | None = None, amp: FloatArray | None = None, seed: int = 0
) -> tuple[FloatArray, FloatArray]:
    """300 s of PPG at 125 Hz; pulse k has systolic rise width ``rise_s[k]`` (s) and
    amplitude ``amp[k]``; returns samples and the pulse start times."""
    rr = rr_series(420, mean_hr_bpm=75, hf_amplitude_ms=25, seed=seed)
    starts = 0.5 + np.concatenate(([0.0], np.cumsum(rr) / 1000.0))
    t = np.arange(int(300 * FS)) / FS
    starts = starts[starts < t[-1] - 1.0]
    n = starts.size
    rise = np.full(n, 0.07) if rise_s is None else rise_s[:n]
    a = np.ones(n) if amp is None else amp[:n]
    x = np.zeros_like(t)
    for s, w, k in zip(starts, rise, a, strict=True):  # loop per pulse, test data only
        m = (t >= s) & (t < s + 0.9)
        tau = t[m] - s
        dia = 0.4 * np.exp(-(((tau - 0.42) / 0.1) ** 2))
        x[m] += k * (np.exp(-(((tau - 0.18) / w) ** 2)) + dia)
    return x + np.random.default_rng(seed).normal(0, 0.002, t.size), starts


class TestPulseConfidence:
    def test_steady_pulses_are_trusted(self) -> None:
        x, _ = _ppg()
        det = detect_ppg(x, FS)
        assert "pulse_timing_uncertain" not in {w.code for w in det.warnings}
        assert det.info["fiducial_jitter_ms"] < 1.0
        assert det.info["fiducial_agreement"] > 0.98
        assert analyze(x, FS, "ppg").quality.grade is Grade.GOOD

    def test_upstroke_changing_shape_from_beat_to_beat_is_not_good(self) -> None:
        # The systolic rise alternates between 50 and 90 ms wide (as a damped, alternating
        # pulse wave): onset and steepest upstroke move apart by several ms per beat.
        rise = np.where(np.arange(600) % 2 == 0, 0.05, 0.09)
        x, _ = _ppg(rise_s=rise)
        det = detect_ppg(x, FS)
        assert "pulse_timing_uncertain" in {w.code for w in det.warnings}
        assert det.info["fiducial_jitter_ms"] > 2.5
        # ... and no pulse's fiducial distance matches that of its neighbours (half of
        # them have the other width): far fewer than half agree.
        assert det.info["fiducial_agreement"] < 0.5
        assert analyze(x, FS, "ppg").quality.grade is not Grade.GOOD

    def test_amplitude_varying_beat_to_beat_is_not_good(self) -> None:
        amp = 1.0 + 0.35 * np.random.default_rng(5).standard_normal(600).clip(-2, 2)
        x, _ = _ppg(amp=amp)
        det = detect_ppg(x, FS)
        assert det.info["amplitude_cv"] > 0.15
        assert analyze(x, FS, "ppg").quality.grade is not Grade.GOOD

    @pytest.mark.skipif(
        not (DATA / "challenge2015" / "a103l.hea").exists(),
        reason="shared challenge2015/a103l not found",
    )
    def test_icu_false_alarm_record_is_not_graded_good(self) -> None:
        # a103l: its PRV RMSSD (about 10 ms) is more than twice its ECG RMSSD (about 4 ms).
        from benchmarks.ppg_accuracy import load_a103l

        rec = load_a103l()
        a = analyze(rec.ppg, rec.fs, "ppg")
        assert a.quality.grade is not Grade.GOOD
        assert "pulse_timing_uncertain" in {w.code for w in a.quality.warnings}
