"""Quality: the grade, warnings, excluded windows and the quality summary."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from hrv.types._series import BoolArray, _num


class Grade(enum.StrEnum):
    """Overall data-quality grade of a recording, from best to worst."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    UNUSABLE = "unusable"


@dataclasses.dataclass(frozen=True)
class QualityWarning:
    """A finding about the data, with a stable ``code`` and a human ``message``."""

    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class ExcludedWindow:
    """A stretch of a recording excluded from analysis, in seconds from its start.

    The window is closed, ``[start_s, end_s]``: a beat at either end lies inside it, and an
    interval is out of NN when either of its beats lies inside or it spans the window.
    Every check of a window reads :meth:`contains` and :meth:`touches`.
    """

    start_s: float
    end_s: float
    reason: str

    def contains(self, times_s: npt.NDArray[np.float64]) -> BoolArray:
        """``True`` for the times inside the window (both ends included)."""
        return (times_s >= self.start_s) & (times_s <= self.end_s)

    def touches(self, start_s: npt.NDArray[np.float64], end_s: npt.NDArray[np.float64]
                ) -> BoolArray:
        """``True`` for the spans ``[start_s, end_s]`` that share any time with the window."""
        return (start_s <= self.end_s) & (end_s >= self.start_s)


def merge_windows(windows: Iterable[ExcludedWindow], *, first_reason: bool = False
                  ) -> tuple[ExcludedWindow, ...]:
    """Sorted union of ``windows``: overlapping or touching ones become one window whose
    reason names each reason once, joined by ``+`` (``"motion+flat_line"``); with
    ``first_reason`` the earliest window's reason alone (a detector whose later windows
    are consequences of the first, as motion flagged on a flat line)."""
    out: list[ExcludedWindow] = []
    # Sorted by start only: of windows starting together, the first given leads.
    for w in sorted(windows, key=lambda w: w.start_s):
        if out and w.start_s <= out[-1].end_s:
            last = out[-1]
            reasons = last.reason.split("+")
            keep = first_reason or w.reason in reasons
            reason = last.reason if keep else f"{last.reason}+{w.reason}"
            out[-1] = ExcludedWindow(last.start_s, max(last.end_s, w.end_s), reason)
        else:
            out.append(w)
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Quality:
    """Data quality of a recording and what was done about it."""

    grade: Grade
    beats: int
    corrected_beats: int = 0
    corrected_pct: float = 0.0
    artifacts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    warnings: tuple[QualityWarning, ...] = ()
    excluded_windows: tuple[ExcludedWindow, ...] = ()
    usable_duration_s: float | None = None
    excluded_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade.value,
            "beats": int(self.beats),
            "corrected_beats": int(self.corrected_beats),
            "corrected_pct": float(self.corrected_pct),
            "artifacts": {k: int(v) for k, v in self.artifacts.items()},
            "usable_duration_s": _num(self.usable_duration_s),
            "excluded_s": float(self.excluded_s),
            "excluded_windows": [dataclasses.asdict(w) for w in self.excluded_windows],
            "warnings": [dataclasses.asdict(w) for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quality:
        return cls(
            grade=Grade(data["grade"]),
            beats=int(data["beats"]),
            corrected_beats=int(data.get("corrected_beats", 0)),
            corrected_pct=float(data.get("corrected_pct", 0.0)),
            artifacts={str(k): int(v) for k, v in (data.get("artifacts") or {}).items()},
            warnings=tuple(QualityWarning(**w) for w in data.get("warnings", ())),
            excluded_windows=tuple(ExcludedWindow(**w) for w in data.get("excluded_windows", ())),
            usable_duration_s=data.get("usable_duration_s"),
            excluded_s=float(data.get("excluded_s", 0.0)),
        )

    def has_warning(self, code: str) -> bool:
        return any(w.code == code for w in self.warnings)
