"""Fast paths give what the plain numpy/scipy forms they replace give."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from hrv._dsp import _spline, median_of, median_rows, percentile_linear, reflect_pad, sliding_rows
from hrv._dsp._spline import NotAKnotSpline
from hrv.intervals._runs import _window_median
from hrv.intervals._types import in_sorted, without
from hrv.metrics import nonlinear


def _pairs_brute(emb: np.ndarray, r: float) -> tuple[int, int]:
    """Template pairs within r (Chebyshev) on m and m + 1 columns, each pair once."""
    d = np.abs(emb[:, None, :] - emb[None, :, :]) <= r
    m = d[..., : nonlinear.SAMPEN_M].all(axis=-1)
    full = d.all(axis=-1)
    upper = np.triu(np.ones(m.shape, dtype=bool), 1)
    return int(np.count_nonzero(m & upper)), int(np.count_nonzero(full & upper))


@pytest.mark.parametrize("seed", range(6))
def test_sample_entropy_pairs_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 400))
    rr = 800 + 40 * rng.standard_normal(n + 2) + 30 * np.sin(np.arange(n + 2) / 3)
    if seed % 2:
        rr = np.round(rr / 4) * 4  # ties, as beat times at 250 Hz give
    if seed == 4:
        rr[:] = rr[0]  # every pair matches
    emb = np.ascontiguousarray(sliding_window_view(rr, nonlinear.SAMPEN_M + 1))
    for scale in (0.05, 0.2, 1.0):
        r = scale * float(rr.std(ddof=1))
        assert nonlinear._pair_counts(emb, r) == _pairs_brute(emb, r)


def test_dfa_joined_and_in_place_boxes_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    rr = 800 + 50 * rng.standard_normal(1000)
    profile = np.cumsum(rr - rr.mean())
    boxes = nonlinear.DFA_ALPHA1_BOXES
    joined = nonlinear._fluctuations(profile, boxes)
    monkeypatch.setattr(nonlinear, "_DFA_JOIN_MAX", 0)
    in_place = nonlinear._fluctuations(profile, boxes)
    np.testing.assert_allclose(joined, in_place, rtol=1e-13)
    slope = nonlinear._slope(boxes, joined)
    want = float(np.polyfit(np.log(np.asarray(boxes, dtype=float)), np.log(joined), 1)[0])
    assert slope is not None and math.isclose(slope, want, rel_tol=1e-12)


def test_spline_slopes_lapack_and_python_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    rr = 800 + 60 * rng.standard_normal(300)
    t = np.cumsum(rr) / 1000.0
    import scipy.linalg  # noqa: F401  # loaded: the slopes come from LAPACK's dgtsv

    a = NotAKnotSpline(t, rr)
    monkeypatch.delitem(sys.modules, "scipy.linalg")  # as in an interval-only process
    assert rr.size <= _spline.SMALL_SYSTEM
    b = NotAKnotSpline(t, rr)  # the Python elimination
    for name in ("_c0", "_c1", "_c2", "_c3"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_views_pads_and_medians() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 40, 333):
        x = np.round(rng.standard_normal(n) * 10)
        for w in {1, min(n, 3), n}:
            np.testing.assert_array_equal(sliding_rows(x, w), sliding_window_view(x, w))
            assert not sliding_rows(x, w).flags.writeable
        for before, after in ((0, 0), (1, 0), (0, n), (n, n), (2 * n + 1, 3)):
            np.testing.assert_array_equal(reflect_pad(x, before, after),
                                          np.pad(x, (before, after), mode="symmetric"))
        rows = sliding_window_view(np.concatenate((x, x)), min(n, 4))
        np.testing.assert_array_equal(median_rows(rows.copy()), np.median(rows, axis=-1))


def test_percentile_and_median_match_numpy_to_the_bit() -> None:
    rng = np.random.default_rng(17)
    for n in [*range(1, 40), 100, 343, 1001]:
        for scale in (1e-3, 1.0, 1e6):
            x = scale * rng.standard_normal(n)
            if n % 3 == 0:
                x = np.round(x, 1)  # ties
            kept = x.copy()
            for q in (0, 1, 5, 12.5, 25, 33.3, 50, 66.7, 75, 87.5, 90, 99, 99.9, 100):
                assert percentile_linear(x, q) == float(np.percentile(x, q)), (n, q)
            assert median_of(x) == float(np.median(x))
            np.testing.assert_array_equal(x, kept)  # the input is left as it was


def test_window_median_matches_numpy() -> None:
    rng = np.random.default_rng(11)
    x = np.round(800 + 50 * rng.standard_normal(300))
    for window in (11, 90, 91):
        at = np.sort(rng.choice(x.size, 5, replace=False))
        half = window // 2
        padded = np.pad(x, (half, window - 1 - half), mode="symmetric")
        want = np.median(sliding_window_view(padded, window)[at], axis=1)
        np.testing.assert_array_equal(_window_median(x, at, window), want)


def test_sorted_membership_matches_isin() -> None:
    rng = np.random.default_rng(13)
    for _ in range(200):
        x = np.unique(rng.integers(-2, 40, rng.integers(0, 15)))
        members = np.unique(rng.integers(-2, 40, rng.integers(0, 15)))
        np.testing.assert_array_equal(in_sorted(x, members), np.isin(x, members))
        np.testing.assert_array_equal(without(x, members),
                                      np.setdiff1d(x, members, assume_unique=True))


@pytest.mark.parametrize("seed", range(8))
def test_ring_floors_equal_the_median_of_each_ring(seed: int) -> None:
    from hrv.respiration import _modulation as mod

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    f = np.linspace(0.05, 0.05 + n * 4.0 / 1024, n)
    p = rng.random(n) ** 3
    if seed % 3 == 0:
        p = np.round(p, 2)  # ties
    at = rng.permutation(n)[: int(rng.integers(1, n))].astype(np.intp)
    want = []
    for i in at:
        dist = np.abs(f - f[i])
        ring = p[(dist >= mod.RING_HZ[0]) & (dist <= mod.RING_HZ[1])]
        want.append(float(np.median(ring)) if ring.size else 0.0)
    assert mod.ring_floors(f, p, at) == want  # bit for bit
