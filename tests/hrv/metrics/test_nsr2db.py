"""Metrics on a real 24-hour RR series (PhysioNet nsr2db record nsr001).

Source: Normal Sinus Rhythm RR Interval Database (Goldberger et al., Circulation
101:e215, 2000; ODC-By 1.0), beat annotations on a 128 Hz timebase.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hrv.config import SpectrumConfig
from hrv.metrics import frequency_domain, poincare, time_domain
from hrv.types import Intervals

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data" / "nsr2db"
FS = 128.0

pytestmark = pytest.mark.skipif(
    not (DATA / "nsr001.ecg").exists(), reason=f"shared data not found at {DATA}"
)


def _annotations(hours: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(DATA / "nsr001"), "ecg")
    symbols = np.asarray(ann.symbol)
    samples = np.asarray(ann.sample, dtype=np.int64)
    beat = np.isin(symbols, list("NLRBAaJSVrFejnE/fQ?"))
    samples, symbols = samples[beat], symbols[beat]
    if hours is not None:
        keep = samples < hours * 3600 * FS
        samples, symbols = samples[keep], symbols[keep]
    return samples, symbols == "N"


def _nn(samples: np.ndarray, normal: np.ndarray) -> Intervals:
    rr = np.diff(samples) * (1000.0 / FS)
    keep = normal[1:] & normal[:-1] & (rr <= 3000.0)
    idx = np.flatnonzero(keep)
    gap = np.ones(idx.size, dtype=bool)
    gap[1:] = np.diff(idx) != 1
    return Intervals(rr[idx], samples[idx + 1] / FS, gap)


@pytest.mark.slow
class TestNsr001:
    def test_time_domain_matches_the_annotation_arithmetic(self) -> None:
        samples, normal = _annotations()
        td = time_domain(_nn(samples, normal))
        # independent: second differences of the annotation sample numbers over runs of
        # three consecutive normal beats with both intervals ≤ 3 s (integer arithmetic)
        s = samples
        three_n = normal[:-2] & normal[1:-1] & normal[2:]
        i1, i2 = np.diff(s)[:-1], np.diff(s)[1:]
        ok = three_n & (i1 <= 3 * FS) & (i2 <= 3 * FS)
        dd = (i2 - i1)[ok].astype(np.float64) * (1000.0 / FS)
        assert td.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(dd**2))), rel=1e-12)
        intervals = np.diff(s)[normal[1:] & normal[:-1] & (np.diff(s) <= 3 * FS)]
        sdnn = float(np.std(intervals * (1000.0 / FS), ddof=1))
        assert td.sdnn_ms == pytest.approx(sdnn, rel=1e-12)
        # SD1 ≈ RMSSD/√2 on real data too (mean successive difference ≈ 0): within 1 %
        pc = poincare(_nn(samples, normal))
        assert pc.sd1_ms == pytest.approx(td.rmssd_ms / np.sqrt(2), rel=0.01)  # type: ignore[operator]

    def test_welch_and_lomb_agree_on_real_data(self) -> None:
        # two independent estimators (resampled FFT vs. uneven least squares) of the same
        # spectrum over 2 h: band powers within 10 % (observed ≤ 3 %)
        nn = _nn(*_annotations(hours=2.0))
        w = frequency_domain(nn, SpectrumConfig(method="welch"))
        lo = frequency_domain(nn, SpectrumConfig(method="lomb"))
        for name in ("vlf_power_ms2", "lf_power_ms2", "hf_power_ms2"):
            assert getattr(lo, name) == pytest.approx(getattr(w, name), rel=0.10), name
        assert w.info["n_segments"] >= 50
