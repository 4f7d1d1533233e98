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
import platform
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal as sps

from benchmarks._data import DATA_DIR, load_bidmc
from hrv.config import DetectionConfig, PpgFiducial
from hrv.detect.ppg import detect_ppg
from hrv.evaluation import MatchResult, best_lag_s, match_beats
from hrv.quality import assess_waveform
from hrv.types import ExcludedWindow, SignalKind

RESULTS = Path(__file__).resolve().parent / "results"
FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Reference:
    """Beat reference from the ECG: agreed normal R peaks and don't-care stretches."""

    beats_s: FloatArray  # R peaks found by both ECG detectors, classified normal
    dont_care_s: FloatArray  # R peaks found by only one detector, or ectopic
    ecg_bad: tuple[ExcludedWindow, ...]  # ECG stretches of unusable quality
    duration_s: float
    source: str


def reference(ecg: FloatArray, fs: float) -> Reference:
    """R peaks on which ``hrv.detect.ecg.detect_ecg`` and NeuroKit2 agree (within 150 ms).

    Beats found by only one detector, and beats ``detect_ecg`` classifies as ectopic (a
    premature ventricular beat often ejects no pulse: a pulse deficit, not a missed
    pulse), are "don't care": a pulse detection near them counts neither way. ECG
    stretches that ``assess_waveform`` excludes (noise, flat line) have no reference.
    """
    import neurokit2 as nk

    _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=int(fs)), sampling_rate=int(fs))
    nk_t = np.asarray(info["ECG_R_Peaks"], dtype=np.float64) / fs
    try:
        from hrv.detect.ecg import detect_ecg
    except ImportError:
        bad = assess_waveform(ecg, fs, SignalKind.ECG, beat_times_s=nk_t).excluded_windows
        return Reference(nk_t, np.empty(0), bad, len(ecg) / fs, "neurokit2.ecg_peaks")
    d = detect_ecg(ecg, fs)
    ours = np.asarray(d.times_s)
    m = match_beats(nk_t, ours)
    agreed = np.zeros(len(ours), dtype=bool)
    agreed[m.matched_detected] = True
    good = agreed & np.asarray(d.normal, dtype=bool)
    only_nk = np.setdiff1d(np.arange(len(nk_t)), m.matched_reference)
    dont = np.sort(np.concatenate([ours[~good], nk_t[only_nk]]))
    bad = assess_waveform(ecg, fs, SignalKind.ECG, beat_times_s=ours).excluded_windows
    return Reference(ours[good], dont, bad, len(ecg) / fs,
                     "agreement of hrv.detect.ecg.detect_ecg and neurokit2.ecg_peaks")


def _inside(t: FloatArray, windows: tuple[ExcludedWindow, ...], shift: float = 0.0
            ) -> npt.NDArray[np.bool_]:
    out = np.zeros(len(t), dtype=bool)
    for w in windows:
        out |= (t >= w.start_s - shift) & (t < w.end_s - shift)
    return out


def score(ref: Reference, det_s: FloatArray, excluded: tuple[ExcludedWindow, ...]
          ) -> tuple[MatchResult, float, int]:
    """Match a pulse train to the reference; returns (result, lag_s, n_reference)."""
    lag = best_lag_s(ref.beats_s, det_s, max_lag_s=1.5)
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


def load_a103l() -> tuple[FloatArray, FloatArray, float]:
    import wfdb

    rec = wfdb.rdrecord(str(DATA_DIR / "challenge2015" / "a103l"))
    names = list(rec.sig_name)
    sig = np.asarray(rec.p_signal, dtype=np.float64)
    return sig[:, names.index("II")], sig[:, names.index("PLETH")], float(rec.fs)


def records() -> list[tuple[str, FloatArray, FloatArray, float]]:
    out = []
    for i in range(1, 6):
        r = load_bidmc(i)
        out.append((r.name, r.ecg, r.ppg, r.fs_hz))
    ecg, ppg, fs = load_a103l()
    out.append(("a103l", ecg, ppg, fs))
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
        "Reference: R peaks on ECG lead II of the same record on which two ECG detectors "
        "agree (see `reference()`); ectopic or disputed R peaks are don't-care; ECG "
        "stretches of unusable quality are not scored. Each detector's pulse train is "
        "shifted by its best lag (`best_lag_s`) and matched EC57-style within 150 ms. "
        "Stretches our detector excluded as motion/clipping are removed from the "
        "reference for our rows (`excl s`); NeuroKit2 excludes nothing. `PAT SD` is the "
        "SD of the pulse-minus-R delay over matched beats.",
        "",
        "| record | detector | ref beats | TP | FP | FN | Se % | PPV % | F1 % | lag s | "
        "PAT SD ms | excl s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[int]] = {}
    sd_by_fid: dict[str, list[float]] = {f.value: [] for f in PpgFiducial}
    names: list[str] = []
    source = ""
    for name, ecg, ppg, fs in records():
        names.append(name)
        ref = reference(ecg, fs)
        source = ref.source
        for fid in PpgFiducial:
            det = detect_ppg(ppg, fs, DetectionConfig(ppg_fiducial=fid))
            m, lag, n_ref = score(ref, det.times_s, det.excluded_windows)
            sd_by_fid[fid.value].append(float(np.std(m.timing_errors_s) * 1000))
            excl = sum(w.end_s - w.start_s for w in det.excluded_windows)
            lines.append(_row(name, f"hrv ({fid.value})", m, n_ref, lag, excl))
            t = totals.setdefault(f"hrv ({fid.value})", [0, 0, 0])
            t[0] += m.tp
            t[1] += m.fp
            t[2] += m.fn
        m, lag, n_ref = score(ref, _nk_peaks(ppg, fs), ())
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
        "## Notes",
        "",
        "- Fiducial: `max_slope` (the default) gives the steadiest timing on the clean "
        "BIDMC records (lowest or near-lowest PAT SD); `peak` is steadier only where the "
        "upstroke is distorted (a103l). The default stays `max_slope`.",
        "- bidmc_03: the lead-II QRS is small and the two ECG detectors disagree on many "
        "beats (they become don't-care); the remaining FP/FN sit where the ECG reference "
        "itself is doubtful (the PPG pulses there are clean on inspection).",
        "- a103l (a false asystole alarm): lead II is corrupted by artefact spikes in about "
        "165-215 s and 255-330 s, which neither ECG detector nor the ECG quality check "
        "rejects; the PPG there is periodic and clean. Scores on this record measure the "
        "reference as much as the PPG detector.",
        "",
        f"ECG reference: {source}.",
        _machine(),
    ]
    return "\n".join(lines) + "\n"


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
    spd = speed()
    (RESULTS / "ppg_speed.md").write_text(spd)
    print(acc)
    print(spd)


if __name__ == "__main__":
    main()
