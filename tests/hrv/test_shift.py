"""Tests of :mod:`hrv.shift` on synthetic pairs whose truth is known."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest

from hrv.errors import ConfigError
from hrv.shift import (
    Baseline,
    Direction,
    SessionShift,
    ShiftConfig,
    compare,
    windowed_trend,
)
from hrv.types import Analysis
from tests.hrv.test_shift_support import (
    REST,
    SLOW_BREATH,
    VAGAL,
    State,
    analyse,
    expected_rmssd_ms,
    simulate,
)

N_PAIRS = 100


@functools.cache
def _runs(pre: State, post: State) -> tuple[tuple[SessionShift, float], ...]:
    """100 seeded pairs: each comparison with the true ln RMSSD ratio of its pair."""
    out = []
    for seed in range(N_PAIRS):
        a, fa = simulate(pre, 2 * seed + 1)
        b, fb = simulate(post, 2 * seed + 2)
        truth = math.log(expected_rmssd_ms(post, fb) / expected_rmssd_ms(pre, fa))
        out.append((compare(analyse(a, fa), analyse(b, fb)), truth))
    return tuple(out)


def _share(runs: tuple[tuple[SessionShift, float], ...], direction: Direction) -> float:
    return sum(s.verdict.direction is direction for s, _ in runs) / len(runs)


class TestGenerator:
    def test_vagal_state_has_one_and_a_half_times_the_rmssd(self) -> None:
        # The analytic RMSSD of the two states at 15 breaths/min: the +50 % truth.
        ratio = expected_rmssd_ms(VAGAL, 15.0) / expected_rmssd_ms(REST, 15.0)
        assert ratio == pytest.approx(1.5, rel=1e-9)
        assert REST.mean_hr_bpm - VAGAL.mean_hr_bpm == 8.0

    def test_measured_rmssd_matches_the_formula(self) -> None:
        # The pipeline's RMSSD of 20 rest recordings against the analytic value: the
        # sampling SD of RMSSD over 5 min is ~5 %, so the median must be within 5 %.
        rel = []
        for seed in range(20):
            rr, f = simulate(REST, seed)
            a = analyse(rr, f)
            assert a.metrics.rmssd_ms is not None
            rel.append(a.metrics.rmssd_ms / expected_rmssd_ms(REST, f))
        assert float(np.median(rel)) == pytest.approx(1.0, abs=0.05)


class TestAcceptance:
    def test_true_vagal_increase_is_called_increase(self) -> None:
        runs = _runs(REST, VAGAL)
        assert _share(runs, Direction.PARASYMPATHETIC_INCREASE) >= 0.95

    def test_mirror_is_called_decrease(self) -> None:
        runs = _runs(VAGAL, REST)
        assert _share(runs, Direction.PARASYMPATHETIC_DECREASE) >= 0.95

    def test_null_pairs_are_no_clear_change(self) -> None:
        runs = _runs(REST, REST)
        assert _share(runs, Direction.NO_CLEAR_CHANGE) >= 0.95

    def test_increase_summary_names_the_evidence(self) -> None:
        shift, _ = _runs(REST, VAGAL)[0]
        v = shift.verdict
        assert v.direction is Direction.PARASYMPATHETIC_INCREASE
        assert "ln_rmssd" in v.evidence and "mean_hr_bpm" in v.evidence
        assert "(RMSSD) rose from" in v.summary and "heart rate fell by" in v.summary
        assert v.confidence is not None and 0 <= v.confidence <= 1

    def test_interval_covers_the_true_change(self) -> None:
        # 95 % intervals; the sub-window SE is itself estimated from ~5 independent
        # windows, so allow coverage down to 85 % over 100 pairs per scenario
        # (a binomial 95 % range around 0.95 reaches ~0.90; 0.85 leaves room for the
        # normal approximation).
        for pre, post in ((REST, VAGAL), (REST, REST)):
            hits = []
            for shift, truth in _runs(pre, post):
                c = shift.changes["ln_rmssd"]
                assert c.ci_low is not None and c.ci_high is not None
                hits.append(c.ci_low <= truth <= c.ci_high)
            assert np.mean(hits) >= 0.85


class TestBreathing:
    def test_slow_breathing_gives_caveat_and_no_hf_evidence(self) -> None:
        a, fa = simulate(REST, 11)
        b, fb = simulate(SLOW_BREATH, 12)
        assert fb == 6.0
        s = compare(analyse(a, fa), analyse(b, fb))
        codes = {c.code for c in s.verdict.caveats}
        assert "breathing_outside_hf_band" in codes
        assert not {"ln_hf", "hf_power_ms2", "lf_hf_ratio"} & set(s.verdict.evidence)
        for name in ("hf_power_ms2", "ln_hf", "lf_hf_ratio"):
            assert s.changes[name].meaningful is None
        # The summary may only mention HF to say why it is excluded, never as a change.
        assert "(HF power) rose" not in s.verdict.summary
        assert "(HF power) fell" not in s.verdict.summary
        # Breathing slowed from the HF band to 6/min between the recordings (issue 12):
        # RMSSD follows the breathing, so no vagal direction is called, and the summary
        # says so in plain words.
        assert "breathing_changed" in codes
        assert s.verdict.direction is Direction.INCONCLUSIVE
        assert "to about 6 breaths/min" in s.verdict.summary
        assert "reflects breathing, not vagal activity" in s.verdict.summary


class TestInconclusive:
    def test_unusable_post_recording(self) -> None:
        a, fa = simulate(REST, 21)
        b, fb = simulate(REST, 22, duration_s=25.0)
        s = compare(analyse(a, fa), analyse(b, fb))
        v = s.verdict
        assert v.direction is Direction.INCONCLUSIVE
        assert v.confidence is None
        codes = {c.code for c in v.caveats}
        assert "unusable_recording" in codes
        assert "post recording" in v.summary
        assert v.next_time is not None and "3 minutes" in v.next_time

    def test_different_lengths_are_flagged(self) -> None:
        a, fa = simulate(REST, 31)
        b, fb = simulate(REST, 32, duration_s=120.0)
        s = compare(analyse(a, fa), analyse(b, fb))
        codes = {c.code for c in s.verdict.caveats}
        assert {"different_duration", "short_recording"} <= codes
        assert s.verdict.direction is not Direction.INCONCLUSIVE


class TestBaseline:
    def test_baseline_sets_the_smallest_worthwhile_change(self) -> None:
        a, fa = simulate(REST, 41)
        b, fb = simulate(REST, 42)
        base = Baseline(n_sessions=5, ln_rmssd_mean=3.3, ln_rmssd_sd=0.4)
        s = compare(analyse(a, fa), analyse(b, fb), baseline=base)
        c = s.changes["ln_rmssd"]
        # 0.5 × the client's SD of ln RMSSD (hrv-methods §5).
        assert c.swc == pytest.approx(0.2)
        assert c.swc_source == "baseline"

    def test_baseline_from_earlier_analyses(self) -> None:
        earlier = [analyse(*simulate(REST, 50 + i)) for i in range(4)]
        base = Baseline.from_analyses(earlier)
        ln = [e.metrics.ln_rmssd for e in earlier if e.metrics.ln_rmssd is not None]
        assert base.n_sessions == 4
        assert base.ln_rmssd_sd == pytest.approx(float(np.std(ln, ddof=1)))

    def test_too_small_baseline_falls_back_with_caveat(self) -> None:
        a, fa = simulate(REST, 61)
        b, fb = simulate(REST, 62)
        base = Baseline(n_sessions=2, ln_rmssd_mean=3.3, ln_rmssd_sd=0.4)
        s = compare(analyse(a, fa), analyse(b, fb), baseline=base)
        assert s.changes["ln_rmssd"].swc_source == "published"
        assert "baseline_too_small" in {c.code for c in s.verdict.caveats}


class TestContract:
    def test_to_dict_is_json_ready(self) -> None:
        shift, _ = _runs(REST, VAGAL)[1]
        d = shift.to_dict()
        text = json.dumps(d, allow_nan=False)
        assert {"pre", "post", "changes", "verdict", "trend"} <= set(d)
        for m in ("rmssd_ms", "hf_power_ms2", "lf_hf_ratio", "mean_hr_bpm", "ln_rmssd",
                  "ln_hf", "lf_power_ms2", "sd1_ms", "respiration_rate_bpm"):
            assert {"pre", "post", "delta", "pct_change", "ci_low", "ci_high",
                    "meaningful"} <= set(d["changes"][m])
        assert {"direction", "confidence", "summary", "caveats"} <= set(d["verdict"])
        assert "sympathovagal" not in text.lower()

    def test_unknown_uncertainty_method_lists_the_valid_ones(self) -> None:
        with pytest.raises(ConfigError, match="subwindows"):
            ShiftConfig(uncertainty="jackknife")  # type: ignore[arg-type]


class TestTrend:
    def test_windows_of_a_stationary_series(self) -> None:
        rr, f = simulate(REST, 71)
        t = windowed_trend(analyse(rr, f), window_s=60, step_s=30)
        # 300 s in 60 s windows every 30 s: starts 0..240 -> 9 windows (the last may
        # fall a fraction of a beat short of 300 s and is then dropped).
        assert len(t.t_start_s) in (8, 9)
        assert np.allclose(np.diff(t.t_start_s), 30.0)
        # Each 60 s window holds ~70 beats: RMSSD within 30 % of the analytic value
        # (sampling SD over 60 s ~ 10 %), HR within 1 bpm of the generator's 70.
        exp = expected_rmssd_ms(REST, f)
        assert np.all(np.abs(t.rmssd_ms / exp - 1) < 0.3)
        assert np.all(np.abs(t.mean_hr_bpm - REST.mean_hr_bpm) < 1.0)
        assert np.all(np.isfinite(t.hf_power_ms2))


class TestComparability:
    def test_fragmented_nn_series_is_inconclusive(self) -> None:
        # Every third beat marked non-normal (as in ventricular trigeminy): a third of the
        # beats are not normal, far above the 10 % the rhythm screen allows.
        rr, _ = simulate(REST, 81)
        s = compare(analyse(*simulate(REST, 82)), _with_non_normal(rr, 3))
        assert s.verdict.direction is Direction.INCONCLUSIVE
        assert "rhythm_not_interpretable" in {c.code for c in s.verdict.caveats}
        assert "33% of the post recording's beats" in s.verdict.summary

    def test_series_broken_by_gaps_is_inconclusive(self) -> None:
        # Two of every three intervals flagged as gaps (a device dropping beats): every
        # beat is normal, but NN intervals cover about a third of the recording, below
        # the 50 % the rule requires.
        from hrv.analysis import analyze_beat_times

        rr, _ = simulate(REST, 83)
        t = np.concatenate([[0.0], np.cumsum(rr) / 1000.0])
        gaps = np.arange(len(rr)) % 3 != 0
        s = compare(analyse(*simulate(REST, 84)), analyze_beat_times(t, gap_flags=gaps))
        assert s.verdict.direction is Direction.INCONCLUSIVE
        codes = {c.code for c in s.verdict.caveats}
        assert "too_few_normal_intervals" in codes
        assert "rhythm_not_interpretable" not in codes

    def test_ecg_against_ppg_is_flagged(self) -> None:
        import dataclasses

        from hrv.types import SignalKind

        a = analyse(*simulate(REST, 91))
        b = dataclasses.replace(analyse(*simulate(REST, 92)), kind=SignalKind.PPG)
        s = compare(a, b)
        assert "different_kind" in {c.code for c in s.verdict.caveats}
        assert s.to_dict(include_beats=False)["post"]["variability"] == "PRV"

    def test_docstring_example(self) -> None:
        import hrv
        from hrv.simulate import rr_series

        pre = hrv.analyze_intervals(rr_series(300, mean_hr_bpm=72, hf_amplitude_ms=20,
                                              noise_ms=8, seed=1), unit="ms")
        post = hrv.analyze_intervals(rr_series(300, mean_hr_bpm=64, hf_amplitude_ms=35,
                                               noise_ms=12, seed=2), unit="ms")
        assert hrv.compare(pre, post).verdict.direction is Direction.PARASYMPATHETIC_INCREASE


def _with_non_normal(rr_ms: np.ndarray, every: int) -> Analysis:
    """Beat-times analysis of ``rr_ms`` with every ``every``-th beat marked non-normal."""
    from hrv.analysis import analyze_beat_times

    t = np.concatenate([[0.0], np.cumsum(rr_ms) / 1000.0])
    normal = np.ones(len(t), dtype=bool)
    normal[::every] = False
    return analyze_beat_times(t, normal=normal)


class TestNonNormalBeats:
    # A true vagal increase (+50 % RMSSD, -8 bpm): only the share of non-normal beats in
    # the post recording differs between the cases. Above the rhythm screen's 10 % limit
    # (hrv.rhythm.ECTOPIC_MAX_SHARE) HRV is "not interpretable" and no verdict may rest on
    # it, even though NN intervals still cover more than half of the recording (a paced
    # or ectopic rhythm whose every 8th beat is abnormal covers ~75 %).
    def test_above_the_limit_is_inconclusive_with_the_reason(self) -> None:
        pre = analyse(*simulate(REST, 101))
        rr, _ = simulate(VAGAL, 102)
        post = _with_non_normal(rr, 8)  # 12.5 % non-normal
        assert post.nn.rr_ms.sum() / 1000.0 / post.duration_s > 0.5
        s = compare(pre, post)
        assert s.verdict.direction is Direction.INCONCLUSIVE
        codes = {c.code for c in s.verdict.caveats}
        assert "rhythm_not_interpretable" in codes
        assert "13% of the post recording's beats" in s.verdict.summary
        assert s.verdict.next_time is not None and "pacemaker" in s.verdict.next_time

    def test_between_half_and_the_limit_is_a_caveat(self) -> None:
        pre = analyse(*simulate(REST, 103))
        rr, _ = simulate(VAGAL, 104)
        s = compare(pre, _with_non_normal(rr, 14))  # 7.1 % non-normal
        codes = {c.code for c in s.verdict.caveats}
        assert "arrhythmia" in codes and "rhythm_not_interpretable" not in codes
        assert s.verdict.direction is not Direction.INCONCLUSIVE

    def test_few_non_normal_beats_leave_the_verdict_alone(self) -> None:
        pre = analyse(*simulate(REST, 105))
        rr, _ = simulate(VAGAL, 106)
        s = compare(pre, _with_non_normal(rr, 40))  # 2.5 % non-normal
        assert not {"arrhythmia", "rhythm_not_interpretable"} & {
            c.code for c in s.verdict.caveats}
        assert s.verdict.direction is Direction.PARASYMPATHETIC_INCREASE


class TestSummaryWording:
    def test_unknown_breathing_in_both_is_said_once_and_plainly(self) -> None:
        import hrv
        from hrv.simulate import rr_series

        # Red noise only: no breathing peak, so the rate is unknown in both recordings.
        pre = hrv.analyze_intervals(rr_series(300, noise_ms=30, noise_ar=0.9, seed=3))
        post = hrv.analyze_intervals(rr_series(300, noise_ms=30, noise_ar=0.9, seed=4))
        assert pre.respiration.hf_band_valid is None
        assert post.respiration.hf_band_valid is None
        text = compare(pre, post).verdict.summary
        assert text.count("unknown") == 1
        assert "unknown in both recordings" in text
        assert "9–24 breaths/min" in text

    def test_technical_names_come_with_plain_ones(self) -> None:
        shift, _ = _runs(REST, VAGAL)[2]
        text = shift.verdict.summary
        assert "beat-to-beat variation (RMSSD)" in text
        # LF/HF is never evidence: its value is not put before the reader.
        assert "LF/HF went" not in text and "sympathovagal" not in text.lower()

    def test_values_that_round_alike_keep_a_decimal(self) -> None:
        from hrv.shift._verdict import _pair

        assert _pair(16.6, 17.2) == ("16.6", "17.2")
        assert _pair(33.4, 39.1) == ("33", "39")
        assert _pair(5.0, 5.0) == ("5.0", "5.0")
