"""Readers for the file formats wearables and labs send.

:func:`read_recording` reads bytes (or a path) in any :class:`FileFormat` into a
:class:`Recording`: a waveform (ECG/PPG :class:`~hrv.types.Signal`) or an interval
series (``rr_ms`` with beat times and gap flags). :func:`sniff_format` recognises a
format from the content. Malformed files raise :class:`hrv.errors.FormatError` naming
the line and column; unknown ones :class:`hrv.errors.UnsupportedFormatError`.

Each format has its own small module (``csv``, ``edf``, ``wfdb``, ``polar``,
``polar_sensor_logger``, ``apple``, ``empatica``, ``oura``, ``text``, ``phone``);
``edfio`` and ``wfdb`` are optional and imported only when needed.
"""

from hrv.io._read import read_recording
from hrv.io._sniff import sniff_format
from hrv.io._types import FileFormat, ReadOptions, Recording

__all__ = ["FileFormat", "ReadOptions", "Recording", "read_recording", "sniff_format"]
