"""A PPG whose pulses point down (raw light intensity: cameras, most optical sensors) is
recognised by its slow rises and fast falls and inverted before detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hrv
from hrv.detect.ppg import detect_ppg
from tests.hrv.detect.test_ppg import RR, even

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _ppg(fs: float, duration_s: float) -> np.ndarray:
    """Pulses with a systolic upstroke of 0.12 s (raised cosine) and a diastolic decay
    (time constant 0.25 s), as a pulse wave has, at the RR times of ``RR``."""
    t = even(fs, duration_s)
    starts = 0.5 + np.concatenate(([0.0], np.cumsum(RR) / 1000.0))
    x = np.random.default_rng(0).normal(0, 0.005, t.size)
    for s in starts[starts < duration_s - 1.0]:  # per beat, test data only
        tau = t - s
        rise = (tau >= 0) & (tau < 0.12)
        x[rise] += 0.5 - 0.5 * np.cos(np.pi * tau[rise] / 0.12)
        fall = (tau >= 0.12) & (tau < 1.5)
        x[fall] += np.exp(-(tau[fall] - 0.12) / 0.25)
    return x


def test_inverted_pulses_give_the_upright_beats() -> None:
    fs = 100.0
    x = _ppg(fs, 120)
    up = detect_ppg(x, fs)
    down = detect_ppg(-x, fs)
    assert not up.info["inverted"] and "ppg_inverted" not in {w.code for w in up.warnings}
    assert down.info["inverted"] and "ppg_inverted" in {w.code for w in down.warnings}
    assert np.array_equal(up.times_s, down.times_s)


def test_noise_is_not_inverted() -> None:
    x = np.random.default_rng(1).normal(size=6000)
    assert not detect_ppg(x, 100.0).info["inverted"]


@pytest.mark.skipif(not (DATA / "bidmc").exists(), reason="shared BIDMC data not found")
@pytest.mark.parametrize("record", [1, 2, 3, 4, 5])
def test_bidmc_pulses_are_upright_and_their_inverse_is_recognised(record: int) -> None:
    from benchmarks._data import load_bidmc

    r = load_bidmc(record)
    up = hrv.analyze(r.ppg, r.fs_hz, "ppg")
    down = hrv.analyze(-r.ppg, r.fs_hz, "ppg")
    assert "ppg_inverted" not in {w.code for w in up.quality.warnings}
    assert "ppg_inverted" in {w.code for w in down.quality.warnings}
    assert down.quality.beats == up.quality.beats
    assert down.metrics.rmssd_ms == pytest.approx(up.metrics.rmssd_ms, rel=1e-9)
    assert down.respiration.rate_bpm == up.respiration.rate_bpm
