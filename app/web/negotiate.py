"""Content negotiation of the report route: which of its media types an ``Accept`` wants."""

from __future__ import annotations

__all__ = ["REPORT_TYPES", "choose"]

#: What ``GET /v1/sessions/{id}/report`` can return, the default first.
REPORT_TYPES = ("application/json", "application/fhir+json", "text/csv", "text/html",
                "application/pdf")


def _parse(accept: str) -> list[tuple[str, float, int]]:
    out = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            name, _, value = f.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out.append((media, q, i))
    return out


def _matches(pattern: str, media: str) -> bool:
    if pattern in ("*/*", media):
        return True
    if pattern.endswith("/*"):
        return media.split("/", 1)[0] == pattern[:-2]
    return False


def _specificity(pattern: str) -> int:
    return 0 if pattern == "*/*" else 1 if pattern.endswith("/*") else 2


def choose(accept: str | None, offered: tuple[str, ...] = REPORT_TYPES) -> str | None:
    """The offered type the header prefers most (RFC 9110 §12.5.1), or ``None`` (406).

    No header, an empty one, or only ``*/*`` gives the first offered type.
    """
    ranges = _parse(accept or "")
    if not ranges:
        return offered[0]
    best: tuple[float, int, int, str] | None = None
    for order, media in enumerate(offered):
        hits = [(_specificity(p), q, i) for p, q, i in ranges if _matches(p, media)]
        if not hits:
            continue
        # The most specific matching range sets the quality; at equal quality a type
        # named explicitly wins by its place in the header, then the offered order.
        spec, q, index = max(hits, key=lambda h: (h[0], -h[2]))
        if q <= 0:
            continue
        key = (q, -index if spec == 2 else -10_000, -order, media)
        if best is None or key[:3] > best[:3]:
            best = key
    return None if best is None else best[3]
