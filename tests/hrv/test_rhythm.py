"""Rhythm screening on synthetic sinus rhythm, AF-like series and ectopic beats."""

from __future__ import annotations

import numpy as np
import pytest

from hrv.rhythm import screen_rhythm
from hrv.simulate import rr_series


def codes(warnings: tuple[object, ...]) -> set[str]:
    return {w.code for w in warnings}  # type: ignore[attr-defined]


class TestAtrialFibrillation:
    def test_irregularly_irregular_is_flagged(self) -> None:
        # AF: intervals independent and widely spread (Dash et al. 2009 use MIT-BIH AF)
        rr = np.random.default_rng(0).uniform(400, 1000, 300)
        w = screen_rhythm(rr)
        assert "possible_atrial_fibrillation" in codes(w)
        msg = next(x.message for x in w if x.code == "possible_atrial_fibrillation")
        assert "not interpretable" in msg

    @pytest.mark.parametrize("hf_hz", [0.1, 0.25])
    def test_strong_sinus_arrhythmia_is_not_af(self, hf_hz: float) -> None:
        # RSA of 100 ms at 60 bpm gives normalised RMSSD near AF levels, but it is
        # periodic: the turning-point ratio tells it apart.
        rr = rr_series(300, mean_hr_bpm=60, hf_amplitude_ms=100, hf_hz=hf_hz,
                       lf_amplitude_ms=40, noise_ms=8, seed=1)
        assert screen_rhythm(rr) == ()

    def test_ectopics_excluded_from_af_test(self) -> None:
        rr = rr_series(300, mean_hr_bpm=70, hf_amplitude_ms=20, noise_ms=5, seed=2)
        normal = np.ones(len(rr) + 1, dtype=bool)
        # every 5th beat premature by 35 % with a compensatory pause: 20 % ectopy
        for i in range(5, len(rr) - 1, 5):
            rr[i] *= 0.65
            rr[i + 1] *= 1.35
            normal[i + 1] = False
        w = screen_rhythm(rr, normal)
        assert "possible_atrial_fibrillation" not in codes(w)
        assert "high_ectopic_burden" in codes(w)

    def test_too_short_is_not_judged(self) -> None:
        rr = np.random.default_rng(0).uniform(400, 1000, 20)
        assert screen_rhythm(rr) == ()


class TestEctopicBurden:
    def test_threshold_is_ten_percent(self) -> None:
        rr = rr_series(200, mean_hr_bpm=70, hf_amplitude_ms=20, seed=3)
        n = len(rr) + 1
        normal = np.ones(n, dtype=bool)
        normal[: int(0.08 * n)] = False  # 8 %: below the limit
        assert "high_ectopic_burden" not in codes(screen_rhythm(rr, normal))
        normal[: int(0.12 * n)] = False  # 12 %: above
        assert "high_ectopic_burden" in codes(screen_rhythm(rr, normal))

    def test_ignores_non_finite(self) -> None:
        rr = rr_series(200, mean_hr_bpm=70, hf_amplitude_ms=20, seed=4)
        rr[10] = np.nan
        assert screen_rhythm(rr) == ()
