"""Building the rows of the tidy, wide and shift tables from items."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hrv.tables._model import (
    ANXIETY_COLUMNS,
    RECORDING_COLUMNS,
    SHIFT_CHANGE_FIELDS,
    SHIFT_COLUMNS,
    TIDY_COLUMNS,
    Cell,
    PairItem,
    RecordingItem,
    Table,
)
from hrv.types import METRIC_UNITS, Analysis

if TYPE_CHECKING:
    from hrv.shift import SessionShift


def config_hash(analysis: Analysis) -> str:
    """A short, stable identifier of the configuration an analysis ran with.

    The first 16 hex digits of the SHA-256 of the configuration as canonical JSON
    (sorted keys, no whitespace), so two results made with the same settings carry the
    same hash; ``""`` when the result records no configuration.
    """
    cfg = analysis.provenance.get("config")
    if cfg is None:
        return ""
    text = json.dumps(cfg, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _manifest_columns(manifests: Iterable[Mapping[str, str]], own: Sequence[str]
                      ) -> tuple[list[str], dict[str, str]]:
    """Manifest column names in first-seen order and their output names."""
    seen: dict[str, None] = {}
    for m in manifests:
        for k in m:
            seen.setdefault(str(k), None)
    own_set = set(own)
    rename = {k: (f"manifest_{k}" if k in own_set else k) for k in seen}
    return list(seen), rename


def _recording_cells(item: RecordingItem) -> tuple[Cell, ...]:
    a = item.analysis
    if a is None:
        return ("failed", item.error or "failed", *([None] * (len(RECORDING_COLUMNS) - 2)))
    q = a.quality
    return (
        "ok" if item.error is None else "failed",
        item.error,
        a.kind.value,
        float(a.duration_s),
        q.usable_duration_s,
        q.grade.value,
        int(q.beats),
        float(q.corrected_pct),
        a.respiration.rate_bpm,
        a.respiration.hf_band_valid,
        ";".join(w.code for w in q.warnings),
        str(a.provenance.get("hrv_version", "")),
        config_hash(a),
    )


def tidy_table(items: Iterable[RecordingItem]) -> Table:
    """One row per recording × metric, in item order then metric order.

    Columns: the manifest's, then :data:`TIDY_COLUMNS` (``metric``, ``value`` as a float
    or empty when not computable, ``unit`` from :data:`hrv.types.METRIC_UNITS`), then
    :data:`RECORDING_COLUMNS`. A failed item gives one row with an empty ``metric``,
    ``status`` ``"failed"`` and the ``error``, so no recording silently disappears.
    """
    items = list(items)
    own = (*TIDY_COLUMNS, *RECORDING_COLUMNS)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for item in items:
        head = tuple(item.manifest.get(c) for c in mcols)
        tail = _recording_cells(item)
        if item.analysis is None:
            rows.append((*head, None, None, None, *tail))
            continue
        values = item.analysis.metrics.to_dict()
        for name, unit in METRIC_UNITS.items():
            rows.append((*head, name, values.get(name), unit, *tail))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def wide_table(items: Iterable[RecordingItem]) -> Table:
    """One row per recording: the manifest's columns, :data:`RECORDING_COLUMNS`, then one
    column per metric in :class:`~hrv.Metrics` field order (names carry the unit)."""
    items = list(items)
    metric_names = tuple(METRIC_UNITS)
    own = (*RECORDING_COLUMNS, *metric_names)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for item in items:
        head = tuple(item.manifest.get(c) for c in mcols)
        if item.analysis is None:
            values: Mapping[str, float | None] = {}
        else:
            values = item.analysis.metrics.to_dict()
        rows.append((*head, *_recording_cells(item), *(values.get(n) for n in metric_names)))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def shift_table(items: Iterable[PairItem]) -> Table:
    """One row per pre/post pair.

    Columns: the manifest's, :data:`SHIFT_COLUMNS` (``verdict`` is the direction;
    ``evidence`` the markers it rests on and ``caveats`` the caveat codes, both
    ``;``-separated), then ``<marker>_<field>`` for every marker of the comparisons (in
    the order :func:`hrv.compare` reports them) and every field of
    :data:`SHIFT_CHANGE_FIELDS`.
    """
    items = list(items)
    markers: dict[str, None] = {}
    for it in items:
        if it.shift is not None:
            for k in it.shift.changes:
                markers.setdefault(k, None)
    change_cols = tuple(f"{m}_{f}" for m in markers for f in SHIFT_CHANGE_FIELDS)
    own = (*SHIFT_COLUMNS, *change_cols)
    mcols, rename = _manifest_columns((i.manifest for i in items), own)
    rows: list[tuple[Cell, ...]] = []
    for it in items:
        head = tuple(it.manifest.get(c) for c in mcols)
        s = it.shift
        if s is None:
            rows.append((*head, "failed", it.error or "failed", *([None] * 5),
                         it.anxiety_pre, it.anxiety_post,
                         *([None] * (len(own) - 9))))
            continue
        v = s.verdict
        cells: list[Cell] = [
            "ok" if it.error is None else "failed",
            it.error,
            v.direction.value,
            v.confidence,
            None if v.confidence_label is None else v.confidence_label.value,
            ";".join(v.evidence),
            ";".join(c.code for c in v.caveats),
            it.anxiety_pre,
            it.anxiety_post,
            s.pre.quality.grade.value,
            s.post.quality.grade.value,
            v.summary,
            str(s.provenance.get("hrv_version", s.pre.provenance.get("hrv_version", ""))),
            config_hash(s.pre),
        ]
        for m in markers:
            ch = s.changes.get(m)
            d: Mapping[str, Any] = {} if ch is None else ch.to_dict()
            cells.extend(d.get(f) for f in SHIFT_CHANGE_FIELDS)
        rows.append((*head, *cells))
    return Table((*(rename[c] for c in mcols), *own), tuple(rows))


def shift_changes_table(shift: SessionShift) -> Table:
    """One row per marker of one comparison: ``marker``, ``unit`` and every field of
    :class:`~hrv.MarkerChange` (what ``SessionShift.to_frame()`` shows)."""
    fields = ("pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful",
              "swc", "swc_source", "scale", "se", "uncertainty_method", "note")
    rows = []
    for marker, ch in shift.changes.items():
        d = ch.to_dict()
        rows.append((marker, METRIC_UNITS.get(marker, ""), *(d.get(f) for f in fields)))
    return Table(("marker", "unit", *fields), tuple(rows))


#: Manifest columns that describe one recording, not the pre/post pair it belongs to.
PER_RECORDING_COLUMNS: frozenset[str] = frozenset(
    ("file", "phase", "kind", "format", "sampling_rate_hz", "channel", *ANXIETY_COLUMNS)
)
#: Manifest columns that identify a pre/post pair.
PAIR_KEYS: tuple[str, ...] = ("participant", "session")


def pair_items(items: Iterable[RecordingItem]) -> list[PairItem]:
    """Pre/post pairs: recordings with the same ``participant`` and ``session`` and the
    ``phase`` ``pre`` and ``post`` (case-insensitive), in the order their first recording
    appears, each compared with :func:`hrv.compare`.

    The pair's manifest is the two key columns plus every other column both rows agree
    on (``group``, ...; not :data:`PER_RECORDING_COLUMNS`); the anxiety columns become
    ``anxiety_pre``/``anxiety_post``. A pair with a missing or failed recording, or
    whose comparison raises :class:`hrv.errors.HRVError`, carries the error in words.
    """
    from hrv.errors import HRVError
    from hrv.shift import compare

    groups: dict[tuple[str, ...], dict[str, RecordingItem]] = {}
    for it in items:
        phase = str(it.manifest.get("phase", "")).strip().lower()
        if phase not in ("pre", "post"):
            continue
        key = tuple(str(it.manifest.get(k, "")) for k in PAIR_KEYS)
        groups.setdefault(key, {}).setdefault(phase, it)
    pairs = []
    for key, phases in groups.items():
        pre, post = phases.get("pre"), phases.get("post")
        manifest: dict[str, str] = dict(zip(PAIR_KEYS, key, strict=True))
        if pre is not None and post is not None:
            for k, v in pre.manifest.items():
                if (k not in PER_RECORDING_COLUMNS and k not in manifest
                        and post.manifest.get(k) == v):
                    manifest[k] = v
        error = None
        shift = None
        if pre is None or post is None:
            error = f"no {'pre' if pre is None else 'post'} recording"
        elif pre.analysis is None or post.analysis is None:
            bad, name = (pre, "pre") if pre.analysis is None else (post, "post")
            error = f"the {name} recording failed: {bad.error}"
        else:
            try:
                shift = compare(pre.analysis, post.analysis)
            except HRVError as exc:
                error = str(exc)
        pairs.append(PairItem(
            manifest=manifest, shift=shift, error=error,
            anxiety_pre=None if pre is None else anxiety_of(pre.manifest),
            anxiety_post=None if post is None else anxiety_of(post.manifest),
        ))
    return pairs


def anxiety_of(manifest: Mapping[str, str]) -> float | None:
    """The self-reported anxiety in a manifest row (:data:`ANXIETY_COLUMNS`), or ``None``
    when absent or not a number."""
    for c in ANXIETY_COLUMNS:
        raw = manifest.get(c)
        if raw is not None and str(raw).strip():
            try:
                value = float(raw)
            except ValueError:
                return None
            return value if math.isfinite(value) else None
    return None
