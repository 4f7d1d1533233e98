"""A small SVG plotting kit for server-rendered, accessible charts.

Each chart is one ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that state
its numbers. Series differ by line style and marker shape as well as by colour, so no
meaning rests on colour alone. Only presentation attributes are used (no ``style=``),
so the pages can keep a strict Content-Security-Policy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np
import numpy.typing as npt

__all__ = ["POST", "PRE", "Panel", "SeriesStyle", "fmt", "nice_ticks", "svg_document"]

FloatArray = npt.NDArray[np.float64]
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK = "#1a1a1a"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class SeriesStyle:
    label: str
    colour: str
    dash: str  # SVG stroke-dasharray ("" for solid)
    marker: str  # "circle" or "triangle"


# Blue and orange stay distinct in the common colour-vision deficiencies; the dash
# and the marker shape carry the same distinction for everyone else.
PRE = SeriesStyle("Before", "#1f5fa8", "", "circle")
POST = SeriesStyle("After", "#b35300", "6 3", "triangle")


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.{digits}f}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def nice_range(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def _n(v: float) -> str:
    return f"{v:.1f}"


@dataclass
class Panel:
    """One plotting area inside an SVG, mapping data to pixel coordinates."""

    x0: float
    y0: float
    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    parts: list[str] = field(default_factory=list)

    def sx(self, x: float) -> float:
        lo, hi = self.xlim
        return self.x0 + (x - lo) / (hi - lo) * self.width

    def sy(self, y: float) -> float:
        lo, hi = self.ylim
        return self.y0 + self.height - (y - lo) / (hi - lo) * self.height

    def axes(self, xlabel: str, ylabel: str, *, title: str = "", xticks: int = 5,
             yticks: int = 4, xtick_labels: Sequence[tuple[float, str]] | None = None) -> None:
        p = self.parts
        p.append(f'<rect x="{_n(self.x0)}" y="{_n(self.y0)}" width="{_n(self.width)}" '
                 f'height="{_n(self.height)}" fill="#ffffff" stroke="{INK}" stroke-width="1"/>')
        for v in nice_ticks(*self.ylim, yticks):
            y = self.sy(v)
            p.append(f'<line x1="{_n(self.x0)}" x2="{_n(self.x0 + self.width)}" y1="{_n(y)}" '
                     f'y2="{_n(y)}" stroke="{GRID}" stroke-width="0.7"/>')
            p.append(f'<text x="{_n(self.x0 - 5)}" y="{_n(y + 4)}" text-anchor="end" '
                     f'font-size="11">{escape(_tick(v))}</text>')
        labels = (list(xtick_labels) if xtick_labels is not None
                  else [(v, _tick(v)) for v in nice_ticks(*self.xlim, xticks)])
        for v, text in labels:
            x = self.sx(v)
            p.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(self.y0 + self.height)}" '
                     f'y2="{_n(self.y0 + self.height + 4)}" stroke="{INK}" stroke-width="1"/>')
            p.append(f'<text x="{_n(x)}" y="{_n(self.y0 + self.height + 16)}" '
                     f'text-anchor="middle" font-size="11">{escape(text)}</text>')
        p.append(f'<text x="{_n(self.x0 + self.width / 2)}" y="{_n(self.y0 + self.height + 31)}" '
                 f'text-anchor="middle" font-size="12">{escape(xlabel)}</text>')
        cx, cy = self.x0 - 44, self.y0 + self.height / 2
        p.append(f'<text x="{_n(cx)}" y="{_n(cy)}" text-anchor="middle" font-size="12" '
                 f'transform="rotate(-90 {_n(cx)} {_n(cy)})">{escape(ylabel)}</text>')
        if title:
            p.append(f'<text x="{_n(self.x0)}" y="{_n(self.y0 - 6)}" font-size="13" '
                     f'font-weight="bold">{escape(title)}</text>')

    def vband(self, lo: float, hi: float, fill: str, *, opacity: float = 1.0) -> None:
        a, b = self.sx(max(lo, self.xlim[0])), self.sx(min(hi, self.xlim[1]))
        if b <= a:
            return
        self.parts.append(f'<rect x="{_n(a)}" y="{_n(self.y0)}" width="{_n(max(b - a, 1.0))}" '
                          f'height="{_n(self.height)}" fill="{fill}" '
                          f'fill-opacity="{opacity:.2f}"/>')

    def vline(self, x: float, colour: str, dash: str, label: str = "") -> None:
        if not self.xlim[0] <= x <= self.xlim[1]:
            return
        px = self.sx(x)
        self.parts.append(f'<line x1="{_n(px)}" x2="{_n(px)}" y1="{_n(self.y0)}" '
                          f'y2="{_n(self.y0 + self.height)}" stroke="{colour}" stroke-width="1.5" '
                          f'stroke-dasharray="{dash}"/>')
        if label:
            anchor = "end" if px > self.x0 + self.width * 0.7 else "start"
            dx = -4 if anchor == "end" else 4
            self.parts.append(f'<text x="{_n(px + dx)}" y="{_n(self.y0 + 14)}" font-size="11" '
                              f'text-anchor="{anchor}">{escape(label)}</text>')

    def line(self, xs: FloatArray, ys: FloatArray, style: SeriesStyle, *,
             breaks: npt.NDArray[np.bool_] | None = None, width: float = 1.4) -> None:
        """A polyline, broken at NaN values and where ``breaks`` is true."""
        if len(xs) == 0:
            return
        px = self.x0 + (xs - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * self.width
        yspan = self.ylim[1] - self.ylim[0]
        py = self.y0 + self.height - (ys - self.ylim[0]) / yspan * self.height
        ok = np.isfinite(px) & np.isfinite(py)
        cut = ~ok
        if breaks is not None:
            cut = cut | breaks
        starts = np.flatnonzero(cut | np.r_[True, ~ok[:-1]])
        bounds = [*(int(i) for i in starts), len(xs)]
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        for a, b in itertools.pairwise(bounds):
            idx = np.arange(a, b)
            idx = idx[ok[idx]]
            if len(idx) == 0:
                continue
            if len(idx) == 1:
                self.marker(float(xs[idx[0]]), float(ys[idx[0]]), style)
                continue
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px[idx], py[idx], strict=True))
            self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{style.colour}" '
                              f'stroke-width="{width}"{dash} stroke-linejoin="round"/>')

    def marker(self, x: float, y: float, style: SeriesStyle, *, size: float = 4.0,
               hollow: bool = False) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self.parts.append(_marker(self.sx(x), self.sy(y), style, size, hollow))

    def scatter(self, xs: FloatArray, ys: FloatArray, style: SeriesStyle, *,
                size: float = 2.6) -> None:
        px = self.x0 + (xs - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * self.width
        yspan = self.ylim[1] - self.ylim[0]
        py = self.y0 + self.height - (ys - self.ylim[0]) / yspan * self.height
        ok = np.isfinite(px) & np.isfinite(py)
        self.parts.extend(_marker(float(a), float(b), style, size, True)
                          for a, b in zip(px[ok], py[ok], strict=True))

    def text(self, x: float, y: float, text: str, *, size: int = 11, anchor: str = "start",
             bold: bool = False) -> None:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" '
                          f'text-anchor="{anchor}"{weight}>{escape(text)}</text>')


def _marker(x: float, y: float, style: SeriesStyle, size: float, hollow: bool) -> str:
    fill = "#ffffff" if hollow else style.colour
    if style.marker == "triangle":
        h = size * 1.2
        return (f'<polygon points="{x:.1f},{y - h:.1f} {x - h:.1f},{y + h * 0.8:.1f} '
                f'{x + h:.1f},{y + h * 0.8:.1f}" fill="{fill}" stroke="{style.colour}" '
                f'stroke-width="1"/>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{fill}" '
            f'stroke="{style.colour}" stroke-width="1"/>')


def legend_item(x: float, y: float, style: SeriesStyle, text: str) -> str:
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    return (f'<line x1="{x:.1f}" x2="{x + 26:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{style.colour}" stroke-width="2"{dash}/>'
            + _marker(x + 13, y - 4, style, 3.5, False)
            + f'<text x="{x + 32:.1f}" y="{y:.1f}" font-size="12">{escape(text)}</text>')


def swatch(x: float, y: float, fill: str, text: str, *, opacity: float = 1.0) -> str:
    return (f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" fill="{fill}" '
            f'fill-opacity="{opacity:.2f}" stroke="{INK}" stroke-width="0.6"/>'
            f'<text x="{x + 19:.1f}" y="{y:.1f}" font-size="12">{escape(text)}</text>')


def svg_document(chart_id: str, width: int, height: int, title: str, desc: str,
                 body: Iterable[str], defs: str = "") -> str:
    """The ``<svg>`` element: ``role="img"`` named by its title and described by ``desc``."""
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart" id="{cid}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{FONT}" fill="{INK}">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
        + (f"<defs>{defs}</defs>" if defs else "")
        + "".join(body) + "</svg>"
    )


def _tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.2f}".rstrip("0").rstrip(".")
