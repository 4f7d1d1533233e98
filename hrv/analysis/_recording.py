"""Analyse a :class:`hrv.io.Recording` with the pipeline that fits what it holds."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from hrv.analysis._intervals import analyze_beat_times, analyze_intervals
from hrv.analysis._waveform import analyze
from hrv.config import AnalysisConfig
from hrv.errors import InvalidInputError
from hrv.types import Analysis, QualityWarning

__all__ = ["analyze_recording"]

if TYPE_CHECKING:
    from hrv.io import Recording


def analyze_recording(recording: Recording, *, config: AnalysisConfig | None = None) -> Analysis:
    """Analyse a recording read by :func:`hrv.io.read_recording`.

    Intervals go to :func:`analyze_intervals` (already in ms, with the device's gap
    flags), beat times to :func:`analyze_beat_times`, and waveforms to :func:`analyze`
    (with the uneven sample times of phone cameras when present). This is the dispatch
    the HTTP service applies to uploaded files, so a notebook gets the same numbers.

    Parameters
    ----------
    recording : hrv.io.Recording
    config : AnalysisConfig, optional

    Returns
    -------
    Analysis
        With the reader's findings (``recording.metadata["warnings"]``: a truncated file,
        a unit chosen by rule) first among ``quality.warnings``.

    Examples
    --------
    >>> from hrv.io import read_recording
    >>> rec = read_recording(b"800\\n812\\n790\\n805\\n" * 80)
    >>> analyze_recording(rec).kind.value
    'rr'
    """
    result = _dispatch(recording, config)
    found = tuple(
        w for w in recording.metadata.get("warnings", ()) if isinstance(w, QualityWarning)
    )
    if not found:
        return result
    # What the reader found (a truncated file, a unit it chose) comes first.
    known = {(w.code, w.message) for w in result.quality.warnings}
    extra = tuple(w for w in found if (w.code, w.message) not in known)
    return dataclasses.replace(
        result,
        quality=dataclasses.replace(result.quality, warnings=extra + result.quality.warnings),
    )


def _dispatch(recording: Recording, config: AnalysisConfig | None) -> Analysis:
    """Analyse ``recording`` with the entry point that fits what it holds."""
    if recording.rr_ms is not None:
        return analyze_intervals(
            recording.rr_ms, config=config, unit="ms", gap_flags=recording.gap_flags
        )
    if recording.beat_times_s is not None:
        return analyze_beat_times(
            recording.beat_times_s, config=config, gap_flags=recording.gap_flags
        )
    if recording.signal is None:
        raise InvalidInputError("the recording holds neither a waveform nor beat intervals")
    sig = recording.signal
    if recording.sample_times_s is not None:
        return analyze(sig.samples, None, sig.kind, config=config,
                       times_s=recording.sample_times_s)
    return analyze(sig.samples, sig.fs_hz, sig.kind, config=config)
