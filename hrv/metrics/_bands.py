"""Reading a PSD: band powers (trapezoid rule with interpolated band edges) and band
peaks (parabolic refinement), on an ascending frequency grid."""

from __future__ import annotations

import bisect

import numpy as np

from hrv.types import FloatArray

__all__ = ["BandIntegral", "band_power", "peak_frequency"]


class BandIntegral:
    """Band powers and band peaks of one PSD on an ascending frequency grid.

    One object serves a caller that asks for many bands of one spectrum (the frequency
    bands, then the respiratory peaks' shares): the trapezoid terms are formed once,
    the integral up to each band edge is kept once computed, and the scalar steps run
    on Python floats (the same IEEE arithmetic as numpy's scalars). ``freq`` must be
    strictly increasing, as every spectrum here is. :func:`band_power` and
    :func:`peak_frequency` are its one-band forms.
    """

    def __init__(self, freq: FloatArray, psd: FloatArray) -> None:
        self.freq, self.psd = freq, psd
        self._f: list[float] = freq.tolist()
        self._p: list[float] = psd.tolist()
        # the trapezoid terms of every bin at once (the integrals are their prefix sums)
        self._trap = 0.5 * (psd[:-1] + psd[1:])
        self._widths = freq[1:] - freq[:-1]
        self._upto: dict[float, float] = {}

    def cumulative(self, x: float) -> float:
        """Integral of the piecewise-linear PSD from ``freq[0]`` to ``x`` (clipped)."""
        got = self._upto.get(x)
        if got is None:
            got = self._upto[x] = self._cumulative(x)
        return got

    def _cumulative(self, x: float) -> float:
        f, p = self._f, self._p
        x = min(max(x, f[0]), f[-1])
        i = bisect.bisect_right(f, x) - 1
        i = min(max(i, 0), len(f) - 2)
        full = float(np.einsum("i,i->", self._trap[:i], self._widths[:i]))
        frac = x - f[i]
        p_x = p[i] + (p[i + 1] - p[i]) * frac / (f[i + 1] - f[i])
        return full + 0.5 * (p[i] + p_x) * frac

    def power(self, lo_hz: float, hi_hz: float) -> float:
        """:func:`band_power` of this PSD."""
        if len(self._f) < 2 or hi_hz <= lo_hz:
            return 0.0
        return self.cumulative(hi_hz) - self.cumulative(lo_hz)

    def peak(self, lo_hz: float, hi_hz: float) -> float | None:
        """:func:`peak_frequency` of this PSD."""
        f = self._f
        i0, i1 = bisect.bisect_left(f, lo_hz), bisect.bisect_right(f, hi_hz)
        if i1 <= i0:
            return None
        i = i0 + int(self.psd[i0:i1].argmax())
        return _refined(f, self._p, i, lo_hz, hi_hz)


def band_power(freq: FloatArray, psd: FloatArray, lo_hz: float, hi_hz: float) -> float:
    """Power in ms² between ``lo_hz`` and ``hi_hz``.

    Trapezoid rule on the PSD grid with the band edges inserted as linearly interpolated
    points, so the band power varies continuously with the edges and adjacent bands add
    up exactly (no whole-bin assignment, cf. Vest et al. 2018).
    """
    return BandIntegral(freq, psd).power(lo_hz, hi_hz)


def peak_frequency(freq: FloatArray, psd: FloatArray, lo_hz: float, hi_hz: float) -> float | None:
    """Frequency of the PSD maximum within ``[lo_hz, hi_hz]``, refined by a parabola.

    The parabola through the maximum bin and its two neighbours gives sub-bin precision;
    the result is clipped to the band.
    """
    return BandIntegral(freq, psd).peak(lo_hz, hi_hz)


def _refined(freq: FloatArray | list[float], psd: FloatArray | list[float], i: int,
             lo_hz: float, hi_hz: float) -> float:
    """Frequency of bin ``i`` refined by the parabola through it and its neighbours,
    clipped to ``[lo_hz, hi_hz]``."""
    f = float(freq[i])
    if 0 < i < len(freq) - 1:
        y0, y1, y2 = float(psd[i - 1]), float(psd[i]), float(psd[i + 1])
        denom = y0 - 2.0 * y1 + y2
        if denom < 0:
            delta = 0.5 * (y0 - y2) / denom
            f += delta * 0.5 * float(freq[i + 1] - freq[i - 1])
    return min(max(f, lo_hz), hi_hz)
