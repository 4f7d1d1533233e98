"""A one-minute recording is a one-minute recording.

The part of a recording before its first beat and the part after its last are each
shorter than one interval and hold none: a full 60-s recording at 70 beats per minute
holds 58.3-60 s of intervals. The usable-duration rule allows two mean intervals for
that, so a clean 1-minute reading (many wearables take exactly one minute) is not graded
poor for being short, while a 55-s one still is.
"""

from __future__ import annotations

import numpy as np
import pytest

import hrv
from tests.hrv.detect.test_ecg_rhythm import FS, PR_S, _ecg


def _recording(duration_s: float) -> np.ndarray:
    """A clean ECG of ``duration_s`` at about 70/min, beats from 0.4 s to the end."""
    rng = np.random.default_rng(5)
    q = np.cumsum(np.full(200, 60.0 / 70) + rng.normal(0, 0.01, 200)) - 0.45
    q = q[(q > 0.3) & (q < duration_s - 0.3)]
    return _ecg(duration_s, q, q - PR_S)


def _codes(a: hrv.Analysis) -> set[str]:
    return {w.code for w in a.quality.warnings}


@pytest.mark.parametrize("duration_s", [60.0, 62.0])
def test_a_clean_one_minute_ecg_is_not_short(duration_s: float) -> None:
    a = hrv.analyze(_recording(duration_s), FS, "ecg")
    assert float(np.sum(a.nn.rr_ms)) < 1000 * (duration_s - 0.5)  # the edges hold no interval
    assert "short_recording" not in _codes(a)
    assert a.quality.grade is hrv.Grade.GOOD


def test_a_55_second_ecg_is_short() -> None:
    a = hrv.analyze(_recording(55.0), FS, "ecg")
    assert "short_recording" in _codes(a)
    assert a.quality.grade is hrv.Grade.POOR


def test_one_minute_of_chest_strap_intervals_is_not_short() -> None:
    # 69 intervals of a 60-s reading at 70/min: 59.2 s
    rr = np.full(69, 858.0) + np.tile([-12.0, 12.0], 35)[:69]
    a = hrv.analyze_intervals(rr, unit="ms")
    assert float(np.sum(a.nn.rr_ms)) < 60_000
    assert "short_recording" not in _codes(a)
