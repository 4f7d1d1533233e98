"""The numpy running rank filters give exactly scipy.ndimage's values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from hrv._dsp import percentile_rank, rank_filter, running_median


@pytest.mark.parametrize("n", [1, 5, 11, 91, 300, 1200])
@pytest.mark.parametrize("size", [3, 4, 11, 91])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equal_to_ndimage(n: int, size: int, dtype: type) -> None:
    rng = np.random.default_rng(n * 1000 + size)
    x = rng.normal(800, 60, n).astype(dtype)
    x[rng.random(n) < 0.2] = 800.0  # ties
    np.testing.assert_array_equal(
        running_median(x, size), ndimage.median_filter(x, size=size, mode="reflect"))
    for pct in (25, 75):
        np.testing.assert_array_equal(
            rank_filter(x, percentile_rank(size, pct), size),
            ndimage.percentile_filter(x, pct, size=size, mode="reflect"))


def test_long_series_take_the_same_values() -> None:
    x = np.random.default_rng(0).normal(800, 60, 100_000)
    np.testing.assert_array_equal(
        running_median(x, 11), ndimage.median_filter(x, size=11, mode="reflect"))


def test_bad_rank() -> None:
    with pytest.raises(ValueError):
        rank_filter(np.zeros(5), 3, 3)


@pytest.mark.parametrize("n", [4, 7, 300, 4000])
def test_small_tridiagonal_solve_is_lapacks(n: int) -> None:
    """The slope system of a short spline is solved in Python with LAPACK's pivoting
    rule: the same values to the last bit, not just close."""
    from scipy.linalg import lapack

    from hrv._dsp._spline import _solve_tridiagonal

    rng = np.random.default_rng(n)
    dl, du = rng.uniform(0.1, 1, n - 1), rng.uniform(0.1, 1, n - 1)
    d, b = rng.uniform(0.05, 3, n), rng.normal(size=n)
    *_, want, info = lapack.dgtsv(dl.copy(), d.copy(), du.copy(), b.copy())
    assert info == 0
    np.testing.assert_array_equal(_solve_tridiagonal(dl, d, du, b), want)
