"""Beat detection under added noise: :func:`hrv.detect.ecg.detect_ecg` and NeuroKit2.

The first 10 minutes of the 22 non-paced MIT-BIH records (MLII) with seeded noise added
at a signal-to-noise ratio of 12, 6 and 0 dB (noise RMS = the record's RMS / 10^(SNR/20)):
the three kinds the MIT-BIH Noise Stress Test Database records, made synthetically,
summed with equal power:

* baseline wander: three sinusoids at 0.15, 0.3 and 0.45 Hz, random phases and weights;
* electrode motion: 20 bursts of 1-4 s, each a random walk scaled to its length;
* muscle artefact: white noise band-passed 20-100 Hz (2nd-order Butterworth).

EC57 scoring (150 ms, one-to-one) against the cardiologists' annotations, ventricular
flutter excluded as in ``benchmarks/ecg_accuracy.py``. Every beat the detector reports
is scored (it leaves out only flat, clipped or missing stretches, which this noise does
not make; the analysis's quality grading of noisy windows is not applied). Nothing is
tuned here; every record is reported.

RMSSD under muscle noise: the same 10 minutes of the 13 records with under 5 % ectopic
beats, with muscle artefact alone (the noise that moves R-peak apexes) at 12 and 6 dB.
*Timing*: RMSSD on the annotated normal beats (as ``benchmarks/ecg_hrv.py``'s marked
reference), each timed by the detector on the noisy record: only the timing is judged
(*apex alone*: the same without the detector's template matching).
*Analysis*: RMSSD of ``hrv.analyze`` on the noisy record (detection, classification,
correction), against the same reference, and the share of its beats left out of NN as
not normal beside the share the annotations label not N, L or R. NeuroKit2 as in
``benchmarks/ecg_hrv.py`` (``ecg_clean`` + ``ecg_peaks`` + Kubios correction). The
thresholds of the R-peak timing were chosen on the even-numbered records; the odd ones are
held back.

Data: MIT-BIH Arrhythmia Database (Moody & Mark 2001), PhysioNet (Goldberger et al. 2000).

Run: ``.venv/bin/python -m benchmarks.ecg_noise`` (writes
``benchmarks/results/ecg_noise.md``; about two minutes).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks._data import MITDB_NONPACED, EcgRecord, load_mitdb
from benchmarks._provenance import header
from benchmarks.ecg_accuracy import nk_detect
from benchmarks.ecg_hrv import (
    MAX_ECTOPIC_PCT,
    NORMAL_CODES,
    _nk_rmssd_ms,
    marks_s,
    reference_rmssd_ms,
)
from hrv.detect.ecg import detect_ecg
from hrv.evaluation import match_beats

RESULTS = Path(__file__).resolve().parent / "results" / "ecg_noise.md"
SNR_DB = (12, 6, 0)
MUSCLE_SNR_DB = (12, 6)
MUSCLE_SEED = 20261208
SECONDS = 600.0
SEED = 20261203


def baseline_wander(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / fs
    return np.asarray(sum(rng.uniform(0.5, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
                          for f in (0.15, 0.3, 0.45)), dtype=np.float64)


def electrode_motion(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n)
    for start in rng.integers(0, n - int(5 * fs), 20):
        length = int(rng.uniform(1.0, 4.0) * fs)
        walk = np.cumsum(rng.normal(0.0, 1.0, length)) / np.sqrt(length)
        x[start:start + length] += walk * rng.uniform(1.0, 3.0)
    return x


def muscle(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    from scipy import signal

    sos = signal.butter(2, [20.0, min(100.0, 0.45 * fs)], "bandpass", fs=fs, output="sos")
    return np.asarray(signal.sosfilt(sos, rng.normal(0.0, 1.0, n)), dtype=np.float64)


def noisy(rec: EcgRecord, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """The record with the three noises, each of unit power, summed and scaled to ``snr_db``."""
    x = rec.samples.astype(np.float64)
    parts = [g(x.size, rec.fs_hz, rng) for g in (baseline_wander, electrode_motion, muscle)]
    noise = sum(p / np.std(p) for p in parts)
    return np.asarray(x + noise / np.std(noise) * np.std(x) / 10 ** (snr_db / 20))


def _inside(t: np.ndarray, windows: tuple[tuple[float, float], ...]) -> np.ndarray:
    hit = np.zeros(t.size, dtype=bool)
    for a, b in windows:
        hit |= (t >= a) & (t <= b)
    return hit


@contextlib.contextmanager
def apex_only() -> Iterator[None]:
    """``detect_ecg`` without its template matching: each beat keeps its refined apex
    (the fiducial before the matching), to show what the matching changes."""
    from hrv.detect import _ecg_beats

    kept = _ecg_beats._aligned
    _ecg_beats._aligned = lambda x, pos, half, lag, mains: pos  # type: ignore[assignment]
    try:
        yield
    finally:
        _ecg_beats._aligned = kept  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)
class RmssdRow:
    record: str
    snr_db: float | None  # None: the record as it is
    reference_ms: float
    timing_ms: float
    apex_timing_ms: float  # the same with the apex alone (no template matching)
    analysis_ms: float
    neurokit_ms: float
    flagged_pct: float  # beats the analysis leaves out of NN as not normal
    annotated_pct: float  # beats the annotations label not N, L or R


def _timed(times: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The detected time of each reference beat (nearest within 50 ms), else the
    annotation (so an undetected beat neither adds nor removes a difference)."""
    j = np.clip(np.searchsorted(times, ref), 1, max(1, times.size - 1))
    near = np.where(np.abs(times[j] - ref) < np.abs(times[j - 1] - ref), j, j - 1)
    found = times[near]
    return np.where(np.abs(found - ref) < 0.05, found, ref)


def rmssd_rows(neurokit: bool = True) -> list[RmssdRow]:
    """RMSSD of the low-ectopy records' first 10 minutes, clean and with muscle noise."""
    from hrv.analysis import analyze

    rows: list[RmssdRow] = []
    for name in MITDB_NONPACED:
        full = load_mitdb(name)
        normal_all = np.isin(full.beat_symbols, list(NORMAL_CODES))
        if 100.0 * float(np.mean(~normal_all)) >= MAX_ECTOPIC_PCT:
            continue
        n = int(SECONDS * full.fs_hz)
        x = full.samples[:n]
        inside = full.beat_times_s < n / full.fs_hz
        ref_t, normal = full.beat_times_s[inside], normal_all[inside]
        marks = marks_s(name)
        ref = reference_rmssd_ms(ref_t, normal, marks)
        rng = np.random.default_rng([MUSCLE_SEED, int(name)])
        e = muscle(n, full.fs_hz, rng)
        for snr in (None, *MUSCLE_SNR_DB):
            y = x if snr is None else x + e / np.std(e) * np.std(x) / 10 ** (snr / 20)
            timing = reference_rmssd_ms(_timed(detect_ecg(y, full.fs_hz).times_s, ref_t),
                                        normal, marks)
            with apex_only():
                apex = reference_rmssd_ms(_timed(detect_ecg(y, full.fs_hz).times_s, ref_t),
                                          normal, marks)
            res = analyze(y, full.fs_hz, "ecg")
            ours = res.metrics.rmssd_ms if res.metrics is not None else np.nan
            nk = (_nk_rmssd_ms(dataclasses.replace(full, samples=y)) if neurokit
                  else np.nan)
            flagged = 100.0 * float(np.mean(~np.asarray(res.beats.normal)))
            rows.append(RmssdRow(name, snr, ref, timing, apex, float(ours or np.nan), nk,
                                 flagged, 100.0 * float(np.mean(~normal))))
    return rows


def _rmssd_lines(rows: list[RmssdRow]) -> list[str]:
    def err(v: float, r: float) -> float:
        return 100.0 * (v - r) / r

    def label(snr: float | None) -> str:
        return "clean" if snr is None else f"{snr:g} dB"

    lines = ["", "## RMSSD under muscle noise (13 low-ectopy records, 10 min each)", "",
             "Largest and median |error| against the marked annotation reference, and how "
             "many records are within 5 %.", "",
             "| noise | half | records | timing: largest / median |error| | apex alone: "
             "largest / median |error| | analysis: largest / median |error| | analysis "
             "within 5 % | beats flagged beyond the annotated: mean / largest | NeuroKit2: "
             "largest / median |error| | NeuroKit2 within 5 % |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    halves = (("tuning (even)", 0), ("held back (odd)", 1), ("all", None))
    for snr in (None, *MUSCLE_SNR_DB):
        for hname, parity in halves:
            sel = [r for r in rows if r.snr_db == snr
                   and (parity is None or int(r.record) % 2 == parity)]
            t = np.abs([err(r.timing_ms, r.reference_ms) for r in sel])
            p = np.abs([err(r.apex_timing_ms, r.reference_ms) for r in sel])
            a = np.abs([err(r.analysis_ms, r.reference_ms) for r in sel])
            k = np.abs([err(r.neurokit_ms, r.reference_ms) for r in sel])
            nk = (f"{np.nanmax(k):.1f} / {np.nanmedian(k):.1f} % | "
                  f"{int(np.sum(k <= 5.0))}/{len(sel)}" if np.isfinite(k).any()
                  else "n/a | n/a")
            extra = np.array([r.flagged_pct - r.annotated_pct for r in sel])
            lines.append(f"| {label(snr)} | {hname} | {len(sel)} | {np.max(t):.1f} / "
                         f"{np.median(t):.1f} % | {np.max(p):.1f} / {np.median(p):.1f} % | "
                         f"{np.nanmax(a):.1f} / {np.nanmedian(a):.1f} % "
                         f"| {int(np.sum(a <= 5.0))}/{len(sel)} | {extra.mean():+.1f} / "
                         f"{extra.max():+.1f} points | {nk} |")
    by = {snr: [r for r in rows if r.snr_db == snr] for snr in (None, *MUSCLE_SNR_DB)}

    def within(sel: list[RmssdRow], attr: str) -> str:
        e = np.abs([err(getattr(r, attr), r.reference_ms) for r in sel])
        return f"{int(np.sum(e <= 5.0))}/{len(sel)}" if np.isfinite(e).any() else "n/a"

    worst = {snr: float(np.max(np.abs([err(r.timing_ms, r.reference_ms) for r in sel])))
             for snr, sel in by.items()}
    worst_apex = {snr: float(np.max(np.abs([err(r.apex_timing_ms, r.reference_ms)
                                            for r in sel]))) for snr, sel in by.items()}
    lo = MUSCLE_SNR_DB[-1]
    analysis = ", ".join(f"{within(sel, 'analysis_ms')} {label(snr)}" for snr, sel in by.items())
    nk = ", ".join(f"{within(sel, 'neurokit_ms')} {label(snr)}" for snr, sel in by.items())
    lines += ["", f"<!-- readme-row: | RMSSD with muscle noise added (clean, "
                  f"{', '.join(f'{s:g}' for s in MUSCLE_SNR_DB)} dB), MIT-BIH 13 low-ectopy "
                  f"records, first 10 min | R-peak timing on the annotated beats: worst "
                  f"{worst[None]:.1f} % clean, {worst[lo]:.1f} % at {lo:g} dB (apex alone "
                  f"{worst_apex[None]:.1f} / {worst_apex[lo]:.1f} %); whole "
                  f"analysis within 5 %: {analysis} | within 5 %: {nk} | -->"]
    lines += ["", "Per record (error %, timing / apex alone / analysis / NeuroKit2):", "",
              "| record | reference ms | " + " | ".join(label(s) for s in (None, *MUSCLE_SNR_DB))
              + " |", "|---|---|" + "---|" * (1 + len(MUSCLE_SNR_DB))]
    for name in dict.fromkeys(r.record for r in rows):
        sel = [r for r in rows if r.record == name]
        cells = [f"{err(r.timing_ms, r.reference_ms):+.1f} / "
                 f"{err(r.apex_timing_ms, r.reference_ms):+.1f} / "
                 f"{err(r.analysis_ms, r.reference_ms):+.1f} / "
                 f"{err(r.neurokit_ms, r.reference_ms):+.1f}" for r in sel]
        lines.append(f"| {name} | {sel[0].reference_ms:.1f} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-neurokit", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    rows: list[tuple[str, int, tuple[int, int, int], tuple[int, int, int]]] = []
    for name in MITDB_NONPACED:
        full = load_mitdb(name)
        n = int(SECONDS * full.fs_hz)
        rec = dataclasses.replace(full, samples=full.samples[:n])
        ref = full.beat_times_s[full.beat_times_s < n / full.fs_hz]
        ref = ref[~_inside(ref, full.vf_episodes_s)]
        for snr in SNR_DB:
            y = noisy(rec, snr, rng)
            det = detect_ecg(y, rec.fs_hz)
            ours = det.times_s[~_inside(det.times_s, full.vf_episodes_s)]
            m = match_beats(ref, ours)
            if args.no_neurokit:
                k = m
            else:
                nk_t = nk_detect(dataclasses.replace(rec, samples=y))
                k = match_beats(ref, nk_t[~_inside(nk_t, full.vf_episodes_s)])
            rows.append((name, snr, (m.tp, m.fp, m.fn), (k.tp, k.fp, k.fn)))
    write(rows, rmssd_rows(neurokit=not args.no_neurokit))


def _f1(tp: int, fp: int, fn: int) -> float:
    return 200.0 * tp / (2 * tp + fp + fn) if tp else 0.0


def write(rows: list[tuple[str, int, tuple[int, int, int], tuple[int, int, int]]],
          rmssd: list[RmssdRow]) -> None:
    lines = ["# ECG beat detection under added noise", "", header(),
             "\n\n".join(__doc__.split("\n\n")[1:5]),
             "", "## Aggregate (22 records, 10 min each)", "",
             "| SNR | hrv F1 % | hrv FP | hrv FN | NeuroKit2 F1 % | NeuroKit2 FP | NeuroKit2 FN |"
             " records where hrv's F1 is below NeuroKit2's |",
             "|---|---|---|---|---|---|---|---|"]
    summary: dict[int, tuple[float, float]] = {}
    for snr in SNR_DB:
        sel = [r for r in rows if r[1] == snr]
        ours = np.sum([r[2] for r in sel], axis=0)
        nk = np.sum([r[3] for r in sel], axis=0)
        worse = [r[0] for r in sel if _f1(*r[2]) < _f1(*r[3])]
        summary[snr] = (_f1(*ours), _f1(*nk))
        lines.append(f"| {snr} dB | {_f1(*ours):.2f} | {ours[1]} | {ours[2]} | {_f1(*nk):.2f} | "
                     f"{nk[1]} | {nk[2]} | {', '.join(worse) or 'none'} |")
    lines += ["", "## Per record (F1 %, hrv / NeuroKit2)", "",
              "| record | " + " | ".join(f"{s} dB" for s in SNR_DB) + " |",
              "|---|" + "---|" * len(SNR_DB)]
    for name in MITDB_NONPACED:
        cells = [f"{_f1(*r[2]):.2f} / {_f1(*r[3]):.2f}" for r in rows if r[0] == name]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lo, hi = SNR_DB[-1], SNR_DB[0]
    lines += ["", f"<!-- readme-row: | ECG beats with added noise (baseline wander, electrode "
                  f"motion, muscle), MIT-BIH 22 records, {hi} to {lo} dB SNR | F1 "
                  f"{summary[hi][0]:.2f} % at {hi} dB, {summary[lo][0]:.2f} % at {lo} dB | "
                  f"F1 {summary[hi][1]:.2f} % / {summary[lo][1]:.2f} % | -->"]
    lines += [*_rmssd_lines(rmssd), ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
