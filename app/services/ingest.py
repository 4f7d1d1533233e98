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
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import TypeAdapter, ValidationError

import hrv
from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.schemas import AnalysisBody, BeatTimesBody, WaveformBody

__all__ = [
    "FILE",
    "JSON",
    "OCTET",
    "Limits",
    "ParsedRecording",
    "StoredBody",
    "analyze_parsed",
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


def _numeric(values: object) -> npt.NDArray[np.float64] | None:
    """A JSON array of numbers as float64, or ``None`` if it is anything else."""
    if not isinstance(values, list):
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


def parse_json(raw: bytes, limits: Limits) -> ParsedRecording:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    fast = _fast_waveform(data, limits)
    if fast is not None:
        return fast
    try:
        body = _BODY.validate_python(data)
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


def octet_params(query: dict[str, str]) -> dict[str, Any]:
    """Validate the query parameters that describe a binary float array."""
    kind = query.get("kind")
    if kind not in ("ecg", "ppg", "rr"):
        raise ValidationFailed(
            "query parameter 'kind' must be one of 'ecg', 'ppg', 'rr' for a binary body",
            errors=[{"field": "query.kind", "message": "expected ecg, ppg or rr"}],
        )
    dtype = query.get("dtype", "float32")
    if dtype not in _DTYPES:
        raise ValidationFailed(
            f"dtype {dtype!r} is not supported; valid: 'float32', 'float64'",
            errors=[{"field": "query.dtype", "message": "expected float32 or float64"}],
        )
    params: dict[str, Any] = {"kind": kind, "dtype": dtype}
    if kind != "rr":
        try:
            fs = float(query.get("sampling_rate_hz", ""))
        except ValueError:
            fs = float("nan")
        if not (0 < fs <= 100_000):
            raise ValidationFailed(
                "query parameter 'sampling_rate_hz' must be a number in (0, 100000]",
                errors=[{"field": "query.sampling_rate_hz", "message": "expected 0 < x"}],
            )
        params["sampling_rate_hz"] = fs
    if "unit" in query:
        params["unit"] = query["unit"][:20]
    return params


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

    rec = hrv_io.read_recording(
        raw, params.get("format"), filename=params.get("filename"),
        kind=params.get("kind"), channel=params.get("channel"),
        fs_hz=params.get("sampling_rate_hz"),
    )
    rr = getattr(rec, "rr_ms", None)
    beats = getattr(rec, "beat_times_s", None)
    gap = getattr(rec, "gap_flags", None)
    if rr is not None:
        _check_count(len(rr), limits.max_intervals, "intervals")
        return ParsedRecording(kind="rr", rr=np.asarray(rr, dtype=np.float64), rr_unit="ms",
                               gap_flags=None if gap is None else np.asarray(gap, dtype=bool))
    if beats is not None:
        _check_count(len(beats), limits.max_intervals, "intervals")
        return ParsedRecording(kind="rr", beat_times_s=np.asarray(beats, dtype=np.float64),
                               gap_flags=None if gap is None else np.asarray(gap, dtype=bool))
    signal = getattr(rec, "signal", None)
    if signal is None:
        raise BadRequest("the file holds neither a waveform nor beat intervals")
    samples = np.asarray(getattr(signal, "samples", signal), dtype=np.float64)
    _check_count(len(samples), limits.max_samples, "samples")
    kind = getattr(getattr(signal, "kind", None), "value", None) or str(rec.kind)
    times = getattr(rec, "sample_times_s", None)
    return ParsedRecording(
        kind=str(kind), samples=samples, fs_hz=getattr(signal, "fs_hz", None),
        times_s=None if times is None else np.asarray(times, dtype=np.float64),
    )


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
    if parsed.rr is not None:
        return analysis.analyze_intervals(
            parsed.rr, config=config, unit=parsed.rr_unit, gap_flags=parsed.gap_flags
        )
    if parsed.beat_times_s is not None:
        return analysis.analyze_beat_times(
            parsed.beat_times_s, config=config, normal=parsed.normal, gap_flags=parsed.gap_flags
        )
    assert parsed.samples is not None
    return analysis.analyze(
        parsed.samples, parsed.fs_hz, parsed.kind, config=config, times_s=parsed.times_s
    )
