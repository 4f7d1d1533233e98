"""PRV RMSSD from the PPG beside the ECG RMSSD of the same record, with its plot."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._ppg_reference import Record, Reference, nk_peaks

__all__ = ["TUNING", "Prv", "prv", "prv_table"]

FloatArray = npt.NDArray[np.float64]
RESULTS = Path(__file__).resolve().parent / "results"

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


def prv(name: str, rec: Record, ref: Reference, ppg: FloatArray, fs: float, base: float) -> Prv:
    """RMSSD from the PPG (``hrv.analyze``) and from the ECG reference beats."""
    import hrv

    beats = np.sort(np.concatenate([ref.beats_s, ref.ectopic_s]))
    normal = ~np.isin(beats, ref.ectopic_s)
    a_ecg = hrv.analyze_beat_times(beats, normal=normal)
    a_ppg = hrv.analyze(ppg, fs, "ppg")
    nk_t = nk_peaks(ppg, fs)
    nk_rr = np.diff(nk_t) * 1000.0
    med = float(np.median(nk_rr))
    ok = np.abs(nk_rr / med - 1) < 0.3  # NeuroKit2's raw peaks, obvious outliers left out
    d = np.diff(nk_rr)[ok[1:] & ok[:-1]]
    det_info = a_ppg.provenance.get("detection", {})
    return Prv(
        name,
        float(a_ecg.metrics.rmssd_ms or np.nan),
        float(a_ppg.metrics.rmssd_ms or np.nan),
        float(np.sqrt(np.mean(d**2))),
        a_ppg.quality.grade.value,
        {
            k: float(det_info.get(k) or np.nan)
            for k in (
                "template_correlation",
                "amplitude_cv",
                "fiducial_jitter_ms",
                "fiducial_agreement",
            )
        },
    )


def prv_table(rows: list[Prv]) -> list[str]:
    """The PRV-vs-ECG RMSSD table, its summary by half, and the Bland-Altman plot."""
    out = [
        "## PRV RMSSD against ECG RMSSD",
        "",
        "ECG: `hrv.analyze_beat_times` on the reference beats (ectopic ones flagged not "
        'normal). PPG: `hrv.analyze(ppg, fs, "ppg")` with the default fiducial '
        "(max_slope), its grade and the pulse-confidence figures behind it. NeuroKit2: "
        "RMSSD of the intervals between `ppg_findpeaks` peaks (intervals more than 30 % "
        "off the median left out). Target: within 15 % or 3 ms of the ECG RMSSD. "
        "`fiducials agree`: share of pulses whose maximum-slope-to-onset distance is within "
        "5 ms of its median over the 8 neighbouring pulses (`fiducial_agreement`).",
        "",
        "| record | half | ECG RMSSD ms | PRV RMSSD ms | within target | NeuroKit2 ms | "
        "grade | template corr | amplitude CV | fiducial jitter ms | fiducials agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        half = "tuning" if r.name in TUNING else "reported"
        out.append(
            f"| {r.name} | {half} | {r.ecg_ms:.1f} | {r.ppg_ms:.1f} | "
            f"{'yes' if r.ok else 'no'} | {r.nk_ms:.1f} | {r.grade} | "
            f"{r.info['template_correlation']:.3f} | {r.info['amplitude_cv']:.3f} | "
            f"{r.info['fiducial_jitter_ms']:.2f} | {100 * r.info['fiducial_agreement']:.0f} % |"
        )
    for half, sub in (
        ("tuning", [r for r in rows if r.name in TUNING]),
        ("reported", [r for r in rows if r.name not in TUNING]),
    ):
        good_bad = [r.name for r in sub if r.grade == "good" and not r.ok]
        out.append(
            f"- {half} half: {sum(r.ok for r in sub)}/{len(sub)} within target; "
            f"graded good although off target: {', '.join(good_bad) or 'none'}."
        )
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
    ax.set_title(
        f"PRV RMSSD vs ECG RMSSD, BIDMC and a103l\nbias {bias:+.1f} ms, limits of "
        f"agreement +-{1.96 * sd:.1f} ms",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "ppg_prv_bland_altman.png")
    plt.close(fig)
