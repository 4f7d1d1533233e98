"""PPG motion is judged once: the pipeline reports exactly the detector's exclusions.

The PPG detector scores 8-s quality windows (with the pulse-template SQI) and runs of
outlier pulses; the pipeline must not add a second, coarser 10-s grid on top, which
used to count the same motion twice and widen every excluded stretch.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import hrv
from hrv.detect.ppg import detect_ppg

FloatArray = npt.NDArray[np.float64]
FS = 100.0
DUR = 180.0
MOTION = (62.0, 71.0)  # seconds of injected motion artefact


def synth_ppg_with_motion(seed: int = 0) -> FloatArray:
    """Pulses at ~66/min with 0.01 noise, and 9 s of large random motion."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(DUR * FS)) / FS
    rr = 60.0 / 66.0 + rng.normal(0, 0.03, int(DUR * 1.2))
    beats = 0.4 + np.cumsum(rr)
    beats = beats[beats < DUR - 1.0]
    x = rng.normal(0, 0.01, len(t))
    for b in beats:  # loop per beat, test data only
        m = (t >= b) & (t < b + 0.9)
        tau = t[m] - b
        x[m] += np.exp(-(((tau - 0.18) / 0.07) ** 2)) + 0.4 * np.exp(-(((tau - 0.42) / 0.1) ** 2))
    lo, hi = (int(v * FS) for v in MOTION)
    smooth = np.convolve(rng.normal(0, 1.0, hi - lo), np.ones(15) / 15, mode="same")
    x[lo:hi] += 8.0 * smooth
    return x


class TestPpgJudgedOnce:
    def test_pipeline_exclusions_are_the_detectors(self) -> None:
        x = synth_ppg_with_motion()
        det = detect_ppg(x, FS)
        a = hrv.analyze(x, FS, "ppg")
        got = [(w.start_s, w.end_s) for w in a.quality.excluded_windows]
        want = [(w.start_s, w.end_s) for w in det.excluded_windows]
        assert got == want
        assert abs(a.quality.excluded_s - sum(e - s for s, e in want)) < 1e-9

    def test_motion_is_excluded_and_not_much_more(self) -> None:
        x = synth_ppg_with_motion(seed=1)
        a = hrv.analyze(x, FS, "ppg")
        motion = [w for w in a.quality.excluded_windows if "motion" in w.reason]
        covered = sum(max(0.0, min(w.end_s, MOTION[1]) - max(w.start_s, MOTION[0]))
                      for w in motion)
        # The 9 s of motion are excluded; the 8-s grid, the 0.5-s margins and the
        # pulses on either side may add up to about one window on each side, no more.
        assert covered >= MOTION[1] - MOTION[0] - 0.5
        assert a.quality.excluded_s <= (MOTION[1] - MOTION[0]) + 2 * 8.0 + 2.0
        # No beat inside the artefact.
        t = np.asarray(a.beats.times_s)
        assert not ((t > MOTION[0] + 0.5) & (t < MOTION[1] - 0.5)).any()
        # One motion warning, not one per grid.
        assert sum(w.code == "motion" for w in a.quality.warnings) == 1
