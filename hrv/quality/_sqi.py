"""Shape scores of :func:`hrv.quality.assess_waveform`: spectral purity and template SQI.

Both act on one block of the band-passed signal at a time (see
:func:`hrv._quality_windows.filtered_stats`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from hrv._dsp import hanning, median_rows, sliding_rows
from hrv.types import FloatArray

__all__ = ["TemplatePlan", "spectral_purity"]

IntArray = npt.NDArray[np.intp]


def spectral_purity(filtered: FloatArray, fs_hz: float, starts: IntArray, win: int
                    ) -> FloatArray:
    """Share of 0.5–8 Hz power near the dominant pulse frequency and its 2nd harmonic.

    A clean pulse wave is a periodic signal: most of its power sits in narrow lines at the
    pulse rate and its harmonics. Motion spreads power over the band. ``win`` is the
    analysed length from each window start (the shortest window of the recording).
    """
    if win < int(4 * fs_hz):
        return np.ones(len(starts))
    seg = sliding_rows(filtered, win)[starts]
    seg = seg - seg.mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.rfft(seg * hanning(win), axis=1)) ** 2
    freqs = np.fft.rfftfreq(win, 1.0 / fs_hz)
    band = (freqs >= 0.5) & (freqs <= 8.0)
    total = spec[:, band].sum(axis=1)
    search = (freqs >= 0.6) & (freqs <= 3.5)
    idx_search = np.flatnonzero(search)
    f0 = freqs[idx_search[np.argmax(spec[:, search], axis=1)]]
    half = 0.15
    near = (np.abs(freqs[None, :] - f0[:, None]) <= half) | (
        np.abs(freqs[None, :] - 2 * f0[:, None]) <= half
    )
    line = (spec * near * band[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, line / total, 0.0)
    return np.asarray(out, dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class TemplatePlan:
    """Beats and segment length of the template-correlation SQI.

    After Orphanidou et al. (2015) IEEE J Biomed Health Inform 19:832: the mean
    correlation of each window's beats with that window's average beat. Windows holding
    far fewer beats than the recording's median rate implies score 0; windows with fewer
    than three beats (but not suspiciously few) score NaN (undecided).
    """

    beats: IntArray  # beats whose segment lies inside the recording
    win_of: IntArray  # window of each of those beats
    counts: IntArray  # beats per window
    expected: FloatArray  # beats per window expected from the median interval
    half: int  # segment half-length in samples
    frac: FloatArray | None = None  # sub-sample position of each beat past ``beats``

    @classmethod
    def of(cls, beat_idx: IntArray, n: int, starts: IntArray, lengths: IntArray,
           frac: FloatArray | None = None) -> TemplatePlan | None:
        """Plan for beats at samples ``beat_idx`` (+ ``frac`` in [0, 1) when given).

        With ``frac`` each beat's segment is linearly interpolated at its sub-sample
        position: at 100-200 Hz, rounding to whole samples would misalign the beats by
        up to 5 ms and lower their correlation with the template.
        """
        order = np.argsort(beat_idx + (frac if frac is not None else 0.0), kind="stable")
        beat_idx = np.asarray(beat_idx, dtype=np.intp)[order]
        fr = np.asarray(frac, dtype=np.float64)[order] if frac is not None else None
        inside = (beat_idx >= 0) & (beat_idx < n)
        beat_idx = beat_idx[inside]
        if len(beat_idx) < 3:
            return None
        rounded = beat_idx if fr is None else beat_idx + np.round(fr[inside]).astype(np.intp)
        med = float(median_rows((rounded[1:] - rounded[:-1]).astype(np.float64)))
        half = max(int(0.5 * med), 2)
        ok = (beat_idx - half >= 0) & (beat_idx + half + (fr is not None) < n)
        b = beat_idx[ok]
        win_of = starts.searchsorted(b, side="right") - 1
        counts = np.bincount(win_of, minlength=len(lengths))
        return cls(b, win_of, counts, lengths / med, half,
                   None if fr is None else fr[inside][ok])

    def initial(self, starts: IntArray) -> FloatArray:
        out = np.full(len(starts), np.nan)
        if len(self.beats) == 0:
            return np.where(self.expected >= 2, 0.0, out)
        return out

    def fill(self, out: FloatArray, f: FloatArray, s: int, a: int, b: int,
             starts: IntArray) -> None:
        """Score the windows of block ``[a, b)``; ``f`` is the filtered signal from ``s``."""
        if len(self.beats) == 0:
            return
        j0, j1 = self.beats.searchsorted([a, b])
        i0, i1 = starts.searchsorted([a, b])
        n_loc = i1 - i0
        bl = self.beats[j0:j1]
        w = self.win_of[j0:j1] - i0
        length = 2 * self.half + 1
        view = sliding_rows(f, length)
        segs = view[bl - s - self.half]
        if self.frac is not None:  # in place: these arrays are the bulk of the work
            step = view[bl - s - self.half + 1]
            step -= segs
            step *= self.frac[j0:j1, None]
            segs += step
            del step
        # Correlation with centred unit-norm beats without materialising them: a window's
        # template is the sum of its beats' centred unit vectors, and the dot product
        # with a centred template ignores each beat's own mean.
        s1 = segs.sum(axis=1)
        norms = np.sqrt(np.maximum(np.einsum("ij,ij->i", segs, segs) - s1 * s1 / length, 0.0))
        inv = 1.0 / np.where(norms > 0, norms, 1.0)
        if len(bl) == 0:
            out[i0:i1] = np.where(self.counts[i0:i1] < 0.4 * self.expected[i0:i1], 0.0,
                                  np.nan)
            return
        # Beats are sorted, so each window's beats are one run of rows: a row-wise
        # reduceat sums them (no dense membership product, which would go through a
        # threaded BLAS call that stalls on a busy host).
        new = np.concatenate(([True], w[1:] != w[:-1]))  # a beat opening a window's run
        first = new.nonzero()[0]
        tmpl = np.add.reduceat(segs * inv[:, None], first, axis=0)
        tmpl -= tmpl.mean(axis=1, keepdims=True)
        tn = np.sqrt(np.einsum("ij,ij->i", tmpl, tmpl))[:, None]
        tmpl /= np.where(tn > 0, tn, 1.0)
        new[0] = False
        run_of = new.cumsum()
        corr = np.einsum("ij,ij->i", segs, tmpl[run_of]) * inv
        sums = np.bincount(w, weights=corr, minlength=n_loc)
        counts = self.counts[i0:i1]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_corr = sums / counts
        res = np.where(counts >= 3, mean_corr, np.nan)
        out[i0:i1] = np.where(counts < 0.4 * self.expected[i0:i1], 0.0, res)
