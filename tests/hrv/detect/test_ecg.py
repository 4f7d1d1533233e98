"""ECG detector on synthetic ECGs whose beat times are known exactly, and bad input."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from hrv.detect.ecg import detect_ecg
from hrv.errors import HRVError, InsufficientDataError, InvalidInputError
from hrv.evaluation import match_beats


def synthetic_ecg(
    fs_hz: float,
    duration_s: float = 60.0,
    *,
    seed: int = 0,
    pvc_every: int = 0,
    polarity: float = 1.0,
    waves: list[tuple[float, float, float]] | None = None,
    rr: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Gaussian-wave ECG (P, Q, R, S, T) with RR jitter; returns signal, R times, is-PVC.

    A PVC (every ``pvc_every``-th beat) comes 35 % early and is a wide (60 ms sigma),
    tall wave without P wave. ``waves`` replaces the (centre s, sigma s, amplitude)
    Gaussians of a normal beat, ``rr`` the RR series (s).
    """
    rng = np.random.default_rng(seed)
    if rr is None:
        rr = 0.85 + 0.05 * np.sin(np.arange(400) * 0.3) + rng.normal(0, 0.01, 400)
    times = 0.5 + np.cumsum(rr)
    pvc = np.zeros(times.size, dtype=bool)
    if pvc_every:
        pvc[pvc_every::pvc_every] = True
        times[pvc] -= 0.35 * rr[pvc]
    keep = times < duration_s - 0.6
    times, pvc = times[keep], pvc[keep]
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    x = np.zeros_like(t)
    if waves is None:
        waves = [(-0.2, 0.025, 0.15), (-0.03, 0.01, -0.15), (0.0, 0.012, 1.0),
                 (0.03, 0.01, -0.25), (0.3, 0.05, 0.3)]  # fmt: skip
    for tb, is_pvc in zip(times, pvc, strict=True):
        sl = slice(max(0, int((tb - 0.5) * fs_hz)), min(t.size, int((tb + 0.6) * fs_hz)))
        tt = t[sl] - tb
        if is_pvc:
            x[sl] += 1.4 * np.exp(-0.5 * (tt / 0.04) ** 2) - 0.5 * np.exp(
                -0.5 * ((tt - 0.25) / 0.07) ** 2
            )
        else:
            for mu, sd, a in waves:
                x[sl] += a * np.exp(-0.5 * ((tt - mu) / sd) ** 2)
    return polarity * x, times, pvc


def _noisy(x: npt.NDArray[np.float64], fs_hz: float, seed: int = 1) -> npt.NDArray[np.float64]:
    """Add baseline wander (0.3 Hz, 1 mV), 50 Hz mains (0.1 mV) and white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(x.size) / fs_hz
    return (x + 1.0 * np.sin(2 * np.pi * 0.3 * t) + 0.1 * np.sin(2 * np.pi * 50 * t)
            + rng.normal(0, 0.03, x.size))  # fmt: skip


class TestDetectSynthetic:
    @pytest.mark.parametrize("fs_hz", [100.0, 128.0, 250.0, 360.0, 500.0, 1000.0, 2000.0])
    def test_all_beats_found_across_rates(self, fs_hz: float) -> None:
        x, truth, _ = synthetic_ecg(fs_hz)
        det = detect_ecg(x, fs_hz)
        res = match_beats(truth, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        # The R wave is a symmetric Gaussian: the parabolic fit must land within a small
        # fraction of a sample period (1 ms bound; 0.5 sample at 100 Hz is 5 ms).
        assert res.median_abs_error_ms < 1.0

    def test_noise_baseline_mains_and_inverted_polarity(self) -> None:
        fs = 360.0
        x, truth, _ = synthetic_ecg(fs, seed=3, polarity=-1.0)
        det = detect_ecg(_noisy(x, fs), fs)
        res = match_beats(truth, det.times_s)
        assert res.f1 == 1.0
        assert det.info["polarity"] == -1
        assert res.median_abs_error_ms < 3.0  # noise of 0.03 mV shifts the apex slightly

    def test_integer_adc_input(self) -> None:
        fs = 250.0
        x, truth, _ = synthetic_ecg(fs, seed=4)
        adc = np.round(x * 200 + 1024).astype(np.int16)
        det = detect_ecg(adc, fs)
        assert match_beats(truth, det.times_s).f1 == 1.0

    def test_pvcs_are_flagged_not_normal(self) -> None:
        fs = 360.0
        x, truth, pvc = synthetic_ecg(fs, 120.0, seed=5, pvc_every=7)
        det = detect_ecg(x, fs)
        res = match_beats(truth, det.times_s, tolerance_s=0.05)
        assert res.fn == 0 and res.fp == 0
        flagged = ~det.normal[res.matched_detected]
        true_pvc = pvc[res.matched_reference]
        assert np.all(flagged[true_pvc])  # every PVC is excluded from NN
        # Beats right after a PVC may be flagged by the compensatory pause rule at most.
        assert np.count_nonzero(flagged & ~true_pvc) <= 2
        assert np.all(det.info["abnormal_shape"][res.matched_detected][true_pvc])

    def test_nan_gap_is_missing_window_without_beats(self) -> None:
        fs = 250.0
        x, truth, _ = synthetic_ecg(fs, seed=6)
        x[int(20 * fs) : int(30 * fs)] = np.nan
        det = detect_ecg(x, fs)
        assert not np.any((det.times_s > 20.0) & (det.times_s < 30.0))
        miss = [w for w in det.excluded_windows if w.reason == "missing_data"]
        assert len(miss) == 1
        assert miss[0].start_s == pytest.approx(20.0, abs=0.02)
        assert miss[0].end_s == pytest.approx(30.0, abs=0.02)
        outside = truth[(truth < 19.7) | (truth > 30.3)]
        assert match_beats(outside, det.times_s).sensitivity == 1.0

    def test_flat_line_yields_no_beats(self) -> None:
        det = detect_ecg(np.zeros(250 * 30), 250.0)
        assert det.times_s.size == 0
        assert any(w.reason == "flat_line" for w in det.excluded_windows)

    def test_flat_stretch_inside_recording(self) -> None:
        fs = 250.0
        x, _, _ = synthetic_ecg(fs, seed=7)
        x[int(10 * fs) : int(25 * fs)] = 0.7
        det = detect_ecg(x, fs)
        assert not np.any((det.times_s > 10.2) & (det.times_s < 24.8))

    def test_clipped_stretch_invents_no_beats(self) -> None:
        fs = 250.0
        x, _, _ = synthetic_ecg(fs, seed=8)
        x[int(10 * fs) : int(25 * fs)] = x.max()  # saturated at the positive rail
        det = detect_ecg(x, fs)
        assert not np.any((det.times_s > 10.2) & (det.times_s < 24.8))


class TestMorphology:
    def test_sharp_tall_p_waves_are_not_beats(self) -> None:
        # A small QRS with a sharp P wave 200 ms before it: in the slope feature the P wave
        # reaches about half the QRS, above the P-wave ratio, so both are candidates; the
        # close-pair rule must keep the QRS (the truth) and drop every P wave.
        fs = 360.0
        waves = [(-0.2, 0.008, 0.35), (0.0, 0.010, 0.6), (0.025, 0.008, -0.2),
                 (0.3, 0.05, 0.2)]  # fmt: skip
        x, truth, _ = synthetic_ecg(fs, seed=11, waves=waves)
        det = detect_ecg(_noisy(x, fs, seed=12), fs)
        res = match_beats(truth, det.times_s, tolerance_s=0.05)
        assert (res.fp, res.fn) == (0, 0)

    def test_biphasic_qrs_fiducial_does_not_jump(self) -> None:
        # R (+0.5 mV) 40 ms before a deeper S (-0.7 mV), R amplitude varying +-30 % beat to
        # beat: the fiducial must stay on the dominant (negative) deflection of every beat.
        # Truth: the S centre; the overlap with the R Gaussian shifts the trough by well
        # under 2 ms, while a jump to the R peak would be a 40 ms error.
        fs = 360.0
        rng = np.random.default_rng(13)
        rr = 0.8 + rng.normal(0, 0.02, 120)
        times = 0.5 + np.cumsum(rr)
        times = times[times < 59.4]
        t = np.arange(round(60 * fs)) / fs
        x = np.zeros_like(t)
        for tb, r_amp in zip(times, 0.5 * (1 + rng.uniform(-0.3, 0.3, times.size)), strict=True):
            tt = t - tb
            x += r_amp * np.exp(-0.5 * (tt / 0.008) ** 2)
            x -= 0.7 * np.exp(-0.5 * ((tt - 0.04) / 0.008) ** 2)
            x += 0.15 * np.exp(-0.5 * ((tt - 0.3) / 0.05) ** 2)
        det = detect_ecg(x, fs)
        res = match_beats(times + 0.04, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        assert np.max(np.abs(res.timing_errors_s)) < 0.002
        assert det.info["polarity"] == -1

    def test_irregular_rhythm_is_not_premature(self) -> None:
        # Atrial-fibrillation-like RR (independent, uniform 0.45-1.05 s) with identical
        # normal QRS shapes: short intervals are the rhythm, not ectopic beats. At most
        # 5 % of the beats may be flagged (edge effects of the running medians).
        fs = 250.0
        rng = np.random.default_rng(14)
        x, truth, _ = synthetic_ecg(fs, 120.0, rr=rng.uniform(0.45, 1.05, 400))
        det = detect_ecg(x, fs)
        assert match_beats(truth, det.times_s).f1 == 1.0
        assert np.mean(~det.normal) <= 0.05

    def test_premature_beats_in_regular_rhythm_are_flagged(self) -> None:
        # Normal-shaped beats arriving 30 % early in an otherwise regular rhythm (atrial
        # premature beats) must leave the NN series: every one is flagged.
        fs = 250.0
        rng = np.random.default_rng(15)
        rr = 0.85 + rng.normal(0, 0.01, 400)
        early = np.zeros(rr.size, dtype=bool)
        early[10::13] = True
        rr[early] *= 0.7
        rr[np.flatnonzero(early) + 1] += 0.1  # non-compensatory pause
        x, truth, _ = synthetic_ecg(fs, 120.0, rr=rr)
        det = detect_ecg(x, fs)
        res = match_beats(truth, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        is_early = early[: truth.size][res.matched_reference]
        flagged = ~det.normal[res.matched_detected]
        assert np.all(flagged[is_early])
        assert np.count_nonzero(flagged & ~is_early) <= 2


class TestBadInput:
    @pytest.mark.parametrize("fs", [0.0, -1.0, 1e6, float("nan")])
    def test_bad_rate(self, fs: float) -> None:
        with pytest.raises(InvalidInputError, match="sampling rate"):
            detect_ecg(np.zeros(10_000), fs)

    def test_two_d(self) -> None:
        with pytest.raises(InvalidInputError, match="1-D"):
            detect_ecg(np.zeros((5000, 2)), 250.0)

    def test_all_nan(self) -> None:
        with pytest.raises(InsufficientDataError, match="no finite"):
            detect_ecg(np.full(5000, np.nan), 250.0)

    def test_too_short(self) -> None:
        with pytest.raises(InsufficientDataError, match="at least 5 s"):
            detect_ecg(np.zeros(1000), 250.0)

    def test_non_numeric(self) -> None:
        with pytest.raises(HRVError):
            detect_ecg(np.array(["a"] * 5000), 250.0)
