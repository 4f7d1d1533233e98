"""Excluded windows: one closed-interval rule and one merge, used by every room."""

from __future__ import annotations

import numpy as np

import hrv
from hrv.types import ExcludedWindow, merge_windows


class TestClosedWindow:
    def test_beats_on_either_end_are_inside(self) -> None:
        w = ExcludedWindow(10.0, 20.0, "motion")
        t = np.array([9.999, 10.0, 15.0, 20.0, 20.001])
        assert w.contains(t).tolist() == [False, True, True, True, False]

    def test_interval_ending_on_the_start_touches(self) -> None:
        w = ExcludedWindow(10.0, 20.0, "motion")
        starts, ends = np.array([9.0, 20.0, 5.0, 21.0]), np.array([10.0, 21.0, 25.0, 22.0])
        assert w.touches(starts, ends).tolist() == [True, True, True, False]

    def test_intervals_ending_at_an_excluded_beat_leave_nn(self) -> None:
        t = np.arange(0.0, 300.0, 0.8)
        w = ExcludedWindow(float(t[100]), float(t[110]), "noise")
        prepared = hrv.intervals.prepare_beat_times(t, excluded=(w,))
        nn_end_times = prepared.intervals.t_s
        assert not np.any((nn_end_times >= t[100]) & (nn_end_times <= t[111]))


class TestMerge:
    def test_overlapping_and_touching_become_one(self) -> None:
        out = merge_windows([
            ExcludedWindow(5.0, 8.0, "flat_line"),
            ExcludedWindow(0.0, 2.0, "motion"),
            ExcludedWindow(2.0, 4.0, "noise"),
            ExcludedWindow(6.0, 9.0, "motion"),
        ])
        assert out == (
            ExcludedWindow(0.0, 4.0, "motion+noise"),
            ExcludedWindow(5.0, 9.0, "flat_line+motion"),
        )

    def test_a_reason_is_named_once(self) -> None:
        out = merge_windows([ExcludedWindow(0.0, 2.0, "motion"),
                             ExcludedWindow(1.0, 3.0, "motion")])
        assert out == (ExcludedWindow(0.0, 3.0, "motion"),)

    def test_first_reason(self) -> None:
        out = merge_windows([ExcludedWindow(0.0, 5.0, "flat_line"),
                             ExcludedWindow(0.0, 2.0, "motion")], first_reason=True)
        assert out == (ExcludedWindow(0.0, 5.0, "flat_line"),)

    def test_empty(self) -> None:
        assert merge_windows([]) == ()
