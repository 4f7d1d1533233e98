"""Sliding windows of a 1-D array as rows of a strided view, without copies.

``numpy.lib.stride_tricks.sliding_window_view`` checks and normalises its arguments in
Python, a few microseconds a call; a 5-minute analysis takes about twenty such views of
short series, where that handling costs more than the arithmetic on them.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

__all__ = ["sliding_rows"]

G = TypeVar("G", bound=np.generic)


def sliding_rows(x: npt.NDArray[G], width: int) -> npt.NDArray[G]:
    """``sliding_window_view(x, width)`` of a 1-D array: shape ``(n - width + 1, width)``,
    row ``i`` is ``x[i:i + width]``; read-only, like that view."""
    n = x.shape[0] if x.ndim == 1 else -1
    if not 0 <= width <= n:  # its errors for anything else
        out: Any = np.lib.stride_tricks.sliding_window_view(x, width)
        return out  # pragma: no cover - callers pass valid widths
    step = x.strides[0]
    shape = (n - width + 1, width)
    if not x.flags.c_contiguous:
        strided: npt.NDArray[G] = as_strided(x, shape, (step, step), writeable=False)
        return strided
    rows: npt.NDArray[G] = np.ndarray(shape, x.dtype, x, 0, (step, step))  # views x
    rows.flags.writeable = False
    return rows
