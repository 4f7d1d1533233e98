"""Bad and degenerate raw waveforms through ``hrv.analyze``: an HRVError with a clear
message or a result graded unusable with the reason, never another exception."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hrv
from hrv import Grade, HRVError, InsufficientDataError, InvalidInputError

FS = 250.0
N = int(FS * 60)


def _synthetic_ecg(duration_s: float, fs: float, hr_bpm: float = 70.0) -> np.ndarray:
    # Gaussian QRS-like spikes on a small baseline wander: beat times are known exactly.
    t = np.arange(int(duration_s * fs)) / fs
    beats = np.arange(0.5, duration_s - 0.5, 60.0 / hr_bpm)
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t)
    for b in beats:
        x += np.exp(-0.5 * ((t - b) / 0.012) ** 2)
    return x


class TestDegenerateWaveforms:
    @pytest.mark.parametrize("kind", ["ecg", "ppg"])
    @pytest.mark.parametrize(
        "name",
        ["flat", "saturated", "white_noise", "mostly_nan"],
    )
    def test_graded_unusable_with_reason(self, kind: str, name: str) -> None:
        rng = np.random.default_rng(1)
        x = {
            "flat": np.zeros(N),
            "saturated": np.full(N, 255.0),
            "white_noise": rng.normal(size=N),
            "mostly_nan": np.where(np.arange(N) % 5000 < 4000, np.nan, 1.0),
        }[name]
        a = hrv.analyze(x, FS, kind)
        assert a.quality.grade is Grade.UNUSABLE
        assert a.quality.warnings, "an unusable grade must say why"
        assert a.metrics.rmssd_ms is None or a.quality.usable_duration_s < 30
        json.dumps(a.to_dict(), allow_nan=False)

    def test_clipped_stretch_is_excluded_by_name(self) -> None:
        x = _synthetic_ecg(120, FS)
        x[int(30 * FS):int(50 * FS)] = x.max()  # saturated at the rail for 20 s
        a = hrv.analyze(x, FS, "ecg")
        reasons = " ".join(w.reason for w in a.quality.excluded_windows)
        assert "clipping" in reasons or "flat_line" in reasons
        assert a.metrics.mean_hr_bpm == pytest.approx(70.0, abs=1.0)

    def test_adc_integers(self) -> None:
        x = np.round(_synthetic_ecg(120, FS) * 800 + 1024).astype(np.int16)
        a = hrv.analyze(x, FS, "ecg")
        assert a.metrics.mean_hr_bpm == pytest.approx(70.0, abs=0.5)


class TestRejected:
    def test_five_seconds(self) -> None:
        with pytest.raises(InsufficientDataError, match="5 s"):
            hrv.analyze(_synthetic_ecg(4, FS), FS, "ecg")

    @pytest.mark.parametrize("fs", [0, -250, 1e6, float("nan")])
    def test_sampling_rate(self, fs: float) -> None:
        with pytest.raises(InvalidInputError, match="sampling rate"):
            hrv.analyze(_synthetic_ecg(60, FS), fs, "ecg")

    def test_two_dimensional(self) -> None:
        x = np.stack([_synthetic_ecg(60, FS)] * 2, axis=1)
        with pytest.raises(InvalidInputError, match="1-D"):
            hrv.analyze(x, FS, "ecg")

    def test_all_nan(self) -> None:
        with pytest.raises(InvalidInputError, match="no finite"):
            hrv.analyze(np.full(N, np.nan), FS, "ecg")

    def test_unknown_kind(self) -> None:
        with pytest.raises(InvalidInputError, match="'ecg' and 'ppg'"):
            hrv.analyze(np.zeros(N), FS, "eeg")


class TestProperty:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        kind=st.sampled_from(["ecg", "ppg"]),
        fs=st.sampled_from([25.0, 64.0, 128.0, 250.0, 500.0]),
        x=hnp.arrays(
            np.float64,
            st.integers(0, 6000),
            elements=st.one_of(
                st.floats(allow_nan=True, allow_infinity=True, width=32),
                st.floats(-5, 5),
            ),
        ),
    )
    def test_any_waveform_returns_or_raises_hrverror(
        self, kind: str, fs: float, x: np.ndarray
    ) -> None:
        try:
            a = hrv.analyze(x, fs, kind)
        except HRVError:
            return
        json.dumps(a.to_dict(), allow_nan=False)


class TestBreathingConflict:
    def test_disagreeing_estimates_are_reported_not_guessed(self) -> None:
        # MIT-BIH 101, first 5 min: the NN spectrum shows a steady 10/min RSA peak. The
        # ECG-derived estimate used to land on the 6/min edge of its search band (the
        # highest bin of a falling spectrum, issue 12) and conflict with it; now the
        # modulation spectrum has no genuine peak there, so the EDR gives no rate and
        # the 10/min RSA rate stands, never a slow-breathing call.
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        rec = root.parent / "shared" / "data" / "mitdb" / "101"
        if not rec.with_suffix(".hea").exists():
            pytest.skip(f"shared data not found at {rec}")
        import wfdb

        x = wfdb.rdrecord(str(rec)).p_signal[: 360 * 300, 0]
        a = hrv.analyze(x, 360, "ecg")
        edr = a.respiration.estimates_bpm.get("edr")
        assert edr is None or edr >= 9.0
        assert a.respiration.source != "conflict"
        assert a.respiration.rate_bpm is not None and abs(a.respiration.rate_bpm - 10.0) < 1
        assert a.respiration.hf_band_valid is True
