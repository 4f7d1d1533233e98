"""An unusable waveform says in plain words why: no internal error text in the warning."""

from __future__ import annotations

import numpy as np
import pytest

import hrv


@pytest.mark.parametrize("kind", ["ecg", "ppg"])
@pytest.mark.parametrize("signal", ["flat", "ramp"])
def test_no_beats_found_is_worded_for_a_waveform(kind: str, signal: str) -> None:
    n = 250 * 60
    x = np.zeros(n) if signal == "flat" else np.linspace(0.0, 1.0, n)
    a = hrv.analyze(x, 250, kind=kind)
    assert a.quality.grade.value == "unusable"
    messages = [w.message for w in a.quality.warnings if w.code == "no_usable_beats"]
    assert len(messages) == 1
    if len(a.beats.times_s) == 0:
        assert "no beats were found in the signal" in messages[0]
    for w in a.quality.warnings:
        assert "empty input" not in w.message and "beat times given" not in w.message
