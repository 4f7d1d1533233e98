"""ECG detector against the cardiologists' annotations of MIT-BIH records (EC57 scoring)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hrv.detect.ecg import detect_ecg
from hrv.evaluation import match_beats

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "mitdb" / "101.hea").exists(),
        reason=f"shared MIT-BIH data not found at {DATA}",
    ),
]

BEAT_CODES = list("NLRBAaJSVrFejnE/fQ?")


def _load(db: str, record: str) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    wfdb = pytest.importorskip("wfdb")
    path = str(DATA / db / record)
    names = wfdb.rdheader(path).sig_name
    ch = names.index("MLII") if "MLII" in names else 0
    rec = wfdb.rdrecord(path, channels=[ch])
    ann = wfdb.rdann(path, "atr")
    sym = np.asarray(ann.symbol)
    beat = np.isin(sym, BEAT_CODES)
    fs = float(rec.fs)
    return rec.p_signal[:, 0], fs, np.asarray(ann.sample)[beat] / fs, sym[beat]


class TestMitdb:
    # 208 (frequent PVCs and fusion beats) is the hard case of this subset; the targets of
    # the benchmark are F1 >= 99 % for every non-paced record, asserted here on a subset
    # that fits the test-time budget.
    # 201 (small aberrant atrial premature beats) and 203 (fast ventricular runs) exercise
    # the isolated-beat rule and the rhythm-aware T-wave rule.
    @pytest.mark.parametrize("record", ["101", "106", "119", "201", "203", "208", "215"])
    def test_f1_and_timing(self, record: str) -> None:
        x, fs, ref, _ = _load("mitdb", record)
        res = match_beats(ref, detect_ecg(x, fs).times_s)
        assert res.f1 >= 0.99
        # MIT-BIH annotations sit on the R peak; 5 ms is under two samples at 360 Hz.
        assert res.median_abs_error_ms <= 5.0

    def test_ventricular_beats_are_not_normal(self) -> None:
        x, fs, ref, sym = _load("mitdb", "119")  # 444 PVCs in trigeminy/bigeminy
        det = detect_ecg(x, fs)
        res = match_beats(ref, det.times_s)
        is_v = sym[res.matched_reference] == "V"
        flagged = ~det.normal[res.matched_detected]
        assert np.mean(flagged[is_v]) >= 0.95  # nearly every V beat leaves the NN series
        is_n = sym[res.matched_reference] == "N"
        assert np.mean(flagged[is_n]) <= 0.05

    def test_large_p_waves_are_not_beats(self) -> None:
        # Record 108: P waves as large as the QRS in the slope feature, and noise bursts.
        # Issue target 99 %; 99.29 % is reached, guarded at 99.2 % (97.5 % before the
        # close-pair rule, 93 % before P-wave rejection).
        x, fs, ref, _ = _load("mitdb", "108")
        res = match_beats(ref, detect_ecg(x, fs).times_s)
        assert res.f1 >= 0.992

    def test_atrial_fibrillation_beats_stay_normal(self) -> None:
        # Record 203: atrial fibrillation/flutter with multiform PVCs. Irregular RR is the
        # rhythm there: N beats must mostly stay in the NN series (27 % were flagged when
        # every short interval counted as premature), while V beats still leave it.
        x, fs, ref, sym = _load("mitdb", "203")
        det = detect_ecg(x, fs)
        res = match_beats(ref, det.times_s)
        s = sym[res.matched_reference]
        flagged = ~det.normal[res.matched_detected]
        assert np.mean(flagged[s == "N"]) <= 0.12
        assert np.mean(flagged[s == "V"]) >= 0.9

    def test_svdb_128_hz(self) -> None:
        if not (DATA / "svdb" / "800.hea").exists():
            pytest.skip("svdb/800 not in the shared data")
        x, fs, ref, _ = _load("svdb", "800")
        res = match_beats(ref, detect_ecg(x, fs).times_s)
        assert res.f1 >= 0.99
