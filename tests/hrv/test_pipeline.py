"""End-to-end tests of the interval pipeline against known answers."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hrv
from hrv import AnalysisConfig, HRVError, InsufficientDataError, InvalidInputError
from hrv.simulate import rr_series

CONTRACT_METRICS = {
    "mean_nn_ms", "mean_hr_bpm", "sdnn_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct",
    "vlf_power_ms2", "lf_power_ms2", "hf_power_ms2", "lf_hf_ratio", "lf_nu", "hf_nu",
    "lf_peak_hz", "hf_peak_hz", "sd1_ms", "sd2_ms",
}


def _textbook_rmssd(rr: np.ndarray) -> float:
    return math.sqrt(sum((b - a) ** 2 for a, b in itertools.pairwise(rr)) / (len(rr) - 1))


class TestContract:
    def test_to_dict_has_contract_keys_and_is_json(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=20, hf_amplitude_ms=25, noise_ms=3, seed=3)
        d = hrv.analyze_intervals(rr, unit="ms").to_dict()
        assert d["kind"] == "rr"
        assert d["duration_s"] == pytest.approx(rr.sum() / 1000)
        assert set(d["metrics"]) >= CONTRACT_METRICS
        assert {"rate_bpm", "hf_band_valid"} <= set(d["respiration"])
        assert d["quality"]["grade"] in {"good", "fair", "poor", "unusable"}
        assert {"beats", "corrected_beats", "corrected_pct", "warnings"} <= set(d["quality"])
        assert len(d["beats"]["times_s"]) == len(rr) + 1  # n intervals need n + 1 beats
        assert d["provenance"]["hrv_version"] == hrv.__version__
        assert d["provenance"]["config"] == AnalysisConfig().to_dict()
        json.dumps(d, allow_nan=False)  # strict JSON: no NaN anywhere

    def test_provenance_records_overrides(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, seed=1)
        cfg = AnalysisConfig.from_dict({"spectrum": {"method": "lomb"}})
        a = hrv.analyze_intervals(rr, unit="ms", config=cfg)
        assert a.provenance["config"]["spectrum"]["method"] == "lomb"
        assert AnalysisConfig.from_dict(a.provenance["config"]) == cfg


class TestKnownAnswers:
    def test_rmssd_matches_textbook_on_clean_series(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=15, hf_amplitude_ms=20, noise_ms=4, seed=7)
        a = hrv.analyze_intervals(rr, unit="ms")
        assert a.quality.corrected_beats == 0
        assert a.metrics.rmssd_ms == pytest.approx(_textbook_rmssd(rr), rel=1e-12)
        assert a.metrics.mean_hr_bpm == pytest.approx(60000 / rr.mean(), rel=1e-9)

    def test_band_powers_of_sinusoids(self) -> None:
        # Amplitude A ms at 0.1 and 0.25 Hz carries A^2/2 ms^2 in LF and HF (issue: 5 %).
        a_lf, a_hf = 20.0, 30.0
        rr = rr_series(300, lf_amplitude_ms=a_lf, hf_amplitude_ms=a_hf, seed=2)
        m = hrv.analyze_intervals(rr, unit="ms").metrics
        assert m.lf_power_ms2 == pytest.approx(a_lf**2 / 2, rel=0.05)
        assert m.hf_power_ms2 == pytest.approx(a_hf**2 / 2, rel=0.05)
        assert m.lf_hf_ratio == pytest.approx(a_lf**2 / a_hf**2, rel=0.05)

    def test_breathing_rate_and_slow_breathing_flag(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=10, hf_amplitude_ms=30, hf_hz=0.25, seed=4)
        r = hrv.analyze_intervals(rr, unit="ms").respiration
        assert r.rate_bpm == pytest.approx(15.0, abs=0.5)
        assert r.hf_band_valid is True
        slow = rr_series(300, hf_amplitude_ms=40, hf_hz=0.1, noise_ms=2, seed=4)
        a = hrv.analyze_intervals(slow, unit="ms")
        assert a.respiration.rate_bpm == pytest.approx(6.0, abs=0.5)
        assert a.respiration.hf_band_valid is False
        assert a.quality.has_warning("breathing_outside_hf_band")


class TestUnitsAndGaps:
    def test_seconds_and_polar_ticks_give_same_result(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=5)
        ms = hrv.analyze_intervals(rr, unit="ms").metrics.rmssd_ms
        assert hrv.analyze_intervals(rr / 1000).metrics.rmssd_ms == pytest.approx(ms)
        ticks = rr * 1.024
        assert hrv.analyze_intervals(ticks, unit="1/1024s").metrics.rmssd_ms == pytest.approx(ms)

    def test_flagged_gap_is_not_bridged(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=6)
        flags = np.zeros(len(rr), dtype=bool)
        flags[150] = True
        a = hrv.analyze_intervals(rr, unit="ms", gap_flags=flags)
        assert len(a.nn) == len(rr) - 1
        diffs = np.diff(rr)
        keep = np.ones(len(diffs), dtype=bool)
        keep[149:151] = False  # the two differences that touch the dropped interval
        assert a.metrics.rmssd_ms == pytest.approx(np.sqrt(np.mean(diffs[keep] ** 2)), rel=1e-9)

    def test_time_jump_is_a_gap(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=8)
        with_jump = np.insert(rr, 100, 30_000.0)  # 30 s without beats
        a = hrv.analyze_intervals(with_jump, unit="ms")
        assert a.nn.rr_ms.max() < 3000
        assert a.provenance["gaps"] >= 1


class TestBadInput:
    @pytest.mark.parametrize(
        "rr",
        [[], [np.nan] * 50, [800.0] * 20 + [np.inf] + [800.0] * 20, [800.0, 0.0, 810.0] * 20,
         [800.0, -5.0, 810.0] * 20],
    )
    def test_invalid(self, rr: list[float]) -> None:
        with pytest.raises(InvalidInputError):
            hrv.analyze_intervals(rr, unit="ms")

    def test_too_few(self) -> None:
        with pytest.raises(InsufficientDataError):
            hrv.analyze_intervals([800.0], unit="ms")

    def test_unsorted_beat_times(self) -> None:
        with pytest.raises(InvalidInputError, match="increasing"):
            hrv.analyze_beat_times([0.0, 0.8, 1.6, 1.5, 2.4] * 10)

    def test_short_recording_nulls_spectral_values_with_reason(self) -> None:
        rr = rr_series(45, hf_amplitude_ms=25, seed=9)
        a = hrv.analyze_intervals(rr, unit="ms")
        assert a.metrics.hf_power_ms2 is None
        assert a.metrics.lf_power_ms2 is None
        assert a.metrics.rmssd_ms is not None
        assert a.quality.grade in {hrv.Grade.POOR, hrv.Grade.UNUSABLE}
        assert a.quality.warnings

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        hnp.arrays(
            np.float64,
            st.integers(0, 400),
            elements=st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.floats(300, 2000),
            ),
        )
    )
    def test_any_input_returns_or_raises_hrverror(self, rr: np.ndarray) -> None:
        try:
            a = hrv.analyze_intervals(rr)
        except HRVError:
            return
        json.dumps(a.to_dict(), allow_nan=False)


class TestBeatTimes:
    def test_beat_times_equal_intervals(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=10)
        t = np.concatenate([[0.0], np.cumsum(rr) / 1000])
        a = hrv.analyze_beat_times(t)
        b = hrv.analyze_intervals(rr, unit="ms")
        assert a.metrics.rmssd_ms == pytest.approx(b.metrics.rmssd_ms, rel=1e-9)
        assert a.metrics.hf_power_ms2 == pytest.approx(b.metrics.hf_power_ms2, rel=1e-6)

    def test_mostly_abnormal_beats_give_unusable_result_not_error(self) -> None:
        # A paced rhythm: every beat labelled non-normal. Valid input, nothing to measure.
        t = np.arange(400) * 0.8
        normal = np.zeros(len(t), dtype=bool)
        a = hrv.analyze_beat_times(t, normal=normal)
        assert a.quality.grade is hrv.Grade.UNUSABLE
        assert a.metrics.rmssd_ms is None
        codes = {w.code for w in a.quality.warnings}
        assert "no_usable_beats" in codes
        assert "high_ectopic_burden" in codes

    def test_beat_classification_reaches_rhythm_screen(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=12)
        t = np.concatenate([[0.0], np.cumsum(rr) / 1000])
        normal = np.ones(len(t), dtype=bool)
        normal[::6] = False  # 17 % non-normal beats
        a = hrv.analyze_beat_times(t, normal=normal)
        assert a.quality.has_warning("high_ectopic_burden")
        assert a.quality.grade in {hrv.Grade.POOR, hrv.Grade.UNUSABLE}

    def test_unlabelled_too_few_beats_still_raise(self) -> None:
        with pytest.raises(InsufficientDataError):
            hrv.analyze_beat_times([0.0, 0.8])

    def test_abnormal_beats_excluded(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=3, seed=11)
        t = np.concatenate([[0.0], np.cumsum(rr) / 1000])
        normal = np.ones(len(t), dtype=bool)
        normal[50] = False
        a = hrv.analyze_beat_times(t, normal=normal)
        assert len(a.nn) == len(rr) - 2


class TestArtefactRobustness:
    @pytest.mark.parametrize("seed", range(12))
    def test_realistic_series_with_artefacts_always_analyses(self, seed: int) -> None:
        # Missed, extra and ectopic beats plus gaps at random places: a valid recording
        # must always give a result, and the clean NN beat times must stay increasing.
        rng = np.random.default_rng(seed)
        rr = list(rr_series(600, lf_amplitude_ms=25, hf_amplitude_ms=30, noise_ms=8,
                            noise_ar=0.5, seed=seed))
        for _ in range(20):
            i = int(rng.integers(2, len(rr) - 3))
            kind = rng.integers(4)
            if kind == 0:  # missed beat
                rr[i:i + 2] = [rr[i] + rr[i + 1]]
            elif kind == 1:  # extra beat
                f = rng.uniform(0.2, 0.8)
                rr[i:i + 1] = [rr[i] * f, rr[i] * (1 - f)]
            elif kind == 2:  # ectopic: premature beat with compensatory pause
                d = rr[i] * rng.uniform(0.2, 0.4)
                rr[i], rr[i + 1] = rr[i] - d, rr[i + 1] + d
            else:  # lost connection
                rr[i] = rng.uniform(3500, 20000)
        a = hrv.analyze_intervals(np.asarray(rr), unit="ms")
        assert np.all(np.diff(a.nn.t_s) > 0)
        assert a.metrics.rmssd_ms is not None
        assert a.quality.corrected_beats > 0
