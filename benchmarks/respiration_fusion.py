"""When the RSA peak and a waveform-derived breathing rate disagree, which one is right?

Data: BIDMC records 01-05 (Pimentel et al., IEEE TBME 64:1914, 2016; the only shared
recordings with a breathing reference: breath onsets marked by two annotators), cut into
sliding 60-s, 120-s and 300-s windows (step half a window); each window's ECG goes through
``hrv.analyze(..., "ecg")`` (RSA peak of the NN spectrum and ECG-derived rate ``edr``)
and its PPG through ``hrv.analyze(..., "ppg")`` (RSA and PPG-derived rate ``pdr``).
Reference per window: 60 × (onsets − 1) / (last − first onset) of each annotator's onsets
inside the window, averaged. A rate is "right" within 2 breaths/min of it. Only confident
RSA estimates count (``estimates_bpm["rsa"]`` is ``None`` otherwise); a disagreement is
|RSA − waveform| > 3 breaths/min.

MIT-BIH Arrhythmia (Moody & Mark 2001; no breathing reference): the 22 non-paced records
in 5-min windows of the MLII ECG; how often a confident RSA and the EDR disagree, with
their rates.

Run: ``.venv/bin/python -m benchmarks.respiration_fusion`` (writes
``benchmarks/results/respiration_fusion.md``).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._data import MITDB_NONPACED, load_bidmc, load_mitdb
from benchmarks._provenance import header
from hrv.analysis import analyze
from hrv.errors import HRVError

RESULTS = Path(__file__).resolve().parent / "results"
FloatArray = npt.NDArray[np.float64]
RIGHT_BPM = 2.0
DISAGREE_BPM = 3.0


@dataclasses.dataclass(frozen=True)
class Window:
    """Estimates in one window (breaths/min; ``None`` when not given)."""

    label: str
    reference: float | None
    rsa: float | None
    wave: float | None
    fused: float | None
    source: str


def _ref(onsets: FloatArray, lo: float, hi: float) -> float | None:
    t = np.sort(onsets[np.isfinite(onsets)])
    t = t[(t >= lo) & (t < hi)]
    if len(t) < 3:
        return None
    return 60.0 * (len(t) - 1) / float(t[-1] - t[0])


def _estimates(x: FloatArray, fs: float, kind: str) -> tuple[float | None, float | None,
                                                             float | None, str]:
    try:
        a = analyze(x, fs, kind)
    except HRVError:
        return None, None, None, "error"
    est = a.respiration.estimates_bpm
    wave = est.get("edr" if kind == "ecg" else "pdr")
    return est.get("rsa"), wave, a.respiration.rate_bpm, a.respiration.source


def bidmc_windows(win_s: float) -> dict[str, list[Window]]:
    """Windows of BIDMC 01-05 for the ECG and the PPG."""
    out: dict[str, list[Window]] = {"ecg": [], "ppg": []}
    for rec in range(1, 6):
        r = load_bidmc(rec)
        n = len(r.ecg)
        dur = n / r.fs_hz
        start = 0.0
        while start + win_s <= dur + 1e-9:
            lo, hi = int(start * r.fs_hz), int((start + win_s) * r.fs_hz)
            refs = [v for v in (_ref(r.breaths_s, start, start + win_s),
                                _ref(r.breaths2_s, start, start + win_s)) if v is not None]
            ref = float(np.mean(refs)) if refs else None
            for kind, x in (("ecg", r.ecg), ("ppg", r.ppg)):
                rsa, wave, fused, source = _estimates(x[lo:hi], r.fs_hz, kind)
                out[kind].append(Window(f"bidmc_{rec:02d} {start:.0f}-{start + win_s:.0f} s",
                                        ref, rsa, wave, fused, source))
            start += win_s / 2
    return out


def _right(v: float | None, ref: float | None) -> bool:
    return v is not None and ref is not None and abs(v - ref) <= RIGHT_BPM


def _fmt(v: float | None) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.1f}"


def summarise(ws: list[Window]) -> tuple[str, list[Window]]:
    """One table row of counts, and the disagreeing windows."""
    with_ref = [w for w in ws if w.reference is not None]
    both = [w for w in with_ref if w.rsa is not None and w.wave is not None]
    dis = [w for w in both if abs(w.rsa - w.wave) > DISAGREE_BPM]  # type: ignore[operator]
    rsa_ok = sum(_right(w.rsa, w.reference) for w in dis)
    wave_ok = sum(_right(w.wave, w.reference) for w in dis)
    neither = sum(not _right(w.rsa, w.reference) and not _right(w.wave, w.reference)
                  for w in dis)
    agree = [w for w in both if w not in dis]
    agree_ok = sum(_right(w.fused, w.reference) for w in agree)
    rsa_conf = sum(w.rsa is not None for w in with_ref)
    rsa_alone_ok = sum(_right(w.rsa, w.reference) for w in with_ref)
    wave_all_ok = sum(_right(w.wave, w.reference) for w in with_ref)
    fused_ok = sum(_right(w.fused, w.reference) for w in with_ref)
    fused_given = sum(w.fused is not None for w in with_ref)
    row = (f"{len(with_ref)} | {rsa_conf} ({rsa_alone_ok} right) | {wave_all_ok} | "
           f"{len(both)} | {len(agree)} ({agree_ok} right) | {len(dis)} | {rsa_ok} | "
           f"{wave_ok} | {neither} | {fused_given} ({fused_ok} right)")
    return row, dis


def mitdb_windows(win_s: float = 300.0) -> list[Window]:
    """Windows of the non-paced MIT-BIH records (no reference)."""
    out = []
    for name in MITDB_NONPACED:
        r = load_mitdb(name)
        dur = len(r.samples) / r.fs_hz
        start = 0.0
        while start + win_s <= dur + 1e-9:
            lo, hi = int(start * r.fs_hz), int((start + win_s) * r.fs_hz)
            rsa, wave, fused, source = _estimates(r.samples[lo:hi], r.fs_hz, "ecg")
            out.append(Window(f"mitdb/{name} {start:.0f}-{start + win_s:.0f} s", None, rsa,
                              wave, fused, source))
            start += win_s
    return out


def main() -> None:
    lines = [
        "# Breathing-rate fusion: confident RSA against ECG/PPG-derived rates",
        "",
        header(),
        "Generated by `benchmarks/respiration_fusion.py`. Rates in breaths/min. \"Right\" = "
        f"within {RIGHT_BPM:g} of the annotated rate in the window; \"disagree\" = confident "
        f"RSA and waveform rate (EDR for the ECG, PDR for the PPG) more than {DISAGREE_BPM:g} "
        "apart. `fused` is `Respiration.rate_bpm` of `hrv.analyze` with the rule in the code "
        "at the time of the run.",
        "",
        "## BIDMC 01-05, sliding windows (step half a window)",
        "",
        "| window | signal | windows | RSA confident | waveform right | both given | "
        "agree | disagree | RSA right | waveform right | neither | fused given |",
        "|---" * 12 + "|",
    ]
    detail: list[str] = []
    n_dis = n_wave_ok = n_rsa_ok = 0
    for win in (60.0, 120.0, 300.0):
        res = bidmc_windows(win)
        for kind in ("ecg", "ppg"):
            row, dis = summarise(res[kind])
            lines.append(f"| {win:.0f} s | {kind} | {row} |")
            n_dis += len(dis)
            n_wave_ok += sum(_right(w.wave, w.reference) for w in dis)
            n_rsa_ok += sum(_right(w.rsa, w.reference) for w in dis)
            for w in dis:
                detail.append(f"| {win:.0f} s | {kind} | {w.label} | {_fmt(w.reference)} | "
                              f"{_fmt(w.rsa)} | {_fmt(w.wave)} | {_fmt(w.fused)} | {w.source} |")
    lines += ["", "Disagreeing windows:", "",
              "| window | signal | where | reference | RSA | waveform | fused | source |",
              "|---" * 8 + "|", *detail]
    mit = mitdb_windows()
    both = [w for w in mit if w.rsa is not None and w.wave is not None]
    dis = [w for w in both if abs(w.rsa - w.wave) > DISAGREE_BPM]  # type: ignore[operator]
    lines += [
        "", "## MIT-BIH Arrhythmia, 22 non-paced records, 5-min windows (no reference)", "",
        f"Windows: {len(mit)}; confident RSA: {sum(w.rsa is not None for w in mit)}; EDR "
        f"given: {sum(w.wave is not None for w in mit)}; both: {len(both)}; disagree by more "
        f"than {DISAGREE_BPM:g}: {len(dis)}.",
        "",
        "| where | RSA | EDR | fused | source |",
        "|---" * 5 + "|",
        *(f"| {w.label} | {_fmt(w.rsa)} | {_fmt(w.wave)} | {_fmt(w.fused)} | {w.source} |"
          for w in dis),
    ]
    edge = sum(w.wave is not None and w.wave < 6.5 for w in dis)
    high = sum(w.wave is not None and w.wave > 30.0 for w in dis)
    lines += [
        "", "## Reading", "",
        f"- BIDMC: a confident RSA and a waveform rate disagreed in {n_dis} windows (all "
        f"sizes); the waveform rate was right in {n_wave_ok}, the RSA rate in {n_rsa_ok}. "
        "Neither source is reliable when they disagree, and the sample is small.",
        f"- MIT-BIH: {len(dis)} of {len(both)} windows with both estimates disagree; in "
        f"{edge} of them the ECG-derived rate is below 6.5/min (on the 0.1 Hz low edge of "
        f"its search band, right for BIDMC 05 but not telling there) and in {high} above "
        "30/min (implausible at rest); the RSA peak sits at 10.0/min in many unrelated "
        "records (a 0.17 Hz component, suspect as breathing). Without a reference neither "
        "can be trusted over the other.",
        "- Rule chosen (`fuse_respiration`): such a conflict leaves the rate unknown "
        "(`source=\"conflict\"`, `hf_band_valid=None`, so the shift report sets HF aside "
        "with the `breathing_rate_unknown` caveat) unless two waveform-derived rates agree "
        "with each other (they then outvote the RSA peak). Previously the waveform rate "
        "always won.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "respiration_fusion.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
