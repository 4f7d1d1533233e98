"""Per-window waveform statistics behind :func:`hrv.quality.assess_waveform`.

Everything here works on whole arrays without full-length float copies: exact sample
tests (missing samples, constant runs, rails) are reduced to run boundaries, whose
coverage of each window is read off cumulative run lengths; statistics of the
band-passed signal are taken block by block (:mod:`hrv._dsp`), so a 24-hour
recording costs a few passes over the data and memory well below its own size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from hrv._dsp import (
    BLOCK_SAMPLES,
    AnyFloatArray,
    block_bounds,
    map_chunks,
    map_filtered_blocks,
)
from hrv.quality._sqi import TemplatePlan, spectral_purity
from hrv.types import BoolArray, FloatArray

__all__ = ["FilteredStats", "WindowStats", "filtered_stats", "moments", "window_stats"]

IntArray = npt.NDArray[np.intp]

#: A run of samples at a saturated rail counts as clipping from this duration on (and at
#: least 3 samples). A shorter run only flattens the top of a peak: an R wave is about
#: 40-60 ms wide, so a top cut off for under 30 ms leaves both flanks of the QRS, and the
#: beat's time (the middle of the run), intact; it is reported, not excluded.
CLIP_MIN_RUN_S = 0.030


@dataclasses.dataclass(frozen=True)
class WindowStats:
    """Raw per-window measurements (one entry per window)."""

    starts: IntArray
    lengths: IntArray
    nan_frac: FloatArray
    const_frac: FloatArray  # share of samples inside constant runs of >= 1 s
    const_at_rail: BoolArray  # those runs sit at the recording's min or max
    rail_frac: FloatArray  # share of samples in repeated-rail runs (clipping)
    rail_runs: IntArray  # number of separate rail runs
    max_abs: float  # largest absolute sample value of the recording
    peak_rail_runs: int = 0  # runs at a piled rail too short to count as clipping


@dataclasses.dataclass(frozen=True)
class FilteredStats:
    """Per-window statistics of the band-passed signal (NaN where not computed)."""

    std: FloatArray  # standard deviation
    kurtosis: FloatArray  # Pearson kurtosis (3 for Gaussian noise)
    purity: FloatArray  # spectral purity of a pulse wave (see spectral_purity)
    sqi: FloatArray  # mean template correlation of the window's beats


def window_starts(n: int, win: int) -> IntArray:
    """Start indices of windows of ``win`` samples; a short tail joins the previous window."""
    starts = np.arange(0, n, win, dtype=np.intp)
    if len(starts) > 1 and n - starts[-1] < win // 2:
        starts = starts[:-1]
    return starts


def _runs(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) indices of the ``True`` runs of ``mask``."""
    n = len(mask)
    if n == 0 or not mask.any():
        e = np.empty(0, dtype=np.intp)
        return e, e
    edges = (mask[1:] != mask[:-1]).nonzero()[0] + 1
    parts = [edges]
    if mask[0]:
        parts.insert(0, np.zeros(1, dtype=np.intp))
    if mask[-1]:
        parts.append(np.full(1, n, dtype=np.intp))
    edges = np.concatenate(parts).astype(np.intp)
    return edges[0::2], edges[1::2]


def _join_touching(rs: IntArray, re: IntArray) -> tuple[IntArray, IntArray]:
    """Merge sorted runs ``[rs, re)`` where one starts where the previous one ends."""
    if len(rs) < 2:
        return rs, re
    new = rs[1:] > re[:-1]
    first = np.concatenate(([True], new))
    last = np.concatenate((new, [True]))
    return rs[first], re[last]


def _coverage(rs: IntArray, re: IntArray, starts: IntArray, ends: IntArray) -> IntArray:
    """Samples of each window ``[starts, ends)`` inside the disjoint sorted runs ``[rs, re)``."""
    if len(rs) == 0:
        return np.zeros(len(starts), dtype=np.intp)
    cum = np.concatenate(([0], (re - rs).cumsum()))

    def covered_before(p: IntArray) -> IntArray:
        k = re.searchsorted(p, side="right")  # runs ending at or before p
        part = np.where(k < len(rs), p - rs[np.minimum(k, len(rs) - 1)], 0)
        return np.asarray(cum[k] + np.maximum(part, 0), dtype=np.intp)

    return covered_before(ends) - covered_before(starts)


def _block_runs(mask_of: Callable[[int, int], BoolArray], n: int
                ) -> tuple[IntArray, IntArray]:
    """Runs of a boolean mask over ``[0, n)`` computed block by block.

    ``mask_of(a, b)`` returns the mask on ``[a, b)``; block-sized temporaries stay in
    the CPU caches, and runs cut by a block edge are joined again.
    """
    def block(a: int) -> tuple[IntArray, IntArray]:
        rs, re = _runs(mask_of(a, min(n, a + BLOCK_SAMPLES)))
        return rs + a, re + a

    parts = map_chunks(block, range(0, n, BLOCK_SAMPLES))  # blocks on threads, in order
    if not parts:
        e = np.empty(0, dtype=np.intp)
        return e, e
    return _join_touching(np.concatenate([rs for rs, _ in parts]).astype(np.intp),
                          np.concatenate([re for _, re in parts]).astype(np.intp))


def _position_runs(pos: IntArray) -> tuple[IntArray, IntArray]:
    """Runs ``[start, end)`` of consecutive indices in the sorted positions ``pos``."""
    if len(pos) == 0:
        e = np.empty(0, dtype=np.intp)
        return e, e
    brk = np.flatnonzero(np.diff(pos) != 1)
    return (pos[np.concatenate(([0], brk + 1))].astype(np.intp),
            pos[np.concatenate((brk, [len(pos) - 1]))].astype(np.intp) + 1)


def _piled_rails(x: FloatArray, nan: BoolArray | None, hi: float, lo: float
                 ) -> tuple[list[float], IntArray, IntArray]:
    """The extremes ``hi`` (maximum) and ``lo`` (minimum) on which samples pile up, and
    the runs of samples sitting exactly on those rails (NaN-bridged samples excluded).

    A rail piles up when at least 3 samples sit exactly on it, and at least 4 times as
    many as sit within 1 % of the range off it (samples bridging a NaN gap do not
    count as sitting on it). One block-wise pass counts both rails and takes the runs
    of each from the positions found near it (no second pass over the recording).
    """
    span = hi - lo
    e = np.empty(0, dtype=np.intp)
    if not span > 0:
        return [], e, e
    lim_hi, lim_lo = hi - 0.01 * span, lo + 0.01 * span

    def block(a: int) -> list[tuple[int, int, int, IntArray, IntArray]]:
        blk = x[a: a + BLOCK_SAMPLES]
        out = []
        for j, near in enumerate((blk >= lim_hi, blk <= lim_lo)):
            pos = near.nonzero()[0]
            within = len(pos)
            pos = pos[blk[pos] == (hi, lo)[j]]
            eq = len(pos)
            if nan is not None:
                pos = pos[~nan[a + pos]]
            rs, re = _position_runs(pos)
            out.append((len(pos), eq, within, rs + a, re + a))  # (on, eq, within, runs)
        return out

    parts = map_chunks(block, range(0, len(x), BLOCK_SAMPLES))
    rails: list[float] = []
    starts: list[IntArray] = []
    ends: list[IntArray] = []
    for j, r in enumerate((hi, lo)):
        n_on = sum(p[j][0] for p in parts)
        n_eq = sum(p[j][1] for p in parts)
        n_within = sum(p[j][2] for p in parts)
        if n_on >= 3 and n_on >= 4 * (n_within - n_eq):
            rails.append(r)
            starts += [p[j][3] for p in parts]
            ends += [p[j][4] for p in parts]
    if not rails:
        return rails, e, e
    rs, re = np.concatenate(starts), np.concatenate(ends)
    order = np.argsort(rs, kind="stable")  # both rails' runs in order (they are disjoint)
    # Runs cut by a block edge, or a step from one rail straight onto the other, are one.
    return (rails, *_join_touching(rs[order], re[order]))


def window_stats(x: FloatArray, nan: BoolArray, fs_hz: float, starts: IntArray) -> WindowStats:
    """Compute :class:`WindowStats` for ``x`` (NaN-filled) with its NaN mask ``nan``."""
    n = len(x)
    ends = np.append(starts[1:], n)
    lengths = ends - starts
    # The pipeline passes a broadcast all-False mask for a finite recording: one element
    # tells (a reduction over a zero-stride view is no faster than over the real array).
    has_nan = bool(nan[:1].any() if nan.ndim == 1 and nan.strides[0] == 0 else nan.any())
    nan_frac = _coverage(*_runs(nan), starts, ends) / lengths if has_nan else np.zeros(len(starts))
    nan_or_none = nan if has_nan else None

    # Constant runs: consecutive equal samples (NaN samples break runs). The same pass
    # over the blocks takes the extremes. Filled samples lie between their finite
    # neighbours, so the extremes are those of the finite samples (0 when there is
    # none: x is then all zeros).
    extremes: list[tuple[float, float]] = []

    def same(a: int, b: int) -> BoolArray:  # pair (i, i + 1) for i in [a, b)
        blk = x[a: b + 1]
        extremes.append((float(blk.max()), float(blk.min())))
        m = blk[:-1] == blk[1:]
        if has_nan:
            m &= ~nan[a:b]
            m &= ~nan[a + 1: b + 1]
        return m

    # A sample belongs to a run when it equals a neighbour; runs that touch (a step from
    # one constant value straight to the next) count as one run.
    ps, pe = _block_runs(same, n - 1)  # equal pairs (i, i + 1) for i in [ps, pe)
    if extremes:
        hi, lo = max(e[0] for e in extremes), min(e[1] for e in extremes)
    else:
        hi = lo = float(x[0]) if n else 0.0
    rs, re = _join_touching(ps, pe + 1)
    long_min = max(round(fs_hz), 3)
    long = (re - rs) >= long_min
    ls, le = rs[long], re[long]
    const_frac = _coverage(ls, le, starts, ends) / lengths
    v = x[ls]
    on_rail = (v == hi) | (v == lo) | (v == 0.0)  # np.isin's test, without its overhead
    const_at_rail = _coverage(ls[on_rail], le[on_rail], starts, ends) > 0

    # Clipping: short repeated runs at the rail (>= 3 samples), not the long flat runs.
    # A rail counts only if samples pile up on it: many more samples exactly at the
    # extreme than within the next 1 % of the range (a natural extreme is passed
    # through, a saturated one is sat on).
    _, cs, ce = _piled_rails(x, nan_or_none, hi, lo)
    run = ce - cs
    clip_min = max(3, math.ceil(CLIP_MIN_RUN_S * fs_hz - 1e-9))
    keep = (run >= clip_min) & (run < long_min)
    peak_runs = int(np.count_nonzero((run >= 2) & (run < clip_min)))
    cs, ce = cs[keep], ce[keep]
    rail_frac = _coverage(cs, ce, starts, ends) / lengths
    win_of = starts.searchsorted(cs, side="right") - 1
    rail_runs = np.bincount(win_of, minlength=len(starts)).astype(np.intp)
    return WindowStats(starts, lengths, nan_frac, const_frac, const_at_rail, rail_frac,
                       rail_runs, max(abs(hi), abs(lo)), peak_runs)


def moments(core: FloatArray, loc: IntArray, lengths: IntArray, kurtosis: bool
             ) -> tuple[FloatArray, FloatArray]:
    """Standard deviation and kurtosis per window of one block (``loc``: local starts)."""
    s1 = np.add.reduceat(core, loc)
    s2 = np.add.reduceat(core * core, loc)
    mean = s1 / lengths
    var = np.maximum(s2 / lengths - mean**2, 0.0)
    if not kurtosis:
        return np.sqrt(var), np.full(len(loc), np.nan)
    f_c = core - mean.repeat(lengths)
    f_c *= f_c
    f_c *= f_c
    m4 = np.add.reduceat(f_c, loc) / lengths
    with np.errstate(divide="ignore", invalid="ignore"):
        kurt = np.where(var > 0, m4 / np.maximum(var, 1e-300) ** 2, 0.0)
    return np.sqrt(var), kurt


def filtered_stats(x: AnyFloatArray, fs_hz: float, starts: IntArray, band_hz: tuple[float, float],
                   *, kurtosis: bool, purity: bool, beat_idx: IntArray | None,
                   beat_frac: FloatArray | None = None) -> FilteredStats:
    """Per-window statistics of ``x`` band-passed to ``band_hz``, block by block.

    Windows never straddle a block, so each window sees exactly the samples it would in
    a whole-signal computation; beats near a block edge read the filtered signal from
    the block's margin. ``beat_frac`` (in [0, 1)) places the beats between samples
    ``beat_idx`` and ``beat_idx + 1`` for the template SQI.
    """
    n = len(x)
    n_win = len(starts)
    ends = np.append(starts[1:], n)
    lengths = ends - starts
    std = np.zeros(n_win)
    kurt = np.full(n_win, np.nan)
    pur = np.zeros(n_win) if purity else np.full(n_win, np.nan)
    plan = (TemplatePlan.of(beat_idx, n, starts, lengths, beat_frac) if beat_idx is not None
            else None)
    sqi = np.full(n_win, np.nan) if plan is None else plan.initial(starts)
    win = int(lengths.min()) if n_win else 0
    margin = plan.half + 2 if plan is not None else 0
    bounds = block_bounds(n, starts=starts)

    def block(a: int, b: int, s: int, f: FloatArray) -> None:
        # Each block writes only its own windows' entries (blocks run on threads).
        # The zero-phase filter returns a reversed view: one forward copy makes the
        # passes below run on contiguous memory (the same values in the same order).
        f = np.ascontiguousarray(f)
        i0, i1 = starts.searchsorted([a, b])
        loc = starts[i0:i1] - a
        core = f[a - s: b - s]
        std[i0:i1], kurt[i0:i1] = moments(core, loc, lengths[i0:i1], kurtosis)
        if purity:
            pur[i0:i1] = spectral_purity(core, fs_hz, loc, win)
        if plan is not None:
            plan.fill(sqi, f, s, a, b, starts)

    map_filtered_blocks(block, x, fs_hz, band_hz[0], band_hz[1], bounds, margin=margin)
    return FilteredStats(std, kurt, pur, sqi)
