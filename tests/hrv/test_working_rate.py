"""Quality and derived respiration read at the ECG detector's working rate (100-200 Hz).

From 200 Hz up, the pipeline takes the ECG quality statistics (5-30 Hz band) and the
ECG-derived respiration features (0.5-40 Hz band) from the detector's block-averaged
signal instead of the full-rate recording. These tests check the results against
known truth at rates where that path is taken (250, 500, 1000 Hz), and that the
pipeline's shared signal gives the same answer as the stand-alone functions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from hrv._dsp import all_finite, as_waveform, fill_nan, working_factor, working_signal
from hrv.config import QualityConfig
from hrv.detect._ecg_beats import gather
from hrv.detect.ecg import detect_ecg, detect_ecg_working
from hrv.quality import assess_filled, assess_waveform
from hrv.quality._sqi import TemplatePlan
from hrv.respiration import ecg_derived_respiration_bpm
from hrv.types import SignalKind

FloatArray = npt.NDArray[np.float64]


def synth_ecg(fs: float, duration_s: float = 120.0, br_bpm: float = 15.0, seed: int = 0
              ) -> tuple[FloatArray, FloatArray]:
    """Narrow Gaussian QRS (1 mV, amplitude +-20 % at the breathing rate), T wave,
    breathing baseline and 0.02 mV noise; returns (ecg, R times in s)."""
    rng = np.random.default_rng(seed)
    rr = 60.0 / 70.0 + rng.normal(0, 0.02, int(duration_s * 70 / 60) + 5)
    beats = 0.5 + np.cumsum(rr)
    beats = beats[beats < duration_s - 1.0]
    t = np.arange(int(duration_s * fs)) / fs
    f = br_bpm / 60.0
    x = 0.3 * np.sin(2 * np.pi * f * t) + rng.normal(0, 0.02, len(t))
    for b in beats:  # loop per beat, test data only
        m = (t > b - 0.1) & (t < b + 0.5)
        amp = 1 + 0.2 * np.sin(2 * np.pi * f * b)
        x[m] += amp * np.exp(-(((t[m] - b) / 0.012) ** 2))
        x[m] += 0.25 * np.exp(-(((t[m] - b - 0.28) / 0.05) ** 2))
    return x, beats


class TestQualityAtWorkingRate:
    @pytest.mark.parametrize("fs", [250.0, 500.0, 1000.0])
    def test_noise_burst_found_exactly(self, fs: float) -> None:
        assert working_factor(fs) > 1  # the working-rate path is the one under test
        x, beats = synth_ecg(fs)
        rng = np.random.default_rng(3)
        seg = slice(int(40 * fs), int(50 * fs))
        x[seg] += rng.normal(0, 1.5, seg.stop - seg.start)  # EMG-like noise 1.5x the QRS
        q = assess_waveform(x, fs, "ecg", beat_times_s=beats)
        # Truth: exactly the one 10-s window holding the burst is noisy; all else clean.
        assert [(w.start_s, w.end_s, w.reason) for w in q.excluded_windows] == [
            (40.0, 50.0, "noise")]

    @pytest.mark.parametrize("fs", [250.0, 500.0])
    def test_clean_recording_keeps_every_window(self, fs: float) -> None:
        x, beats = synth_ecg(fs, seed=1)
        q = assess_waveform(x, fs, "ecg", beat_times_s=beats)
        assert q.excluded_windows == ()
        # Identical clean beats: template correlation near 1, so no window is marginal.
        assert q.window_scores.min() > 0.9

    def test_pipeline_signal_gives_the_same_windows(self) -> None:
        fs = 360.0
        x, _ = synth_ecg(fs, seed=2)
        x[int(70 * fs): int(80 * fs)] += np.random.default_rng(4).normal(0, 1.5, int(10 * fs))
        det, work = detect_ecg_working(x, fs, None, keep_work=True)
        assert work is not None
        nan = np.zeros(len(x), dtype=bool)
        shared = assess_filled(x, nan, fs, SignalKind.ECG, QualityConfig(), det.times_s, work)
        alone = assess_waveform(x, fs, "ecg", beat_times_s=det.times_s)
        assert shared.excluded_windows == alone.excluded_windows
        # The detector bridges no NaN here, so both read the very same working signal.
        np.testing.assert_array_equal(shared.window_scores, alone.window_scores)


class TestRespirationAtWorkingRate:
    @pytest.mark.parametrize("fs", [500.0, 1000.0])
    @pytest.mark.parametrize("br", [9.0, 18.0])
    def test_rate_from_high_rate_ecg(self, fs: float, br: float) -> None:
        x, _ = synth_ecg(fs, br_bpm=br, seed=5)
        est = ecg_derived_respiration_bpm(x, fs, detect_ecg(x, fs).times_s)
        # Welch resolution at 4 Hz with 64-s segments is ~0.9 breaths/min; 1 is the bound
        assert est is not None and abs(est - br) <= 1.0

    def test_same_rate_as_the_full_rate_path_would_give(self) -> None:
        # 200 Hz works at full rate (factor 1), 400 Hz at 200 Hz (factor 2): the same
        # breathing must come out of both, to the spectral bin.
        x1, b1 = synth_ecg(200.0, br_bpm=12.0, seed=6)
        x2, b2 = synth_ecg(400.0, br_bpm=12.0, seed=6)
        r1 = ecg_derived_respiration_bpm(x1, 200.0, b1)
        r2 = ecg_derived_respiration_bpm(x2, 400.0, b2)
        assert r1 is not None and r2 is not None
        assert abs(r1 - 12.0) <= 1.0 and abs(r2 - r1) <= 0.25  # one 4/1024 Hz bin


class TestSubSampleTemplate:
    def test_interpolated_beats_correlate_fully(self) -> None:
        # Identical smooth beats at non-integer positions on a 100 Hz grid: aligned at
        # their true positions they are one shape (correlation ~1); rounded to whole
        # samples they are misaligned by up to 5 ms.
        fs = 100.0
        t = np.arange(int(60 * fs)) / fs
        pos_s = 0.7 + np.arange(70) * 0.8137
        x = np.zeros(len(t))
        for p in pos_s:
            x += np.exp(-(((t - p) / 0.02) ** 2))
        pos = pos_s * fs
        idx = np.floor(pos).astype(np.intp)
        starts = np.arange(0, len(t), int(10 * fs), dtype=np.intp)
        lengths = np.diff(np.append(starts, len(t)))
        out = np.full(len(starts), np.nan)
        plan = TemplatePlan.of(idx, len(t), starts, lengths, pos - idx)
        assert plan is not None
        plan.fill(out, x, 0, 0, len(t), starts)
        rounded = np.full(len(starts), np.nan)
        plan_r = TemplatePlan.of(np.round(pos).astype(np.intp), len(t), starts, lengths)
        assert plan_r is not None
        plan_r.fill(rounded, x, 0, 0, len(t), starts)
        # Linear interpolation of a 20-ms Gaussian at 100 Hz keeps 99 % of the shape.
        assert np.all(out > 0.99)
        assert np.all(out > rounded)


class TestHelpers:
    def test_all_finite(self) -> None:
        assert all_finite(np.array([0.0, 1.0, -2.0]))
        assert not all_finite(np.array([0.0, np.nan]))
        assert not all_finite(np.array([np.inf, 1.0]))
        # A sum that overflows says "not sure": callers then run their exact test.
        assert not all_finite(np.array([1e308, 1e308]))

    def test_huge_finite_values_are_accepted(self) -> None:
        x = np.array([1e308, 1e308, -1e308])
        filled, nan = fill_nan(as_waveform(x, 250.0))
        np.testing.assert_array_equal(filled, x)
        assert not nan.any()

    @pytest.mark.parametrize("step", [1, 3])
    def test_gather_reads_the_right_samples(self, step: int) -> None:
        x = np.arange(100.0)
        offsets = np.arange(-4, 5, dtype=np.int64) * step
        centre = np.array([20, 50, 80], dtype=np.int64)
        np.testing.assert_array_equal(gather(x, centre, offsets), centre[:, None] + offsets)
        # Windows past either end are clipped to the first/last sample.
        edge = np.array([2, 97], dtype=np.int64)
        want = np.clip(edge[:, None] + offsets, 0, 99).astype(float)
        np.testing.assert_array_equal(gather(x, edge, offsets), want)

    def test_working_signal_is_the_block_mean(self) -> None:
        x = np.arange(12.0)
        w = working_signal(x, 250.0)  # factor 2
        np.testing.assert_allclose(w.samples, [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
        assert w.factor == 2 and w.fs_hz == 125.0


class TestEdrPerBeatBaseline:
    """Working-rate EDR reads only the beat windows: a short zero-phase 40 Hz kernel and
    a per-beat baseline before the QRS instead of a 0.5 Hz high-pass of the recording."""

    @pytest.mark.parametrize("fs", [125.0, 200.0])
    def test_kernel_is_the_butterworth_response(self, fs: float) -> None:
        from hrv.respiration._derived import _lowpass_kernel

        h = _lowpass_kernel(fs)
        m = (len(h) - 1) // 2
        np.testing.assert_allclose(h, h[::-1])  # zero phase: symmetric
        assert h.sum() == pytest.approx(1.0)  # unit gain at 0 Hz
        k = np.arange(-m, m + 1)
        gain = float(np.sum(h * np.cos(2 * np.pi * 40.0 / fs * k)))
        # Forward-backward Butterworth: |H|^2 = 1/2 at the cut-off. The kernel is cut
        # where the response has decayed below 1 % of its peak: 0.03 covers the tail.
        assert gain == pytest.approx(0.5, abs=0.03)

    @pytest.mark.parametrize("br", [9.0, 18.0])
    def test_rate_through_slow_baseline_drift(self, br: float) -> None:
        fs = 500.0
        x, beats = synth_ecg(fs, br_bpm=br, seed=7)
        t = np.arange(len(x)) / fs
        x += 3.0 * np.sin(2 * np.pi * 0.03 * t)  # drift 3x the QRS, well below breathing
        est = ecg_derived_respiration_bpm(x, fs, beats)
        # Welch resolution at 4 Hz with 64-s segments is ~0.9 breaths/min; 1 is the bound
        assert est is not None and abs(est - br) <= 1.0
