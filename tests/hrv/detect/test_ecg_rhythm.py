"""ECG beats and NN intervals under strong sinus arrhythmia, sinus pauses and 2:1 block.

Synthetic ECGs (Gaussian P, QRS and T waves plus white noise) whose beat times are known
exactly: respiratory sinus arrhythmia of +-25 % must not be taken for ectopy, a sinus
pause must not be filled with a P wave, T wave or noise, and intervals spanning a pause
or a blocked beat must leave the NN series with a rhythm finding.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from hrv.analysis import analyze
from hrv.detect.ecg import detect_ecg
from hrv.evaluation import match_beats
from hrv.rhythm import screen_rhythm

FS = 250.0
QRS_T = [(-0.03, 0.01, -0.15), (0.0, 0.012, 1.0), (0.03, 0.01, -0.25), (0.3, 0.05, 0.3)]
PR_S = 0.16


def _ecg(
    duration_s: float,
    qrs_times: npt.NDArray[np.float64],
    p_times: npt.NDArray[np.float64],
    *,
    p_wave: tuple[float, float] = (0.025, 0.15),
    seed: int = 0,
) -> npt.NDArray[np.float64]:
    """QRS-T complexes at ``qrs_times``, P waves (sigma s, amplitude mV) at ``p_times``."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(duration_s * FS)) / FS
    x = np.zeros_like(t)

    def add(centre: float, sd: float, amp: float) -> None:
        lo, hi = int((centre - 5 * sd) * FS), int((centre + 5 * sd) * FS) + 1
        sl = slice(max(0, lo), min(t.size, hi))
        x[sl] += amp * np.exp(-0.5 * ((t[sl] - centre) / sd) ** 2)

    for tb in qrs_times:
        for mu, sd, amp in QRS_T:
            add(tb + mu, sd, amp)
    for tp in p_times:
        add(tp, *p_wave)
    return x + rng.normal(0, 0.01, x.size)


def _rsa_times(hr_bpm: float, breaths_per_min: float, depth: float, duration_s: float,
               seed: int) -> npt.NDArray[np.float64]:
    """Beat times with RR = mean * (1 + depth sin(2 pi f t)) plus 5 ms of jitter."""
    rng = np.random.default_rng(seed)
    t, times = 0.5, []
    while t < duration_s - 1.0:
        times.append(t)
        t += 60.0 / hr_bpm * (1 + depth * np.sin(2 * np.pi * breaths_per_min / 60.0 * t))
        t += rng.normal(0, 0.005)
    return np.asarray(times)


def _rmssd_ms(times: npt.NDArray[np.float64]) -> float:
    d = np.diff(np.diff(times)) * 1000.0
    return float(np.sqrt(np.mean(d**2)))


class TestSinusArrhythmiaIsNotEctopy:
    # Heart rate and breathing rate pairs from 3 to 10 beats per breath; before the
    # respiratory prediction the running-median rule dropped up to 10 % of the beats
    # of the slower breathing (many beats per breath) as premature.
    @pytest.mark.parametrize(
        ("hr", "breaths"), [(60, 15), (60, 6), (80, 10), (90, 12), (50, 10), (70, 5)]
    )
    def test_strong_rsa_no_beat_excluded_rmssd_within_2_pct(self, hr: float, breaths: float
                                                            ) -> None:
        times = _rsa_times(hr, breaths, 0.25, 300.0, seed=hr + breaths)
        x = _ecg(300.0, times, times - PR_S)
        det = detect_ecg(x, FS)
        res = match_beats(times, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        assert det.normal.all(), f"{np.count_nonzero(~det.normal)} sinus beats excluded"
        a = analyze(x, FS, "ecg")
        assert a.metrics.rmssd_ms is not None
        assert abs(a.metrics.rmssd_ms / _rmssd_ms(times) - 1) <= 0.02

    def test_fast_breathing_rsa_is_not_atrial_fibrillation(self) -> None:
        # Three beats per breath at +-25 %: large, random-looking successive differences,
        # but periodic. The screen must not call it atrial fibrillation.
        rr = 1000.0 * (1 + 0.25 * np.sin(2 * np.pi * np.arange(300) / 3.0))
        rr += np.random.default_rng(3).normal(0, 5, rr.size)
        assert "possible_atrial_fibrillation" not in {w.code for w in screen_rhythm(rr)}

    def test_atrial_premature_beats_still_flagged_during_rsa(self) -> None:
        # Normal-shaped beats 30 % earlier than the respiratory phase predicts, inside a
        # +-15 % sinus arrhythmia: every one leaves NN.
        times = _rsa_times(70, 12, 0.15, 300.0, seed=4)
        early = np.arange(20, times.size - 5, 23)
        rr_before = times[early] - times[early - 1]
        times[early] -= 0.3 * rr_before
        x = _ecg(300.0, times, times - PR_S)
        det = detect_ecg(x, FS)
        res = match_beats(times, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        flagged = ~det.normal[res.matched_detected]
        is_early = np.isin(res.matched_reference, early)
        assert np.all(flagged[is_early])
        assert np.count_nonzero(flagged & ~is_early) <= 2


def _with_pauses(pause_s: float, n: int = 120, every: int = 30, seed: int = 0
                 ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    iv = 0.85 + rng.normal(0, 0.01, n)
    iv[every::every] = pause_s
    q = 1.0 + np.cumsum(iv)
    return _ecg(float(q[-1]) + 1.0, q, q - PR_S, seed=seed), q


class TestPauses:
    @pytest.mark.parametrize("pause_s", [2.0, 3.0, 4.0, 5.0, 6.0])
    def test_pause_holds_no_beat_and_leaves_nn(self, pause_s: float) -> None:
        x, q = _with_pauses(pause_s)
        det = detect_ecg(x, FS)
        res = match_beats(q, det.times_s)
        assert (res.fp, res.fn) == (0, 0), "a P wave, T wave or noise was taken for a beat"
        assert "pause" in {w.code for w in det.warnings}
        assert sum(w.reason == "pause" for w in det.excluded_windows) == 3
        a = analyze(x, FS, "ecg")
        assert a.nn.rr_ms.max() < 1000.0  # no spanning interval in NN
        assert len(a.nn) >= 110  # ... and only those left out
        codes = {w.code for w in a.quality.warnings}
        assert "pause" in codes and "possible_atrial_fibrillation" not in codes


def _two_to_one(pp_s: float = 0.7, n_p: int = 200, start: int = 60, blocked: int = 30,
                p_wave: tuple[float, float] = (0.025, 0.15), seed: int = 0
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """1:1 conduction, then ``blocked`` P waves not conducted (every second one), then 1:1."""
    rng = np.random.default_rng(seed)
    p = 1.0 + np.cumsum(pp_s + rng.normal(0, 0.008, n_p))
    conducted = np.ones(n_p, dtype=bool)
    conducted[start : start + 2 * blocked : 2] = False
    q = p[conducted] + PR_S
    return _ecg(float(p[-1]) + 1.0, q, p, p_wave=p_wave, seed=seed), q


class TestTwoToOneConduction:
    @pytest.mark.parametrize("p_wave", [(0.025, 0.15), (0.02, 0.3)])
    def test_blocked_p_waves_are_no_beats_and_spanning_intervals_leave_nn(
        self, p_wave: tuple[float, float]
    ) -> None:
        # Ordinary and tall P waves (0.3 mV): the blocked P wave in the middle of each
        # doubled interval is not taken for a QRS complex.
        x, q = _two_to_one(p_wave=p_wave)
        det = detect_ecg(x, FS)
        res = match_beats(q, det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        assert "av_block_suspected" in {w.code for w in det.warnings}
        a = analyze(x, FS, "ecg")
        assert a.nn.rr_ms.max() < 1000.0  # the 1.4-s intervals are out of NN
        assert "av_block_suspected" in {w.code for w in a.quality.warnings}

    def test_single_blocked_apb_pause_is_not_av_block(self) -> None:
        # One long interval (1.75x) between regular beats is no 2:1 run and under 2 s.
        rng = np.random.default_rng(2)
        iv = 0.8 + rng.normal(0, 0.01, 150)
        iv[75] = 1.4
        q = 1.0 + np.cumsum(iv)
        det = detect_ecg(_ecg(float(q[-1]) + 1.0, q, q - PR_S), FS)
        assert not {"av_block_suspected", "pause"} & {w.code for w in det.warnings}


def _bigeminy_then_sinus(seed: int = 0) -> tuple[npt.NDArray[np.float64],
                                                 npt.NDArray[np.float64],
                                                 npt.NDArray[np.float64]]:
    """Sinus rhythm at 0.95 s, a long run of ventricular bigeminy (coupling 0.5 s, full
    compensatory pause), then runs of 3 sinus intervals between single ventricular
    premature beats (as in MIT-BIH 106), then sinus rhythm; returns (ECG, sinus times,
    PVC times)."""
    rng = np.random.default_rng(seed)
    sinus = 1.0 + np.cumsum(0.95 + rng.normal(0, 0.01, 220))
    after = [*range(20, 100, 2), *range(102, 170, 5)]  # sinus beats followed by a PVC
    pvc = sinus[after] + 0.5
    sinus = np.delete(sinus, np.asarray(after) + 1)  # each hidden by the PVC before it
    x = _ecg(float(sinus[-1]) + 1.0, sinus, sinus - PR_S, seed=seed)
    t = np.arange(x.size) / FS
    for tv in pvc:  # wide, tall ventricular complexes, no P wave
        x += 1.6 * np.exp(-0.5 * ((t - tv) / 0.04) ** 2)
        x -= 0.5 * np.exp(-0.5 * ((t - tv - 0.3) / 0.06) ** 2)
    return x, sinus, pvc


class TestBigeminyIsNotTwoToOne:
    def test_sinus_after_bigeminy_is_no_av_block(self) -> None:
        # The short coupling intervals of the bigeminy are no sinus rhythm: measured
        # against them, the ordinary sinus intervals after the run looked doubled.
        x, sinus, pvc = _bigeminy_then_sinus()
        det = detect_ecg(x, FS)
        res = match_beats(np.sort(np.concatenate([sinus, pvc])), det.times_s)
        assert (res.fp, res.fn) == (0, 0)
        assert not det.normal[np.searchsorted(det.times_s, pvc - 0.05)].any()
        assert "av_block_suspected" not in {w.code for w in det.warnings}
        assert not [w for w in det.excluded_windows if w.reason == "av_block"]


class TestTwoToOneNeedsASteadyRhythmBeside:
    """A 2:1 run is entered from, or left to, a steady 1:1 rhythm: the atria beat on.
    Ventricular premature beats taken for normal ones (same shape in the lead) make
    bigeminy look like a 1:1 rhythm at the coupling interval."""

    @staticmethod
    def _times(intervals: list[float]) -> npt.NDArray[np.float64]:
        rng = np.random.default_rng(0)
        iv = np.asarray(intervals) + rng.normal(0, 0.005, len(intervals))
        return np.concatenate(([1.0], 1.0 + np.cumsum(iv)))

    def test_sinus_runs_between_unrecognised_bigeminy_are_no_av_block(self) -> None:
        from hrv.detect._ecg_rhythm import conduction_findings

        iv = [0.5, 1.0] * 40 + ([0.96] * 8 + [0.5, 1.4]) * 6 + [0.5, 1.0] * 20
        t = self._times(iv)
        windows, warnings = conduction_findings(t, normal=np.ones(t.size, dtype=bool))
        assert not [w for w in windows if w.reason == "av_block"]
        assert "av_block_suspected" not in {w.code for w in warnings}

    def test_two_to_one_from_a_steady_rhythm_is_flagged(self) -> None:
        from hrv.detect._ecg_rhythm import conduction_findings

        t = self._times([0.7] * 60 + [1.4] * 30 + [0.7] * 60)
        windows, warnings = conduction_findings(t, normal=np.ones(t.size, dtype=bool))
        assert len([w for w in windows if w.reason == "av_block"]) == 30
        assert "av_block_suspected" in {w.code for w in warnings}
