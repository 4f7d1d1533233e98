"""RMSSD after artefact correction against the annotated NN reference on MIT-BIH records.

For each record of ``shared/data/mitdb``, the reference beat annotations (``.atr``, read
with ``wfdb.rdann``) give:

* the NN reference: intervals between consecutive *normal* beats (codes N, L and R:
  normal sinus beats and left/right bundle-branch-block beats, which are conducted
  sinus beats with a wide QRS), successive differences only between adjacent NN
  intervals;
* our estimate: the intervals between ALL annotated beats (ectopic ones included), in
  ms, through the public :func:`hrv.analyze_intervals` with the default configuration
  (Lipponen-Tarvainen correction with this project's documented departures); RMSSD is
  ``metrics.rmssd_ms`` of the result.

NeuroKit2's ``signal_fixpeaks(method="kubios")`` (the same Lipponen-Tarvainen method) is run
on the same beats for comparison, with RMSSD over its corrected intervals and the time
ratio of the two corrections.

Data: MIT-BIH Arrhythmia Database (Moody & Mark, IEEE Eng Med Biol 20(3):45-50, 2001;
Goldberger et al., Circulation 101:e215, 2000), ODC-By 1.0.

Run ``python -m benchmarks.mitdb_rmssd``; writes ``benchmarks/results/mitdb_rmssd.md``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

import hrv
from benchmarks._data import BEAT_CODES, DATA_DIR
from benchmarks._provenance import header
from hrv.config import IntervalConfig, IntervalUnit
from hrv.errors import InsufficientDataError
from hrv.intervals import correct, prepare_beat_times, prepare_rr
from hrv.types import Intervals

__all__ = ["NORMAL_CODES", "RecordResult", "available_records", "evaluate_record", "main"]

NORMAL_CODES = frozenset("NLR")
#: Non-beat annotations that make the interval around them no sinus-to-sinus interval:
#: ``x`` non-conducted P wave (blocked premature atrial beat: the pause is caused by an
#: ectopic event), ``|`` isolated QRS-like artefact and ``~`` signal-quality change (a
#: beat may be hidden in the noise, e.g. a 1.9 s "interval" in record 101).
MARK_CODES = frozenset("x|~")
#: The acceptance rule applies to records with fewer ectopic (non-N/L/R) beats than this.
MAX_ECTOPIC_PCT = 5.0
#: Allowed relative RMSSD error on those records.
MAX_ERROR_PCT = 10.0
RESULTS = Path(__file__).resolve().parent / "results" / "mitdb_rmssd.md"


@dataclasses.dataclass(frozen=True)
class RecordResult:
    record: str
    beats: int
    ectopic_pct: float
    reference_rmssd_ms: float
    plain_reference_rmssd_ms: float
    ours_rmssd_ms: float
    corrected_pct: float
    dropped: int
    analysis_time_ms: float
    correct_time_ms: float

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.ours_rmssd_ms / self.reference_rmssd_ms - 1.0)


def rmssd_ms(iv: Intervals) -> float:
    d = iv.successive_diffs_ms
    return float(np.sqrt(np.mean(d**2)))


@dataclasses.dataclass(frozen=True, eq=False)
class RecordBeats:
    """Annotated beats of one record.

    ``marked[i]`` is ``True`` when the interval from beat ``i`` to ``i + 1`` contains a
    non-beat annotation that rules it out as a sinus-to-sinus interval (``MARK_CODES``).
    """

    times_s: np.ndarray
    normal: np.ndarray
    marked: np.ndarray


def load_beats(record: str) -> RecordBeats:
    """Beat times in seconds, whether each beat is normal (N, L, R), marked intervals."""
    import wfdb

    ann = wfdb.rdann(str(DATA_DIR / "mitdb" / record), "atr")
    symbols = np.asarray(ann.symbol)
    is_beat = np.isin(symbols, list(BEAT_CODES))
    fs = float(ann.fs) if ann.fs else 360.0
    samples = np.asarray(ann.sample, dtype=np.float64)
    times = samples[is_beat] / fs
    normal = np.isin(symbols[is_beat], list(NORMAL_CODES))
    marks = samples[np.isin(symbols, list(MARK_CODES))] / fs
    # Interval i spans (times[i], times[i + 1]]: count the marks up to each beat.
    upto = np.searchsorted(marks, times, side="right")
    return RecordBeats(times, normal, np.diff(upto) > 0)


def available_records() -> list[str]:
    folder = DATA_DIR / "mitdb"
    return sorted(p.stem for p in folder.glob("*.atr")) if folder.exists() else []


def evaluate_record(record: str) -> RecordResult | None:
    """``None`` when the record has too few normal beats for a reference (paced)."""
    beats = load_beats(record)
    times, normal = beats.times_s, beats.normal
    try:
        reference = prepare_beat_times(times, normal=normal, gap_flags=beats.marked).intervals
        plain = prepare_beat_times(times, normal=normal).intervals
    except InsufficientDataError:
        return None
    rr_ms = np.diff(times) * 1000.0
    t0 = time.perf_counter()
    analysis = hrv.analyze_intervals(rr_ms, unit="ms")
    elapsed = (time.perf_counter() - t0) * 1000.0
    # The correction alone, on the same intervals, for the side-by-side with NeuroKit2.
    prepared = prepare_rr(rr_ms, config=IntervalConfig(unit=IntervalUnit.MS)).intervals
    runs = []
    for _ in range(3):  # best of 3: the machine is shared
        t0 = time.perf_counter()
        correct(prepared)
        runs.append(time.perf_counter() - t0)
    correct_ms = min(runs) * 1000.0
    rmssd = analysis.metrics.rmssd_ms
    if rmssd is None:  # pragma: no cover - 30 min records always have successive diffs
        return None
    return RecordResult(
        record=record,
        beats=len(times),
        ectopic_pct=100.0 * float(np.mean(~normal)),
        reference_rmssd_ms=rmssd_ms(reference),
        plain_reference_rmssd_ms=rmssd_ms(plain),
        ours_rmssd_ms=rmssd,
        corrected_pct=analysis.quality.corrected_pct,
        dropped=int(analysis.quality.artifacts.get("dropped", 0)),
        analysis_time_ms=elapsed,
        correct_time_ms=correct_ms,
    )


def _neurokit_rmssd(record: str) -> tuple[float, float]:
    """RMSSD (ms) after NeuroKit2's Kubios-method correction, and its time in ms."""
    import neurokit2 as nk

    times = load_beats(record).times_s
    peaks = np.rint(times * 1000.0).astype(np.int64)
    t0 = time.perf_counter()
    _, fixed = nk.signal_fixpeaks(peaks, sampling_rate=1000, method="kubios", iterative=True)
    elapsed = (time.perf_counter() - t0) * 1000.0
    rr = np.diff(np.asarray(fixed, dtype=np.float64))
    return float(np.sqrt(np.mean(np.diff(rr) ** 2))), elapsed


def long_recording_timing() -> list[str]:
    """Time of ``correct`` on a 24 h beat series (nsr2db/nsr001), NeuroKit2 beside it."""
    import neurokit2 as nk
    import wfdb

    path = DATA_DIR / "nsr2db" / "nsr001"
    if not path.with_suffix(".ecg").exists():
        return ["(nsr2db/nsr001 not found: 24 h timing skipped)"]
    ann = wfdb.rdann(str(path), "ecg")
    keep = np.isin(np.asarray(ann.symbol), list(BEAT_CODES))
    times = np.asarray(ann.sample, dtype=np.float64)[keep] / float(ann.fs or 128.0)
    iv = prepare_beat_times(times).intervals
    ours = []
    for _ in range(7):
        t0 = time.perf_counter()
        c = correct(iv)
        ours.append(time.perf_counter() - t0)
    peaks = np.rint(times * 1000.0).astype(np.int64)
    t0 = time.perf_counter()
    nk.signal_fixpeaks(peaks, sampling_rate=1000, method="kubios", iterative=False)
    nk_s = time.perf_counter() - t0
    best = min(ours)
    return [
        f"24 h timing (nsr2db/nsr001, {len(iv)} intervals, {c.corrected_pct:.2f}% corrected): "
        f"`correct` best of 7 {best * 1000:.0f} ms (median {np.median(ours) * 1000:.0f} ms); "
        f"NeuroKit2 `signal_fixpeaks(method='kubios', iterative=False)` {nk_s * 1000:.0f} ms; "
        f"ratio {nk_s / best:.0f}x. Shared 2-core machine under load from other jobs.",
    ]


def _readme_row(low: list[RecordResult], nk_within: int) -> str:
    halves = []
    for name, odd in (("tuning half", 0), ("held-back half", 1)):
        sub = [r for r in low if int(r.record) % 2 == odd]
        if sub:
            n_ok = sum(abs(r.error_pct) <= MAX_ERROR_PCT for r in sub)
            worst = max(abs(r.error_pct) for r in sub)
            halves.append(f"{name} {n_ok}/{len(sub)}, worst {worst:.1f} %")
    within = sum(abs(r.error_pct) <= MAX_ERROR_PCT for r in low)
    return (
        "<!-- readme-row: | RMSSD from all annotated beats after artefact correction, same "
        f"records | {within}/{len(low)} within {MAX_ERROR_PCT:g} % ({'; '.join(halves)}) | "
        f"{nk_within}/{len(low)} | -->"
    )


def main() -> None:
    results = {r: evaluate_record(r) for r in available_records()}
    rows = [r for r in results.values() if r is not None]
    skipped = [name for name, r in results.items() if r is None]
    nk = {r.record: _neurokit_rmssd(r.record) for r in rows}
    lines = [
        "# RMSSD after artefact correction vs the annotated NN reference (MIT-BIH)",
        "",
        header(),
        "Split: the interval-classification thresholds are judged on the records with "
        "even numbers (tuning half) and reported on those with odd numbers; the summary "
        "gives both halves.",
        "",
        "Reference: intervals between consecutive normal beats (N, L, R), leaving out "
        "intervals that contain an `x` (non-conducted P wave), `|` (isolated QRS-like "
        "artefact) or `~` (noise) annotation; the plain reference without that rule is "
        "shown too. Ours: the intervals between all annotated beats (ectopic ones "
        "included), in ms, through the public `hrv.analyze_intervals` with the default "
        "configuration (Lipponen & Tarvainen 2019 with the documented departures: "
        "ectopic runs dropped as gaps, genuine pauses kept, missed beats only near a "
        "multiple of the rhythm); RMSSD is `metrics.rmssd_ms`. NeuroKit2: "
        "`signal_fixpeaks(method='kubios', iterative=True)` on the same beats (peaks "
        "rounded to 1 ms), RMSSD over all its corrected intervals. Ectopic % = share of "
        "beats not N/L/R; dropped = intervals removed as runs (gaps). Records marked * have "
        f"< {MAX_ECTOPIC_PCT:g}% ectopic beats: there the error must stay within "
        f"{MAX_ERROR_PCT:g}% (asserted in `tests/hrv/test_artifacts.py`).",
        "",
        "Times: `analyze_intervals` is the whole analysis (preparation, correction, time, "
        "frequency and Poincaré metrics); `correct` is the correction alone, the part "
        "comparable with `signal_fixpeaks` (best of 3; NeuroKit2 and `analyze_intervals` "
        "run once); the ratio is NeuroKit2 / `correct`. Shared 2-core machine under load.",
        "",
        "Data: MIT-BIH Arrhythmia Database (Moody & Mark 2001; Goldberger et al. 2000), "
        "ODC-By 1.0.",
        "",
        "| record | beats | ectopic % | reference RMSSD (ms) | plain ref (ms) | ours (ms) "
        "| error % | corrected % | dropped | NeuroKit2 (ms) | NK2 error % "
        "| analyze_intervals (ms) | correct (ms) | NK2 fixpeaks (ms) | NK2 / correct |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        nk_rmssd, nk_ms = nk[r.record]
        nk_err = 100.0 * (nk_rmssd / r.reference_rmssd_ms - 1.0)
        mark = "*" if r.ectopic_pct < MAX_ECTOPIC_PCT else ""
        lines.append(
            f"| {r.record}{mark} | {r.beats} | {r.ectopic_pct:.2f} | "
            f"{r.reference_rmssd_ms:.1f} | {r.plain_reference_rmssd_ms:.1f} | "
            f"{r.ours_rmssd_ms:.1f} | {r.error_pct:+.1f} | "
            f"{r.corrected_pct:.2f} | {r.dropped} | {nk_rmssd:.1f} | {nk_err:+.1f} | "
            f"{r.analysis_time_ms:.1f} | {r.correct_time_ms:.2f} | {nk_ms:.1f} | "
            f"{nk_ms / r.correct_time_ms:.0f}x |"
        )
    low = [r for r in rows if r.ectopic_pct < MAX_ECTOPIC_PCT]
    errs = np.array([abs(r.error_pct) for r in low])
    nk_errs = np.array(
        [abs(100.0 * (nk[r.record][0] / r.reference_rmssd_ms - 1.0)) for r in low]
    )
    within = int(np.count_nonzero(errs <= MAX_ERROR_PCT))
    nk_within = int(np.count_nonzero(nk_errs <= MAX_ERROR_PCT))
    lines += [
        "",
        f"Records with < {MAX_ECTOPIC_PCT:g}% ectopic beats: {len(low)}. Ours: "
        f"{within}/{len(low)} within {MAX_ERROR_PCT:g}%, largest |error| "
        f"{errs.max():.1f}%, mean |error| {errs.mean():.1f}%. NeuroKit2: {nk_within}/"
        f"{len(low)} within {MAX_ERROR_PCT:g}%, largest |error| {nk_errs.max():.1f}%, "
        f"mean |error| {nk_errs.mean():.1f}%.",
        "",
        *[
            f"- {half}: {sum(abs(r.error_pct) <= MAX_ERROR_PCT for r in sub)}/{len(sub)} "
            f"within {MAX_ERROR_PCT:g}%, largest |error| "
            f"{max(abs(r.error_pct) for r in sub):.1f}% "
            f"({', '.join(r.record for r in sub)})."
            for half, sub in (
                ("tuning half (even numbers)", [r for r in low if int(r.record) % 2 == 0]),
                ("reported half (odd numbers)", [r for r in low if int(r.record) % 2 == 1]),
            )
            if sub
        ],
        "",
        _readme_row(low, nk_within),
        "",
        f"Skipped (no two consecutive normal beats: paced rhythm): {', '.join(skipped)}.",
        "",
        *long_recording_timing(),
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
