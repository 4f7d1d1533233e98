"""Block-wise filtering and block-wise window statistics match whole-signal processing.

Long recordings are filtered and scanned in blocks of ``BLOCK_SAMPLES``; nothing about
the result may depend on where the block edges fall. The references are independent:
``scipy.signal.sosfiltfilt`` over the whole signal, ``scipy.signal.welch``, and defects
of known position and length placed across block edges.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal as sps

from hrv._dsp import BLOCK_SAMPLES, bandpass, block_bounds, filtered_blocks
from hrv.quality import assess_waveform
from hrv.respiration._modulation import welch_linear

FloatArray = npt.NDArray[np.float64]
FS = 250.0


def noisy_ecg_like(n: int, seed: int = 0) -> FloatArray:
    """Random walk (baseline wander) + spikes once a second + white noise."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, 0.05, n)
    x[:: int(FS)] += 1.0
    return x


def whole(x: FloatArray, lo: float, hi: float) -> FloatArray:
    sos = sps.butter(2, [lo / (FS / 2), hi / (FS / 2)], btype="bandpass", output="sos")
    return np.asarray(sps.sosfiltfilt(sos, x, padlen=3 * int(FS / lo)))


class TestFilteredBlocks:
    @pytest.mark.parametrize("band", [(0.5, 40.0), (5.0, 30.0)])
    def test_blocks_equal_whole_signal_filter(self, band: tuple[float, float]) -> None:
        n = 2 * BLOCK_SAMPLES + 12_345
        x = noisy_ecg_like(n)
        ref = whole(x, *band)
        out = np.full(n, np.nan)
        for a, b, s, f in filtered_blocks(x, FS, band[0], band[1], block_bounds(n), margin=40):
            assert s == max(0, a - 40)
            assert len(f) == min(n, b + 40) - s
            out[a:b] = f[a - s: b - s]
        # The context before and after each block lets the filter transient decay to
        # e^-(many): 1e-9 of the signal's scale is far below any threshold used on it.
        assert np.max(np.abs(out - ref)) < 1e-9 * np.std(ref)

    def test_whole_signal_bandpass_matches_scipy(self) -> None:
        x = noisy_ecg_like(20_000, seed=3)
        # Direct-form filtering differs from cascaded sections only by rounding.
        assert np.max(np.abs(bandpass(x, FS, 0.5, 40.0) - whole(x, 0.5, 40.0))) < 1e-9

    def test_block_bounds_follow_window_starts(self) -> None:
        starts = np.arange(0, 1_000_000, 2500)
        bounds = block_bounds(1_000_000, starts=starts)
        assert bounds[0] == 0 and bounds[-1] == 1_000_000
        assert np.isin(bounds[1:-1], starts).all()  # no window straddles two blocks


class TestWelch:
    @pytest.mark.parametrize("n", [150, 256, 1000, 40_000])
    def test_shape_matches_scipy_welch(self, n: int) -> None:
        y = np.cumsum(np.random.default_rng(n).normal(size=n))
        nper = min(n, 256)
        f, p = sps.welch(y, fs=4.0, nperseg=nper, noverlap=nper // 2, nfft=1024,
                         detrend="linear")
        q = welch_linear(y, nper, 1024)
        band = (f >= 0.1) & (f <= 0.6)
        # Only the normalised shape is used: equal up to rounding after normalising.
        np.testing.assert_allclose(q[band] / q[band].sum(), p[band] / p[band].sum(),
                                   rtol=1e-9, atol=1e-15)


class TestDefectsAcrossBlockEdges:
    """A defect must be found wherever it falls relative to the block grid."""

    def signal(self) -> FloatArray:
        n = 3 * BLOCK_SAMPLES
        t = np.arange(n) / FS
        rng = np.random.default_rng(7)
        # 1 mV narrow spikes at 72 beats/min over 0.02 mV noise: a clean, peaky ECG.
        x = rng.normal(0, 0.02, n)
        phase = (t * 1.2) % 1.0
        x += np.exp(-(((phase - 0.5) / 0.01) ** 2))
        return x

    def test_flat_line_across_edge(self) -> None:
        x = self.signal()
        lo, hi = BLOCK_SAMPLES - 5000, BLOCK_SAMPLES + 5000  # 40 s, centred on the edge
        x[lo:hi] = 0.3
        q = assess_waveform(x, FS, "ecg")
        flat = [w for w in q.excluded_windows if w.reason == "flat_line"]
        covered = sum(min(w.end_s, hi / FS) - max(w.start_s, lo / FS) for w in flat)
        # 10-s windows: the windows entirely inside the 40 s stretch (at least 30 s) are
        # flat; windows with more than 20 % of flat samples are flat too.
        assert covered >= 30.0
        assert all(w.start_s >= lo / FS - 10 and w.end_s <= hi / FS + 10 for w in flat)

    def test_missing_data_across_edge(self) -> None:
        x = self.signal()
        lo, hi = 2 * BLOCK_SAMPLES - 3000, 2 * BLOCK_SAMPLES + 3000  # 24 s of NaN
        x[lo:hi] = np.nan
        q = assess_waveform(x, FS, "ecg")
        missing = [w for w in q.excluded_windows if w.reason == "missing_data"]
        covered = sum(min(w.end_s, hi / FS) - max(w.start_s, lo / FS) for w in missing)
        assert covered >= 20.0  # the two whole 10-s windows inside the gap at least
        assert q.excluded_s <= 24.0 + 20.0  # at most one partial window on each side
