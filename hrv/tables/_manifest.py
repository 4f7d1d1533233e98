"""Reading a study manifest: one set of rules for the service and the command line."""

from __future__ import annotations

import csv
import io


class ManifestError(ValueError):
    """A manifest the rules of :func:`parse_manifest` refuse; the message names the line."""


def parse_manifest(text: str, name: str = "manifest.csv"
                   ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The columns (in order) and the rows of a study manifest, each with its line number.

    One set of rules for the service's batches and the ``hrv batch`` command: a header
    row, column names lower-cased and stripped, ``file`` required, no empty or repeated
    names, blank lines skipped, every row as long as the header, cells stripped, and
    ``phase`` lower-cased.

    Raises
    ------
    ManifestError
        Saying which rule the manifest broke, and where.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ManifestError(f"{name} is empty") from None
    if "file" not in header:
        raise ManifestError(
            f"{name} needs a 'file' column; found: {', '.join(header) or '(none)'}")
    if len(set(header)) != len(header) or "" in header:
        raise ManifestError(f"{name} has empty or repeated column names")
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ManifestError(
                f"{name} line {line} has {len(values)} cells; the header has {len(header)}")
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        if row.get("phase"):
            row["phase"] = row["phase"].lower()
        rows.append((line, row))
    if not rows:
        raise ManifestError(f"{name} lists no files")
    return header, rows
