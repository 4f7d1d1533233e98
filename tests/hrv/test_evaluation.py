"""Beat matching: expected counts come from hand-constructed beat trains."""

import numpy as np
import pytest

from hrv.errors import InvalidInputError
from hrv.evaluation import best_lag_s, match_beats


class TestMatchBeats:
    def test_perfect_match(self) -> None:
        ref = np.arange(0.0, 100.0, 0.8)
        res = match_beats(ref, ref + 0.002)
        assert (res.tp, res.fp, res.fn) == (ref.size, 0, 0)
        assert res.f1 == 1.0
        assert res.median_abs_error_ms == pytest.approx(2.0)
        np.testing.assert_allclose(res.timing_errors_s, 0.002, atol=1e-12)

    def test_missed_extra_and_far_beats(self) -> None:
        ref = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
        # 2.0 missed, 3.5 is extra, 4.2 is outside 150 ms of 4.0 (FP and FN).
        det = np.array([1.01, 2.9, 3.5, 4.2, 5.0])
        res = match_beats(ref, det)
        assert res.tp == 3  # 1.0, 3.0, 5.0
        assert res.fp == 2  # 3.5, 4.2
        assert res.fn == 2  # 2.0, 4.0
        assert res.sensitivity == pytest.approx(3 / 5)
        assert res.ppv == pytest.approx(3 / 5)
        assert res.f1 == pytest.approx(6 / 10)

    def test_one_to_one(self) -> None:
        # Two detections near one reference beat: only the closer one matches.
        res = match_beats([1.0], [0.95, 1.02])
        assert (res.tp, res.fp, res.fn) == (1, 1, 0)
        assert res.timing_errors_s[0] == pytest.approx(0.02)

    def test_closest_first_across_neighbours(self) -> None:
        # Detection at 1.14 is within tolerance of both 1.0 and 1.27; the closer pair
        # (1.14-1.27) wins, and 1.0 stays free for the detection at 0.99.
        res = match_beats([1.0, 1.27], [0.99, 1.14])
        assert res.tp == 2
        np.testing.assert_allclose(res.timing_errors_s, [-0.01, -0.13], atol=1e-12)

    def test_tolerance_boundary(self) -> None:
        assert match_beats([1.0], [1.149]).tp == 1
        assert match_beats([1.0], [1.151]).tp == 0
        assert match_beats([1.0], [1.1], tolerance_s=0.05).tp == 0

    def test_lag_shift(self) -> None:
        ref = np.arange(0.0, 60.0, 1.0)
        res = match_beats(ref, ref + 0.3, lag_s=0.3)
        assert res.tp == ref.size
        assert res.median_abs_error_ms == pytest.approx(0.0, abs=1e-6)

    def test_empty_inputs(self) -> None:
        res = match_beats([], [1.0, 2.0])
        assert (res.tp, res.fp, res.fn) == (0, 2, 0)
        assert np.isnan(res.sensitivity) and res.ppv == 0.0
        res = match_beats([1.0], [])
        assert (res.tp, res.fp, res.fn) == (0, 0, 1)
        assert np.isnan(res.median_abs_error_ms)

    def test_unsorted_input_is_sorted(self) -> None:
        res = match_beats([3.0, 1.0, 2.0], [2.0, 3.0, 1.0])
        assert res.tp == 3

    def test_large_random_agrees_with_greedy_reference(self) -> None:
        # A simple O(n^2) closest-pair-first greedy matcher is the ground truth here.
        rng = np.random.default_rng(7)
        ref = np.cumsum(rng.uniform(0.3, 1.2, 400))
        keep = rng.random(ref.size) > 0.05
        det = ref[keep] + rng.normal(0, 0.05, keep.sum())
        det = np.sort(np.concatenate([det, rng.uniform(0, ref[-1], 20)]))
        d = np.abs(det[None, :] - ref[:, None])
        pairs = np.argwhere(d <= 0.15)
        pairs = pairs[np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")]
        used_r: set[int] = set()
        used_d: set[int] = set()
        for r, k in pairs:
            if r not in used_r and k not in used_d:
                used_r.add(int(r))
                used_d.add(int(k))
        res = match_beats(ref, det)
        assert res.tp == len(used_r)

    def test_bad_input(self) -> None:
        with pytest.raises(InvalidInputError):
            match_beats([[1.0, 2.0]], [1.0])
        with pytest.raises(InvalidInputError):
            match_beats([1.0, np.nan], [1.0])
        with pytest.raises(InvalidInputError):
            match_beats([1.0], [1.0], tolerance_s=0)


class TestBestLag:
    @pytest.mark.parametrize("true_lag", [0.0, 0.25, -0.4, 0.71])
    def test_recovers_known_lag(self, true_lag: float) -> None:
        rng = np.random.default_rng(1)
        ref = np.cumsum(rng.uniform(0.6, 1.1, 300))
        det = ref + true_lag + rng.normal(0, 0.005, ref.size)
        lag = best_lag_s(ref, det)
        # 5 ms jitter over 300 beats: the median error is within ~1 ms of the truth.
        assert lag == pytest.approx(true_lag, abs=0.003)
        assert match_beats(ref, det, lag_s=lag).f1 == 1.0

    def test_empty(self) -> None:
        assert best_lag_s([], [1.0]) == 0.0
