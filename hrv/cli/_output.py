"""What the ``hrv`` command prints: the progress bar, summaries, the shift report, JSON."""

from __future__ import annotations

import json
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hrv.shift import SessionShift
    from hrv.types import Analysis

#: Markers shown by ``hrv analyze`` (the rest are in --json), in display order.
SUMMARY = (
    "mean_hr_bpm", "mean_nn_ms", "sdnn_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct",
    "nn50_count", "cvnn_pct", "hrv_triangular_index", "tinn_ms", "lf_power_ms2",
    "hf_power_ms2", "lf_hf_ratio", "sd1_ms", "sd2_ms", "dfa_alpha1", "dfa_alpha2",
    "sample_entropy",
)


class Progress:
    """A progress bar on stderr, redrawn in place; silent when not wanted."""

    def __init__(self, total: int, stream: IO[str], enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 0
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, failed: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = int(width * done / self.total)
        elapsed = now - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r[{bar}] {done}/{self.total} {rate:5.1f}/s eta {eta:4.0f}s failed {failed}"
        )
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def fmt(value: float | None) -> str:
    """Four significant digits; thousands separated; ``-`` for not computable."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def summary(name: str, a: Analysis) -> str:
    from hrv.types import METRIC_UNITS

    q = a.quality
    lines = [
        f"{name}",
        f"  {a.kind.value.upper()} {a.label}, {a.duration_s:.0f} s, quality {q.grade.value}"
        f" ({q.beats} beats, {q.corrected_pct:.1f}% corrected)",
    ]
    m = a.metrics.to_dict()
    for key in SUMMARY:
        unit = METRIC_UNITS[key]
        unit = "" if unit == "1" else f" {unit}"
        lines.append(f"  {key:<22}{fmt(m.get(key)):>12}{unit}")
    r = a.respiration
    rate = "unknown" if r.rate_bpm is None else f"{r.rate_bpm:.1f} breaths/min"
    lines.append(f"  breathing             {rate} (source {r.source})")
    for w in q.warnings:
        lines.append(f"  ! {w.code}: {w.message}")
    return "\n".join(lines)


def shift_report(pre: str, post: str, s: SessionShift) -> str:
    v = s.verdict
    conf = "" if v.confidence is None else f", confidence {v.confidence:.2f}"
    if v.confidence_label is not None:
        conf += f" ({v.confidence_label.value})"
    lines = [f"{pre} -> {post}", f"  verdict: {v.direction.value}{conf}", f"  {v.summary}"]
    lines.append(f"  {'marker':<22}{'pre':>12}{'post':>12}{'change':>10}  meaningful")
    for marker, ch in s.changes.items():
        pct = "-" if ch.pct_change is None else f"{ch.pct_change:+.1f}%"
        mean = {True: "yes", False: "no", None: "-"}[ch.meaningful]
        lines.append(f"  {marker:<22}{fmt(ch.pre):>12}{fmt(ch.post):>12}{pct:>10}  {mean}")
    for c in v.caveats:
        lines.append(f"  ! {c.code}: {c.message}")
    if v.next_time:
        lines.append(f"  next time: {v.next_time}")
    return "\n".join(lines)


def json_out(data: Any, stream: IO[str]) -> None:
    json.dump(data, stream, indent=2, allow_nan=False)
    stream.write("\n")
