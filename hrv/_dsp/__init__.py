"""Shared signal processing under detection, quality and respiration.

Band-pass filtering (whole or block by block), the working-rate signal, waveform
validation and gap filling, and the cubic splines that resample NN series. Nothing here
knows about beats or HRV; every room above may use it, and it imports only
:mod:`hrv.types` and :mod:`hrv.errors`.
"""

from hrv._dsp._blockfilter import (
    BLOCK_SAMPLES,
    AnyFloatArray,
    bandpass,
    bandpass_sos,
    block_bounds,
    edge_padlen,
    filtered_blocks,
    map_filtered_blocks,
)
from hrv._dsp._parallel import (
    BESIDE_MIN_S,
    beside_threads,
    map_chunks,
    run_beside,
    start_beside,
    thread_count,
)
from hrv._dsp._rank import (
    median_of,
    median_rows,
    percentile_linear,
    percentile_rank,
    rank_filter,
    reflect_pad,
    running_median,
)
from hrv._dsp._signal import all_finite, as_waveform, fill_nan, hanning
from hrv._dsp._spline import GridSpline, NotAKnotSpline, cubic_on_grid
from hrv._dsp._uneven import GAP_FACTOR, resample_uneven
from hrv._dsp._views import sliding_rows
from hrv._dsp._working import (
    WorkingSignal,
    block_mean,
    fill_missing,
    working_factor,
    working_signal,
)

__all__ = [
    "BESIDE_MIN_S",
    "BLOCK_SAMPLES",
    "GAP_FACTOR",
    "AnyFloatArray",
    "GridSpline",
    "NotAKnotSpline",
    "WorkingSignal",
    "all_finite",
    "as_waveform",
    "bandpass",
    "bandpass_sos",
    "beside_threads",
    "block_bounds",
    "block_mean",
    "cubic_on_grid",
    "edge_padlen",
    "fill_missing",
    "fill_nan",
    "filtered_blocks",
    "hanning",
    "map_chunks",
    "map_filtered_blocks",
    "median_of",
    "median_rows",
    "percentile_linear",
    "percentile_rank",
    "rank_filter",
    "reflect_pad",
    "resample_uneven",
    "run_beside",
    "running_median",
    "sliding_rows",
    "start_beside",
    "thread_count",
    "working_factor",
    "working_signal",
]
