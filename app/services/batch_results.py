"""Result tables of a batch: tidy, wide and shift rows as CSV, Parquet or JSON."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from app.db.models import Batch

__all__ = ["Rendered", "render"]


@dataclasses.dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str
    status: str


def render(db: Session, batch: Batch, table: str, fmt: str) -> Rendered:
    raise NotImplementedError
