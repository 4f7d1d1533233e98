"""PPG pulse detection accuracy and speed, side by side with NeuroKit2.

Accuracy: BIDMC records 01-05 (125 Hz; Pimentel et al., IEEE TBME 64:1914, 2016) and
PhysioNet/CinC Challenge 2015 record a103l (250 Hz; Clifford et al., CinC 2015). The
reference is the R peaks detected on the simultaneous ECG lead II; each detector's pulse
train is shifted by its own best lag behind the R peaks (``hrv.evaluation.best_lag_s``:
pulse arrival time plus channel offset), then matched EC57-style within 150 ms.
Excluded (motion/clipping) stretches are removed from the reference too, and reported.

Timing steadiness: the SD of (pulse time - R time) over matched beats, per fiducial.

Speed: one hour of PPG at 64 Hz (BIDMC 01 resampled and tiled) through ``detect_ppg`` +
``assess_waveform``, against NeuroKit2's ``ppg_clean`` + ``ppg_findpeaks`` on the
identical array, in the same run.

Run: ``.venv/bin/python -m benchmarks.ppg_accuracy`` (writes
``benchmarks/results/ppg_accuracy.md`` and ``benchmarks/results/ppg_speed.md``).
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import platform
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from benchmarks._data import DATA_DIR, load_bidmc
from benchmarks._provenance import header
from hrv.config import DetectionConfig, PpgFiducial
from hrv.detect.ppg import detect_ppg
from hrv.evaluation import MatchResult, best_lag_s, match_beats
from hrv.quality import assess_waveform
from hrv.types import BeatDetection, ExcludedWindow, SignalKind

RESULTS = Path(__file__).resolve().parent / "results"
FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Reference:
    """Beat reference from the ECG: agreed normal R peaks and don't-care stretches."""

    beats_s: FloatArray  # R peaks found by both ECG detectors, classified normal
    dont_care_s: FloatArray  # R peaks found by only one detector, or ectopic
    ectopic_s: FloatArray  # R peaks the leads agree on but classify as ectopic
    ecg_bad: tuple[ExcludedWindow, ...]  # ECG stretches of unusable quality
    duration_s: float
    source: str


def reference(leads: dict[str, FloatArray], fs: float) -> Reference:
    """Majority vote of ``hrv.detect.ecg.detect_ecg`` over the record's ECG leads.

    R peaks are detected on every lead separately (BIDMC: II, V, aVR; a103l: II, V) and
    pooled; detections within 150 ms of each other form one beat.

    - A beat found on at least two leads (all leads when there are only two) is a
      reference beat, timed at the median of its leads' R times.
    - A beat found on one lead only, or classified ectopic on any lead (a premature
      ventricular beat often ejects no pulse: a pulse deficit, not a missed pulse), is
      "don't care": a pulse detection near it counts neither way.
    - Where fewer than two leads are usable by ``hrv.quality.assess_waveform`` (noise,
      flat line, clipping), nothing is scored; nor where the leads disagree for over 2 s
      (no agreed beat, only single-lead detections: artefact on a lead that the quality
      check missed).

    No property of the PPG enters the reference.
    """
    from hrv.detect.ecg import detect_ecg

    need = min(2, len(leads))
    times, lead_id, normal = [], [], []
    duration = 0.0
    grid_bad = None
    for k, x in enumerate(leads.values()):
        d = detect_ecg(x, fs)
        t = np.asarray(d.times_s)
        times.append(t)
        lead_id.append(np.full(len(t), k))
        normal.append(np.asarray(d.normal, dtype=bool))
        duration = len(x) / fs
        bad = assess_waveform(x, fs, SignalKind.ECG, beat_times_s=t).excluded_windows
        g = np.arange(0.0, duration, 0.05)
        gb = _inside(g, tuple(bad)).astype(np.int64)
        grid_bad = gb if grid_bad is None else grid_bad + gb
    t_all = np.concatenate(times)
    order = np.argsort(t_all, kind="stable")
    t_all = t_all[order]
    lid = np.concatenate(lead_id)[order]
    nrm = np.concatenate(normal)[order]
    beats: list[float] = []
    dont: list[float] = []
    ectopic: list[float] = []
    i = 0
    while i < len(t_all):  # loop per pooled detection: a few thousand, cheap
        j = i + 1
        while j < len(t_all) and t_all[j] - t_all[i] <= 0.15:
            j += 1
        n_leads = len(set(lid[i:j].tolist()))
        tm = float(np.median(t_all[i:j]))
        (beats if n_leads >= need and nrm[i:j].all() else dont).append(tm)
        if n_leads >= need and not nrm[i:j].all():
            ectopic.append(tm)
        i = j
    assert grid_bad is not None
    unscored = (len(leads) - grid_bad) < need
    g = np.arange(0.0, duration, 0.05)
    d8 = np.diff(unscored.astype(np.int8), prepend=0, append=0)
    windows = tuple(ExcludedWindow(float(g[a]), float(g[b - 1] + 0.05), "ecg_unusable")
                    for a, b in zip(np.flatnonzero(d8 == 1), np.flatnonzero(d8 == -1),
                                    strict=True))
    # Where the leads disagree for a while (no agreed beat for over 2 s while detections
    # on single leads exist) the ECG vouches for nothing: not scored. A true pause, where
    # no lead finds anything, stays scored.
    agreed = np.sort(np.asarray(beats + ectopic))
    dc = np.asarray(dont)
    extra = []
    for a_s, b_s in itertools.pairwise(agreed):  # loop per beat, cheap
        if b_s - a_s > 2.0 and np.any((dc > a_s) & (dc < b_s)):
            extra.append(ExcludedWindow(float(a_s) + 0.15, float(b_s) - 0.15, "leads_disagree"))
    windows = windows + tuple(extra)
    names = ", ".join(leads)
    return Reference(np.asarray(beats), np.asarray(dont), np.asarray(ectopic), windows, duration,
                     f"hrv.detect.ecg.detect_ecg on leads {names}, majority vote "
                     f"({need} leads must agree within 150 ms)")


def _inside(t: FloatArray, windows: tuple[ExcludedWindow, ...], shift: float = 0.0
            ) -> npt.NDArray[np.bool_]:
    out = np.zeros(len(t), dtype=bool)
    for w in windows:
        out |= (t >= w.start_s - shift) & (t < w.end_s - shift)
    return out


def record_lag(ref: Reference, peaks_s: FloatArray) -> float:
    """The record's pulse-arrival lag (s): systolic peaks behind the ECG beats.

    Searched over +-1.5 s (ICU channels can be offset by most of a second) against all
    beats the leads agree on, ectopic ones included: in a regular rhythm a lag one beat
    away matches almost as many beats, and the premature beats and pauses are what
    pins the right one. Every detector and fiducial is then aligned within +-0.35 s of
    this lag (each fiducial sits a fixed fraction of a pulse before the peak).
    """
    agreed = np.sort(np.concatenate([ref.beats_s, ref.ectopic_s]))
    return best_lag_s(agreed, peaks_s, max_lag_s=1.5)


def score(ref: Reference, det_s: FloatArray, excluded: tuple[ExcludedWindow, ...],
          base_lag: float) -> tuple[MatchResult, float, int]:
    """Match a pulse train to the reference; returns (result, lag_s, n_reference)."""
    lag = base_lag + best_lag_s(ref.beats_s, det_s - base_lag, max_lag_s=0.35)
    d = det_s - lag  # in ECG time
    lo = max(0.0, -lag) + 0.5
    hi = min(ref.duration_s, ref.duration_s - lag) - 0.5
    r = ref.beats_s
    r = r[(r >= lo) & (r <= hi) & ~_inside(r, excluded, lag) & ~_inside(r, ref.ecg_bad)]
    keep = (d >= lo - 0.15) & (d <= hi + 0.15) & ~_inside(d, ref.ecg_bad)
    if len(ref.dont_care_s):
        j = np.clip(np.searchsorted(ref.dont_care_s, d), 1, len(ref.dont_care_s) - 1)
        near = np.minimum(np.abs(d - ref.dont_care_s[j - 1]), np.abs(d - ref.dont_care_s[j]))
        if len(ref.dont_care_s) == 1:
            near = np.abs(d - ref.dont_care_s[0])
        keep &= near > 0.15
    return match_beats(r, d[keep]), lag, len(r)


@dataclasses.dataclass(frozen=True, eq=False)
class Record:
    """One record: ECG lead II, optional second ECG lead, PPG, sampling rate (Hz)."""

    name: str
    leads: dict[str, FloatArray]
    ppg: FloatArray
    fs: float


def load_a103l() -> Record:
    import wfdb

    rec = wfdb.rdrecord(str(DATA_DIR / "challenge2015" / "a103l"))
    names = list(rec.sig_name)
    sig = np.asarray(rec.p_signal, dtype=np.float64)
    leads = {k: sig[:, names.index(k)] for k in ("II", "V")}
    return Record("a103l", leads, sig[:, names.index("PLETH")], float(rec.fs))


def load_bidmc_leads(i: int) -> Record:
    """BIDMC record with all three ECG leads (II, V, aVR), read by column name."""
    path = DATA_DIR / "bidmc" / f"bidmc_{i:02d}_Signals.csv.gz"
    with gzip.open(path, "rt") as fh:
        header = [h.strip() for h in fh.readline().split(",")]
        data = np.loadtxt(fh, delimiter=",", ndmin=2)
    col = {h: j for j, h in enumerate(header)}
    fs = 125.0  # BIDMC rate (Pimentel et al. 2016); the time column is rounded to 10 ms
    leads = {k: data[:, col[k]] for k in ("II", "V", "AVR")}
    return Record(f"bidmc_{i:02d}", leads, data[:, col["PLETH"]], fs)


def records() -> list[Record]:
    out = []
    for i in range(1, 6):
        out.append(load_bidmc_leads(i))
    out.append(load_a103l())
    return out


def _nk_peaks(ppg: FloatArray, fs: float) -> FloatArray:
    import neurokit2 as nk

    clean = nk.ppg_clean(ppg, sampling_rate=int(fs))
    info = nk.ppg_findpeaks(clean, sampling_rate=int(fs))
    return np.asarray(info["PPG_Peaks"]) / fs


def _row(name: str, det: str, m: MatchResult, n_ref: int, lag: float, excl: float) -> str:
    return (f"| {name} | {det} | {n_ref} | {m.tp} | {m.fp} | {m.fn} | "
            f"{100 * m.sensitivity:.2f} | {100 * m.ppv:.2f} | {100 * m.f1:.2f} | "
            f"{lag:.3f} | {np.std(m.timing_errors_s) * 1000:.1f} | {excl:.1f} |")


def accuracy() -> str:
    lines = [
        "# PPG pulse detection accuracy",
        "",
        header(),
        "Split: the pulse-confidence thresholds (`hrv.detect.ppg`: template correlation, "
        "amplitude variation, fiducial jitter) were tuned on BIDMC 01, 03 and 05; BIDMC 02, "
        "04 and CinC 2015 a103l are the reported half.",
        "",
        "Reference (`reference()`): R peaks from `hrv.detect.ecg.detect_ecg` on every "
        "ECG lead of the record (BIDMC: II, V, aVR; a103l: II, V), majority vote within "
        "150 ms. Beats found on one lead only, or classified ectopic, are don't-care; "
        "stretches where fewer than two leads pass `assess_waveform`, or where the leads "
        "disagree for over 2 s, are not scored. Nothing from the PPG enters the "
        "reference. One pulse-arrival lag per record (`record_lag`: agreed beats incl. "
        "ectopic vs systolic peaks, +-1.5 s); each detector/fiducial is aligned within "
        "+-0.35 s of it and matched EC57-style within 150 ms. Stretches our detector "
        "excluded as motion/clipping are removed from the reference for our rows "
        "(`excl s`); NeuroKit2 excludes nothing. `PAT SD` is the SD of the pulse-minus-R "
        "delay over matched beats.",
        "",
        "| record | detector | ref beats | TP | FP | FN | Se % | PPV % | F1 % | lag s | "
        "PAT SD ms | excl s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[int]] = {}
    kept_rows: list[str] = []
    prv_rows: list[Prv] = []
    sd_by_fid: dict[str, list[float]] = {f.value: [] for f in PpgFiducial}
    names: list[str] = []
    source = ""
    for rec in records():
        name, ppg, fs = rec.name, rec.ppg, rec.fs
        names.append(name)
        ref = reference(rec.leads, fs)
        base = record_lag(ref, detect_ppg(ppg, fs, DetectionConfig(
            ppg_fiducial=PpgFiducial.PEAK)).times_s)
        source = ref.source
        for fid in PpgFiducial:
            det = detect_ppg(ppg, fs, DetectionConfig(ppg_fiducial=fid))
            m, lag, n_ref = score(ref, det.times_s, det.excluded_windows, base)
            if fid is PpgFiducial.MAX_SLOPE:
                whole, _, n_whole = score(ref, det.times_s, (), base)
                kept_rows.append(_kept_row(name, whole, n_whole, m, n_ref, det, len(ppg) / fs))
                prv_rows.append(_prv(name, rec, ref, ppg, fs, base))
            sd_by_fid[fid.value].append(float(np.std(m.timing_errors_s) * 1000))
            excl = sum(w.end_s - w.start_s for w in det.excluded_windows)
            lines.append(_row(name, f"hrv ({fid.value})", m, n_ref, lag, excl))
            t = totals.setdefault(f"hrv ({fid.value})", [0, 0, 0])
            t[0] += m.tp
            t[1] += m.fp
            t[2] += m.fn
        m, lag, n_ref = score(ref, _nk_peaks(ppg, fs), (), base)
        lines.append(_row(name, "neurokit2 ppg_findpeaks", m, n_ref, lag, 0.0))
        t = totals.setdefault("neurokit2 ppg_findpeaks", [0, 0, 0])
        t[0] += m.tp
        t[1] += m.fp
        t[2] += m.fn
    lines += ["", "## Aggregate", "", "| detector | TP | FP | FN | F1 % |", "|---|---|---|---|---|"]
    for k, (tp, fp, fn) in totals.items():
        lines.append(f"| {k} | {tp} | {fp} | {fn} | {100 * 2 * tp / (2 * tp + fp + fn):.2f} |")
    lines += [
        "",
        "## Timing steadiness by fiducial",
        "",
        "SD of the pulse-minus-R-peak delay over matched beats (ms; lower is steadier; "
        "includes the true pulse-arrival-time variability, identical for all fiducials).",
        "",
        "| fiducial | " + " | ".join(names) + " | median |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for fid_name, sds in sd_by_fid.items():
        lines.append(f"| {fid_name} | " + " | ".join(f"{s:.1f}" for s in sds)
                     + f" | {np.median(sds):.1f} |")
    lines += [
        "",
        "## F1 on the whole recording and on the kept signal (max_slope)",
        "",
        "Whole: every reference beat counts, also those in stretches our detector "
        "excluded (motion, clipping, flat line: no pulse is reported there, so each is a "
        "miss). Kept: outside `excluded_windows` only (the table above). Kept share: the "
        "part of the recording outside `excluded_windows`.",
        "",
        "| record | whole ref beats | whole F1 % | kept ref beats | kept F1 % | kept share % |",
        "|---|---|---|---|---|---|",
        *kept_rows,
        "",
        *prv_table(prv_rows),
        "",
        "## Notes",
        "",
        "- Fiducial: `max_slope` (the default) gives the steadiest timing on the clean "
        "BIDMC records (lowest or near-lowest PAT SD); `peak` is steadier only where the "
        "upstroke is distorted (a103l). The default stays `max_slope`.",
        "- PRV RMSSD runs 3-9 ms above the ECG RMSSD on all six ICU records, whatever the "
        "fiducial: on the same matched beats, peak, max_slope, onset, maximum slope and "
        "intersecting tangents on an 8x upsampled pulse, and template cross-correlation "
        "with sub-sample fitting all gave PRV RMSSD within about 20 % of one another and "
        "2-4x the ECG's. The excess is pulse-arrival-time variability from beat to beat "
        "(ventilated patients; the ECG RMSSD is only 2-5 ms here), not detector timing "
        "noise (10-bit samples at 125 Hz time a pulse to well under 1 ms). The issue's "
        "15 % / 3 ms target is not met; the pulse-confidence rule makes no such record "
        "'good' (bidmc_02 and a103l fail it; the others are fair or poor for other "
        "reasons), and the report calls the result pulse-rate variability.",
        "- bidmc_03: the lead-II QRS is tiny (lead II mostly finds T waves); lead V is "
        "clean, so the vote keeps the beats V agrees on with II or aVR (about half). "
        "Its premature ventricular beats give small, late pulses (don't-care).",
        "- a103l: a fast rhythm (~128/min) with damped, double-humped pulses, every few "
        "beats a small one, on a falling baseline (about 170-215 s and 245-265 s). The "
        "detector finds pulses on the systolic upstroke (Elgendi's moving averages on the "
        "positive first derivative, steeper-upstroke merge within 270 ms, slope threshold "
        "relative to the neighbouring pulses), and a small pulse that keeps the rhythm is "
        "not excluded as motion: no pulse is missed any more (the clipped-signal threshold "
        "missed 30, F1 96.3 %). The remaining false detections are regular pulses at "
        "about 263-302 s where both ECG leads carry artefact spikes that "
        "`assess_waveform` does not flag and the ECG reference misses beats (the "
        "lead-disagreement rule leaves only the 2-s gaps unscored).",
        "",
        f"ECG reference: {source}.",
        _machine(),
    ]
    return "\n".join(lines) + "\n"


def _kept_row(name: str, whole: MatchResult, n_whole: int, kept: MatchResult, n_kept: int,
              det: BeatDetection, duration_s: float) -> str:
    excl = sum(w.end_s - w.start_s for w in det.excluded_windows)
    return (f"| {name} | {n_whole} | {100 * whole.f1:.2f} | {n_kept} | {100 * kept.f1:.2f} | "
            f"{100 * (1 - excl / duration_s):.1f} |")


TUNING = ("bidmc_01", "bidmc_03", "bidmc_05")


@dataclasses.dataclass(frozen=True)
class Prv:
    """PRV RMSSD of one record beside the ECG RMSSD of the same stretch."""

    name: str
    ecg_ms: float
    ppg_ms: float
    nk_ms: float
    grade: str
    info: dict[str, float]

    @property
    def ok(self) -> bool:
        d = abs(self.ppg_ms - self.ecg_ms)
        return bool(d <= 3.0 or d <= 0.15 * self.ecg_ms)


def _prv(name: str, rec: Record, ref: Reference, ppg: FloatArray, fs: float, base: float
         ) -> Prv:
    """RMSSD from the PPG (``hrv.analyze``) and from the ECG reference beats."""
    import hrv

    beats = np.sort(np.concatenate([ref.beats_s, ref.ectopic_s]))
    normal = ~np.isin(beats, ref.ectopic_s)
    a_ecg = hrv.analyze_beat_times(beats, normal=normal)
    a_ppg = hrv.analyze(ppg, fs, "ppg")
    nk_t = _nk_peaks(ppg, fs)
    nk_rr = np.diff(nk_t) * 1000.0
    med = float(np.median(nk_rr))
    ok = np.abs(nk_rr / med - 1) < 0.3  # NeuroKit2's raw peaks, obvious outliers left out
    d = np.diff(nk_rr)[ok[1:] & ok[:-1]]
    det_info = a_ppg.provenance.get("detection", {})
    return Prv(name, float(a_ecg.metrics.rmssd_ms or np.nan),
               float(a_ppg.metrics.rmssd_ms or np.nan), float(np.sqrt(np.mean(d**2))),
               a_ppg.quality.grade.value,
               {k: float(det_info.get(k) or np.nan)
                for k in ("template_correlation", "amplitude_cv", "fiducial_jitter_ms")})


def prv_table(rows: list[Prv]) -> list[str]:
    """The PRV-vs-ECG RMSSD table, its summary by half, and the Bland-Altman plot."""
    out = [
        "## PRV RMSSD against ECG RMSSD",
        "",
        "ECG: `hrv.analyze_beat_times` on the reference beats (ectopic ones flagged not "
        "normal). PPG: `hrv.analyze(ppg, fs, \"ppg\")` with the default fiducial "
        "(max_slope), its grade and the pulse-confidence figures behind it. NeuroKit2: "
        "RMSSD of the intervals between `ppg_findpeaks` peaks (intervals more than 30 % "
        "off the median left out). Target: within 15 % or 3 ms of the ECG RMSSD.",
        "",
        "| record | half | ECG RMSSD ms | PRV RMSSD ms | within target | NeuroKit2 ms | "
        "grade | template corr | amplitude CV | fiducial jitter ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        half = "tuning" if r.name in TUNING else "reported"
        out.append(
            f"| {r.name} | {half} | {r.ecg_ms:.1f} | {r.ppg_ms:.1f} | "
            f"{'yes' if r.ok else 'no'} | {r.nk_ms:.1f} | {r.grade} | "
            f"{r.info['template_correlation']:.3f} | {r.info['amplitude_cv']:.3f} | "
            f"{r.info['fiducial_jitter_ms']:.2f} |")
    for half, sub in (("tuning", [r for r in rows if r.name in TUNING]),
                      ("reported", [r for r in rows if r.name not in TUNING])):
        good_bad = [r.name for r in sub if r.grade == "good" and not r.ok]
        out.append(f"- {half} half: {sum(r.ok for r in sub)}/{len(sub)} within target; "
                   f"graded good although off target: {', '.join(good_bad) or 'none'}.")
    _bland_altman_prv(rows)
    out.append("- Bland-Altman plot: `ppg_prv_bland_altman.png`.")
    return out


def _bland_altman_prv(rows: list[Prv]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean = np.array([(r.ppg_ms + r.ecg_ms) / 2 for r in rows])
    diff = np.array([r.ppg_ms - r.ecg_ms for r in rows])
    tune = np.array([r.name in TUNING for r in rows])
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.scatter(mean[tune], diff[tune], marker="o", label="tuning half")
    ax.scatter(mean[~tune], diff[~tune], marker="s", label="reported half")
    for r, m, d in zip(rows, mean, diff, strict=True):
        ax.annotate(r.name, (m, d), fontsize=7, xytext=(3, 3), textcoords="offset points")
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    for y, style in ((bias, "-"), (bias + 1.96 * sd, "--"), (bias - 1.96 * sd, "--")):
        ax.axhline(y, color="grey", linestyle=style, linewidth=1)
    ax.axhspan(-3, 3, color="green", alpha=0.08, label="target (3 ms)")
    ax.set_xlabel("mean of PRV and ECG RMSSD (ms)")
    ax.set_ylabel("PRV - ECG RMSSD (ms)")
    ax.set_title(f"PRV RMSSD vs ECG RMSSD, BIDMC and a103l\nbias {bias:+.1f} ms, limits of "
                 f"agreement +-{1.96 * sd:.1f} ms", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "ppg_prv_bland_altman.png")
    plt.close(fig)


def _machine() -> str:
    return (f"\nMachine: {platform.machine()}, {platform.processor() or 'cpu'}, "
            f"Python {platform.python_version()}, numpy {np.__version__}.")


def speed(repeats: int = 5) -> str:
    import neurokit2 as nk

    r = load_bidmc(1)
    x64 = sps.resample_poly(r.ppg, 64, 125)
    n = 3600 * 64
    x = np.tile(x64, int(np.ceil(n / len(x64))))[:n]

    def ours() -> None:
        det = detect_ppg(x, 64.0)
        assess_waveform(x, 64.0, SignalKind.PPG, beat_times_s=det.times_s)

    def theirs() -> None:
        clean = nk.ppg_clean(x, sampling_rate=64)
        nk.ppg_findpeaks(clean, sampling_rate=64)

    def best(fn: object) -> float:
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            ts.append(time.perf_counter() - t0)
        return min(ts)

    ours()
    theirs()
    a, b = best(ours), best(theirs)
    return "\n".join([
        "# PPG speed: 1 hour at 64 Hz",
        "",
        "BIDMC 01 PLETH resampled to 64 Hz and tiled to 3600 s (230,400 samples); best of "
        f"{repeats} runs, same process, same input.",
        "",
        "| path | seconds |",
        "|---|---|",
        f"| hrv `detect_ppg` + `assess_waveform` | {a:.3f} |",
        f"| neurokit2 `ppg_clean` + `ppg_findpeaks` | {b:.3f} |",
        "",
        f"Ratio NeuroKit2 / hrv: {b / a:.1f}x. Target: hrv < 0.3 s.",
        _machine(),
    ]) + "\n"


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    acc = accuracy()
    (RESULTS / "ppg_accuracy.md").write_text(acc)
    spd = speed() if "--no-speed" not in sys.argv else ""
    if spd:  # --no-speed leaves the speed results as they are
        (RESULTS / "ppg_speed.md").write_text(spd)
    print(acc)
    print(spd)


if __name__ == "__main__":
    main()
