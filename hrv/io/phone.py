"""Smartphone-camera PPG CSV (finger on the camera; one row per video frame).

Layout, as in the Welltory dataset (Neshitov et al., Sensors 21:6798, 2021)::

    time,R,G,B
    0,252.65,0.0,0.012
    39,252.556,0.0,0.014

``time`` is ms since the start of the recording and uneven (~30 frames/s with jitter
and occasional dropped frames); ``R``, ``G`` and ``B`` are the mean channel values of a
frame. The red channel carries the pulse (a fingertip over the flash transmits mostly
red light), so it is the default; ``channel="G"`` or ``"B"`` picks another.

The returned samples are the channel value **negated**: the camera measures light that
passes through the finger, which falls as blood volume rises, while the PPG detectors
expect larger values to mean more blood (as a pulse oximeter's PLETH does). The metadata
says so (``"inverted": True``).
"""

from __future__ import annotations

import numpy as np

from hrv.errors import FormatError, InvalidInputError
from hrv.io._text import decode_text, detect_separator, parse_table, split_fields, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording
from hrv.types import Signal, SignalKind

__all__ = ["read_phone_ppg_csv"]

_CHANNELS = {"r": "R", "red": "R", "g": "G", "green": "G", "b": "B", "blue": "B"}


def read_phone_ppg_csv(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a phone-camera PPG CSV with columns ``time`` (ms), ``R``, ``G``, ``B``.

    Parameters
    ----------
    data : bytes
        The CSV file.
    options : ReadOptions, optional
        ``channel``: ``"R"`` (default), ``"G"`` or ``"B"``.

    Returns
    -------
    Recording
        ``kind`` PPG; ``sample_times_s`` the frame times in s from the first frame;
        ``signal.fs_hz`` their mean rate (the samples are not evenly spaced).

    Raises
    ------
    FormatError
        On a missing column, a bad value, or frame times that do not increase.
    """
    opts = options or ReadOptions()
    lines = text_lines(decode_text(data, "phone PPG CSV"))
    if not lines:
        raise FormatError("phone PPG CSV is empty")
    sep = detect_separator(lines[0][1]) or ","
    names = [n.lower() for n in split_fields(lines[0][1], sep)]
    if "time" not in names:
        raise FormatError("phone PPG CSV needs a 'time' column (ms)", line=lines[0][0])
    want = _CHANNELS.get((opts.channel or "R").strip().lower())
    if want is None:
        raise InvalidInputError(f"no channel {opts.channel!r}; valid channels: R, G, B")
    if want.lower() not in names:
        raise FormatError(f"phone PPG CSV has no {want!r} column", line=lines[0][0])
    rows = lines[1:]
    if len(rows) < 2:
        raise FormatError("phone PPG CSV holds fewer than 2 frames", line=lines[0][0])
    table = parse_table(rows, sep, ncols=len(names), names=names, decimal_comma=sep != ",")
    j_t, j_v = names.index("time"), names.index(want.lower())
    t_s = (table[:, j_t] - table[0, j_t]) / 1000.0
    steps = np.diff(t_s)
    if (steps <= 0).any():
        k = int(np.argmax(steps <= 0)) + 1
        raise FormatError(
            "frame times do not increase", line=rows[k][0], column=f"{j_t + 1} (time)"
        )
    fs_hz = (len(t_s) - 1) / float(t_s[-1])
    samples = np.ascontiguousarray(-table[:, j_v])
    return Recording(
        format=FileFormat.PHONE_PPG_CSV,
        kind=SignalKind.PPG,
        signal=Signal(samples, fs_hz, SignalKind.PPG, None),
        sample_times_s=t_s,
        metadata={
            "channel": want,
            "fs_hz": fs_hz,
            "device": "phone camera",
            "source_unit": None,
            "inverted": True,
        },
    )
