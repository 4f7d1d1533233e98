"""Generic delimited text: one or more numeric columns, optional header and time column.

Rules, in order:

- Lines that are blank or start with ``#`` are ignored.
- Separator: tab, else ``;``, else ``,``, else blanks (from the first line). With a
  separator other than ``,`` a decimal comma (``0,812``) is accepted.
- Header: the first line is a header when one of its fields is not a number.
- Time column: a header named ``time``/``timestamp``/``t``/``seconds``/... (or, without
  header, a first column that strictly increases while other columns follow). Its unit
  comes from the name (``[ms]``, ``_ms``, ``(s)``, ``ns``, ``us``), else from the values:
  steps of 0.5 or more are ms for a waveform (none is sampled below 2 Hz), and steps
  above 10 are ms for intervals. ISO 8601 date-times are accepted as time values.
- Value column: ``channel=`` (name or 1-based number), else one whose name matches the
  kind (``ecg``/``ekg``/lead names, ``ppg``/``pleth``/``bvp``/``red``, ``rr``/``ibi``/
  ``nn``), else the first non-time column.
- Kind: ``kind=``, else from the value column's name, else intervals when there is no
  rate and the values look like RR intervals (median 200-2500 ms or 0.2-2.5 s).
- Waveform rate: ``fs_hz=``, else from the time column (mean rate); when the time steps
  vary by more than 25 % the times are returned in ``sample_times_s``. With ``fs_hz=``
  the time column may be rounded or repeat (PhysioNet's CSV exports keep 2 decimals, so
  125 Hz times repeat after 100 s): it is checked to agree with the rate (within
  ``max(2 / fs_hz, 10 ms)`` plus 100 ppm of the elapsed time) and the rate is used.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np

from hrv.config import IntervalUnit, detect_unit, unit_detected_message
from hrv.errors import FormatError, InvalidInputError
from hrv.io._channels import kind_of_label
from hrv.io._text import Line, decode_text, detect_separator, parse_table, split_fields, text_lines
from hrv.io._types import FileFormat, ReadOptions, Recording, flag_time_gaps, rr_recording
from hrv.types import FloatArray, QualityWarning, Signal, SignalKind

__all__ = ["read_csv"]

_W = r"(?![a-z])"  # end of a word; unlike \b, "_" ends it too ("time_s", "rr_ms")
_TIME_NAME = re.compile(
    rf"^(time|timestamp|t|sec|secs|seconds|ms|datetime|date ?time|zeit){_W}|(?<![a-z])time{_W}"
)
_RR_NAME = re.compile(
    rf"^(rr|ibi|nn|rri|interval|r-r|rr[-_ ]?interval)s?{_W}|(?<![a-z])(rr|ibi|nn){_W}"
)
_PPG_EXTRA = re.compile(r"^(red|r|ir|green|g)$")
_UNIT_S = re.compile(r"\[s\]|\(s\)|_s$|(?<![a-z])sec|(?<![a-z])s$")
_MAX_COLUMNS = 1024  # far above any recording's channels (a 12-lead ECG has 13 columns)
_RR_GAP_TOL_S = 0.2  # generic time columns may be rounded; 0.2 s is well below a beat


def read_csv(data: bytes, options: ReadOptions | None = None) -> Recording:
    """Read a generic CSV of a waveform or of RR intervals (rules in the module docstring).

    Parameters
    ----------
    data : bytes
        The delimited text.
    options : ReadOptions, optional
        ``kind``, ``channel`` and ``fs_hz`` as known to the caller.

    Returns
    -------
    Recording
        A waveform (``signal``; ``sample_times_s`` when uneven) or intervals in ms.

    Raises
    ------
    FormatError
        On a malformed row (line and column named).
    InvalidInputError
        When the kind or the sampling rate cannot be known; the message says what to
        pass.
    """
    opts = options or ReadOptions()
    text = decode_text(data, "CSV")
    lines = text_lines(text)
    if "#" in text:  # comment lines are rare: skip the scan when there is none
        lines = [ln for ln in lines if not ln[1].lstrip().startswith("#")]
    if not lines:
        raise FormatError("CSV file holds no data")
    sep = detect_separator(lines[0][1])
    n_fields = lines[0][1].count(sep) + 1 if sep else len(lines[0][1].split())
    if n_fields > _MAX_COLUMNS:
        # Refused before any row is split: a million columns would be a million strings.
        raise FormatError(f"CSV has {n_fields} columns; at most {_MAX_COLUMNS} are read", line=1)
    first = split_fields(lines[0][1], sep)
    if sep is not None and len(first) > 1 and first[-1] == "":
        first = first[:-1]
    comma = sep != "," and any("," in s for _, s in lines[:50])
    header = not all(_is_number(f, comma) for f in first)
    names = [f.strip() for f in first] if header else [str(i + 1) for i in range(len(first))]
    rows = lines[1:] if header else lines
    if not rows:
        raise FormatError("CSV file holds a header but no data", line=lines[0][0])
    j_time = _time_column(names) if header else None
    row0 = split_fields(rows[0][1], sep)
    iso_time = j_time is not None and j_time < len(row0) and not _is_number(row0[j_time], comma)
    skip = (j_time,) if iso_time and j_time is not None else ()
    table = parse_table(rows, sep, ncols=len(names), decimal_comma=comma, names=names, skip=skip)
    if (
        j_time is None
        and not header
        and table.shape[1] >= 2
        and len(table) > 2
        and (np.diff(table[:, 0]) > 0).all()
    ):
        j_time = 0
    t_raw = None
    if j_time is not None:
        t_raw = _iso_times(rows, sep, j_time) if iso_time else table[:, j_time]
    j_val = _value_column(names, j_time, opts)
    values = np.ascontiguousarray(table[:, j_val])
    kind = opts.kind or _kind_from_name(names[j_val] if header else "")
    meta: dict[str, Any] = {"channel": names[j_val], "channels": tuple(names)}
    if kind is None and opts.fs_hz is None and values.size:
        med = float(np.median(values))
        if 200.0 <= med <= 2500.0 or 0.2 <= med <= 2.5:
            kind = SignalKind.RR
    if kind is None:
        raise InvalidInputError(
            "cannot tell what the CSV column holds: pass kind='ecg', 'ppg' or 'rr' "
            "(and fs_hz for a waveform without a time column)"
        )
    t_s: FloatArray | None = None
    if t_raw is not None and j_time is not None:
        scale = (
            1.0
            if iso_time
            else _time_scale(names[j_time], t_raw, waveform=kind is not SignalKind.RR)
        )
        t_s = t_raw * scale
        if kind is not SignalKind.RR and opts.fs_hz is not None:
            # A declared rate wins over the time column (PhysioNet's CSV exports round it
            # to 2 decimals, so it repeats), once the two are seen to agree.
            _check_against_rate(t_s, float(opts.fs_hz), rows, j_time)
            meta["time_column"] = f"checked against the declared {float(opts.fs_hz):g} Hz"
            t_s = None
        else:
            steps = np.diff(t_s)
            if (steps <= 0).any():
                k = int(np.argmax(steps <= 0)) + 1
                raise FormatError(
                    "time does not increase (for a waveform whose time column is rounded, "
                    "declare the sampling rate: fs_hz / sampling_rate_hz)",
                    line=rows[k][0], column=f"{j_time + 1}",
                )
            t_s = t_s - t_s[0]
    if kind is SignalKind.RR:
        return _rr(values, names[j_val] if header else "", t_s, meta)
    return _waveform(values, kind, t_s, opts, meta)


def _rr(values: FloatArray, name: str, t_s: FloatArray | None, meta: dict[str, Any]) -> Recording:
    low = name.lower()
    declared = bool(_UNIT_S.search(low)) or "ms" in low
    if declared:
        in_s = bool(_UNIT_S.search(low))
    else:
        positive = bool(np.any(np.isfinite(values) & (values > 0)))
        unit = detect_unit(values) if positive else IntervalUnit.MS
        in_s = unit is IntervalUnit.S
        if positive:
            # The same warning as an array given with unit="auto": the reader chose it.
            meta["warnings"] = (
                *meta.get("warnings", ()),
                QualityWarning("unit_detected", unit_detected_message(unit, values)),
            )
    rr_ms = values * 1000.0 if in_s else values
    meta["source_unit"] = "s" if in_s else "ms"
    if t_s is None:
        return rr_recording(FileFormat.CSV, rr_ms, metadata=meta)
    beats = t_s + max(float(rr_ms[0]), 0.0) / 1000.0
    gaps = flag_time_gaps(beats, rr_ms, _RR_GAP_TOL_S)
    return rr_recording(FileFormat.CSV, rr_ms, beat_times_s=beats, gap_flags=gaps, metadata=meta)


def _waveform(
    values: FloatArray,
    kind: SignalKind,
    t_s: FloatArray | None,
    opts: ReadOptions,
    meta: dict[str, Any],
) -> Recording:
    times: FloatArray | None = None
    if opts.fs_hz is not None:
        fs_hz = float(opts.fs_hz)
    elif t_s is not None and len(t_s) >= 2:
        steps = np.diff(t_s)
        fs_hz = (len(t_s) - 1) / float(t_s[-1])
        med = float(np.median(steps))
        if float(np.max(np.abs(steps - med))) > 0.25 * med:
            times = t_s
    else:
        raise InvalidInputError(
            f"the CSV has no time column: pass fs_hz, the sampling rate of the {kind.value}"
        )
    if not (np.isfinite(fs_hz) and fs_hz > 0):
        raise InvalidInputError(f"sampling rate must be positive, got {fs_hz}")
    meta.update({"fs_hz": fs_hz, "source_unit": None})
    return Recording(
        format=FileFormat.CSV,
        kind=kind,
        signal=Signal(values, fs_hz, kind, None),
        sample_times_s=times,
        metadata=meta,
    )


def _check_against_rate(t_s: FloatArray, fs_hz: float, rows: list[Line], j: int) -> None:
    """Raise unless sample ``i`` lies at ``t_s[0] + i / fs_hz`` within the rounding of the
    time column: ``max(2 / fs_hz, 10 ms)``, plus 100 ppm of the elapsed time for the
    drift between a device's clock and its nominal rate."""
    if not (np.isfinite(fs_hz) and fs_hz > 0) or t_s.size < 2:
        return
    elapsed = np.arange(t_s.size) / fs_hz
    err = np.abs((t_s - t_s[0]) - elapsed)
    tol = np.maximum(max(2.0 / fs_hz, 0.01), 1e-4 * elapsed)
    bad = err > tol
    if bad.any():
        k = int(np.argmax(bad))
        raise FormatError(
            f"the time column disagrees with the declared sampling rate of {fs_hz:g} Hz: "
            f"sample {k + 1} is at {t_s[k] - t_s[0]:.3f} s in the file but "
            f"{elapsed[k]:.3f} s at that rate (check sampling_rate_hz)",
            line=rows[k][0], column=f"{j + 1}",
        )


def _is_number(s: str, comma: bool) -> bool:
    try:
        float(s.replace(",", ".") if comma else s)
    except ValueError:
        return False
    return True


def _time_column(names: list[str]) -> int | None:
    for j, n in enumerate(names):
        low = n.lower().strip()
        if _TIME_NAME.search(low) and not _RR_NAME.search(low):
            return j
    return None


def _value_column(names: list[str], j_time: int | None, opts: ReadOptions) -> int:
    if opts.channel is not None:
        want = opts.channel.strip()
        for j, n in enumerate(names):
            if n.lower() == want.lower():
                return j
        if want.isdigit() and 1 <= int(want) <= len(names):
            return int(want) - 1
        raise InvalidInputError(
            f"no column {opts.channel!r}; columns: {', '.join(repr(n) for n in names)}"
        )
    candidates = [j for j in range(len(names)) if j != j_time]
    if not candidates:
        raise FormatError("the CSV has a time column but no value column")
    if opts.kind is not None:
        for j in candidates:
            if _kind_from_name(names[j]) is opts.kind:
                return j
    for j in candidates:
        if _kind_from_name(names[j]) is not None:
            return j
    return candidates[0]


def _kind_from_name(name: str) -> SignalKind | None:
    low = name.lower().strip()
    if not low or low.isdigit():
        return None
    if _RR_NAME.search(low):
        return SignalKind.RR
    if _PPG_EXTRA.match(low):
        return SignalKind.PPG
    return kind_of_label(name)


def _time_scale(name: str, t: FloatArray, *, waveform: bool) -> float:
    """Seconds per unit of a time column."""
    low = name.lower()
    if re.search(r"\bns\b|\[ns\]|_ns\b|nanosec", low):
        return 1e-9
    if re.search(r"\bus\b|\[us\]|_us\b|µs|microsec", low):
        return 1e-6
    if re.search(r"\bms\b|\[ms\]|_ms\b|msec|millisec", low):
        return 1e-3
    if re.search(r"\bmin\b|\[min\]|_min\b|minute", low):
        return 60.0
    if _UNIT_S.search(low) or "iso" in low:
        return 1.0
    if len(t) < 2:
        return 1.0
    step = float(np.median(np.diff(t)))
    return 1e-3 if step >= (0.5 if waveform else 10.0) else 1.0


def _iso_times(rows: list[Line], sep: str | None, j: int) -> FloatArray:
    out = np.empty(len(rows))
    first: dt.datetime | None = None
    for i, (n, s) in enumerate(rows):
        fields = split_fields(s, sep)
        raw = fields[j] if j < len(fields) else ""
        try:
            t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise FormatError(
                f"expected a number or ISO 8601 time, found {raw[:40]!r}", line=n, column=str(j + 1)
            ) from None
        t = (
            t.replace(tzinfo=None)
            if t.tzinfo is None
            else t.astimezone(dt.UTC).replace(tzinfo=None)
        )
        first = first or t
        out[i] = (t - first).total_seconds()
    return out
