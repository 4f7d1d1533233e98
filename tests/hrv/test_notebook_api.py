"""What a notebook user touches: results rebuilt from their dict, read-only arrays, the
spectrum on the result, readers' output analysed directly, and ``str`` always a path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import hrv
from hrv.simulate import rr_series

SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"


@pytest.fixture(scope="module")
def rr_analysis() -> hrv.Analysis:
    return hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=30, seed=3), unit="ms")


class TestFromDict:
    def test_round_trip_through_json(self, rr_analysis: hrv.Analysis) -> None:
        data = json.loads(json.dumps(rr_analysis.to_dict(include_series=True)))
        back = hrv.Analysis.from_dict(data)
        assert back.to_dict(include_series=True) == rr_analysis.to_dict(include_series=True)
        np.testing.assert_array_equal(back.nn.rr_ms, rr_analysis.nn.rr_ms)
        np.testing.assert_array_equal(back.nn.gap_before, rr_analysis.nn.gap_before)

    def test_compare_on_rebuilt_results_equals_compare_on_originals(self) -> None:
        pre = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=20, seed=4), unit="ms")
        post = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=45, seed=5), unit="ms")
        direct = hrv.compare(pre, post).to_dict()
        rebuilt = hrv.compare(
            hrv.Analysis.from_dict(json.loads(json.dumps(pre.to_dict(include_series=True)))),
            hrv.Analysis.from_dict(json.loads(json.dumps(post.to_dict(include_series=True)))),
        ).to_dict()
        assert rebuilt == direct

    def test_not_an_analysis(self) -> None:
        with pytest.raises(ValueError, match="not an analysis"):
            hrv.Analysis.from_dict({"kind": "rr"})

    def test_unknown_metric_keys_are_ignored(self, rr_analysis: hrv.Analysis) -> None:
        data = rr_analysis.to_dict(include_series=True)
        data["metrics"]["a_marker_from_a_newer_version"] = 1.0
        back = hrv.Analysis.from_dict(data)
        assert back.metrics.rmssd_ms == rr_analysis.metrics.rmssd_ms


class TestSpectrum:
    def test_spectrum_integrates_to_the_band_powers(self, rr_analysis: hrv.Analysis) -> None:
        sp = rr_analysis.spectrum
        assert sp is not None and sp.method == "welch"
        f, p = sp.freq_hz, sp.psd_ms2_per_hz
        band = (f >= 0.15) & (f <= 0.40)
        # Riemann sum over the band's bins; the library interpolates the band edges, so
        # allow the width of one bin at each edge.
        df = float(f[1] - f[0])
        approx = float(np.sum(p[band]) * df)
        hf = rr_analysis.metrics.hf_power_ms2
        assert hf is not None
        assert abs(approx - hf) <= 2 * df * float(np.max(p[band]))

    def test_spectrum_in_dict_only_on_request(self, rr_analysis: hrv.Analysis) -> None:
        assert "spectrum" not in rr_analysis.to_dict()
        assert rr_analysis.to_dict(include_series=True)["spectrum"]["method"] == "welch"


class TestFrozenArrays:
    def test_result_arrays_are_read_only(self, rr_analysis: hrv.Analysis) -> None:
        for arr in (rr_analysis.nn.rr_ms, rr_analysis.nn.t_s, rr_analysis.beats.times_s):
            with pytest.raises(ValueError, match="read-only"):
                arr[0] = 0.0
        assert rr_analysis.spectrum is not None
        with pytest.raises(ValueError, match="read-only"):
            rr_analysis.spectrum.psd_ms2_per_hz[0] = 0.0

    def test_callers_array_stays_writable(self) -> None:
        rr = np.full(10, 800.0)
        iv = hrv.Intervals.contiguous(rr)
        own = np.arange(5.0)
        hrv.Signal(own, 100.0, hrv.SignalKind.ECG)
        own[0] = 1.0  # no error: the Signal holds a read-only view, not the caller's array
        assert not iv.rr_ms.flags.writeable


class TestReaders:
    def test_analyze_takes_a_signal(self) -> None:
        from hrv.io import read_recording

        rec = read_recording(SAMPLES / "mitdb101_pre.edf")
        assert rec.signal is not None
        via_signal = hrv.analyze(rec.signal)
        via_arrays = hrv.analyze(rec.signal.samples, rec.signal.fs_hz, rec.signal.kind)
        assert via_signal.to_dict() == via_arrays.to_dict()

    def test_contradicting_rate_is_refused(self) -> None:
        sig = hrv.Signal(np.zeros(5000), 250.0, hrv.SignalKind.ECG)
        with pytest.raises(hrv.InvalidInputError, match="contradicts"):
            hrv.analyze(sig, 360.0)

    def test_io_is_an_attribute(self) -> None:
        assert hrv.io.read_recording is not None


class TestUnitRuleInOnePlace:
    """A file read and an array given say the same about the unit they chose."""

    @pytest.mark.parametrize("body", [b"0.80\n0.81\n0.79\n" * 100, b"800\n810\n790\n" * 100])
    def test_rr_text_file_warns_like_an_array(self, body: bytes) -> None:
        from hrv.io import read_recording

        from_file = hrv.analyze_recording(read_recording(body))
        values = np.array(body.decode().split(), dtype=float)
        from_array = hrv.analyze_intervals(values, unit="auto")
        file_msgs = [w.message for w in from_file.quality.warnings if w.code == "unit_detected"]
        array_msgs = [w.message for w in from_array.quality.warnings if w.code == "unit_detected"]
        assert file_msgs == array_msgs and len(file_msgs) == 1
        assert from_file.metrics.rmssd_ms == pytest.approx(from_array.metrics.rmssd_ms)

    def test_csv_file_warns_when_the_header_does_not_say(self) -> None:
        from hrv.io import read_recording

        rows = "\n".join(f"{v:.3f}" for v in rr_series(300, seed=2) / 1000.0)
        rec = read_recording(("rr\n" + rows + "\n").encode(), "csv", kind="rr")
        a = hrv.analyze_recording(rec)
        assert a.quality.has_warning("unit_detected")
        assert "read as seconds" in next(
            w.message for w in a.quality.warnings if w.code == "unit_detected")

    def test_declared_unit_gives_no_unit_warning(self) -> None:
        from hrv.io import read_recording

        rows = "\n".join(f"{v:.1f}" for v in rr_series(300, seed=2))
        rec = read_recording(("rr_ms\n" + rows + "\n").encode(), "csv", kind="rr")
        assert not hrv.analyze_recording(rec).quality.has_warning("unit_detected")
