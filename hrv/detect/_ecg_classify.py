"""Normal/abnormal beat classification on the raw ECG, vectorised over beats.

A beat is *abnormal in shape* when its QRS window (+-100 ms around the fiducial)
correlates poorly (Pearson, so offset and gain do not count) with the local
template (sample-wise median of the beats of its block and the neighbouring blocks), the
correlation being the best over small lags so that a slightly misplaced fiducial does not
count as another shape; or when its QRS is much wider than the template's. Noise lowers
every beat's correlation by a common factor: the correlation thresholds of each block are
scaled by the factor its measured noise implies (:func:`_noise_scale`). A beat is
*premature* when its preceding RR interval is well below the local median (or mildly so
and followed by a longer interval, the short-long pattern of atrial premature beats).
Prematurity is not judged where the rhythm itself is irregular (atrial fibrillation):
there, a short interval is the rhythm, not an ectopic beat.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from hrv.detect._ecg_beats import ROW_CHUNK, block_medians, gather, remove_sinusoid

__all__ = ["BeatClasses", "classify"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SHAPE_HALF_S = 0.10
LAG_S = 0.010  # best correlation over lags within +-LAG_S
CLASS_BLOCK = 64  # beats per block ...
CLASS_CONTEXT = 1  # ... whose template also uses this many neighbouring blocks per side
CORR_MIN = 0.85
# The correlation thresholds are scaled down with the noise of each block of beats
# (:func:`_noise_scale`).
NOISE_QUANTILE = 0.25  # of a window's |second differences| (the QRS has the large ones)
NOISE_Q_GAUSS = 0.3186  # that quantile of |N(0, 1)|
NOISE_FREE_RHO = 0.98  # above this expected correlation a block counts as clean
WIDTH_RATIO_MAX = 1.45
PREMATURE_RATIO = 0.82
# A mildly premature beat followed by a longer interval (short-long pattern of atrial
# premature beats, whose pause is not fully compensatory) is premature too.
MILD_PREMATURE_RATIO = 0.92
SHORT_LONG_STEP = 0.18  # (next RR - this RR) / local median RR
RR_MEDIAN_BEATS = 9
# Irregular rhythm: the local median of |successive RR difference| / median RR above this.
IRREGULAR_RATIO = 0.12
RR_MEDIAN_BEATS_IRR = 21
# Respiratory prediction of a candidate premature interval: a level, a drift and one
# breathing oscillation fitted to FIT_BEATS intervals on each side.
FIT_BEATS = 10
# ... applied only to beats whose QRS is the running template's (morphology first).
TYPICAL_CORR = 0.95
TYPICAL_WIDTH_RATIO = 1.2
FIT_MIN_POINTS = 9
FIT_MAX_RESIDUAL = 0.06  # residual RMS relative to the prediction
FIT_MAX_RESIDUAL_IRREGULAR = 0.03
FIT_OUTLIER = 0.12  # neighbours this far (relative) from the first fit are refitted without
FIT_MAX_OUTLIERS = 4  # two premature beats and their pauses
FIT_BREATH_HZ = np.round(np.arange(0.05, 0.5001, 0.02), 3)  # coarse grid, then
FIT_FINE_HZ = np.arange(-0.02, 0.0201, 0.005)  # a fine one about the best frequency
FIT_BATCH = 1 << 16  # (row, frequency, sample) triples per batch of the fits
_RIDGE = 1e-9 * np.eye(4)[None]  # added to every 4 x 4 normal matrix of the fits
# Neighbours of a candidate interval in its fit: FIT_BEATS before it, FIT_BEATS from the
# second after it.
_FIT_OFFSETS = np.concatenate((np.arange(-FIT_BEATS, 0), np.arange(2, FIT_BEATS + 2)))
_FIT_OFFSETS.flags.writeable = False


@dataclasses.dataclass(frozen=True)
class BeatClasses:
    """Per-beat classification results (arrays of shape (n_beats,))."""

    normal: BoolArray
    abnormal_shape: BoolArray
    premature: BoolArray
    correlation: FloatArray
    width_ratio: FloatArray


def _windows(
    x: npt.NDArray[np.generic], fs_hz: float, times_s: FloatArray, stride: int,
    mains_hz: float | None = None,
) -> tuple[FloatArray, int]:
    """Windows of +-(``SHAPE_HALF_S`` + lag) around each beat, and the lag in samples.

    With ``mains_hz`` (the recording's mains line, as sampled) each window loses its
    least-squares sinusoid at that frequency: mains interference has a different phase
    at every beat, and read every ``stride`` samples it folds into the QRS band, where
    it would make normal beats look unlike each other.
    """
    half = max(3, round(SHAPE_HALF_S * fs_hz / stride))
    lag = max(1, round(LAG_S * fs_hz / stride))
    offsets = np.arange(-half - lag, half + lag + 1, dtype=np.int64) * stride
    centre = np.rint(times_s * fs_hz).astype(np.int64)
    w = gather(x, centre, offsets)
    if mains_hz is not None and w.shape[0]:
        remove_sinusoid(w, np.asarray(2 * np.pi * mains_hz / fs_hz * offsets,
                                       dtype=np.float64))
    return w, lag


def _shape(w: FloatArray, lag: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Template correlation and width ratio of every beat (block-wise templates), and
    the energy of each block's own median beat (the sum of its squared centred
    samples).

    Each block's template is its median beat averaged with the neighbouring blocks'
    (``CLASS_CONTEXT`` per side); the correlation is the best over lags of +-``lag``.
    """
    n, m = w.shape
    width_n = m - 2 * lag
    core = w[:, lag : m - lag]
    slope = np.subtract(core[:, 1:], core[:, :-1])  # np.diff along the rows
    np.abs(slope, out=slope)
    # Row maxima from a transposed copy: numpy reduces over the leading axis several
    # times faster than along short rows (the maximum is exact either way).
    smax = slope.T.copy().max(axis=0)
    width = slope.sum(axis=1) / np.where(smax > 0, smax, 1.0)
    del slope
    # Block medians of the templates and of the typical width (last column), taken
    # apart: stacking ``width`` beside ``core`` first would copy every beat's window
    # (about 19 MB for 24 hours).
    med = np.column_stack((block_medians(core, CLASS_BLOCK),
                           block_medians(width[:, None], CLASS_BLOCK)))
    own = med[:, :-1] - med[:, :-1].mean(axis=1, keepdims=True)  # each block's own beat
    energy = np.einsum("ij,ij->i", own, own)
    del own
    if med.shape[0] > 1:
        med = ndimage.uniform_filter1d(med, 2 * CLASS_CONTEXT + 1, axis=0, mode="nearest")
    tmpl, wmed = med[:, :-1], med[:, -1]
    tmpl -= tmpl.mean(axis=1, keepdims=True)
    # The Euclidean norm of each row, as np.linalg.norm sums it.
    tmpl /= np.maximum(np.sqrt(np.add.reduce(tmpl * tmpl, axis=1, keepdims=True)), 1e-300)
    block_of = np.arange(n) // CLASS_BLOCK
    corr = np.full(n, -1.0)
    for r0 in range(0, n, ROW_CHUNK):  # row chunks: temporaries stay in the CPU caches
        r1 = min(n, r0 + ROW_CHUNK)
        tb = tmpl[block_of[r0:r1]]
        c = corr[r0:r1]
        for s in range(-lag, lag + 1):  # a few lags: loop over shifts, vectorised over beats
            r = w[r0:r1, lag + s : m - lag + s]
            dot = np.einsum("ij,ij->i", r, tb)
            s1 = r.sum(axis=1)
            var = np.einsum("ij,ij->i", r, r) - s1 * s1 / width_n
            np.maximum(c, dot / np.sqrt(np.maximum(var, 1e-300)), out=c)
    width_ratio = width / np.maximum(wmed[block_of], 1e-12)
    return corr, width_ratio, energy


def _noise_scale(w: FloatArray, lag: int, energy: FloatArray) -> FloatArray:
    """Per beat, the factor by which noise lowers its block's correlations.

    Noise of variance s2 on each of a window's m samples lowers a beat's correlation with
    the (noise-averaged) template by sqrt(E / (E + m s2)), E the template's centred
    energy (``energy``, per block of ``CLASS_BLOCK`` beats); with muscle noise every
    normal beat of a block can fall below ``CORR_MIN``. s2 comes from the second
    differences of each beat window (white noise has six times its variance there, a
    slow wave hardly any), by a low quantile of them (``NOISE_QUANTILE``: the QRS has
    the large ones), and the median over the block's beats: neither ectopic beats nor
    the shape differences between normal beats (which are slow) enter it. The factor is
    relative to ``NOISE_FREE_RHO`` and at most 1: a clean block keeps its thresholds.
    """
    n, m = w.shape
    nb = energy.size
    core = w[:, lag: m - lag]
    d2 = np.abs(core[:, 2:] - 2.0 * core[:, 1:-1] + core[:, :-2])
    k = int(NOISE_QUANTILE * (d2.shape[1] - 1))
    q = np.partition(d2, k, axis=1)[:, k]
    s2 = block_medians(((q / (NOISE_Q_GAUSS * np.sqrt(6.0))) ** 2)[:, None], CLASS_BLOCK)[:, 0]
    width = core.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.sqrt(energy / (energy + width * s2))
    rho = np.where(np.isfinite(rho), rho, 1.0)
    block_of = np.minimum(np.arange(n) // CLASS_BLOCK, nb - 1)
    return np.asarray(np.minimum(rho[block_of] / NOISE_FREE_RHO, 1.0))


def _irregular(rr: FloatArray, abnormal: BoolArray, rr_median: FloatArray | None = None
               ) -> BoolArray:
    """Per interval: whether the rhythm around it is irregular (atrial fibrillation).

    Measured on the intervals between two normal-shaped beats only, so that frequent
    ventricular ectopy (bigeminy, couplets) does not pass for an irregular rhythm: the
    running median (``RR_MEDIAN_BEATS_IRR``) of the successive differences of those
    intervals, relative to their local median, above ``IRREGULAR_RATIO``.
    ``rr_median``, when given, is that local median of all of ``rr`` (the same filter),
    used as it is when every interval is between normal-shaped beats.
    """
    valid = (~abnormal[:-1] & ~abnormal[1:]).nonzero()[0]
    if valid.size < 3:
        return np.zeros(rr.size, dtype=bool)
    v = rr[valid]
    if rr_median is not None and valid.size == rr.size:
        med = rr_median  # v is rr: its running median is known
    else:
        med = ndimage.median_filter(v, size=min(RR_MEDIAN_BEATS, v.size), mode="mirror")
    q = v / med
    step = np.abs(q[1:] - q[:-1])
    irr = ndimage.median_filter(step, size=min(RR_MEDIAN_BEATS_IRR, step.size), mode="mirror")
    at = np.minimum(valid[1:].searchsorted(np.arange(rr.size)), irr.size - 1)
    return np.asarray(irr[at] > IRREGULAR_RATIO)


def _premature(
    times_s: FloatArray, abnormal: BoolArray, typical: BoolArray | None = None
) -> BoolArray:
    """Premature beats: early against the running median of the RR intervals, and early
    against a local prediction that follows the respiratory modulation of the rhythm
    (:func:`_respiratory_prediction`); not judged in an irregular rhythm."""
    n = times_s.size
    premature = np.zeros(n, dtype=bool)
    if n < 3:
        return premature
    rr = times_s[1:] - times_s[:-1]
    size = min(RR_MEDIAN_BEATS, rr.size)
    # "mirror" does not repeat the edge interval: a premature last beat stays premature.
    med = ndimage.median_filter(rr, size=size, mode="mirror" if rr.size > 1 else "nearest")
    a = rr / med  # interval into beat j + 1, relative to the local median
    b = np.concatenate((a[1:], [1.0]))  # interval after beat j + 1
    early = (a < PREMATURE_RATIO) | ((a < MILD_PREMATURE_RATIO) & (b - a > SHORT_LONG_STEP))
    # Also a candidate: an interval well below the one before it (an atrial premature
    # beat at the long phase of the breathing cycle stays above the running median).
    sudden = np.concatenate(([False], rr[1:] < PREMATURE_RATIO * rr[:-1]))
    cand = early | sudden
    if cand.any():
        # The median's verdict, where the respiratory fit cannot decide: not in an
        # irregular rhythm (there a short interval is the rhythm, not an ectopic beat).
        irregular = _irregular(rr, abnormal, med)
        fallback = early & ~irregular
        sinus_shape = np.ones(rr.size, dtype=bool) if typical is None else typical[1:]
        confirmed = _confirm_early(times_s, rr, cand, fallback, abnormal, irregular)
        cand = confirmed | (fallback & ~sinus_shape)
    premature[1:] = cand
    return premature


def _confirm_early(
    times_s: FloatArray, rr: FloatArray, cand: BoolArray, fallback: BoolArray,
    abnormal: BoolArray, irregular: BoolArray,
) -> BoolArray:
    """The candidate intervals that are early against the respiratory prediction.

    Respiratory sinus arrhythmia shortens RR by 20-30 % within a breath in young or
    relaxed people; against a running median the short intervals of each inspiration
    then look premature. The prediction is fitted to the neighbouring intervals only (the
    candidate and the interval after it are left out, and intervals touching an
    abnormal-shaped beat), so an atrial premature beat cannot explain itself, while the
    smooth modulation of breathing is followed. Where no prediction can be made (too few
    neighbours) or the fit does not follow the rhythm (residual above
    ``FIT_MAX_RESIDUAL`` of the prediction, ``FIT_MAX_RESIDUAL_IRREGULAR`` where the
    successive differences are large, as in atrial fibrillation and strong sinus
    arrhythmia alike), the running median's verdict (``fallback``) stands.
    """
    idx = cand.nonzero()[0]
    pred, resid = _respiratory_prediction(times_s, rr, idx, abnormal)
    ok = np.isfinite(pred) & (pred > 0)
    limit = np.where(irregular[idx], FIT_MAX_RESIDUAL_IRREGULAR, FIT_MAX_RESIDUAL)
    ok[ok] &= resid[ok] <= limit[ok] * pred[ok]
    out = fallback.copy()
    if not ok.any():
        return out
    i, p = idx[ok], pred[ok]
    a = rr[i] / p
    nxt = rr[np.minimum(i + 1, rr.size - 1)] / p
    nxt = np.where(i + 1 < rr.size, nxt, 1.0)
    out[i] = (a < PREMATURE_RATIO) | ((a < MILD_PREMATURE_RATIO) & (nxt - a > SHORT_LONG_STEP))
    return out


def _respiratory_prediction(
    times_s: FloatArray, rr: FloatArray, idx: npt.NDArray[np.intp], abnormal: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Predicted length of each interval ``idx`` from a local fit of its neighbours.

    Model over the ``FIT_BEATS`` intervals on each side, in time ``t`` (interval
    midpoints, relative to the candidate's): ``RR = c0 + c1 t + A sin(2 pi f t) +
    B cos(2 pi f t)``, a drifting level plus one respiratory oscillation, by least
    squares for each breathing frequency ``f`` of ``FIT_BREATH_HZ`` (3 to 30 breaths
    per minute); the frequency of least residual gives the prediction ``c0 + B``.
    Returns the predictions and the fits' residual RMS (s); NaN where fewer than
    ``FIT_MIN_POINTS`` neighbours are usable.
    """
    n = rr.size
    pred = np.full(idx.size, np.nan)
    usable = ~abnormal[1:] & ~abnormal[:-1]
    # Left out: the candidate itself (offset 0 is not in ``_FIT_OFFSETS``) and the
    # interval after it (its pause); other candidates stay in, as the short intervals of
    # every inspiration must (a run of premature beats, which no breathing oscillation
    # follows, leaves a large residual and the running median decides).
    pos = idx[:, None] + _FIT_OFFSETS[None, :]
    posc = np.minimum(np.maximum(pos, 0), n - 1)
    w = ((pos >= 0) & (pos < n) & usable[posc]).astype(np.float64)
    resid = np.full(idx.size, np.nan)
    enough = w.sum(axis=1) >= FIT_MIN_POINTS
    if not enough.any():
        return pred, resid
    idx, w, posc = idx[enough], w[enough], posc[enough]
    mid = 0.5 * (times_s[:-1] + times_s[1:])
    t = mid[posc] - mid[idx][:, None]  # (n_idx, m) seconds
    y = rr[posc]
    span = np.maximum(np.abs(t).max(axis=1, keepdims=True), 1e-6)
    _, _, _, f0 = _fit_grid(t, y, w, span, FIT_BREATH_HZ)
    out, best, fit, f0 = _fit_grid(t, y, w, span, _fine(f0))
    # Second pass without the neighbours the first fit cannot follow (other premature
    # beats and their pauses in the window).
    # At most FIT_MAX_OUTLIERS of them: where more of the rhythm departs from a breathing
    # oscillation (atrial fibrillation) no prediction is made.
    inlier = np.abs(y - fit) <= FIT_OUTLIER * out[:, None]
    n_out = np.einsum("nm,nm->n", w, (~inlier).astype(np.float64))
    w = w * inlier
    out2, best2, _, _ = _fit_grid(t, y, w, span, _fine(f0))
    usable_fit = (n_out <= FIT_MAX_OUTLIERS) & (w.sum(axis=1) >= FIT_MIN_POINTS)
    out = np.where(usable_fit, out2, np.nan)
    best = np.where(usable_fit, best2, np.inf)
    pred[enough] = out
    resid[enough] = np.sqrt(best)
    return pred, resid


def _fine(f0: FloatArray) -> FloatArray:
    """Per row, the fine frequency grid about ``f0`` (within the breathing range)."""
    return np.minimum(np.maximum(f0[:, None] + FIT_FINE_HZ[None, :], FIT_BREATH_HZ[0]),
                      FIT_BREATH_HZ[-1])


def _fit_grid(
    t: FloatArray, y: FloatArray, w: FloatArray, span: FloatArray, freqs: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weighted least squares of level, drift and one oscillation for every frequency of
    ``freqs`` (shape (n_f,) or per row (n_rows, n_f)); the best fit's value at
    ``t = 0``, its residual variance, its values at ``t`` and its frequency.

    All (row, frequency) pairs of a chunk of rows are one batch of 4 x 4 systems; of
    equal residuals the lowest frequency index wins.
    """
    rows, m = t.shape
    f = np.asarray(freqs, dtype=np.float64)
    shared = f.ndim == 1  # one grid for every row
    n_f = f.shape[-1]
    omega = 2 * np.pi * f
    best = np.empty(rows)
    out = np.empty(rows)
    best_f = np.empty(rows)
    best_fit = np.empty(y.shape)
    dof = np.maximum(w.sum(axis=1) - 4.0, 1.0)
    drift = t / span  # the drift column of every frequency's basis
    step = max(1, FIT_BATCH // max(1, n_f * m))
    for r0 in range(0, rows, step):  # row chunks bound the (rows, n_f, 4, m) temporaries
        r1 = min(rows, r0 + step)
        nr = r1 - r0
        # Row-major (row, frequency) pairs: the phases by broadcasting, the weights and
        # values repeated for each frequency (ndarray.repeat: one call).
        ph = ((omega if shared else omega[r0:r1])[..., None] * t[r0:r1, None, :]
              ).reshape(nr * n_f, m)
        ww = w[r0:r1].repeat(n_f, axis=0)
        yy = y[r0:r1].repeat(n_f, axis=0)
        # Columns: level, drift, sine, cosine (one array; sine and cosine computed on
        # contiguous rows, then copied into their columns).
        basis = np.empty((nr * n_f, 4, m))
        basis[:, 0] = 1.0
        basis.reshape(nr, n_f, 4, m)[:, :, 1] = drift[r0:r1, None, :]
        basis[:, 2] = np.sin(ph)
        basis[:, 3] = np.cos(ph, out=ph)
        xw = basis * ww[:, None, :]  # (nr * n_f, 4, m)
        gram = np.einsum("nim,njm->nij", xw, basis)
        gram += _RIDGE
        rhs = np.einsum("nim,nm->ni", xw, yy)
        coef = np.linalg.solve(gram, rhs[..., None])[..., 0]
        fit = np.einsum("ni,nim->nm", coef, basis)
        res = (np.einsum("nm,nm->n", ww, (yy - fit) ** 2) / dof[r0:r1].repeat(n_f)
               ).reshape(nr, n_f)
        res[np.isnan(res)] = np.inf  # a NaN residual never wins
        j = res.argmin(axis=1)  # the first of equal minima
        r = np.arange(nr)
        rj = res[r, j]  # inf where no residual is finite
        k = r * n_f + j
        best[r0:r1] = rj
        out[r0:r1] = coef[k, 0] + coef[k, 3]  # t = 0: c0 + B
        best_fit[r0:r1] = fit[k]
        best_f[r0:r1] = f[j] if shared else f[r0 + r, j]
        miss = rj == np.inf
        if miss.any():  # rows without a finite residual: no fit
            out[r0:r1][miss] = np.nan
            best_fit[r0:r1][miss] = 0.0
            best_f[r0:r1][miss] = 0.0
    return out, best, best_fit, best_f


def classify(
    x: npt.NDArray[np.generic], fs_hz: float, times_s: FloatArray, stride: int,
    *, mains_hz: float | None = None,
) -> BeatClasses:
    """Classify beats as normal-looking or not.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The raw ECG.
    fs_hz : float
        Sampling rate in Hz.
    times_s : ndarray, shape (n_beats,)
        Sorted beat fiducials in seconds.
    stride : int
        Samples of ``x`` per window sample (the detector's working-rate factor).
    mains_hz : float, optional
        The recording's mains line (Hz, as sampled), taken out of each beat's window.
    """
    n = times_s.size
    if n == 0:
        e = np.empty(0, dtype=bool)
        return BeatClasses(e, e, e, np.empty(0), np.empty(0))
    w, lag = _windows(x, fs_hz, times_s, stride, mains_hz)
    corr, width_ratio, energy = _shape(w, lag)
    scale = _noise_scale(w, lag, energy)
    abnormal = (corr < CORR_MIN * scale) | (width_ratio > WIDTH_RATIO_MAX)
    typical = (corr >= TYPICAL_CORR * scale) & (width_ratio <= TYPICAL_WIDTH_RATIO)
    premature = _premature(times_s, abnormal, typical)
    return BeatClasses(
        normal=~(abnormal | premature),
        abnormal_shape=abnormal,
        premature=premature,
        correlation=corr,
        width_ratio=width_ratio,
    )
