"""Row-wise helpers of the ECG detector's per-beat arrays agree with numpy's definitions."""

from __future__ import annotations

import numpy as np
import pytest

from hrv.detect._ecg_beats import block_medians, median_rows


@pytest.mark.parametrize("width", [1, 2, 5, 12, 50, 64])
def test_median_rows_is_numpy_median(width: int) -> None:
    rng = np.random.default_rng(width)
    a = rng.standard_normal((37, 3, width))
    a[0, 0, :] = 1.0  # ties
    want = np.median(a, axis=-1)
    assert np.array_equal(median_rows(a.copy()), want)


def test_block_medians_known_values() -> None:
    # Rows 0..9 of value i in every column; blocks of 4: [0-3], [4-7], [8, 9 + rows 6, 7].
    a = np.repeat(np.arange(10.0)[:, None], 3, axis=1)
    med = block_medians(a, 4)
    assert med.shape == (3, 3)
    assert np.array_equal(med[:, 0], [1.5, 5.5, 7.5])
    assert np.array_equal(med[:, 2], med[:, 0])
