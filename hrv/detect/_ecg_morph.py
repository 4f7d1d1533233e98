"""Morphology checks on accepted beat candidates, against the raw ECG.

Two accepted candidates closer than any ventricular refractory period (``PAIR_MAX_S``)
cannot both be QRS complexes of a rhythm whose neighbouring intervals are much longer:
one is a P or T wave (large in the slope feature when the QRS is small in this lead) or
a noise spike. Of such a pair the candidate that resembles the local beat template less
is dropped. The template is the sample-wise median of the neighbouring accepted beats,
and the correlation is the best over small lags, so that the feature's jitter does not
decide.

The rule acts on whole arrays of pairs; no loop runs per sample or per beat.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hrv.detect._ecg_beats import gather

__all__ = ["resolve_close_pairs", "template_correlation"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

PAIR_MAX_S = 0.25  # no annotated RR outside ventricular flutter is shorter (MIT-BIH)
PAIR_ISOLATION = 0.6  # the pair interval is below this share of both neighbouring ones
NEIGHBOURS = 16  # accepted beats on each side forming the local template
WINDOW_HALF_S = 0.10
MAX_LAG_S = 0.03


def _windows(x: npt.NDArray[np.generic], centre: IntArray, half: int, stride: int) -> FloatArray:
    """Rows ``x[centre + stride * (-half .. half)]`` (clipped at the ends, NaN bridged by
    the row mean), mean removed; ``centre`` may have any shape."""
    shape = centre.shape
    out = gather(x, centre.reshape(-1), np.arange(-half, half + 1, dtype=np.int64) * stride)
    out -= out.mean(axis=-1, keepdims=True)
    return out.reshape(*shape, 2 * half + 1)


def template_correlation(
    x: npt.NDArray[np.generic], beats: IntArray, probe: IntArray, fs: float, stride: int
) -> FloatArray:
    """Correlation of the windows at ``probe`` with the median of nearby ``beats``.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The raw signal.
    beats : ndarray of int, shape (n_beats,)
        Sorted sample indices of accepted beats (the template's members).
    probe : ndarray of int, shape (n_probe,)
        Sample indices to score.
    fs : float
        Sampling rate of ``x`` in Hz.
    stride : int
        Samples of ``x`` per window sample (the detector's working-rate factor).

    Returns
    -------
    ndarray, shape (n_probe,)
        Best Pearson correlation over lags within +-``MAX_LAG_S``.
    """
    if probe.size == 0 or beats.size == 0:
        return np.zeros(probe.size)
    half = max(3, round(WINDOW_HALF_S * fs / stride))
    lag = max(1, round(MAX_LAG_S * fs / stride))
    at = np.searchsorted(beats, probe)
    nb = np.clip(at[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS), 0, beats.size - 1)
    members = _windows(x, beats[nb], half + lag, stride)  # (n_probe, 2 NEIGHBOURS, width)
    tmpl = np.median(members, axis=1)[:, lag:-lag]
    tmpl -= tmpl.mean(axis=1, keepdims=True)
    tn = np.linalg.norm(tmpl, axis=1)
    best = np.full(probe.size, -1.0)
    for s in range(-lag, lag + 1):  # a few lags: loop over shifts, vectorised over probes
        v = _windows(x, probe + s * stride, half, stride)
        vn = np.linalg.norm(v, axis=1)
        c = np.einsum("ij,ij->i", v, tmpl) / np.maximum(vn * tn, 1e-30)
        np.maximum(best, c, out=best)
    return best


def resolve_close_pairs(
    x: npt.NDArray[np.generic], index: IntArray, fs: float, stride: int
) -> npt.NDArray[np.bool_]:
    """Mask of accepted beats to keep after resolving implausibly close pairs.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The raw signal.
    index : ndarray of int, shape (n_beats,)
        Sorted sample indices (in ``x``) of the accepted beats.
    fs : float
        Sampling rate of ``x`` in Hz.
    stride : int
        The detector's working-rate factor.
    """
    keep = np.ones(index.size, dtype=bool)
    if index.size < 4:
        return keep
    dt = (index[1:] - index[:-1]) / fs
    before = np.concatenate(([np.inf], dt[:-1]))
    after = np.concatenate((dt[1:], [np.inf]))
    pair = (dt < PAIR_MAX_S) & (dt < PAIR_ISOLATION * np.minimum(before, after))
    i = pair.nonzero()[0]
    if i.size == 0:
        return keep
    members = np.flatnonzero(~np.isin(np.arange(index.size), np.concatenate((i, i + 1))))
    good = index[members] if members.size >= 8 else index
    corr = template_correlation(x, good, np.concatenate((index[i], index[i + 1])), fs, stride)
    c1, c2 = corr[: i.size], corr[i.size :]
    keep[np.where(c1 >= c2, i + 1, i)] = False
    return keep
