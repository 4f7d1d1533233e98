"""Breathing rate from the RSA peak, and fusion of breathing-rate estimates."""

from __future__ import annotations

import math

import pytest

from hrv.config import RespirationConfig, SpectrumConfig, SpectrumMethod
from hrv.metrics.frequency import FrequencyDomain, frequency_domain
from hrv.respiration import fuse_respiration, rsa_rate_bpm
from hrv.simulate import rr_series
from hrv.types import Intervals

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
        # a flat (white-noise) 5-min spectrum shows a spurious "clear" peak in about 5 %
        # of draws (measured over 20 seeds); allow 2 of 10, without the clarity rule it
        # would be 10 of 10
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

    def test_waveform_estimate_wins_when_rsa_disagrees(self) -> None:
        # RSA says 6/min (a Mayer wave?), the ECG-derived respiration 15/min: 9 > 3 apart
        r = fuse_respiration({"rsa": 6.0, "edr": 15.0})
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
