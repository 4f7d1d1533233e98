"""Breathing rate from the RSA peak, and fusion of breathing-rate estimates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hrv
from hrv.config import RespirationConfig, SpectrumConfig, SpectrumMethod
from hrv.errors import ConfigError
from hrv.metrics.frequency import FrequencyDomain, frequency_domain
from hrv.respiration import fuse_respiration, rsa_estimate, rsa_rate_bpm
from hrv.shift import compare
from hrv.simulate import rr_series
from hrv.types import Intervals, Respiration

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"

METHODS = [SpectrumMethod.WELCH, SpectrumMethod.LOMB]
# acceptance tolerance of the issue: 0.5 breaths/min (one Welch bin is 0.23 breaths/min)
TOL_BPM = 0.5


def _fd(method: SpectrumMethod, duration_s: float = 300, **kw: float) -> FrequencyDomain:
    rr = rr_series(duration_s, **kw)  # type: ignore[arg-type]
    return frequency_domain(Intervals.contiguous(rr), SpectrumConfig(method=method))


class TestRsaRate:
    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_15_per_min_with_equal_lf_and_hf(self, method: SpectrumMethod, seed: int) -> None:
        fd = _fd(method, lf_amplitude_ms=30, hf_amplitude_ms=30, seed=seed)
        assert rsa_rate_bpm(fd) == pytest.approx(15.0, abs=TOL_BPM)

    @pytest.mark.parametrize("method", METHODS)
    def test_rsa_found_beside_a_stronger_mayer_wave(self, method: SpectrumMethod) -> None:
        # LF 1.5 × the HF amplitude (2.25 × the peak height) is below the dominance ratio 4
        fd = _fd(method, lf_amplitude_ms=45, hf_amplitude_ms=30, noise_ms=5, seed=4)
        assert rsa_rate_bpm(fd) == pytest.approx(15.0, abs=TOL_BPM)

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("hf_amp", [0.0, 8.0])
    def test_slow_breathing_at_6_per_min(self, method: SpectrumMethod, hf_amp: float) -> None:
        # paced breathing at 0.1 Hz dominates; a small residual HF oscillation or only
        # noise above 0.12 Hz must not be taken for the breathing rate
        fd = _fd(method, lf_amplitude_ms=40, hf_amplitude_ms=hf_amp, noise_ms=5, seed=3)
        rate = rsa_rate_bpm(fd)
        assert rate == pytest.approx(6.0, abs=TOL_BPM)
        resp = fuse_respiration({"rsa": rate})
        assert resp.hf_band_valid is False and resp.source == "rsa"

    @pytest.mark.parametrize("method", METHODS)
    def test_other_rates_inside_and_above_the_hf_band(self, method: SpectrumMethod) -> None:
        fd = _fd(method, hf_amplitude_ms=25, hf_hz=0.35, noise_ms=5, seed=1)
        assert rsa_rate_bpm(fd) == pytest.approx(21.0, abs=TOL_BPM)
        # 27 breaths/min at HR 90 (beat rate 1.5 Hz, Nyquist 0.75 Hz): outside HF band
        fd = _fd(method, mean_hr_bpm=90, hf_amplitude_ms=15, hf_hz=0.45, noise_ms=3, seed=2)
        rate = rsa_rate_bpm(fd)
        assert rate == pytest.approx(27.0, abs=TOL_BPM)
        assert fuse_respiration({"rsa": rate}).hf_band_valid is False

    @pytest.mark.parametrize("method", METHODS)
    def test_noise_without_a_respiratory_peak_gives_none(self, method: SpectrumMethod) -> None:
        # a flat (white-noise) 5-min spectrum: the former peak rule found a spurious
        # "clear" peak in about 5 % of draws, the confidence rule in none of 40
        # (benchmarks/results/respiration_rsa.md); allow 2 of 10 (without any clarity
        # rule it would be 10 of 10)
        rates = [rsa_rate_bpm(_fd(method, noise_ms=20, seed=s)) for s in range(10)]
        assert sum(r is not None for r in rates) <= 2

    def test_no_spectrum_gives_none(self) -> None:
        fd = frequency_domain(Intervals.contiguous([800.0] * 40))
        assert fd.spectrum is None
        assert rsa_rate_bpm(fd) is None

    def test_search_ranges_come_from_the_config(self) -> None:
        fd = _fd(SpectrumMethod.WELCH, lf_amplitude_ms=40, noise_ms=5, seed=3)
        # with the slow range moved away from 0.1 Hz, the 6/min peak is no longer found
        assert rsa_rate_bpm(fd) == pytest.approx(6.0, abs=TOL_BPM)
        cfg = RespirationConfig(rsa_search_hz=(0.15, 0.5), slow_search_hz=(0.13, 0.15))
        rate = rsa_rate_bpm(fd, cfg)
        assert rate is None or rate >= 0.13 * 60


class TestFusion:
    def test_agreeing_estimates_are_combined_by_median(self) -> None:
        r = fuse_respiration({"rsa": 15.0, "edr": 16.0, "pdr": 15.6})
        assert r.rate_bpm == pytest.approx(15.6) and r.source == "fused"
        assert r.hf_band_valid is True
        assert r.estimates_bpm == {"rsa": 15.0, "edr": 16.0, "pdr": 15.6}

    def test_waveform_estimate_wins_over_an_unconfident_rsa(self) -> None:
        # no confident RSA peak (None): the ECG-derived rate is the rate
        r = fuse_respiration({"rsa": None, "edr": 15.0}, rsa_confidence=0.2)
        assert r.rate_bpm == pytest.approx(15.0) and r.source == "edr"
        assert r.hf_band_valid is True

    def test_disagreement_threshold_from_config(self) -> None:
        cfg = RespirationConfig(max_disagreement_bpm=10.0)
        r = fuse_respiration({"rsa": 6.0, "edr": 15.0}, cfg)
        assert r.rate_bpm == pytest.approx(10.5) and r.source == "fused"

    def test_unusable_estimates_are_ignored(self) -> None:
        r = fuse_respiration({"rsa": None, "edr": math.nan, "pdr": 7.5})
        assert r.rate_bpm == pytest.approx(7.5) and r.source == "pdr"
        assert r.hf_band_valid is False
        assert set(r.estimates_bpm) == {"rsa", "edr", "pdr"}

    def test_no_estimate_gives_none(self) -> None:
        r = fuse_respiration({"rsa": None})
        assert r.rate_bpm is None and r.hf_band_valid is None and r.source == "none"
        assert fuse_respiration({}).rate_bpm is None

    @pytest.mark.parametrize(
        ("rate", "valid"), [(8.9, False), (9.0, True), (24.0, True), (24.1, False)]
    )
    def test_hf_band_limits_are_inclusive(self, rate: float, valid: bool) -> None:
        assert fuse_respiration({"rsa": rate}).hf_band_valid is valid

    def test_limits_come_from_the_config(self) -> None:
        cfg = RespirationConfig(hf_valid_min_bpm=5.0, hf_valid_max_bpm=30.0)
        assert fuse_respiration({"rsa": 6.0}, cfg).hf_band_valid is True


class TestRsaConfidence:
    """The RR-only estimate says when it does not know (rate and HF validity ``None``)."""

    @staticmethod
    def _analyse(rr: np.ndarray) -> hrv.Analysis:
        return hrv.analyze_intervals(rr, unit="ms")

    @pytest.mark.parametrize("bpm", [5.0, 6.0, 7.0])
    def test_slow_breathing_is_recognised_from_rr_alone(self, bpm: float) -> None:
        # paced breathing: RSA of 40 ms dominates the NN spectrum; the truth is the
        # generator's rate, tolerance 0.5/min as the acceptance test
        for seed in range(3):
            rr = rr_series(300, lf_amplitude_ms=40, lf_hz=bpm / 60, noise_ms=8, seed=seed)
            r = self._analyse(rr).respiration
            assert r.rate_bpm == pytest.approx(bpm, abs=TOL_BPM)
            assert r.hf_band_valid is False and r.source == "rsa"
            assert r.confidence is not None and r.confidence >= 0.7

    def test_normal_breathing_beside_a_mayer_wave_is_confident(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=20, hf_amplitude_ms=20, hf_hz=0.22, noise_ms=8,
                       seed=5)
        r = self._analyse(rr).respiration
        assert r.rate_bpm == pytest.approx(13.2, abs=TOL_BPM)
        assert r.hf_band_valid is True
        assert r.confidence is not None and r.confidence >= 0.5

    def test_vlf_like_noise_without_breathing_gives_unknown(self) -> None:
        # AR(1) noise (coefficient 0.9, per beat) has a smooth red spectrum and no
        # oscillation at all; the former rule claimed a rate outside 9-24/min in 14 of 20
        # such series (mostly 3-8/min, the slow-breathing trap). Allow 2 of 20 rates and
        # no HF-invalid call: the truth is that there is no breathing peak to find.
        out = [self._analyse(rr_series(300, noise_ms=30, noise_ar=0.9, seed=s)).respiration
               for s in range(20)]
        assert sum(r.rate_bpm is not None for r in out) <= 2
        assert not any(r.hf_band_valid is False for r in out)
        unknown = [r for r in out if r.rate_bpm is None]
        assert all(r.hf_band_valid is None and r.source == "none" for r in unknown)
        assert all(r.confidence is not None and r.confidence < 0.7 for r in unknown)

    def test_mayer_wave_three_times_rsa_is_ambiguous(self) -> None:
        # a sinusoidal Mayer wave 3x the RSA amplitude (PSD ratio 9) looks exactly like
        # breathing at 6/min in the spectrum; true breathing is 13.2/min. The former rule
        # said 6/min (HF invalid); the spectral rule alone says "unknown". The breath
        # count sees a steady 13.2/min rhythm (not a harmonic of 6/min) and gives the
        # true rate; never 6/min.
        for seed in range(3):
            rr = rr_series(300, lf_amplitude_ms=45, hf_amplitude_ms=15, hf_hz=0.22,
                           noise_ms=5, seed=seed)
            nn = Intervals.contiguous(rr)
            fd = frequency_domain(nn)
            spectral = rsa_estimate(fd, nn=nn, count=False)
            assert spectral.rate_bpm is None
            assert spectral.candidate_bpm == pytest.approx(6.0, abs=TOL_BPM)
            assert spectral.confidence is not None and spectral.confidence < 0.5
            est = rsa_estimate(fd, nn=nn)
            assert est.rate_bpm == pytest.approx(13.2, abs=TOL_BPM)
            assert not est.outside_hf_band and est.method == "spectral+count"

    def test_sub_windows_need_the_nn_series(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=5, seed=2)
        nn = Intervals.contiguous(rr)
        fd = frequency_domain(nn)
        with_nn, without = rsa_estimate(fd, nn=nn), rsa_estimate(fd)
        # 300 s give 9 sub-windows of 60 s (30-s step); a steady 15/min oscillation puts
        # every sub-window's peak within 0.03 Hz of it
        assert with_nn.consistency == pytest.approx(1.0)
        assert without.consistency is None
        assert with_nn.rate_bpm == pytest.approx(15.0, abs=TOL_BPM)
        assert without.rate_bpm == pytest.approx(15.0, abs=TOL_BPM)

    def test_breathing_that_changes_rate_is_not_consistent(self) -> None:
        # first half 10/min, second half 20/min: no single rate describes the recording;
        # either half alone gives its own rate
        a = rr_series(150, hf_amplitude_ms=25, hf_hz=10 / 60, noise_ms=5, seed=1)
        b = rr_series(150, hf_amplitude_ms=25, hf_hz=20 / 60, noise_ms=5, seed=2)
        nn = Intervals.contiguous(np.concatenate([a, b]))
        est = rsa_estimate(frequency_domain(nn), nn=nn)
        assert est.consistency is not None and est.consistency <= 0.6
        half = Intervals.contiguous(b)
        assert rsa_rate_bpm(frequency_domain(half), nn=half) == pytest.approx(20, abs=TOL_BPM)

    def test_confidence_is_reported_and_serialised(self) -> None:
        r = self._analyse(rr_series(300, hf_amplitude_ms=25, noise_ms=5, seed=3)).respiration
        d = r.to_dict()
        assert d["confidence"] == pytest.approx(r.confidence)
        assert 0.0 <= d["confidence"] <= 1.0
        assert Respiration().to_dict()["confidence"] is None

    def test_confidence_thresholds_come_from_the_config(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=40, noise_ms=8, seed=0)
        nn = Intervals.contiguous(rr)
        fd = frequency_domain(nn)
        assert rsa_rate_bpm(fd, nn=nn) == pytest.approx(6.0, abs=TOL_BPM)
        strict = RespirationConfig(slow_min_confidence=1.0, min_confidence=1.0)
        est = rsa_estimate(fd, strict, nn=nn)
        assert est.confidence is not None
        assert (est.rate_bpm is None) == (est.confidence < 1.0)
        for bad in (0.0, 1.5, math.nan):
            with pytest.raises(ConfigError):
                RespirationConfig(min_confidence=bad)
            with pytest.raises(ConfigError):
                RespirationConfig(slow_min_confidence=bad)


@st.composite
def _gappy_series(draw: st.DrawFn) -> Intervals:
    """A modulated RR series of 1-6 min with random gaps (flagged holes of 1.5 s or 60 s)."""
    duration = draw(st.floats(60.0, 360.0))
    rr = rr_series(duration, lf_amplitude_ms=draw(st.floats(0, 60)),
                   hf_amplitude_ms=draw(st.floats(0, 60)), hf_hz=draw(st.floats(0.13, 0.45)),
                   noise_ms=draw(st.floats(0, 40)), noise_ar=draw(st.floats(0, 0.95)),
                   seed=draw(st.integers(0, 10_000)))
    gaps = np.array(draw(st.lists(st.booleans(), min_size=rr.size, max_size=rr.size)))
    gaps &= np.random.default_rng(0).random(rr.size) < 0.02
    t = np.cumsum(rr) / 1000.0 + np.cumsum(gaps) * draw(st.sampled_from([1.5, 60.0]))
    gaps[0] = True
    return Intervals(rr, t, gaps)


class TestRsaEstimateProperties:
    @settings(max_examples=40, deadline=None)
    @given(nn=_gappy_series(), method=st.sampled_from(list(SpectrumMethod)))
    def test_confidence_decides_the_rate(self, nn: Intervals, method: SpectrumMethod) -> None:
        # the documented contract: confidence in [0, 1]; a rate is given exactly when the
        # confidence reaches the threshold for its side of the HF band
        cfg = RespirationConfig()
        est = rsa_estimate(frequency_domain(nn, SpectrumConfig(method=method)), cfg, nn=nn)
        if est.confidence is None:
            assert est.rate_bpm is None and est.candidate_bpm is None
            return
        assert 0.0 <= est.confidence <= 1.0
        assert est.consistency is None or 0.0 <= est.consistency <= 1.0
        need = cfg.slow_min_confidence if est.outside_hf_band else cfg.min_confidence
        assert (est.rate_bpm is not None) == (est.confidence >= need)
        if est.rate_bpm is not None:
            assert est.rate_bpm == est.candidate_bpm
            # the parabolic refinement may move the rate by up to one bin (0.23/min for
            # 256-s Welch segments) past the edge of the search range
            lo, hi = 60 * cfg.slow_search_hz[0], 60 * cfg.rsa_search_hz[1]
            assert lo - 0.25 <= est.rate_bpm <= hi + 0.25


class TestFusionConflict:
    """A confident RSA peak against waveform-derived rates more than 3/min apart."""

    # formerly the ECG-derived rate won here (``test_waveform_estimate_wins_when_rsa_
    # disagrees``); the rule now leaves such a single contradiction unknown
    @pytest.mark.parametrize(("rsa", "key", "wave"),
                             [(6.0, "edr", 15.0), (10.0, "edr", 6.1), (10.0, "edr", 17.6),
                              (16.3, "pdr", 6.1)])
    def test_one_waveform_estimate_against_rsa_is_a_conflict(
        self, rsa: float, key: str, wave: float
    ) -> None:
        r = fuse_respiration({"rsa": rsa, key: wave}, rsa_confidence=0.9)
        assert r.rate_bpm is None and r.hf_band_valid is None
        assert r.source == "conflict"
        assert r.estimates_bpm == {"rsa": rsa, key: wave}
        assert r.confidence is None

    def test_two_agreeing_waveform_estimates_outvote_rsa(self) -> None:
        # EDR 6.1 and PDR 6.6 agree (0.5 apart); RSA 10.7 is 4.35 from their median 6.35
        r = fuse_respiration({"rsa": 10.7, "edr": 6.1, "pdr": 6.6})
        assert r.rate_bpm == pytest.approx(6.35) and r.source == "fused"
        assert r.hf_band_valid is False

    def test_two_disagreeing_waveform_estimates_do_not_settle_it(self) -> None:
        # EDR 6.1 and PDR 17.6 are 11.5 apart; their median 11.85 is 4.85 from RSA 7
        r = fuse_respiration({"rsa": 7.0, "edr": 6.1, "pdr": 17.6})
        assert r.rate_bpm is None and r.source == "conflict"

    def test_difference_at_the_threshold_is_agreement(self) -> None:
        # exactly 3/min apart is not "more than 3": median of the two
        r = fuse_respiration({"rsa": 12.0, "edr": 15.0})
        assert r.rate_bpm == pytest.approx(13.5) and r.source == "fused"

    def test_conflict_threshold_from_config(self) -> None:
        cfg = RespirationConfig(max_disagreement_bpm=1.0)
        assert fuse_respiration({"rsa": 12.0, "edr": 14.0}, cfg).source == "conflict"
        # two waveform rates 1.0 apart agree under the tighter threshold
        r = fuse_respiration({"rsa": 12.0, "edr": 14.0, "pdr": 15.0}, cfg)
        assert r.rate_bpm == pytest.approx(14.5)

    def test_conflict_sets_hf_aside_in_a_shift_report(self) -> None:
        # pre: clean 15/min RSA; post: the same series analysed with a contradicting
        # ECG-derived rate -> unknown breathing, so HF is not used as evidence
        import dataclasses

        pre = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=25, noise_ms=5, seed=1))
        rsa = pre.respiration.rate_bpm
        assert rsa is not None
        resp = fuse_respiration({"rsa": rsa, "edr": rsa + 8.0}, rsa_confidence=0.9)
        post = dataclasses.replace(pre, respiration=resp)
        s = compare(pre, post)
        assert "breathing_rate_unknown" in {c.code for c in s.verdict.caveats}
        assert not {"ln_hf", "hf_power_ms2", "lf_hf_ratio"} & set(s.verdict.evidence)


class TestFusionConfidence:
    def test_rsa_confidence_follows_an_rsa_rate(self) -> None:
        r = fuse_respiration({"rsa": 15.0}, rsa_confidence=0.8)
        assert r.confidence == pytest.approx(0.8) and r.source == "rsa"

    def test_unknown_rate_keeps_the_weak_confidence(self) -> None:
        r = fuse_respiration({"rsa": None}, rsa_confidence=0.2)
        assert r.rate_bpm is None and r.hf_band_valid is None
        assert r.confidence == pytest.approx(0.2)

    def test_waveform_rates_are_not_scored(self) -> None:
        assert fuse_respiration({"rsa": None, "edr": 15.0}, rsa_confidence=0.2).confidence is None
        assert fuse_respiration({"rsa": 15.2, "edr": 15.0}, rsa_confidence=0.9).confidence is None


class TestShiftWithUnknownBreathing:
    def test_unknown_breathing_sets_hf_aside_with_its_own_caveat(self) -> None:
        # post: no breathing peak at all (red noise only) -> rate unknown, not "slow"
        pre = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=25, noise_ms=5, seed=1))
        post_rr = rr_series(300, noise_ms=30, noise_ar=0.9, seed=1)
        post = hrv.analyze_intervals(post_rr)
        assert pre.respiration.hf_band_valid is True
        assert post.respiration.hf_band_valid is None
        s = compare(pre, post)
        codes = {c.code for c in s.verdict.caveats}
        assert "breathing_rate_unknown" in codes
        assert "breathing_outside_hf_band" not in codes
        assert not {"ln_hf", "hf_power_ms2", "lf_hf_ratio"} & set(s.verdict.evidence)
        assert "unknown" in s.verdict.summary


_NSR = DATA / "nsr2db" / "nsr001.ecg"


@pytest.mark.slow
@pytest.mark.skipif(not _NSR.exists(), reason=f"{_NSR} not found (shared data beside the project)")
class TestNsr2dbFalseSlowBreathing:
    def test_few_5_min_windows_claim_breathing_outside_the_hf_band(self) -> None:
        # The first 2 h of nsr001 and nsr009 (healthy adults, 24 five-minute windows each):
        # breathing at rest is rarely below 8/min, so a claimed rate outside 9-24/min is
        # almost always a Mayer wave or VLF power. The former rule claimed one in ~50 % of
        # all 832 windows (benchmarks/results/respiration_rsa.md); allow 5 %.
        import wfdb

        claims = []
        for name in ("nsr001", "nsr009"):
            ann = wfdb.rdann(str(DATA / "nsr2db" / name), "ecg")
            sym = np.asarray(ann.symbol)
            beat = np.isin(sym, list("NVA"))
            t = np.asarray(ann.sample, dtype=np.float64)[beat] / float(ann.fs or 128.0)
            normal = sym[beat] == "N"
            for lo in np.arange(t[0], t[0] + 7200.0, 300.0):
                m = (t >= lo) & (t < lo + 300.0)
                r = hrv.analyze_beat_times(t[m], normal=normal[m]).respiration
                claims.append(r.hf_band_valid)
        assert len(claims) == 48
        assert sum(c is False for c in claims) <= 0.05 * len(claims)


class TestConflictReported:
    def test_conflict_gives_a_quality_warning_and_its_own_shift_reason(self) -> None:
        # A confident RSA at 15/min against an ECG-derived 6/min: the pipeline must say
        # the estimates disagree, and the shift report must give that as the reason.
        import dataclasses

        import hrv
        from hrv.respiration import fuse_respiration
        from hrv.simulate import rr_series

        a = hrv.analyze_intervals(
            rr_series(300, lf_amplitude_ms=10, hf_amplitude_ms=30, hf_hz=0.25, seed=3),
            unit="ms",
        )
        conflict = fuse_respiration({"rsa": a.respiration.rate_bpm, "edr": 6.0})
        assert conflict.source == "conflict"
        post = dataclasses.replace(a, respiration=conflict)
        shift = hrv.compare(a, post)
        text = " ".join(c.message for c in shift.verdict.caveats)
        assert "disagree" in text
