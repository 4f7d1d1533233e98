"""Noise must not make normal beats look ectopic, nor hide ventricular beats.

White noise lowers every beat's correlation with its block's template by a common
factor; the shape thresholds follow the noise measured on the beat windows (their
second differences), not the correlations themselves, so a block full of ectopic beats
does not relax them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hrv.detect.ecg import detect_ecg
from hrv.evaluation import match_beats
from tests.hrv.detect.test_ecg import synthetic_ecg

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.mark.parametrize("sigma_mv", [0.1, 0.15])
def test_white_noise_leaves_normal_beats_normal(sigma_mv: float) -> None:
    # R waves of 1 mV at 360 Hz; 0.15 mV of white noise flagged 18 % of the beats of
    # such a recording (their correlation with the template fell below 0.85).
    fs = 360.0
    x, truth, _ = synthetic_ecg(fs, 300.0, seed=3)
    noisy = x + np.random.default_rng(1).normal(0.0, sigma_mv, x.size)
    det = detect_ecg(noisy, fs)
    assert match_beats(truth, det.times_s).f1 >= 0.997
    assert np.mean(~det.normal) <= 0.02


def test_ventricular_beats_stay_flagged_under_noise() -> None:
    fs = 360.0
    x, truth, pvc = synthetic_ecg(fs, 300.0, seed=4, pvc_every=7)
    noisy = x + np.random.default_rng(2).normal(0.0, 0.15, x.size)
    det = detect_ecg(noisy, fs)
    assert match_beats(truth, det.times_s).f1 >= 0.997
    # each true beat's detection (nearest)
    j = np.clip(np.searchsorted(det.times_s, truth), 1, det.times_s.size - 1)
    j = np.where(np.abs(det.times_s[j] - truth) < np.abs(det.times_s[j - 1] - truth), j, j - 1)
    shape = np.asarray(det.info["abnormal_shape"])[j]
    assert np.mean(shape[pvc]) >= 0.95  # their QRS is still seen as not normal
    assert np.mean(~det.normal[j][~pvc]) <= 0.03


@pytest.mark.skipif(not (DATA / "mitdb" / "112.hea").exists(), reason="shared MIT-BIH not found")
@pytest.mark.parametrize("record", ["112", "205"])
def test_mitdb_with_white_noise_keeps_its_classes(record: str) -> None:
    # 112 (tuning half): 188 of 428 beats flagged with 0.15 mV of white noise; 205 (held
    # back): 75 of 455. The annotations label all but 0 and 7 of them normal.
    from benchmarks._data import load_mitdb

    e = load_mitdb(record)
    x = e.samples[: int(300 * e.fs_hz)]
    annotated = np.mean(~np.isin(e.beat_symbols[e.beat_times_s < 300], list("NLR")))
    det = detect_ecg(x + np.random.default_rng(0).normal(0.0, 0.15, x.size), e.fs_hz)
    assert np.mean(~det.normal) <= annotated + 0.05
