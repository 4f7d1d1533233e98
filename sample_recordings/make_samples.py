"""Cut the sample recordings of this folder from ``../shared/data`` (see README.md).

Run from the project root: ``python sample_recordings/make_samples.py``. Each pair is
the first and the last minutes of one real recording, named ``*_pre``/``*_post`` so the
service demo loads it as a before/after session.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np

from hrv.io import read_recording

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
WINDOW_S = 300.0


def nsr_rr_text() -> None:
    """Two 5-min windows of nsr001 without any non-normal beat, as RR text in ms."""
    rec = read_recording(SHARED / "nsr2db" / "nsr001", kind="rr")
    assert rec.rr_ms is not None and rec.beat_times_s is not None and rec.gap_flags is not None
    t, rr, bad = rec.beat_times_s, rec.rr_ms, rec.gap_flags
    starts = np.arange(t[0], t[-1] - WINDOW_S, 60.0)
    clean = [s for s in starts if not bad[(t >= s) & (t < s + WINDOW_S)].any()]
    for name, s in (("pre", clean[0]), ("post", clean[-1])):
        sel = (t >= s) & (t < s + WINDOW_S)
        lines = "\n".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in rr[sel])
        (HERE / f"nsr001_{name}.txt").write_text(lines + "\n")


def mitdb_edf_post() -> None:
    """Minutes 25-30 of MIT-BIH 101 as EDF+, like the shared first-5-min file."""
    import edfio
    import wfdb

    fs = 360
    start = 25 * 60 * fs
    rec = wfdb.rdrecord(str(SHARED / "mitdb" / "101"), sampfrom=start, sampto=start + 300 * fs)
    ann = wfdb.rdann(str(SHARED / "mitdb" / "101"), "atr", sampfrom=start, sampto=start + 300 * fs)
    beats = set("NLRBAaJSVrFejnE/fQ?")
    signals = [
        edfio.EdfSignal(
            rec.p_signal[:, i],
            fs,
            label=f"ECG {name}",
            physical_dimension="mV",
            physical_range=(-10.24, 10.235),
        )
        for i, name in enumerate(rec.sig_name)
    ]
    notes = [
        edfio.EdfAnnotation((s - start) / fs, None, f"beat {sym}")
        for s, sym in zip(ann.sample, ann.symbol, strict=True)
        if sym in beats
    ]
    edf = edfio.Edf(signals, annotations=notes, data_record_duration=1.0)
    buf = io.BytesIO()
    edf.write(buf)
    (HERE / "mitdb101_post.edf").write_bytes(buf.getvalue())
    (HERE / "mitdb101_pre.edf").write_bytes(
        (SHARED / "edf" / "mitdb101_first5min.edf").read_bytes()
    )


def polar_hrm() -> None:
    """First and last 5 min of the Polar exercise recording, as .hrm files."""
    text = (SHARED / "polar" / "exercise_rri.hrm").read_text()
    head, rows = text.split("[HRData]")
    rr = np.array([float(x) for x in rows.split()])
    t = np.cumsum(rr) / 1000.0
    for name, sel in (("pre", t <= WINDOW_S), ("post", t > t[-1] - WINDOW_S)):
        part = rr[sel]
        secs = part.sum() / 1000.0
        length = f"Length={int(secs // 3600):02d}:{int(secs % 3600 // 60):02d}:{secs % 60:04.1f}"
        new_head = "\n".join(length if ln.startswith("Length=") else ln for ln in head.splitlines())
        body = "\n".join(str(int(v)) for v in part)
        (HERE / f"polar_exercise_{name}.hrm").write_text(f"{new_head}\n[HRData]\n{body}\n")


def welltory_ppg() -> None:
    """The two halves of Welltory subject 16's phone-camera PPG."""
    lines = (SHARED / "welltory" / "subject_16" / "PPG.csv").read_text().splitlines()
    rows = lines[1:]
    t = np.array([float(r.split(",")[0]) for r in rows])
    half = t[-1] / 2
    for name, sel in (("pre", t < half), ("post", t >= half)):
        idx = np.flatnonzero(sel)
        t0 = t[idx[0]]
        out = [lines[0]] + [f"{int(t[i] - t0)}," + rows[i].split(",", 1)[1] for i in idx]
        (HERE / f"welltory_subject16_{name}.csv").write_text("\n".join(out) + "\n")


def bidmc_ecg_ppg() -> None:
    """First and last 4 min of BIDMC record 01: ECG lead II and PLETH at 125 Hz."""
    with gzip.open(SHARED / "bidmc" / "bidmc_01_Signals.csv.gz", "rt") as f:
        lines = f.read().splitlines()
    names = [n.strip() for n in lines[0].split(",")]
    j_ii, j_p = names.index("II"), names.index("PLETH")
    rows = [r.split(",") for r in lines[1:]]
    n = 240 * 125
    for name, part in (("pre", rows[:n]), ("post", rows[-n:])):
        # The source's time column is rounded to 2 decimals late in the record: use
        # the sample index at the documented 125 Hz instead.
        out = ["Time [s],II,PLETH"] + [
            f"{i / 125:.3f},{r[j_ii].strip()},{r[j_p].strip()}" for i, r in enumerate(part)
        ]
        (HERE / f"bidmc01_{name}.csv").write_text("\n".join(out) + "\n")


def mitdb_float32() -> None:
    """The first 2 min of lead MLII of ``mitdb101_pre.edf`` as little-endian float32 (mV),
    for the binary fast path of ``POST /v1/analyses`` (360 Hz)."""
    rec = read_recording(HERE / "mitdb101_pre.edf", kind="ecg", channel="ECG MLII")
    assert rec.signal is not None
    x = np.asarray(rec.signal.samples, dtype="<f4")[: 120 * 360]
    (HERE / "mitdb101_mlii_360hz.f32").write_bytes(x.tobytes())


if __name__ == "__main__":
    nsr_rr_text()
    mitdb_edf_post()
    polar_hrm()
    welltory_ppg()
    bidmc_ecg_ppg()
    mitdb_float32()
