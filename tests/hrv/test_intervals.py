"""Interval preparation: units, validation, gaps (hrv.intervals)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hrv.config import IntervalConfig, IntervalUnit
from hrv.errors import HRVError, InsufficientDataError, InvalidInputError
from hrv.intervals import correct, detect_unit, prepare_beat_times, prepare_rr
from hrv.simulate import rr_series
from hrv.types import ExcludedWindow


def _rr_ms(seed: int = 0) -> np.ndarray:
    return rr_series(120, hf_amplitude_ms=30, noise_ms=10, seed=seed)


class TestUnits:
    def test_ms_detected(self) -> None:
        rr = np.round(_rr_ms())
        assert detect_unit(rr) is IntervalUnit.MS
        p = prepare_rr(rr)
        assert p.unit is IntervalUnit.MS
        np.testing.assert_array_equal(p.intervals.rr_ms, rr)
        assert any(w.code == "unit_detected" for w in p.warnings)

    def test_seconds_detected_and_converted(self) -> None:
        rr = _rr_ms()
        p = prepare_rr(rr / 1000.0)
        assert p.unit is IntervalUnit.S
        np.testing.assert_allclose(p.intervals.rr_ms, rr, rtol=1e-12)

    def test_polar_ticks_are_ambiguous_and_warned(self) -> None:
        ticks = np.round(_rr_ms() * 1.024)
        # Ticks are indistinguishable from ms, so AUTO reads ms and says how to override.
        p = prepare_rr(ticks)
        assert p.unit is IntervalUnit.MS
        msg = next(w.message for w in p.warnings if w.code == "unit_detected")
        assert "1/1024s" in msg

    def test_polar_override(self) -> None:
        ticks = np.array([1024.0, 512.0, 768.0, 1000.0])
        p = prepare_rr(ticks, config=IntervalConfig(unit=IntervalUnit.POLAR_1024))
        assert p.unit is IntervalUnit.POLAR_1024
        # Exact: 1024 ticks = 1000 ms, 512 = 500 ms, 768 = 750 ms, 1000 = 976.5625 ms.
        np.testing.assert_allclose(p.intervals.rr_ms, [1000.0, 500.0, 750.0, 976.5625])
        assert not any(w.code == "unit_detected" for w in p.warnings)

    def test_override_beats_detection(self) -> None:
        # Values that AUTO would read as seconds, declared as ms: honoured as ms.
        p = prepare_rr([0.8, 0.81, 0.79], config=IntervalConfig(unit=IntervalUnit.MS))
        assert p.unit is IntervalUnit.MS
        np.testing.assert_allclose(p.intervals.rr_ms, [0.8, 0.81, 0.79])

    def test_seconds_override_makes_gaps(self) -> None:
        # Declared seconds: 800 s intervals are all gaps, nothing usable remains.
        with pytest.raises(InsufficientDataError):
            prepare_rr([800.0, 810.0, 790.0], config=IntervalConfig(unit=IntervalUnit.S))

    def test_unknown_unit_lists_choices(self) -> None:
        with pytest.raises(HRVError, match="'ms'"):
            IntervalConfig(unit="minutes")  # type: ignore[arg-type]


class TestValidation:
    @pytest.mark.parametrize(
        ("data", "pattern"),
        [
            ([], "empty"),
            ([[800.0, 810.0], [820.0, 830.0]], "1-D"),
            ([800.0, 810.0, float("nan"), 800.0], "interval 2 is nan"),
            ([800.0, float("inf"), 800.0], "interval 1 is inf"),
            ([800.0, 810.0, 0.0], "interval 2 is 0"),
            ([800.0, -5.0, 800.0], "interval 1 is -5"),
            (["a", "b"], "numbers"),
        ],
    )
    def test_bad_rr(self, data: object, pattern: str) -> None:
        with pytest.raises(InvalidInputError, match=pattern):
            prepare_rr(data)  # type: ignore[arg-type]

    def test_too_few(self) -> None:
        with pytest.raises(InsufficientDataError, match="at least 2"):
            prepare_rr([800.0])

    def test_flag_length_checked(self) -> None:
        with pytest.raises(InvalidInputError, match="gap_flags"):
            prepare_rr([800.0, 810.0, 820.0], gap_flags=[False, True])

    def test_unsorted_beat_times_name_first_index(self) -> None:
        with pytest.raises(InvalidInputError, match="beat 3"):
            prepare_beat_times([0.0, 0.8, 1.6, 1.5, 2.4])

    def test_duplicate_beat_time(self) -> None:
        with pytest.raises(InvalidInputError, match="beat 2"):
            prepare_beat_times([0.0, 0.8, 0.8, 1.6])

    def test_nan_beat_time(self) -> None:
        with pytest.raises(InvalidInputError, match="beat time 1 is nan"):
            prepare_beat_times([0.0, float("nan"), 1.6])

    def test_too_few_beats(self) -> None:
        with pytest.raises(InsufficientDataError):
            prepare_beat_times([0.0, 0.8])


class TestGaps:
    def test_flagged_gap_dropped_no_diff_across(self) -> None:
        rr = [800.0, 820.0, 790.0, 500.0, 830.0, 810.0]
        p = prepare_rr(rr, gap_flags=[0, 0, 0, 1, 0, 0])
        iv = p.intervals
        np.testing.assert_array_equal(iv.rr_ms, [800, 820, 790, 830, 810])
        np.testing.assert_array_equal(iv.gap_before, [True, False, False, True, False])
        # Differences only inside each segment: 820-800, 790-820 | 810-830.
        np.testing.assert_array_equal(iv.successive_diffs_ms, [20, -30, -20])
        # The dropped interval still elapsed: the next beat ends at its true time.
        assert iv.t_s[3] == pytest.approx((800 + 820 + 790 + 500 + 830) / 1000)
        assert p.n_gaps == 1

    def test_long_interval_is_a_gap_never_split(self) -> None:
        rr = [800.0, 820.0, 30_000.0, 810.0, 790.0]
        p = prepare_rr(rr)
        iv = p.intervals
        assert len(iv) == 4  # the 30 s interval is neither kept nor split into beats
        np.testing.assert_array_equal(iv.gap_before, [True, False, True, False])
        np.testing.assert_array_equal(iv.successive_diffs_ms, [20, -20])
        c = correct(iv)
        assert len(c.nn) == 4
        assert c.nn.n_gaps == 1
        np.testing.assert_array_equal(c.nn.successive_diffs_ms, [20, -20])

    def test_beat_time_jump(self) -> None:
        t = np.r_[np.arange(0, 60, 0.8), 100 + np.arange(0, 60, 0.8)]
        p = prepare_beat_times(t)
        assert p.n_gaps == 1
        assert len(p.intervals) == len(t) - 2
        assert np.all(p.intervals.rr_ms < 1000)
        assert np.sum(p.intervals.gap_before) == 2

    def test_non_normal_beats_break_the_series(self) -> None:
        t = np.cumsum([0.0, 0.8, 0.8, 0.5, 1.1, 0.8, 0.8])
        normal = [True, True, True, False, True, True, True]
        iv = prepare_beat_times(t, normal=normal).intervals
        np.testing.assert_allclose(iv.rr_ms, [800, 800, 800, 800])
        np.testing.assert_array_equal(iv.gap_before, [True, False, True, False])
        np.testing.assert_allclose(iv.successive_diffs_ms, [0, 0], atol=1e-9)

    def test_excluded_window(self) -> None:
        t = np.arange(0, 20, 1.0)
        p = prepare_beat_times(t, excluded=[ExcludedWindow(5.5, 8.2, "noise")])
        # Intervals 5-6, 6-7, 7-8, 8-9 overlap the window; beats 6, 7, 8 lie inside it.
        assert len(p.intervals) == 19 - 4
        assert not np.any((p.beat_times_s > 5.5) & (p.beat_times_s < 8.2))
        assert p.n_gaps == 1

    @pytest.mark.parametrize("per", ["beat", "interval"])
    def test_gap_flags_per_beat_or_interval(self, per: str) -> None:
        t = np.arange(0, 10, 1.0)
        flags = np.zeros(10 if per == "beat" else 9, bool)
        flags[5 if per == "beat" else 4] = True  # the interval from beat 4 to beat 5
        iv = prepare_beat_times(t, gap_flags=flags).intervals
        assert len(iv) == 8
        np.testing.assert_allclose(iv.t_s[iv.gap_before], [1.0, 6.0])


class TestProperty:
    @settings(max_examples=150, deadline=None)
    @given(
        arrays(
            np.float64,
            st.integers(0, 60),
            elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        st.sampled_from(["auto", "ms", "s", "1/1024s"]),
    )
    def test_returns_or_raises_hrverror(self, rr: np.ndarray, unit: str) -> None:
        try:
            p = prepare_rr(rr, config=IntervalConfig(unit=IntervalUnit(unit)))
            c = correct(p.intervals)
        except HRVError:
            return
        assert len(c.label_codes) == len(p.intervals)
        assert np.all(np.isfinite(c.nn.rr_ms))

    @settings(max_examples=80, deadline=None)
    @given(
        arrays(np.float64, st.integers(3, 300), elements=st.floats(250, 2500)),
        st.integers(0, 2**31),
    )
    def test_plausible_series_with_flags(self, rr: np.ndarray, seed: int) -> None:
        flags = np.random.default_rng(seed).random(len(rr)) < 0.05
        try:
            p = prepare_rr(rr, gap_flags=flags)
        except HRVError:
            return
        c = correct(p.intervals)
        assert np.all((c.nn.rr_ms >= 300) & (c.nn.rr_ms <= 2000))
        assert np.all(np.diff(c.nn.t_s) > 0)
