"""PDF rendering of the report page with WeasyPrint, with no network or file access.

WeasyPrint's default fetcher follows ``http(s)://`` and ``file://`` URLs found in the
document, which would let a note in a report read local files or make the server send
requests. :class:`StaticOnlyFetcher` allows ``data:`` URLs and the service's own
``/static/`` files only, and refuses everything else.
"""

from __future__ import annotations

import mimetypes
import threading
import urllib.parse
from pathlib import Path
from typing import Any

__all__ = ["BASE_URL", "STATIC_DIR", "StaticOnlyFetcher", "render_pdf"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: The document's base URL: relative ``/static/...`` links resolve against this host,
#: which never reaches the network (the fetcher serves it from ``STATIC_DIR``).
BASE_URL = "https://hrv-service.invalid/"
_HOST = urllib.parse.urlsplit(BASE_URL).netloc


def _fetcher_base() -> type:
    from weasyprint.urls import URLFetcher

    return URLFetcher


class StaticOnlyFetcher(_fetcher_base()):  # type: ignore[misc]
    """A WeasyPrint URL fetcher: ``data:`` and the service's static files only.

    ``refused`` lists the URLs it would not fetch (for logs and tests).
    """

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        self.static_dir = static_dir.resolve()
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def fetch(self, url: str, headers: Any = None) -> Any:
        from weasyprint.urls import URLFetcherResponse

        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https" and parts.netloc == _HOST and parts.path.startswith("/static/"):
            rel = urllib.parse.unquote(parts.path[len("/static/"):])
            path = (self.static_dir / rel).resolve()
            if path.is_relative_to(self.static_dir) and path.is_file():
                mime, _ = mimetypes.guess_type(path.name)
                return URLFetcherResponse(
                    url, path.read_bytes(),
                    {"Content-Type": mime or "application/octet-stream"},
                )
        with self._lock:
            self.refused.append(url)
        raise ValueError(f"the PDF renderer fetches only data: URLs and /static/ files: {url!r}")


def render_pdf(html: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The PDF of ``html`` (the report page rendered for print)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint logs each refused URL as an error; they are expected, keep them quiet.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    fetch = fetcher or StaticOnlyFetcher()
    out: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=fetch).write_pdf()
    return out
