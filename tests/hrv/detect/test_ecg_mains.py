"""Mains interference (50/60 Hz) must not make normal beats look abnormal.

Read every few samples (the detector's working rate), a mains line folds into the QRS
band with a different phase at every beat; the classifier takes the recording's mains
line out of each beat's window before comparing shapes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hrv
from hrv.detect._ecg_beats import remove_sinusoid
from hrv.detect.ecg import detect_ecg
from tests.hrv.detect.test_ecg_rhythm import FS, PR_S, _ecg, _rsa_times

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def test_least_squares_sinusoid_is_removed_exactly() -> None:
    rng = np.random.default_rng(0)
    phase = 2 * np.pi * 50.0 * np.arange(-30, 31) * 2 / 250.0
    base = rng.normal(size=(5, phase.size))
    w = base + rng.normal(size=(5, 1)) * np.cos(phase) + rng.normal(size=(5, 1)) * np.sin(phase)
    remove_sinusoid(w, phase)
    remove_sinusoid(base, phase)
    np.testing.assert_allclose(w, base, atol=1e-9)


def test_offset_and_baseline_slope_do_not_leak_into_the_sinusoid() -> None:
    # a window of a few cycles: a constant or a ramp is not orthogonal to the sinusoid,
    # so a fit of the sinusoid alone would subtract part of it at every beat
    rng = np.random.default_rng(1)
    phase = 2 * np.pi * 60.0 * np.arange(-24, 25) * 3 / 360.0
    ramp = np.linspace(-1.0, 1.0, phase.size)
    base = rng.normal(size=(6, phase.size))
    added = 50.0 + rng.normal(size=(6, 1)) * ramp
    moved = base + added
    remove_sinusoid(base, phase)
    remove_sinusoid(moved, phase)
    # what is removed does not depend on the offset or the slope: they stay as they were
    np.testing.assert_allclose(moved - base, added, atol=1e-9)


def test_dc_offset_with_mains_changes_nothing() -> None:
    # A raw export with a large DC level (ADC counts, an unreferenced amplifier) and
    # mains interference: the offset must not reach the beat windows' mains removal.
    q = _rsa_times(70, 15, 0.08, 180.0, seed=5)
    clean = _ecg(181.0, q, q - PR_S)
    t = np.arange(clean.size) / FS
    noisy = clean + 0.2 * np.sin(2 * np.pi * 50.0 * t + 0.3)
    a = detect_ecg(noisy, FS)
    b = detect_ecg(noisy + 50.0, FS)
    assert b.times_s.size == a.times_s.size
    np.testing.assert_allclose(b.times_s, a.times_s, atol=1e-6)
    np.testing.assert_array_equal(b.normal, a.normal)
    np.testing.assert_allclose(b.info["template_correlation"], a.info["template_correlation"],
                               atol=1e-6)


@pytest.mark.parametrize(("mains_hz", "amplitude_mv"), [(50.0, 0.3), (60.0, 0.3), (50.2, 0.15)])
def test_mains_leaves_every_beat_normal(mains_hz: float, amplitude_mv: float) -> None:
    q = _rsa_times(70, 15, 0.08, 180.0, seed=4)
    clean = _ecg(181.0, q, q - PR_S)
    t = np.arange(clean.size) / FS
    noisy = clean + amplitude_mv * np.sin(2 * np.pi * mains_hz * t + 0.3)
    det = detect_ecg(noisy, FS)
    assert det.normal.all(), f"{np.count_nonzero(~det.normal)} normal beats flagged"
    # every interval stays in NN, and the R-peak fiducials do not move with the mains
    a, b = hrv.analyze(clean, FS, "ecg"), hrv.analyze(noisy, FS, "ecg")
    assert len(b.nn) == len(a.nn)
    assert b.metrics.rmssd_ms == pytest.approx(a.metrics.rmssd_ms, rel=0.01)


@pytest.mark.skipif(not (DATA / "mitdb" / "115.hea").exists(), reason="shared MIT-BIH not found")
@pytest.mark.parametrize("record", ["114", "115", "215"])
def test_mitdb_with_added_mains_keeps_its_classes(record: str) -> None:
    from benchmarks._data import load_mitdb

    e = load_mitdb(record)
    x = e.samples[: int(300 * e.fs_hz)]
    t = np.arange(x.size) / e.fs_hz
    before = detect_ecg(x, e.fs_hz)
    after = detect_ecg(x + 0.2 * np.sin(2 * np.pi * 60.0 * t), e.fs_hz)
    # the same beats, and at most 1 % more of them flagged not normal
    assert after.times_s.size == before.times_s.size
    assert np.mean(~after.normal) <= np.mean(~before.normal) + 0.01


@pytest.mark.skipif(not (DATA / "mitdb" / "122.hea").exists(), reason="shared MIT-BIH not found")
@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_low_rmssd_record_keeps_its_rmssd_under_mains(mains_hz: float) -> None:
    # MIT-BIH 122: RMSSD about 19 ms; 0.2 mV of 50 Hz moved each R-peak apex by up to
    # about 4 ms and raised RMSSD by 14 %
    from benchmarks._data import load_mitdb

    e = load_mitdb("122")
    x = e.samples[: int(300 * e.fs_hz)]
    t = np.arange(x.size) / e.fs_hz
    clean = hrv.analyze(x, e.fs_hz, "ecg")
    noisy = hrv.analyze(x + 0.2 * np.sin(2 * np.pi * mains_hz * t), e.fs_hz, "ecg")
    assert noisy.metrics.rmssd_ms == pytest.approx(clean.metrics.rmssd_ms, rel=0.02)
