"""The unit rule for beat-to-beat intervals, kept in one place for the readers and the
interval preparation (so a file read and an array given say the same thing)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv.config._choices import IntervalUnit
from hrv.errors import InvalidInputError

__all__ = ["SECONDS_MEDIAN_LIMIT", "detect_unit", "unit_detected_message"]

#: Below this median the intervals are seconds, at or above it milliseconds.
SECONDS_MEDIAN_LIMIT = 10.0


def detect_unit(values: npt.ArrayLike) -> IntervalUnit:
    """Guess the unit of a series of beat-to-beat intervals.

    Rule: if the median of the finite positive values is below 10, the values are
    seconds (no heart beats once per 10 s, and no interval in ms or 1/1024 s ticks is
    shorter than 10 units); otherwise they are milliseconds.

    Polar's 1/1024 s ticks are never chosen automatically: they are only 2.4 % larger
    than milliseconds and both are integers in the same physiological range
    (300–2000 ms is 307–2048 ticks), so no rule can tell them apart from the values.
    Raw Polar Bluetooth data must be declared with ``IntervalUnit.POLAR_1024``; the
    warning emitted by :func:`prepare_rr` says so.

    Parameters
    ----------
    values : array_like, shape (n,)
        The intervals as given.

    Returns
    -------
    IntervalUnit
        ``S`` or ``MS``.

    Raises
    ------
    InvalidInputError
        When no value is finite and positive.
    """
    arr = np.asarray(values, dtype=np.float64).ravel()
    ok = arr[np.isfinite(arr) & (arr > 0)]
    if len(ok) == 0:
        raise InvalidInputError("cannot detect the unit: no finite positive interval given")
    return IntervalUnit.S if float(np.median(ok)) < SECONDS_MEDIAN_LIMIT else IntervalUnit.MS


def unit_detected_message(unit: IntervalUnit, values: npt.ArrayLike) -> str:
    """What :func:`detect_unit` chose and why, for the ``unit_detected`` warning."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    ok = arr[np.isfinite(arr) & (arr > 0)]
    med = float(np.median(ok)) if len(ok) else float("nan")
    if unit is IntervalUnit.S:
        why = f"median {med:g} < {SECONDS_MEDIAN_LIMIT:g}, read as seconds"
    else:
        why = (
            f"median {med:g} >= {SECONDS_MEDIAN_LIMIT:g}, read as milliseconds; raw Polar "
            "1/1024 s ticks cannot be told apart from ms, declare unit '1/1024s' for them"
        )
    return f"interval unit detected automatically: {why}"
