"""Breathing rate by counting RSA cycles, and its fusion with the spectral RSA peak."""

from __future__ import annotations

import numpy as np
import pytest

import hrv
from hrv.metrics.frequency import frequency_domain
from hrv.respiration import count_breaths, rsa_estimate
from hrv.respiration._count import WIDE_BAND_HZ
from hrv.simulate import rr_series
from hrv.types import Intervals


def _variable(duration_s: float, bpm: float, cv: float, rsa_ms: float, seed: int,
              mayer_ms: float = 10.0, noise_ms: float = 6.0) -> np.ndarray:
    """RR (ms): breath-by-breath varying breathing (period CV ``cv``) + 0.1-Hz Mayer wave."""
    rng = np.random.default_rng(seed)
    period = 60.0 / bpm
    periods = np.clip(rng.normal(period, cv * period, 400), 0.5 * period, 2.0 * period)
    edges = np.concatenate(([0.0], np.cumsum(periods)))
    rr, t = [], 0.0
    phase_m = rng.uniform(0, 2 * np.pi)
    while t < duration_s:
        k = int(np.searchsorted(edges, t, side="right") - 1)
        phase = 2 * np.pi * (k + (t - edges[k]) / periods[k])
        x = (900.0 + rsa_ms * np.sin(phase) + mayer_ms * np.sin(2 * np.pi * 0.1 * t + phase_m)
             + rng.normal(0.0, noise_ms))
        rr.append(x)
        t += x / 1000.0
    return np.asarray(rr)


def _pink(seed: int, n: int = 400, sd_ms: float = 30.0) -> np.ndarray:
    """RR (ms) whose fluctuation has a 1/f power spectrum (no oscillation)."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return 900.0 + sd_ms * x / x.std()


def _estimate(rr: np.ndarray):  # type: ignore[no-untyped-def]
    nn = Intervals.contiguous(rr)
    return rsa_estimate(frequency_domain(nn), nn=nn)


class TestCountBreaths:
    @pytest.mark.parametrize("bpm", [12.0, 15.0, 18.0, 20.0])
    def test_regular_breathing_with_a_mayer_wave(self, bpm: float) -> None:
        # modest RSA (15 ms) beside an equal 0.1-Hz Mayer wave and AR noise: the count
        # finds the generator's rate (tolerance 1/min: missed or split breaths move the
        # mean interval) with a low CV
        for seed in range(3):
            rr = rr_series(300, lf_amplitude_ms=15, hf_amplitude_ms=15, hf_hz=bpm / 60,
                           noise_ms=8, noise_ar=0.3, seed=seed)
            c = count_breaths(Intervals.contiguous(rr))
            assert c.rate_bpm == pytest.approx(bpm, abs=1.0)
            assert c.cv is not None and c.cv < 0.2
            assert c.n_breaths >= 0.8 * 5 * bpm - 2

    def test_variable_rate_breathing(self) -> None:
        # each breath its own period (CV 15 %) around 15/min
        for seed in range(3):
            c = count_breaths(Intervals.contiguous(_variable(300, 15.0, 0.15, 20.0, seed)))
            assert c.rate_bpm == pytest.approx(15.0, abs=1.5)

    def test_slow_breathing_needs_the_wide_band(self) -> None:
        rr = rr_series(300, lf_amplitude_ms=40, lf_hz=6 / 60, noise_ms=5, seed=1)
        c = count_breaths(Intervals.contiguous(rr), WIDE_BAND_HZ)
        assert c.rate_bpm == pytest.approx(6.0, abs=0.5)
        assert c.cv is not None and c.cv < 0.16

    def test_noise_is_irregular(self) -> None:
        # band-passed white and 1/f noise still has cycles, but irregular ones
        cvs = [count_breaths(Intervals.contiguous(rr_series(300, noise_ms=20, seed=s))).cv
               for s in range(10)]
        cvs += [count_breaths(Intervals.contiguous(_pink(s))).cv for s in range(10)]
        assert all(cv is not None for cv in cvs)
        # regular breathing with a Mayer wave (above) stays below 0.2, median about 0.08
        assert np.median([cv for cv in cvs if cv is not None]) > 0.25

    def test_too_short_gives_none(self) -> None:
        c = count_breaths(Intervals.contiguous(np.full(10, 900.0)))
        assert c.rate_bpm is None and c.cv is None

    def test_gaps_split_the_series(self) -> None:
        # a 60-s hole in the middle: each half is counted on its own, no cycle across it
        rr = rr_series(300, hf_amplitude_ms=25, hf_hz=0.25, noise_ms=4, seed=2)
        t = np.cumsum(rr) / 1000.0
        gap = np.zeros(rr.size, dtype=bool)
        gap[0] = True
        mid = rr.size // 2
        t[mid:] += 60.0
        gap[mid] = True
        c = count_breaths(Intervals(rr, t, gap))
        assert c.rate_bpm == pytest.approx(15.0, abs=1.0)
        assert c.n_breaths < 5 * 15


class TestFusedEstimate:
    @pytest.mark.parametrize("bpm", [12.0, 15.0, 18.0, 20.0])
    def test_regular_breathing_gets_a_rate(self, bpm: float) -> None:
        for seed in range(3):
            rr = rr_series(300, lf_amplitude_ms=15, hf_amplitude_ms=15, hf_hz=bpm / 60,
                           noise_ms=8, noise_ar=0.3, seed=seed)
            est = _estimate(rr)
            assert est.rate_bpm == pytest.approx(bpm, abs=0.5)
            assert est.count_bpm is not None and est.method.startswith("spectral")

    def test_variable_rate_breathing_mostly_gets_a_rate(self) -> None:
        # the spectral peak of breathing with 20 % breath-to-breath variation is smeared;
        # the count confirms it: a rate within 2/min in at least 8 of 10 draws, no wrong one
        rates = [_estimate(_variable(300, 15.0, 0.20, 15.0, s)).rate_bpm for s in range(10)]
        given = [r for r in rates if r is not None]
        assert len(given) >= 8
        assert all(abs(r - 15.0) <= 2.0 for r in given)

    def test_white_noise_stays_unknown(self) -> None:
        out = [_estimate(rr_series(300, noise_ms=20, seed=s)) for s in range(20)]
        assert all(e.rate_bpm is None and e.method == "none" for e in out)

    def test_one_over_f_noise_stays_unknown(self) -> None:
        # no breathing: the count never supplies a rate, and it vetoes the marginal peaks
        # the spectral rule alone finds in such series (9-10/min, confidence 0.5-0.65)
        out = [_estimate(_pink(s)) for s in range(20)]
        assert all(e.rate_bpm is None and e.method == "none" for e in out)
        spectral = [rsa_estimate(frequency_domain(Intervals.contiguous(_pink(s))),
                                 nn=Intervals.contiguous(_pink(s)), count=False)
                    for s in range(20)]
        assert all(e.rate_bpm is None or e.confidence < 0.7 for e in spectral)

    def test_red_noise_stays_unknown(self) -> None:
        out = [_estimate(rr_series(300, noise_ms=30, noise_ar=0.9, seed=s)) for s in range(40)]
        assert all(e.rate_bpm is None for e in out)

    @pytest.mark.parametrize("bpm", [5.0, 6.0])
    def test_strong_slow_breathing_gets_its_rate(self, bpm: float) -> None:
        for seed in range(3):
            rr = rr_series(300, lf_amplitude_ms=40, lf_hz=bpm / 60, noise_ms=6, seed=seed)
            est = _estimate(rr)
            assert est.rate_bpm == pytest.approx(bpm, abs=0.5)
            assert est.outside_hf_band and est.method == "spectral+count"
            assert est.count_bpm == pytest.approx(bpm, abs=1.0)

    def test_mayer_wave_beside_regular_breathing_is_no_slow_breathing(self) -> None:
        # a narrow-band Mayer wave twice the RSA (true breathing 15/min): a slow rate would
        # silence the vagal markers; it must never be claimed
        for seed in range(10):
            rr = _variable(300, 15.0, 0.10, 15.0, seed, mayer_ms=35.0)
            r = hrv.analyze_intervals(rr, unit="ms").respiration
            assert r.hf_band_valid is not False
            assert r.rate_bpm is None or abs(r.rate_bpm - 15.0) <= 2.0

    def test_slow_peak_without_steady_breaths_is_unknown(self) -> None:
        # AR(1) red noise: no breathing at all; no rate, and never "HF invalid"
        for seed in range(10):
            r = hrv.analyze_intervals(rr_series(300, noise_ms=30, noise_ar=0.9, seed=seed),
                                      unit="ms").respiration
            assert r.hf_band_valid is not False

    def test_without_the_nn_series_the_spectral_rule_alone(self) -> None:
        rr = rr_series(300, hf_amplitude_ms=25, noise_ms=5, seed=2)
        est = rsa_estimate(frequency_domain(Intervals.contiguous(rr)))
        assert est.count_bpm is None and est.method == "spectral"
        assert est.rate_bpm == pytest.approx(15.0, abs=0.5)

    def test_a_long_series_is_counted_in_pieces(self) -> None:
        # 1 h at 15/min: six evenly spread 5-min windows are counted (about 6 x 75 breaths,
        # not 900), with the same rate
        rr = rr_series(3600, hf_amplitude_ms=25, hf_hz=0.25, noise_ms=4, seed=3)
        c = count_breaths(Intervals.contiguous(rr))
        assert c.rate_bpm == pytest.approx(15.0, abs=0.5)
        assert 6 * 60 <= c.n_breaths <= 6 * 76
