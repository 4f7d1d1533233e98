"""R-peak timing checked without a timing reference: RR intervals of two simultaneous leads.

Every lead of an ECG sees the same heartbeats, so the true RR intervals are the same on
all of them; how much the RR series of two leads differ beat by beat measures the timing
error of a detector (the two leads' errors add: RMS of the difference = sqrt(2) times one
lead's, if they are independent). Annotations by hand carry their own timing scatter
(MIT-BIH's are on a 2.8 ms sample grid) and cannot show errors of a millisecond; this
can. Where a QRS changes shape with breathing differently on each lead, a fiducial that
follows the shape shows it here too.

* MIT-BIH, the 13 non-paced records with under 5 % ectopic beats, both leads (MLII and
  V1/V2/V4/V5), 30 min: RR differences at consecutive beats the annotations label normal
  (N, L, R), each detected on both leads within 50 ms; clean and with muscle artefact
  (white noise band-passed 20-100 Hz) at 12 dB added to each lead independently.
* BIDMC 01-05 (ICU, 125 Hz, 8 min), leads II and V: at consecutive beats that both
  leads' detectors call normal (no annotations).

Methods on the same arrays: ``hrv.detect.ecg.detect_ecg`` (R-peak apex refined by
template matching); the same with the template matching left out (*apex only*: the
fiducial before it, the detector's refined apex); NeuroKit2 ``ecg_clean`` +
``ecg_peaks``. The template matching's settings were chosen on the even-numbered MIT-BIH
records (their R-peak timing under muscle noise); the odd ones are held back.

Data: MIT-BIH Arrhythmia Database (Moody & Mark 2001); BIDMC PPG and Respiration Dataset
(Pimentel et al. 2016); PhysioNet (Goldberger et al. 2000).

Run: ``.venv/bin/python -m benchmarks.ecg_timing`` (writes
``benchmarks/results/ecg_timing.md``; ``--no-neurokit`` skips NeuroKit2).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._data import MITDB_NONPACED, load_mitdb
from benchmarks._ppg_reference import load_bidmc_leads
from benchmarks._provenance import header
from benchmarks.ecg_accuracy import nk_detect
from benchmarks.ecg_hrv import MAX_ECTOPIC_PCT, NORMAL_CODES
from benchmarks.ecg_noise import apex_only, muscle

FloatArray = npt.NDArray[np.float64]
RESULTS = Path(__file__).resolve().parent / "results" / "ecg_timing.md"
MUSCLE_SNR_DB = 12.0
SEED = 20261208
METHODS = ("hrv", "apex only", "NeuroKit2")


Detector = Callable[[FloatArray, float], tuple[FloatArray, npt.NDArray[np.bool_]]]
#: Differences beyond this (a beat found on another wave by one lead) are gross errors,
#: counted apart from the timing precision.
GROSS_MS = 20.0


def _detector(method: str) -> Detector:
    from hrv.detect.ecg import detect_ecg

    def hrv_(x: FloatArray, fs: float) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        d = detect_ecg(x, fs)
        return d.times_s, np.asarray(d.normal, dtype=bool)

    def apex(x: FloatArray, fs: float) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        with apex_only():
            return hrv_(x, fs)

    def nk(x: FloatArray, fs: float) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        from benchmarks._data import EcgRecord

        rec = EcgRecord("", x, fs, "", np.empty(0), np.empty(0, dtype=str))
        t = nk_detect(rec)
        return t, np.ones(t.size, dtype=bool)

    return {"hrv": hrv_, "apex only": apex, "NeuroKit2": nk}[method]


def _nearest(times: FloatArray, ref: FloatArray) -> FloatArray:
    j = np.clip(np.searchsorted(times, ref), 1, times.size - 1)
    near = np.where(np.abs(times[j] - ref) < np.abs(times[j - 1] - ref), j, j - 1)
    return np.asarray(times[near])


def _at(times: FloatArray, ref: FloatArray) -> FloatArray:
    """Each reference time's detection within 50 ms, else NaN, after the lead's own
    offset (its median lag to the reference within 150 ms: a lead's R peak may come
    tens of ms from another's) is taken off."""
    if times.size < 2:
        return np.full(ref.size, np.nan)
    lag = _nearest(times, ref) - ref
    close = np.abs(lag) < 0.15
    offset = float(np.median(lag[close])) if close.any() else 0.0
    found = _nearest(times, ref + offset)
    return np.where(np.abs(found - ref - offset) < 0.05, found, np.nan)


def disagreement_ms(ta: FloatArray, tb: FloatArray, ref: FloatArray,
                    pair_ok: npt.NDArray[np.bool_]) -> tuple[float, float, int]:
    """RMS (ms) of RR(lead b) - RR(lead a) over the reference beat pairs ``pair_ok``
    (interval from beat i to i + 1), both beats found on both leads, leaving out gross
    differences (over ``GROSS_MS``); the share of those; the number of pairs."""
    a, b = _at(ta, ref), _at(tb, ref)
    d = (np.diff(b) - np.diff(a)) * 1000.0
    d = d[pair_ok & np.isfinite(d)]
    if not d.size:
        return float("nan"), float("nan"), 0
    fine = d[np.abs(d) <= GROSS_MS]
    return float(np.sqrt(np.mean(fine * fine))), float(1.0 - fine.size / d.size), int(d.size)


@dataclasses.dataclass(frozen=True)
class Row:
    data: str  # "mitdb" or "bidmc"
    record: str
    noise: str  # "clean" or "12 dB muscle"
    rms_ms: dict[str, float]
    gross: dict[str, float]  # share of beat pairs differing by more than GROSS_MS
    pairs: int


def _row(data: str, record: str, noise: str, methods: tuple[str, ...], xa: FloatArray,
         xb: FloatArray, fs: float, ref: FloatArray, pair_ok: npt.NDArray[np.bool_]) -> Row:
    """Every method's RR disagreement between leads ``xa`` and ``xb``."""
    rms, gross, n = {}, {}, 0
    for m in methods:
        det = _detector(m)
        ta, _ = det(xa, fs)
        tb, _ = det(xb, fs)
        rms[m], gross[m], n = disagreement_ms(ta, tb, ref, pair_ok)
    return Row(data, record, noise, rms, gross, n)


def mitdb_rows(methods: tuple[str, ...]) -> list[Row]:
    rows: list[Row] = []
    for name in MITDB_NONPACED:
        a, b = load_mitdb(name, channel=0), load_mitdb(name, channel=1)
        normal = np.isin(a.beat_symbols, list(NORMAL_CODES))
        if 100.0 * float(np.mean(~normal)) >= MAX_ECTOPIC_PCT:
            continue
        ref = a.beat_times_s
        pair_ok = normal[1:] & normal[:-1]
        rng = np.random.default_rng([SEED, int(name)])
        for noise in ("clean", f"{MUSCLE_SNR_DB:g} dB muscle"):
            xa, xb = a.samples, b.samples
            if noise != "clean":
                ea, eb = muscle(xa.size, a.fs_hz, rng), muscle(xb.size, a.fs_hz, rng)
                xa = xa + ea / np.std(ea) * np.std(xa) / 10 ** (MUSCLE_SNR_DB / 20)
                xb = xb + eb / np.std(eb) * np.std(xb) / 10 ** (MUSCLE_SNR_DB / 20)
            rows.append(_row("mitdb", name, noise, methods, xa, xb, a.fs_hz, ref, pair_ok))
            print(rows[-1], flush=True)
    return rows


def bidmc_rows(methods: tuple[str, ...]) -> list[Row]:
    rows: list[Row] = []
    for num in range(1, 6):
        rec = load_bidmc_leads(num)
        xa, xb = rec.leads["II"], rec.leads["V"]
        # Beats both leads' detectors call normal (the product's own classes).
        ta0, na = _detector("hrv")(xa, rec.fs)
        tb0, nb = _detector("hrv")(xb, rec.fs)
        ref = ta0[na]
        both = np.isfinite(_at(tb0[nb], ref))
        pair_ok = both[1:] & both[:-1] & (np.diff(ref) < 2.0)
        rows.append(_row("bidmc", f"{num:02d}", "clean", methods, xa, xb, rec.fs, ref,
                         pair_ok))
        print(rows[-1], flush=True)
    return rows


def write(rows: list[Row], methods: tuple[str, ...]) -> None:
    doc = __doc__ or ""
    lines = ["# R-peak timing: RR agreement between simultaneous leads", "", header(),
             "\n\n".join(doc.split("\n\n")[1:4]), "",
             "RMS of the beat-by-beat RR difference between the two leads (ms; lower is "
             f"better), differences over {GROSS_MS:g} ms left out and counted apart (the "
             "per-record table gives their share).", "", "## Summary", "",
             "| data | noise | half | records | " + " | ".join(f"{m}: median" for m in methods)
             + " | hrv below apex only | hrv below NeuroKit2 |",
             "|---|---|---|---|" + "---|" * len(methods) + "---|---|"]
    groups = [("mitdb", "clean"), ("mitdb", f"{MUSCLE_SNR_DB:g} dB muscle"), ("bidmc", "clean")]
    summary: dict[tuple[str, str], dict[str, float]] = {}
    for data, noise in groups:
        halves = ((("tuning (even)", 0), ("held back (odd)", 1), ("all", None))
                  if data == "mitdb" else (("all", None),))
        for hname, parity in halves:
            sel = [r for r in rows if r.data == data and r.noise == noise
                   and (parity is None or int(r.record) % 2 == parity)]
            if not sel:
                continue
            med = {m: float(np.nanmedian([r.rms_ms[m] for r in sel])) for m in methods}
            if parity is None:
                summary[(data, noise)] = med

            def below(other: str, sel: list[Row] = sel) -> str:
                if other not in methods:
                    return "n/a"
                return f"{sum(r.rms_ms['hrv'] < r.rms_ms[other] for r in sel)}/{len(sel)}"

            lines.append(f"| {data} | {noise} | {hname} | {len(sel)} | "
                         + " | ".join(f"{med[m]:.2f}" for m in methods)
                         + f" | {below('apex only')} | {below('NeuroKit2')} |")
    lines += ["", f"## Per record (RMS ms, share of pairs over {GROSS_MS:g} ms)", "",
              "| data | record | noise | beat pairs | " + " | ".join(methods) + " |",
              "|---|---|---|---|" + "---|" * len(methods)]
    for r in rows:
        lines.append(f"| {r.data} | {r.record} | {r.noise} | {r.pairs} | "
                     + " | ".join(f"{r.rms_ms[m]:.2f} ({100 * r.gross[m]:.1f} %)"
                                  for m in methods) + " |")
    clean, noisy = summary[("mitdb", "clean")], summary[("mitdb", f"{MUSCLE_SNR_DB:g} dB muscle")]
    nk = (f"{clean['NeuroKit2']:.2f} / {noisy['NeuroKit2']:.2f} ms" if "NeuroKit2" in methods
          else "—")
    lines += ["", f"<!-- readme-row: | R-peak timing without a timing reference: RR "
                  f"difference between two simultaneous leads, MIT-BIH 13 low-ectopy records "
                  f"(clean / {MUSCLE_SNR_DB:g} dB muscle noise) | median RMS {clean['hrv']:.2f} / "
                  f"{noisy['hrv']:.2f} ms (apex alone {clean['apex only']:.2f} / "
                  f"{noisy['apex only']:.2f} ms); BIDMC II–V "
                  f"{summary[('bidmc', 'clean')]['hrv']:.2f} ms | {nk} | -->", ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--no-neurokit", action="store_true")
    args = ap.parse_args()
    methods = METHODS[:2] if args.no_neurokit else METHODS
    write(mitdb_rows(methods) + bidmc_rows(methods), methods)


if __name__ == "__main__":
    main()
