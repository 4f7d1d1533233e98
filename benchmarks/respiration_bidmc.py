"""Breathing rate on BIDMC records 01-05 against the annotated breaths.

Data: BIDMC PPG and Respiration Dataset (Pimentel et al., IEEE TBME 64:1914, 2016),
8-min records at 125 Hz with ECG lead II, PPG and breath onsets marked by two annotators.
Reference rate: 60 × (breaths − 1) / (last onset − first onset), averaged over the two
annotators. Estimates: ECG-derived (``ecg_derived_respiration_bpm`` on the R peaks of
``hrv.detect.ecg.detect_ecg``), PPG-derived (``ppg_derived_respiration_bpm`` on the
pulses of ``detect_ppg``), the RSA peak of the NN spectrum (``hrv.analysis.analyze`` on
the ECG), fused with ``hrv.respiration.fuse_respiration``. Target: |error| <= 2 breaths/min
for every record.

Run: ``.venv/bin/python -m benchmarks.respiration_bidmc`` (writes
``benchmarks/results/respiration_bidmc.md``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._data import load_bidmc
from benchmarks._provenance import header
from hrv.detect.ppg import detect_ppg
from hrv.respiration import ecg_derived_respiration_bpm, ppg_derived_respiration_bpm
from hrv.types import ExcludedWindow

RESULTS = Path(__file__).resolve().parent / "results"
FloatArray = npt.NDArray[np.float64]


def reference_rate_bpm(onsets_s: FloatArray) -> float:
    """Mean breathing rate from breath onsets in seconds."""
    t = np.asarray(onsets_s, dtype=np.float64)
    t = np.sort(t[np.isfinite(t)])  # the files mark a missing onset as NaN
    return 60.0 * (len(t) - 1) / float(t[-1] - t[0])


def _outside(t: FloatArray, windows: tuple[ExcludedWindow, ...]) -> FloatArray:
    keep = np.ones(len(t), dtype=bool)
    for w in windows:
        keep &= ~((t >= w.start_s) & (t <= w.end_s))
    return t[keep]


def estimate(record: int) -> dict[str, float | None]:
    """All breathing-rate estimates for one record (breaths/min)."""
    from hrv.respiration import fuse_respiration

    r = load_bidmc(record)
    out: dict[str, float | None] = {}
    ppg = detect_ppg(r.ppg, r.fs_hz)
    out["pdr"] = ppg_derived_respiration_bpm(r.ppg, r.fs_hz, ppg.times_s)
    try:
        from hrv.detect.ecg import detect_ecg

        ecg = detect_ecg(r.ecg, r.fs_hz)
        # all detected beats outside excluded stretches, with their abnormal-shape
        # flags, as hrv.analyze passes them
        kept = _outside(ecg.times_s, ecg.excluded_windows)
        odd = ecg.info["abnormal_shape"][np.isin(ecg.times_s, kept)]
        out["edr"] = ecg_derived_respiration_bpm(r.ecg, r.fs_hz, kept, abnormal=odd)
    except ImportError:
        out["edr"] = None
    try:
        from hrv.analysis import analyze

        a = analyze(r.ecg, r.fs_hz, "ecg")
        out["rsa"] = a.respiration.estimates_bpm.get("rsa")
    except ImportError:
        out["rsa"] = None
    out["edr+pdr"] = fuse_respiration({"edr": out["edr"], "pdr": out["pdr"]}).rate_bpm
    out["fused"] = fuse_respiration(
        {k: out[k] for k in ("rsa", "edr", "pdr")}
    ).rate_bpm
    return out


def main() -> None:
    cols = ["edr", "pdr", "rsa", "edr+pdr", "fused"]
    lines = [
        "# Breathing rate on BIDMC 01-05",
        "",
        header(),
        "Reference: annotated breath onsets (mean of the two annotators' rates over the "
        "record). Estimates in breaths/min; `err` = fused − reference. Target |err| <= 2.",
        "",
        "| record | reference | ann1 | ann2 | " + " | ".join(cols) + " | err | within 2 |",
        "|---" * (len(cols) + 6) + "|",
    ]
    errs = []
    for i in range(1, 6):
        r = load_bidmc(i)
        a1, a2 = reference_rate_bpm(r.breaths_s), reference_rate_bpm(r.breaths2_s)
        ref = 0.5 * (a1 + a2)
        est = estimate(i)
        fused = est["fused"]
        err = float("nan") if fused is None else fused - ref
        errs.append(err)
        vals = " | ".join("–" if est[c] is None else f"{est[c]:.1f}" for c in cols)
        lines.append(f"| bidmc_{i:02d} | {ref:.2f} | {a1:.2f} | {a2:.2f} | {vals} | "
                     f"{err:+.2f} | {'yes' if abs(err) <= 2 else 'NO'} |")
    e = np.asarray(errs)
    mae, ok = float(np.nanmean(np.abs(e))), int(np.sum(np.abs(e) <= 2))
    lines += ["", f"Mean absolute error (fused): {mae:.2f} breaths/min; "
              f"records within 2 breaths/min: {ok}/5.", "",
              "<!-- readme-row: | Breathing rate, BIDMC 01–05 whole records (ECG- + "
              f"PPG-derived + RSA) | {ok}/5 within 2 breaths/min, mean error {mae:.2f} | — | -->"]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "respiration_bidmc.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
