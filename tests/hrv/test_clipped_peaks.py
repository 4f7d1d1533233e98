"""R peaks whose tops sit at the ADC rail for a few samples are cut-off peaks, not
clipping: the beats and their timing stay in the analysis, with a warning.

An 8-bit, 125-Hz monitor export (BIDMC record 01) has every R peak on the rail for 2-3
samples; excluding those windows as "clipping" threw away a fifth of the recording (and
with it LF and HF) although the beats were all there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import hrv

FloatArray = npt.NDArray[np.float64]
FS = 125.0
SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"


def _ecg(duration_s: float = 300.0, seed: int = 3) -> tuple[FloatArray, FloatArray]:
    """Synthetic ECG (R: Gaussian of 12 ms SD, 1 mV; T wave; noise) with breathing-linked
    RR variation; returns (signal, R times)."""
    rng = np.random.default_rng(seed)
    n_beats = int(duration_s / 0.8) + 5
    rr = 0.8 + 0.03 * np.sin(2 * np.pi * 0.25 * 0.8 * np.arange(n_beats)) \
        + rng.normal(0, 0.01, n_beats)
    beats = 0.5 + np.cumsum(rr)
    beats = beats[beats < duration_s - 0.7]
    t = np.arange(int(duration_s * FS)) / FS
    x = rng.normal(0, 0.01, t.size)
    for b in beats:  # per beat, test data only
        m = (t > b - 0.1) & (t < b + 0.5)
        x[m] += np.exp(-(((t[m] - b) / 0.012) ** 2))
        x[m] += 0.25 * np.exp(-(((t[m] - b - 0.28) / 0.05) ** 2))
    return x, beats


def _adc(x: FloatArray, rail_mv: float) -> FloatArray:
    """8-bit quantisation with full scale at ``rail_mv`` (values above sit on the rail)."""
    lo = -0.3
    step = (rail_mv - lo) / 255
    return np.clip(np.round((x - lo) / step), 0, 255) * step + lo


def _rail_runs(x: FloatArray) -> list[int]:
    at = np.flatnonzero(x == x.max())
    return [len(r) for r in np.split(at, np.flatnonzero(np.diff(at) > 1) + 1)]


def test_r_tops_on_the_rail_keep_every_beat_and_its_timing() -> None:
    x, beats = _ecg()
    clipped = _adc(x, 0.55)  # the top ~45 % of each R wave is cut off
    runs = _rail_runs(clipped)
    assert max(runs) <= 3 and runs.count(3) >= 30  # 16-24 ms on the rail, as in BIDMC 01
    a = hrv.analyze(clipped, FS, "ecg")
    assert not [w for w in a.quality.excluded_windows if w.reason == "clipping"]
    assert "peaks_clipped" in {w.code for w in a.quality.warnings}
    assert a.quality.beats == pytest.approx(beats.size, abs=2)
    # the same beats, unclipped (the reference: the synthetic R times themselves)
    ref = hrv.analyze_beat_times(beats)
    assert a.metrics.rmssd_ms == pytest.approx(ref.metrics.rmssd_ms, rel=0.02)


def test_a_saturating_front_end_is_still_clipping() -> None:
    x, _ = _ecg(120.0)
    x[int(40 * FS):int(60 * FS)] *= 4.0  # a gain jump: R waves far beyond full scale
    clipped = _adc(x, 1.1)
    a = hrv.analyze(clipped, FS, "ecg")
    clip = [w for w in a.quality.excluded_windows if w.reason == "clipping"]
    assert clip and clip[0].start_s >= 30.0 and clip[-1].end_s <= 70.0


def test_bidmc_01_keeps_its_beats() -> None:
    path = SAMPLES / "bidmc01_pre.csv"
    rec = hrv.io.read_recording(path)
    a = hrv.analyze_recording(rec)
    assert not [w for w in a.quality.excluded_windows if w.reason == "clipping"]
    assert "peaks_clipped" in {w.code for w in a.quality.warnings}
    # independent count: the pulse rate of the PPG channel recorded beside the ECG
    ppg = hrv.analyze_recording(hrv.io.read_recording(path, kind="ppg"))
    assert ppg.metrics.mean_hr_bpm is not None
    expected = a.duration_s * ppg.metrics.mean_hr_bpm / 60.0
    assert a.quality.beats == pytest.approx(expected, rel=0.02)
    assert a.metrics.hf_power_ms2 is not None
