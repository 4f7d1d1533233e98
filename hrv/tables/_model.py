"""The cells, columns and items a table is built from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hrv.types import Analysis

if TYPE_CHECKING:
    from hrv.shift import SessionShift


#: One value of a table.
Cell = str | int | float | bool | None

#: Columns describing the recording, after the manifest columns, in every tidy and wide
#: row: ``status`` is ``"ok"`` or ``"failed"`` (then ``error`` says why and the metrics
#: are empty); ``warnings`` lists the quality-warning codes, ``;``-separated;
#: ``config_hash`` identifies the analysis configuration (:func:`config_hash`).
RECORDING_COLUMNS: tuple[str, ...] = (
    "status",
    "error",
    "signal_kind",
    "duration_s",
    "usable_duration_s",
    "quality_grade",
    "beats",
    "corrected_pct",
    "respiration_rate_bpm",
    "hf_band_valid",
    "warnings",
    "hrv_version",
    "config_hash",
)

#: The per-metric columns of a tidy row, between the manifest and the recording columns.
TIDY_COLUMNS: tuple[str, ...] = ("metric", "value", "unit")

#: Columns of a shift row after the manifest columns; each marker's change follows as
#: ``<marker>_<field>`` for the fields of :data:`SHIFT_CHANGE_FIELDS`.
SHIFT_COLUMNS: tuple[str, ...] = (
    "status",
    "error",
    "verdict",
    "confidence",
    "confidence_label",
    "evidence",
    "caveats",
    "anxiety_pre",
    "anxiety_post",
    "pre_quality_grade",
    "post_quality_grade",
    "summary",
    "hrv_version",
    "config_hash",
)

#: Fields of one marker's change carried into a shift row (see ``hrv.MarkerChange``).
SHIFT_CHANGE_FIELDS: tuple[str, ...] = (
    "pre", "post", "delta", "pct_change", "ci_low", "ci_high", "meaningful",
)  # fmt: skip

#: Manifest columns read as the self-reported anxiety of a recording (first one present).
ANXIETY_COLUMNS: tuple[str, ...] = ("anxiety", "self_reported_anxiety")


@dataclasses.dataclass(frozen=True, eq=False)
class RecordingItem:
    """One recording of a table: its manifest row and its result (or why it has none).

    Attributes
    ----------
    manifest : mapping of str to str
        The recording's manifest row (``file``, ``participant``, ``phase``, ...), in the
        manifest's column order; empty for a lone file.
    analysis : Analysis or None
        The result; ``None`` when the item failed.
    error : str or None
        Why the item failed, in words (``status`` is then ``"failed"``).
    """

    manifest: Mapping[str, str] = dataclasses.field(default_factory=dict)
    analysis: Analysis | None = None
    error: str | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class PairItem:
    """One pre/post pair of a shift table.

    Attributes
    ----------
    manifest : mapping of str to str
        Columns shared by the pair (``participant``, ``session``, ``group``, ...).
    shift : SessionShift or None
        The comparison; ``None`` when it could not be made.
    error : str or None
        Why there is no comparison (a recording failed, the post recording is missing).
    anxiety_pre, anxiety_post : float or None
        Self-reported anxiety before and after, when given (any scale; carried as is).
    """

    manifest: Mapping[str, str] = dataclasses.field(default_factory=dict)
    shift: SessionShift | None = None
    error: str | None = None
    anxiety_pre: float | None = None
    anxiety_post: float | None = None


@dataclasses.dataclass(frozen=True)
class Table:
    """Rows under fixed columns; every row has one cell per column.

    Attributes
    ----------
    columns : tuple of str
    rows : tuple of tuple of Cell
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __post_init__(self) -> None:
        width = len(self.columns)
        if any(len(r) != width for r in self.rows):
            raise ValueError("every row must have one cell per column")

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Cell]]:
        """The rows as dictionaries (for JSON), in column order."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def column(self, name: str) -> list[Cell]:
        """The cells of one column, top to bottom."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]
