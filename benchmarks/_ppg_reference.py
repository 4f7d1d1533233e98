"""The ECG beat reference and the records for the PPG accuracy benchmark.

BIDMC records 01-05 (125 Hz; Pimentel et al., IEEE TBME 64:1914, 2016) and
PhysioNet/CinC Challenge 2015 record a103l (250 Hz; Clifford et al., CinC 2015): the
reference is a majority vote of R peaks over the record's ECG leads; a pulse train is
aligned to it by the record's pulse-arrival lag and matched EC57-style within 150 ms.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools

import numpy as np
import numpy.typing as npt

from benchmarks._data import DATA_DIR
from hrv.evaluation import MatchResult, best_lag_s, match_beats
from hrv.quality import assess_waveform
from hrv.types import ExcludedWindow, SignalKind

__all__ = [
    "Record",
    "Reference",
    "load_a103l",
    "load_bidmc_leads",
    "nk_peaks",
    "record_lag",
    "records",
    "reference",
    "score",
]

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
    windows = tuple(
        ExcludedWindow(float(g[a]), float(g[b - 1] + 0.05), "ecg_unusable")
        for a, b in zip(np.flatnonzero(d8 == 1), np.flatnonzero(d8 == -1), strict=True)
    )
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
    return Reference(
        np.asarray(beats),
        np.asarray(dont),
        np.asarray(ectopic),
        windows,
        duration,
        f"hrv.detect.ecg.detect_ecg on leads {names}, majority vote "
        f"({need} leads must agree within 150 ms)",
    )


def _inside(
    t: FloatArray, windows: tuple[ExcludedWindow, ...], shift: float = 0.0
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


def score(
    ref: Reference, det_s: FloatArray, excluded: tuple[ExcludedWindow, ...], base_lag: float
) -> tuple[MatchResult, float, int]:
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


def nk_peaks(ppg: FloatArray, fs: float) -> FloatArray:
    import neurokit2 as nk

    clean = nk.ppg_clean(ppg, sampling_rate=int(fs))
    info = nk.ppg_findpeaks(clean, sampling_rate=int(fs))
    return np.asarray(info["PPG_Peaks"]) / fs
