"""all_finite on long recordings (summed in blocks on threads) and short ones."""

from __future__ import annotations

import numpy as np
import pytest

from hrv._dsp import _signal, all_finite


@pytest.mark.parametrize("threads", ["1", "2"])
def test_one_bad_sample_anywhere(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv("HRV_THREADS", threads)
    monkeypatch.setattr(_signal, "FINITE_BLOCK", 1000)
    x = np.linspace(-1.0, 1.0, 10_500)
    assert all_finite(x)
    for i in (0, 999, 1000, 5555, 10_499):
        for bad in (np.nan, np.inf, -np.inf):
            y = x.copy()
            y[i] = bad
            assert not all_finite(y)


def test_short_and_two_dimensional() -> None:
    assert all_finite(np.zeros(3))
    assert not all_finite(np.array([1.0, np.nan]))
    assert not all_finite(np.array([[1.0], [np.inf]]))
