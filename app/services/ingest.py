"""Turn request bodies into ``hrv`` inputs and run the analysis.

Three body forms are accepted, and the same three are what is stored for re-analysis:

``application/json``
    :class:`~app.schemas.WaveformBody` or :class:`~app.schemas.BeatTimesBody`, parsed
    with orjson (fast for large sample arrays).
``application/octet-stream``
    A little-endian float32/float64 array; ``kind``, ``sampling_rate_hz``, ``dtype``
    (and ``unit``) come from query parameters.
a file (``multipart/form-data`` upload, or any body with ``?format=``)
    Read by :func:`hrv.io.read_recording`.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import TypeAdapter, ValidationError

import hrv
from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.schemas import AnalysisBody, BeatTimesBody, WaveformBody
from hrv.errors import TooLargeError
from hrv.types import QualityWarning

__all__ = [
    "FILE",
    "JSON",
    "OCTET",
    "Limits",
    "ParsedRecording",
    "StoredBody",
    "analyze_parsed",
    "load_json",
    "parse_stored",
    "validation_problem",
]

JSON = "application/json"
OCTET = "application/octet-stream"
FILE = "file"

_BODY = TypeAdapter[WaveformBody | BeatTimesBody](AnalysisBody)
_DTYPES = {"float32": "<f4", "float64": "<f8"}


@dataclasses.dataclass(frozen=True)
class Limits:
    max_samples: int
    max_intervals: int


@dataclasses.dataclass(frozen=True)
class StoredBody:
    """A recording body in its storable form: what re-analysis parses again."""

    content_type: str
    params: dict[str, Any]
    raw: bytes


@dataclasses.dataclass(frozen=True)
class ParsedRecording:
    """What the body asks ``hrv`` to analyse (exactly one of the three inputs is set)."""

    kind: str
    samples: npt.NDArray[np.float64] | None = None
    fs_hz: float | None = None
    times_s: npt.NDArray[np.float64] | None = None
    rr: npt.NDArray[np.float64] | None = None
    rr_unit: str | None = None
    beat_times_s: npt.NDArray[np.float64] | None = None
    gap_flags: npt.NDArray[np.bool_] | None = None
    normal: npt.NDArray[np.bool_] | None = None
    config: dict[str, Any] | None = None
    #: Findings of the file reader (a truncated file), added to the analysis' warnings.
    read_warnings: tuple[QualityWarning, ...] = ()
    #: A file's recording as ``hrv.io`` read it: analysed by ``hrv.analyze_recording``
    #: (the dispatch a notebook uses), not by the fields above.
    recording: Any = None


def validation_problem(exc: ValidationError) -> ValidationFailed:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return ValidationFailed(detail, errors=errors)


def _float_array(values: list[float]) -> npt.NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _flags(
    gap: list[bool] | None, valid: list[bool] | None
) -> npt.NDArray[np.bool_] | None:
    if gap is None and valid is None:
        return None
    out = np.asarray(gap, dtype=bool) if gap is not None else None
    if valid is not None:
        invalid = ~np.asarray(valid, dtype=bool)
        out = invalid if out is None else out | invalid
    return out


def _check_count(n: int, limit: int, what: str) -> None:
    if n > limit:
        raise PayloadTooLarge(f"{n} {what} exceed the limit of {limit} per recording")


def _check_arrays(data: dict[str, Any], limits: Limits) -> None:
    """Refuse over-long arrays before pydantic validates them one element at a time."""
    for field in ("samples", "times_s"):
        if isinstance(data.get(field), list | np.ndarray):
            _check_count(len(data[field]), limits.max_samples, "samples")
    for field in ("rr_ms", "beat_times_s", "gap_flags", "valid", "normal"):
        if isinstance(data.get(field), list | np.ndarray):
            _check_count(len(data[field]), limits.max_intervals, "intervals")


def _numeric(values: object) -> npt.NDArray[np.float64] | None:
    """A JSON array of numbers as float64, or ``None`` if it is anything else."""
    if isinstance(values, np.ndarray):
        return values if values.dtype == np.float64 and values.ndim == 1 else None
    if not isinstance(values, list):
        return None
    # Strings and booleans go to the strict validation, which refuses them by name
    # (numpy would quietly read "800" and true as numbers).
    if any(isinstance(v, str | bool) for v in values):
        return None
    try:
        x = np.fromiter(values, dtype=np.float64, count=len(values))
    except (TypeError, ValueError, OverflowError):
        return None
    # JSON has no NaN: one here came from a null (or a nested list gave ndim 2).
    if x.ndim != 1 or np.isnan(x).any():
        return None
    return x


def _fast_waveform(data: object, limits: Limits) -> ParsedRecording | None:
    """Waveform bodies without per-sample pydantic validation.

    numpy converts the sample arrays in one call; pydantic validates the rest of the
    body with one-element placeholders. Anything unusual returns ``None`` and goes
    through the full validation, which produces the field-level error messages.
    """
    if not isinstance(data, dict) or data.get("kind") not in ("ecg", "ppg"):
        return None
    samples = _numeric(data.get("samples"))
    if samples is None or len(samples) == 0:
        return None
    times = None
    if data.get("times_s") is not None:
        times = _numeric(data["times_s"])
        if times is None or len(times) != len(samples):
            return None
    head = {**data, "samples": [0.0]}
    if times is not None:
        head["times_s"] = [0.0]
    try:
        body = WaveformBody.model_validate(head)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    _check_count(len(samples), limits.max_samples, "samples")
    return ParsedRecording(kind=body.kind, samples=samples, fs_hz=body.sampling_rate_hz,
                           times_s=times, config=body.config)


# A JSON string (skipped whole, so brackets inside strings are never taken for arrays),
# or a flat array of numbers or booleans long enough to be worth decoding in one pass.
_TOKENS = re.compile(rb'(?P<string>"(?:[^"\\]|\\.)*")|(?P<numbers>\[[-+0-9.eE,\s]{64,}\])'
                     rb'|(?P<booleans>\[[truefals,\s]{64,}\])')
_PLACEHOLDER = "\u0000"
#: Bytes of a JSON body outside its flat arrays (kind, unit, config, ...): far above any
#: real body, far below what would make decoding the rest costly.
MAX_JSON_SKELETON_BYTES = 1 << 20


#: Arrays up to this many numbers are decoded by orjson and copied into float64 (about
#: three times faster than numpy's text parser; the Python floats in between take at most
#: about 8 MB); longer ones by numpy's parser straight into the array.
SMALL_ARRAY = 1 << 18


def _decode_array(segment: bytes, n: int, numbers: bool) -> npt.NDArray[Any] | list[Any]:
    """One flat JSON array of ``n`` elements (``numbers``: of number characters only):
    numbers into one float64 array, anything else through orjson."""
    if numbers and n <= SMALL_ARRAY:
        try:
            out = orjson.loads(segment)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"body is not valid JSON: {exc}") from None
        try:
            x = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return list(out)
        # A null becomes NaN and a nested list another shape: those go to the validation.
        return x if x.ndim == 1 and len(x) == n and np.isfinite(x).all() else list(out)
    if numbers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                x = np.fromstring(segment[1:-1], dtype=np.float64, sep=",")
            except ValueError:
                x = np.empty(0)
        if len(x) == n and np.isfinite(x).all():
            return x
    try:
        out = orjson.loads(segment)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    assert isinstance(out, list)
    return out


def _substitute(node: Any, arrays: list[npt.NDArray[Any] | list[Any]]) -> Any:
    if isinstance(node, dict):
        if len(node) == 1 and _PLACEHOLDER in node and isinstance(node[_PLACEHOLDER], int):
            return arrays[node[_PLACEHOLDER]]
        return {k: _substitute(v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, arrays) for v in node]
    return node


def load_json(raw: bytes, max_elements: int, max_skeleton: int = MAX_JSON_SKELETON_BYTES) -> Any:
    """Decode a JSON body without ever building more than the limits allow.

    Every flat array of numbers or booleans is found by a scan of the bytes, its
    elements counted (commas) and refused with 413 past ``max_elements`` before any is
    decoded; numbers go straight into a float64 array. What is left (the keys and small
    values) may be at most ``max_skeleton`` bytes, so a body of a million tiny objects,
    strings or nested lists is refused before orjson builds them. Nesting deeper than
    orjson's limit (1024) is a 400.
    """
    parts: list[bytes] = []
    segments: list[tuple[bytes, int, bool]] = []
    pos = 0
    in_arrays = 0
    for m in _TOKENS.finditer(raw):
        if m.start() - in_arrays > max_skeleton:
            break
        if raw[m.start()] == 0x22:  # a string: kept in the skeleton as it is
            continue
        n = raw.count(b",", m.start(), m.end()) + 1
        if n > max_elements:
            raise PayloadTooLarge(
                f"a JSON array of {n} values exceeds the limit of {max_elements} per recording"
            )
        parts.append(raw[pos:m.start()])
        parts.append(b'{"\\u0000":%d}' % len(segments))
        segments.append((raw[m.start():m.end()], n, m.lastgroup == "numbers"))
        in_arrays += m.end() - m.start()
        pos = m.end()
    if len(raw) - in_arrays > max_skeleton:
        raise PayloadTooLarge(
            f"the JSON body holds more than {max_skeleton} bytes outside flat arrays of "
            "numbers; a recording is a few fields and its arrays"
        )
    parts.append(raw[pos:])
    try:
        skeleton = orjson.loads(b"".join(parts))
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not segments:
        return skeleton
    arrays = [_decode_array(*seg) for seg in segments]
    del segments
    return _substitute(skeleton, arrays)


def _plain(node: Any) -> Any:
    """Numpy arrays from :func:`load_json` as lists, for pydantic's field-level errors."""
    if isinstance(node, np.ndarray):
        return node.tolist()
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def parse_json(raw: bytes, limits: Limits) -> ParsedRecording:
    data = load_json(raw, max(limits.max_samples, limits.max_intervals))
    fast = _fast_waveform(data, limits)
    if fast is not None:
        return fast
    if isinstance(data, dict):
        _check_arrays(data, limits)
    try:
        body = _BODY.validate_python(_plain(data))
    except ValidationError as exc:
        raise validation_problem(exc) from None
    if isinstance(body, WaveformBody):
        _check_count(len(body.samples), limits.max_samples, "samples")
        return ParsedRecording(
            kind=body.kind,
            samples=_float_array(body.samples),
            fs_hz=body.sampling_rate_hz,
            times_s=None if body.times_s is None else _float_array(body.times_s),
            config=body.config,
        )
    series = body.rr_ms if body.rr_ms is not None else body.beat_times_s
    assert series is not None
    _check_count(len(series), limits.max_intervals, "intervals")
    flags = _flags(body.gap_flags, body.valid)
    if body.rr_ms is not None:
        return ParsedRecording(
            kind="rr", rr=_float_array(body.rr_ms), rr_unit=body.unit or "ms",
            gap_flags=flags, config=body.config,
        )
    return ParsedRecording(
        kind="rr",
        beat_times_s=_float_array(series),
        gap_flags=flags,
        normal=None if body.normal is None else np.asarray(body.normal, dtype=bool),
        config=body.config,
    )


def parse_octet(raw: bytes, params: dict[str, Any], limits: Limits) -> ParsedRecording:
    itemsize = 4 if params["dtype"] == "float32" else 8
    if len(raw) == 0 or len(raw) % itemsize:
        raise BadRequest(
            f"binary body of {len(raw)} bytes is not a whole number of {params['dtype']} values"
        )
    values = np.frombuffer(raw, dtype=_DTYPES[params["dtype"]]).astype(np.float64)
    if params["kind"] == "rr":
        _check_count(len(values), limits.max_intervals, "intervals")
        return ParsedRecording(kind="rr", rr=values, rr_unit=params.get("unit") or "ms")
    _check_count(len(values), limits.max_samples, "samples")
    return ParsedRecording(kind=params["kind"], samples=values, fs_hz=params["sampling_rate_hz"])


def parse_file(raw: bytes, params: dict[str, Any], limits: Limits) -> ParsedRecording:
    from hrv import io as hrv_io

    try:
        rec = hrv_io.read_recording(
            raw, params.get("format"), filename=params.get("filename"),
            kind=params.get("kind"), channel=params.get("channel"),
            fs_hz=params.get("sampling_rate_hz"), max_samples=limits.max_samples,
        )
    except TooLargeError as exc:
        raise PayloadTooLarge(str(exc)) from None
    if rec.rr_ms is not None:
        _check_count(len(rec.rr_ms), limits.max_intervals, "intervals")
    elif rec.beat_times_s is not None:
        _check_count(len(rec.beat_times_s), limits.max_intervals, "intervals")
    elif rec.signal is not None:
        _check_count(len(rec.signal.samples), limits.max_samples, "samples")
    else:
        raise BadRequest("the file holds neither a waveform nor beat intervals")
    return ParsedRecording(kind=str(getattr(rec.kind, "value", rec.kind)), recording=rec)


def parse_stored(body: StoredBody, limits: Limits) -> ParsedRecording:
    if body.content_type == JSON:
        return parse_json(body.raw, limits)
    if body.content_type == OCTET:
        return parse_octet(body.raw, body.params, limits)
    if body.content_type == FILE:
        return parse_file(body.raw, body.params, limits)
    raise UnsupportedMediaType(f"unsupported stored content type {body.content_type!r}")


def analyze_parsed(parsed: ParsedRecording) -> hrv.Analysis:
    """Run the ``hrv`` pipeline that fits the input. Every number comes from ``hrv``."""
    from hrv import analysis

    config = hrv.AnalysisConfig.from_dict(parsed.config) if parsed.config else None
    if parsed.recording is not None:
        # A file: the library's own dispatch, reader warnings included.
        return hrv.analyze_recording(parsed.recording, config=config)
    if parsed.rr is not None:
        result = analysis.analyze_intervals(
            parsed.rr, config=config, unit=parsed.rr_unit, gap_flags=parsed.gap_flags
        )
    elif parsed.beat_times_s is not None:
        result = analysis.analyze_beat_times(
            parsed.beat_times_s, config=config, normal=parsed.normal, gap_flags=parsed.gap_flags
        )
    else:
        assert parsed.samples is not None
        result = analysis.analyze(
            parsed.samples, parsed.fs_hz, parsed.kind, config=config, times_s=parsed.times_s
        )
    if parsed.read_warnings:
        quality = dataclasses.replace(
            result.quality, warnings=tuple(parsed.read_warnings) + tuple(result.quality.warnings)
        )
        result = dataclasses.replace(result, quality=quality)
    return result
