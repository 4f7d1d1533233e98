"""Sub-sample R-peak refinement on the raw ECG, vectorised over beats."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

from hrv._dsp import map_chunks, median_rows, sliding_rows

__all__ = ["block_medians", "gather", "median_rows", "refine_peaks"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SEARCH_HALF_S = 0.075
SMOOTH_S = 0.012  # short moving average before the extremum search (mains, EMG)
FIDUCIAL_HALF_S = 0.05  # search half-width around the template's fiducial
# A block of beats takes the polarity opposite to the recording's when the template's
# deflection of that sign is this many times larger.
POLARITY_SWITCH = 1.5
TEMPLATE_BLOCK = 200  # beats per running-template block
TEMPLATE_STEP = 4  # template from every 4th beat (the median needs no more)
ROW_CHUNK = 4096  # beats per chunk of the per-beat array operations
# Template alignment: each beat's +-ALIGN_HALF_S around its apex is matched to the
# median of its block of ALIGN_BLOCK beats over lags of +-ALIGN_LAG_S; below
# ALIGN_MIN_CORR (a beat unlike its block's template: most ectopic beats) the apex time
# stands.
ALIGN_HALF_S = 0.04
ALIGN_LAG_S = 0.02
ALIGN_MIN_CORR = 0.5
# Beats per template block of the alignment (even): a divisor of TEMPLATE_BLOCK, so that
# the blocks of every run of whole template blocks are the blocks of one pass.
ALIGN_BLOCK = 50
ALIGN_TAPER = 0.5  # share of the template tapered (cosine edges of a Tukey window)
REFINE_CHUNK = 40 * TEMPLATE_BLOCK  # beats per run refined on one thread


def gather(x: npt.NDArray[np.generic], centre: IntArray, offsets: IntArray) -> FloatArray:
    """Windows ``x[centre + offsets]`` (clipped at the ends), NaN replaced by the row mean.

    ``offsets`` are increasing. Evenly spaced offsets inside the recording are read as
    rows of a strided view (a copy per row, no index matrix).
    """
    n = len(x)
    inside = centre.size == 0 or (
        int(centre.min()) + offsets[0] >= 0 and int(centre.max()) + offsets[-1] < n)
    step = int(offsets[1] - offsets[0]) if offsets.size > 1 else 1
    even = offsets.size > 1 and step > 0 and bool(
        (offsets == offsets[0] + step * np.arange(offsets.size)).all())
    if inside and even and n >= offsets[-1] - offsets[0] + 1:
        view = sliding_rows(x, int(offsets[-1] - offsets[0]) + 1)
        w = np.asarray(view[:, ::step][centre + offsets[0]], dtype=np.float64)
    else:
        pos = centre[:, None] + offsets[None, :]
        if not inside:
            np.clip(pos, 0, n - 1, out=pos)
        w = np.asarray(x[pos], dtype=np.float64)
    bad = np.isnan(w)
    if bad.any():
        mean = np.nanmean(np.where(bad.all(axis=1, keepdims=True), 0.0, w), axis=1, keepdims=True)
        w = np.where(bad, np.nan_to_num(mean), w)
    return w


def remove_sinusoid(w: FloatArray, phase: FloatArray) -> None:
    """Subtract from each row of ``w`` (in place) the ``a cos(phase) + b sin(phase)``
    part of its least-squares fit of that sinusoid plus a straight line.

    The line is fitted beside the sinusoid and kept: a short window sees only a few
    cycles, over which an offset or a baseline slope is not orthogonal to the sinusoid,
    so without it the recording's DC level and its wander would leak into the fitted
    sinusoid (a different error at every beat, growing with the offset).
    """
    m = phase.size
    ramp = np.linspace(-1.0, 1.0, m)
    basis = np.stack((np.cos(phase), np.sin(phase), np.ones(m), ramp))  # (4, m)
    gram = basis @ basis.T + 1e-9 * np.eye(4)  # a line at the Nyquist rate has no sine
    proj = np.linalg.solve(gram, basis)[:2]  # (2, m): sinusoid coefficients = w @ proj.T
    sinus = basis[:2]
    for r0 in range(0, w.shape[0], ROW_CHUNK):
        r1 = min(w.shape[0], r0 + ROW_CHUNK)
        coef = w[r0:r1] @ proj.T
        w[r0:r1] -= coef @ sinus


def block_medians(a: FloatArray, block: int) -> FloatArray:
    """Sample-wise median of consecutive blocks of ``block`` rows of ``a`` (one call).

    A short last block is completed with the rows just before it (or, in a recording
    shorter than one block, with its own rows again). Returns shape (n_blocks, width).
    """
    n = a.shape[0]
    nb = -(-n // block)
    idx = np.arange(nb * block)
    over = idx >= n
    idx[over] = idx[over] - block if n >= block else idx[over] % n
    # Each block's rows as the last, contiguous axis: (n_blocks, width, block).
    g = np.asarray(a, dtype=np.float64)[idx].reshape(nb, block, -1).transpose(0, 2, 1)
    return median_rows(np.ascontiguousarray(g))


def refine_peaks(
    x: npt.NDArray[np.generic], fs_hz: float, approx: IntArray,
    mains_hz: float | None = None,
) -> tuple[FloatArray, int, FloatArray]:
    """R-peak times in seconds, refined by a parabola through the local extremum.

    Every ``TEMPLATE_STEP``-th beat of each block of ``TEMPLATE_BLOCK`` beats forms a
    median template on the lightly smoothed signal. The block's polarity is the
    recording's (sign of the median of max + min over the beat windows) unless the
    template's opposite deflection is ``POLARITY_SWITCH`` times larger; the template's
    extremum in that polarity fixes where the fiducial lies relative to the approximate
    beat positions. Each beat's fiducial is then its extremum of that polarity within
    +-``FIDUCIAL_HALF_S`` of the template's, so that a biphasic QRS does not make the
    fiducial jump between its two peaks. Returns the times, the majority polarity
    (+1 or -1) and the apex times before the template matching.

    Runs of ``REFINE_CHUNK`` beats (whole template blocks; the last run holds the short
    last block and at least one whole block before it) are refined on the available
    threads: every block and every beat sees what it sees in one pass over all beats.

    With ``mains_hz`` (the recording's mains line, as sampled) each beat window first
    loses its least-squares sinusoid at that frequency: 0.2 mV of 50 Hz on an R wave
    moves its apex by up to about 4 ms, a different amount at every beat.

    The apex positions are then refined by template matching (:func:`_aligned`).
    """
    if approx.size == 0:
        return np.empty(0), 1, np.empty(0)
    half = max(2, round(SEARCH_HALF_S * fs_hz))
    sm = max(1, round(SMOOTH_S * fs_hz)) | 1
    n = approx.size
    firsts = list(range(0, n, REFINE_CHUNK))
    if len(firsts) > 1 and n - firsts[-1] < REFINE_CHUNK:
        firsts.pop()  # the short last run joins the one before it
    runs = list(zip(firsts, [*firsts[1:], n], strict=True))
    phase = (None if mains_hz is None else
             2 * np.pi * mains_hz / fs_hz * np.arange(-half - sm, half + sm + 1.0))
    parts = map_chunks(lambda r: _smoothed_windows(x, approx[r[0]:r[1]], half, sm, phase),
                       runs)
    g = 1.0 if median_rows(np.concatenate([mm for _, mm in parts])) >= 0 else -1.0
    fid = max(1, round(FIDUCIAL_HALF_S * fs_hz))
    found = map_chunks(lambda w: _fiducials(w, g, half, fid), [w for w, _ in parts])
    del parts
    ah = max(2, round(ALIGN_HALF_S * fs_hz))
    lag = max(1, round(ALIGN_LAG_S * fs_hz))
    aphase = (None if mains_hz is None else
              2 * np.pi * mains_hz / fs_hz * np.arange(-ah - lag, ah + lag + 1.0))

    apexes = [approx[r0:r1] + (jc - half).astype(np.float64) + delta
              for (r0, r1), (jc, delta, _) in zip(runs, found, strict=True)]
    pos = np.concatenate(map_chunks(lambda a: _aligned(x, a, ah, lag, aphase), apexes))
    polarity = 1 if sum(p for _, _, p in found) >= 0 else -1
    return pos / fs_hz, polarity, np.concatenate(apexes) / fs_hz


def _aligned(x: npt.NDArray[np.generic], pos: FloatArray, half: int, lag: int,
             mains_phase: FloatArray | None) -> FloatArray:
    """Apex positions ``pos`` (samples, a run of whole template blocks) refined by
    matching each beat to its block's template.

    The apex of one beat moves with the noise on the few samples around the peak; the
    lag of the best match of the whole R wave (+-``half`` samples) against the median
    of its block of ``ALIGN_BLOCK`` beats (the maximum of their cross-correlation,
    refined by a parabola) is the least-squares estimate of the beat's time under
    noise: 2-3 times steadier under muscle noise. The template is flat in its middle
    and tapered at its edges (``ALIGN_TAPER``), so that a wave cut by the window's edge
    does not pull the match. Each block's median offset between the matched and the
    apex positions is then taken off: the fiducial stays the apex (on average over the
    block), and only the beat-to-beat timing comes from the match. A beat whose
    normalised correlation with the template is below ``ALIGN_MIN_CORR`` (most ectopic
    beats) keeps its apex position.
    """
    n = pos.size
    if n == 0:
        return pos
    centre = np.rint(pos).astype(np.int64)
    offsets = np.arange(-half - lag, half + lag + 1, dtype=np.int64)
    m = 2 * half + 1
    w = np.empty((n, offsets.size))
    for r0 in range(0, n, ROW_CHUNK):
        r1 = min(n, r0 + ROW_CHUNK)
        v = gather(x, centre[r0:r1], offsets)
        if mains_phase is not None:
            remove_sinusoid(v, mains_phase)
        v -= v.mean(axis=1, keepdims=True)  # each row's level: the median template is of shapes
        w[r0:r1] = v
    core = w[:, lag:lag + m]  # each beat's window about its apex
    # Templates from every other beat of each block (the median needs no more).
    tmpl = block_medians(core[::2], ALIGN_BLOCK // 2)
    block_of = np.minimum(np.arange(n) // ALIGN_BLOCK, tmpl.shape[0] - 1)
    tmpl -= tmpl.mean(axis=1, keepdims=True)  # zero mean: a row's offset counts nil
    tnorm = np.sqrt(np.add.reduce(tmpl * tmpl, axis=1))
    tm = tmpl * signal.windows.tukey(m, ALIGN_TAPER)
    tm -= tm.mean(axis=1, keepdims=True)
    out = pos.copy()
    for r0 in range(0, n, ROW_CHUNK):
        r1 = min(n, r0 + ROW_CHUNK)
        blk = block_of[r0:r1]
        # Cross-correlation at every lag: the rows' sliding windows against the template.
        lagged = np.lib.stride_tricks.sliding_window_view(w[r0:r1], m, axis=1)  # a view
        cc = np.einsum("rkm,rm->rk", lagged, tm[blk])
        jr = np.minimum(np.maximum(cc.argmax(axis=1), 1), 2 * lag - 1)
        rows = np.arange(r1 - r0)
        a, b, c = cc[rows, jr - 1], cc[rows, jr], cc[rows, jr + 1]
        den = a - 2 * b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(den < 0, 0.5 * (a - c) / den, 0.0)
        # Pearson correlation of the window about the apex with the (untapered, zero
        # mean) template: the window's own mean drops out of the dot product.
        seg = core[r0:r1]
        s1 = seg.sum(axis=1)
        snorm = np.sqrt(np.maximum(np.einsum("ij,ij->i", seg, seg) - s1 * s1 / m, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.einsum("ij,ij->i", seg, tmpl[blk]) / (snorm * tnorm[blk])
        shift = (jr - lag) + np.minimum(np.maximum(d, -0.5), 0.5)
        np.copyto(out[r0:r1], centre[r0:r1] + shift, where=corr >= ALIGN_MIN_CORR)
    # The fiducial stays the apex: each block's median offset between the matched and
    # the apex positions is taken off, so that only the beat-to-beat timing comes from
    # the match (a template's edge or shape would otherwise shift a whole block).
    d = out - pos
    moved = d != 0
    nbk = -(-n // ALIGN_BLOCK)
    pad = np.full(nbk * ALIGN_BLOCK, np.nan)
    pad[:n] = np.where(moved, d, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a block with no match
        offset = np.nan_to_num(np.nanmedian(pad.reshape(nbk, ALIGN_BLOCK), axis=1))
    return np.where(moved, out - offset[np.arange(n) // ALIGN_BLOCK], pos)


def _fiducials(w: FloatArray, g: float, half: int, fid: int
               ) -> tuple[IntArray, FloatArray, int]:
    """Extremum column and parabolic offset of each beat window of ``w`` (a run of whole
    template blocks from the first beat of a block), and the run's sum of block
    polarities over its beats."""
    n, m = w.shape
    inner = slice(half - max(fid, half // 2), half + max(fid, half // 2) + 1)
    # Templates from every TEMPLATE_STEP-th beat of each block (the median is robust).
    sub = block_medians(w[::TEMPLATE_STEP, inner], TEMPLATE_BLOCK // TEMPLATE_STEP)
    tmpl = g * sub  # (n_blocks, inner width)
    switch = tmpl.max(axis=1) * POLARITY_SWITCH < -tmpl.min(axis=1)
    p_blk = np.where(switch, -g, g)
    c_blk = (tmpl * (p_blk * g)[:, None]).argmax(axis=1) + inner.start
    block_of = np.minimum(np.arange(n) // TEMPLATE_BLOCK, tmpl.shape[0] - 1)
    pol = p_blk[block_of]
    # The search band of each block's fiducial column, one boolean row per block.
    outside = np.abs(np.arange(m)[None, :] - c_blk[:, None]) > fid
    jc = np.empty(n, dtype=np.int64)
    delta = np.empty(n)
    for r0 in range(0, n, ROW_CHUNK):  # row chunks: temporaries stay in the CPU caches
        r1 = min(n, r0 + ROW_CHUNK)
        sw = pol[r0:r1, None] * w[r0:r1]
        np.copyto(sw, -np.inf, where=outside[block_of[r0:r1]])
        j = sw.argmax(axis=1)
        jr = np.minimum(np.maximum(j, 1), m - 2)  # np.clip, without its overhead
        rows = np.arange(r1 - r0)
        a, b, c = sw[rows, jr - 1], sw[rows, jr], sw[rows, jr + 1]
        den = a - 2 * b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where((den < 0) & (j == jr) & np.isfinite(den), 0.5 * (a - c) / den, 0.0)
        jc[r0:r1] = jr
        delta[r0:r1] = np.minimum(np.maximum(d, -0.5), 0.5)
    return jc, delta, int(pol.sum())


def _smoothed_windows(x: npt.NDArray[np.generic], approx: IntArray, half: int, sm: int,
                      mains_phase: FloatArray | None = None
                      ) -> tuple[FloatArray, FloatArray]:
    """Beat windows of +-``half`` samples, smoothed over ``sm`` samples, baseline removed;
    and each window's maximum plus minimum. Computed in row chunks. ``mains_phase``:
    the phase of the mains line at each window sample, whose least-squares sinusoid
    each window loses first."""
    offsets = np.arange(-half - sm, half + sm + 1, dtype=np.int64)
    n = approx.size
    out = np.empty((n, 2 * half + 1))
    mm = np.empty(n)
    for r0 in range(0, n, ROW_CHUNK):
        r1 = min(n, r0 + ROW_CHUNK)
        w = gather(x, approx[r0:r1], offsets)
        if mains_phase is not None:
            remove_sinusoid(w, mains_phase)
        if sm > 1:
            w = ndimage.uniform_filter1d(w, sm, axis=1)
        w = w[:, sm:-sm]
        w -= median_rows(w[:, ::4].copy())[:, None]  # baseline; every 4th sample suffices
        out[r0:r1] = w
        # Row extremes from a transposed copy: numpy reduces over the leading axis several
        # times faster than along short rows (maximum and minimum are exact either way).
        wt = w.T.copy()
        mm[r0:r1] = wt.max(axis=0) + wt.min(axis=0)
    return out, mm
