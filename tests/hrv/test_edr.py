"""ECG- and PPG-derived breathing rate on synthetic signals with a known breathing rate,
and on BIDMC records against the annotated breaths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from hrv.errors import InvalidInputError
from hrv.respiration import ecg_derived_respiration_bpm, ppg_derived_respiration_bpm

FloatArray = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


def beats(duration_s: float, hr_bpm: float, seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    rr = 60.0 / hr_bpm + rng.normal(0, 0.01, int(duration_s * hr_bpm / 60) + 5)
    t = 0.5 + np.cumsum(rr)
    return t[t < duration_s - 1.0]


def ecg_with_breathing(br_bpm: float, fs: float = 250.0, duration_s: float = 120.0,
                       seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """R amplitude modulated ±20 % at the breathing rate, plus baseline wander at it."""
    t = np.arange(int(duration_s * fs)) / fs
    b = beats(duration_s, 72, seed)
    f = br_bpm / 60.0
    x = 0.3 * np.sin(2 * np.pi * f * t) + np.random.default_rng(seed).normal(0, 0.02, len(t))
    for tb in b:  # loop per beat, test data only
        m = (t > tb - 0.05) & (t < tb + 0.05)
        x[m] += (1 + 0.2 * np.sin(2 * np.pi * f * tb)) * np.exp(-(((t[m] - tb) / 0.01) ** 2))
    return x, b


def ppg_with_breathing(br_bpm: float, fs: float = 100.0, duration_s: float = 120.0,
                       seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Pulse amplitude ±15 % and baseline ±0.2 modulated at the breathing rate."""
    t = np.arange(int(duration_s * fs)) / fs
    b = beats(duration_s, 66, seed)
    f = br_bpm / 60.0
    x = 0.2 * np.sin(2 * np.pi * f * t) + np.random.default_rng(seed).normal(0, 0.01, len(t))
    for tb in b:
        m = (t >= tb) & (t < tb + 0.9)
        tau = t[m] - tb
        amp = 1 + 0.15 * np.sin(2 * np.pi * f * tb)
        x[m] += amp * np.exp(-(((tau - 0.18) / 0.07) ** 2))
    return x, b + 0.12  # pulse time: on the upstroke


def one_over_f(n: int, fs: float, seed: int, exponent: float = 1.0) -> FloatArray:
    """Unit-variance noise with power proportional to 1 / f**exponent."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    f[0] = f[1]
    y = np.fft.irfft(spec / f ** (exponent / 2.0), n)
    return np.asarray(y / np.std(y), dtype=np.float64)


def ecg_one_over_f(seed: int, duration_s: float, fs: float = 250.0
                   ) -> tuple[FloatArray, FloatArray]:
    """ECG whose R amplitude follows 1/f noise (±15 %), with 1/f² baseline wander."""
    rng = np.random.default_rng(seed + 100)
    b = beats(duration_s, 70, seed + 100)
    n = int(duration_s * fs)
    m = one_over_f(n, fs, seed)
    x = 0.1 * one_over_f(n, fs, seed + 7, 2.0) + rng.normal(0, 0.02, n)
    k = np.arange(-12, 13)
    for tb in b:
        i = round(tb * fs)
        x[i + k] += (1 + 0.15 * m[i]) * np.exp(-(((k / fs) / 0.01) ** 2))
    return x, b


def _edr_of(signal: tuple[FloatArray, FloatArray]) -> float | None:
    return ecg_derived_respiration_bpm(signal[0], 250.0, signal[1])


class TestSynthetic:
    # A rate below 9/min (outside the HF band) needs three averaged 64-s segments, so
    # slow breathing is tested on 5 min.
    @pytest.mark.parametrize("br", [8.0, 15.0, 24.0])
    def test_ecg_rate(self, br: float) -> None:
        x, b = ecg_with_breathing(br, duration_s=300.0 if br < 9 else 120.0)
        est = ecg_derived_respiration_bpm(x, 250.0, b)
        # Welch resolution at 4 Hz with 64-s segments is ~0.9 breaths/min; 1 is the bound
        assert est is not None and abs(est - br) <= 1.0

    @pytest.mark.parametrize("br", [8.0, 15.0, 24.0])
    def test_ppg_rate(self, br: float) -> None:
        x, b = ppg_with_breathing(br, duration_s=300.0 if br < 9 else 120.0)
        est = ppg_derived_respiration_bpm(x, 100.0, b)
        assert est is not None and abs(est - br) <= 1.0

    @pytest.mark.parametrize("duration_s", [120.0, 300.0, 480.0])
    def test_one_over_f_modulation_gives_no_rate(self, duration_s: float) -> None:
        """R amplitude modulated by 1/f-shaped noise (no breathing rhythm): no rate, and
        in particular not the low end of the search range (the old band-edge 6.09/min)."""
        rates = [_edr_of(ecg_one_over_f(seed, duration_s)) for seed in range(6)]
        if duration_s >= 300.0:
            assert rates == [None] * 6
        assert not [r for r in rates if r is not None and r < 9.0]

    def test_inverted_ecg(self) -> None:
        x, b = ecg_with_breathing(12.0)
        est = ecg_derived_respiration_bpm(-x, 250.0, b)
        assert est is not None and abs(est - 12.0) <= 1.0

    def test_too_few_beats_gives_none(self) -> None:
        x, b = ppg_with_breathing(12.0, duration_s=20.0)
        assert ppg_derived_respiration_bpm(x, 100.0, b) is None
        assert ecg_derived_respiration_bpm(x, 100.0, b[:5]) is None

    def test_bad_input(self) -> None:
        with pytest.raises(InvalidInputError):
            ecg_derived_respiration_bpm(np.zeros((10, 2)), 250.0, [1.0, 2.0])
        with pytest.raises(InvalidInputError):
            ppg_derived_respiration_bpm(np.zeros(100), 0.0, [1.0, 2.0])


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "bidmc").exists(), reason="shared/data/bidmc not available")
class TestBidmc:
    @pytest.mark.parametrize("record", [1, 2, 4, 5])
    def test_pdr_within_two_breaths(self, record: int) -> None:
        import csv
        import gzip

        from hrv.detect.ppg import detect_ppg

        tag = f"bidmc_{record:02d}"
        with gzip.open(DATA / "bidmc" / f"{tag}_Signals.csv.gz", "rt") as fh:
            rows = list(csv.reader(fh))
        header = [h.strip() for h in rows[0]]
        ppg = np.array([float(r[header.index("PLETH")]) for r in rows[1:]])
        with open(DATA / "bidmc" / f"{tag}_Breaths.csv") as fh:
            onsets = np.array([float(r[0]) for r in list(csv.reader(fh))[1:]
                               if r and r[0].strip() not in ("", "NaN")]) / 125.0
        ref = 60.0 * (len(onsets) - 1) / (onsets[-1] - onsets[0])
        det = detect_ppg(ppg, 125.0)
        est = ppg_derived_respiration_bpm(ppg, 125.0, det.times_s)
        # within 2 breaths/min of the annotated rate, never a wrong rate. On record 05
        # (slow breathing, about 6/min) and 02 the PPG modulations do not single out a
        # peak strongly enough over its neighbourhood, so unknown is allowed there (the
        # RSA and ECG-derived estimates are fused with it in hrv.analyze)
        if record not in (2, 5):
            assert est is not None
        assert est is None or abs(est - ref) <= 2.0


class TestSlowRateNeedsNormalShapedBeats:
    """A rate below 9/min silences HF: it must not come from the amplitudes of ectopic or
    noisy complexes, whose height follows their shape, not breathing."""

    @pytest.mark.parametrize("seed", [0, 1])
    def test_slow_rhythm_of_odd_complexes_gives_no_rate(self, seed: int) -> None:
        x, b = ecg_with_breathing(15.0, duration_s=300.0, seed=seed)
        t = np.arange(x.size) / 250.0
        odd = ((b % 10.0) < 5.0) & (b > 40) & (b < 260)  # on for 5 s of every 10 s
        for tb in b[odd]:  # tall, wide complexes: a 6/min on-off pattern of shape
            m = (t > tb - 0.08) & (t < tb + 0.08)
            x[m] += 1.2 * np.exp(-(((t[m] - tb) / 0.03) ** 2))
        unchecked = ecg_derived_respiration_bpm(x, 250.0, b)
        assert unchecked is not None and unchecked < 9.0  # what the odd beats make of it
        assert ecg_derived_respiration_bpm(x, 250.0, b, abnormal=odd) is None

    def test_true_slow_breathing_stands_beside_a_few_ectopic_beats(self) -> None:
        x, b = ecg_with_breathing(6.0, duration_s=300.0)
        odd = np.zeros(b.size, dtype=bool)
        odd[np.random.default_rng(3).choice(b.size, b.size // 20, replace=False)] = True
        est = ecg_derived_respiration_bpm(x, 250.0, b, abnormal=odd)
        assert est is not None and abs(est - 6.0) <= 1.0

    @pytest.mark.skipif(not (DATA / "challenge2015" / "a103l.hea").exists(),
                        reason="shared challenge2015/a103l not found")
    def test_icu_record_with_noisy_beats_gets_no_false_slow_rate(self) -> None:
        # Lead V of a103l: QRS-shaped noise around 265-305 s (flagged abnormal_shape,
        # partly excluded) gave an ECG-derived 6.1/min; the PPG beside it says ~30/min.
        import wfdb

        import hrv

        rec = wfdb.rdrecord(str(DATA / "challenge2015" / "a103l"))
        a = hrv.analyze(rec.p_signal[:, rec.sig_name.index("V")], rec.fs, "ecg")
        assert a.respiration.rate_bpm is None or a.respiration.rate_bpm >= 9.0
        assert a.respiration.hf_band_valid is not False or a.respiration.rate_bpm > 24
