"""Loaders for the shared public recordings (see ``shared/data/MANIFEST.md``).

Used by the benchmarks and the real-data tests. The data folder is found beside the
project root (``<root>/../shared/data``), as laid out for development and CI.

Sources: MIT-BIH Arrhythmia Database (Moody & Mark, IEEE EMB 20(3):45-50, 2001);
MIT-BIH Supraventricular Arrhythmia Database (Greenwald, MIT thesis, 1990); BIDMC PPG
and Respiration Dataset (Pimentel et al., IEEE TBME 64(8):1914-1923, 2016); PhysioNet
(Goldberger et al., Circulation 101:e215, 2000).
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = [
    "BEAT_CODES",
    "DATA_DIR",
    "MITDB_NONPACED",
    "MITDB_PACED",
    "VENTRICULAR_CODES",
    "BidmcRecord",
    "EcgRecord",
    "data_available",
    "load_bidmc",
    "load_mitdb",
    "load_svdb",
    "load_wfdb_ecg",
]

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: Annotation codes that mark a beat (ANSI/AAMI EC57 / PhysioNet convention).
BEAT_CODES = frozenset("NLRBAaJSVrFejnE/fQ?")
#: Ventricular ectopic beat codes (premature ventricular contraction, ventricular escape).
VENTRICULAR_CODES = frozenset("VE")

MITDB_NONPACED = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
MITDB_PACED = ("102", "104", "107", "217")

FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False)
class EcgRecord:
    """One ECG channel with its reference beat annotations.

    Attributes
    ----------
    name : str
        ``"mitdb/101"`` etc.
    samples : ndarray, shape (n,)
        The channel in physical units (mV).
    fs_hz : float
        Sampling rate in Hz.
    lead : str
        Lead name from the header.
    beat_times_s : ndarray, shape (n_beats,)
        Reference beat times in seconds (annotation sample / fs).
    beat_symbols : ndarray of str, shape (n_beats,)
        Annotation code of each reference beat.
    vf_episodes_s : tuple of (start_s, end_s)
        Ventricular flutter/fibrillation episodes (``[`` to ``]`` annotations), which
        ANSI/AAMI EC57 excludes from beat-detection scoring.
    """

    name: str
    samples: FloatArray
    fs_hz: float
    lead: str
    beat_times_s: FloatArray
    beat_symbols: npt.NDArray[np.str_]
    vf_episodes_s: tuple[tuple[float, float], ...] = ()


@dataclasses.dataclass(frozen=True, eq=False)
class BidmcRecord:
    """One BIDMC record: ECG lead II, PPG and impedance respiration at 125 Hz.

    ``breaths_s`` holds the breath onsets of annotator 1 in seconds.
    """

    name: str
    fs_hz: float
    ecg: FloatArray
    ppg: FloatArray
    resp: FloatArray
    breaths_s: FloatArray
    breaths2_s: FloatArray


def data_available(sub: str = "") -> bool:
    """Whether the shared data folder (or one of its sub-folders) exists."""
    return (DATA_DIR / sub).exists()


def load_wfdb_ecg(path: Path, *, channel: int = 0, name: str | None = None) -> EcgRecord:
    """Read one channel of a WFDB record and its ``.atr`` beat annotations."""
    import wfdb  # benchmark/test dependency only

    rec = wfdb.rdrecord(str(path), channels=[channel])
    ann = wfdb.rdann(str(path), "atr")
    symbols = np.asarray(ann.symbol)
    samples = np.asarray(ann.sample, dtype=np.int64)
    is_beat = np.isin(symbols, list(BEAT_CODES))
    fs = float(rec.fs)
    signal = np.asarray(rec.p_signal[:, 0], dtype=np.float64)
    starts = samples[symbols == "["] / fs
    ends = samples[symbols == "]"] / fs
    episodes = []
    for a in starts:
        later = ends[ends > a]
        episodes.append((float(a), float(later[0]) if later.size else len(signal) / fs))
    return EcgRecord(
        name=name or path.name,
        samples=signal,
        fs_hz=fs,
        lead=str(rec.sig_name[0]),
        beat_times_s=samples[is_beat] / fs,
        beat_symbols=symbols[is_beat],
        vf_episodes_s=tuple(episodes),
    )


def load_mitdb(record: str, *, channel: int | None = None) -> EcgRecord:
    """An MIT-BIH Arrhythmia Database record (360 Hz).

    By default the MLII lead is read (channel 0 in all records but 114, where it is
    channel 1; records 102 and 104 have no MLII and give channel 0).
    """
    import wfdb

    path = DATA_DIR / "mitdb" / record
    if channel is None:
        names = wfdb.rdheader(str(path)).sig_name
        channel = names.index("MLII") if "MLII" in names else 0
    return load_wfdb_ecg(path, channel=channel, name=f"mitdb/{record}")


def load_svdb(record: str = "800", *, channel: int = 0) -> EcgRecord:
    """An MIT-BIH Supraventricular Arrhythmia Database record (128 Hz)."""
    return load_wfdb_ecg(DATA_DIR / "svdb" / record, channel=channel, name=f"svdb/{record}")


def load_bidmc(record: int) -> BidmcRecord:
    """A BIDMC record (``record`` from 1 to 53; 1-5 are shared here).

    Columns are found by name (their order differs between records).
    """
    base = DATA_DIR / "bidmc"
    tag = f"bidmc_{record:02d}"
    with gzip.open(base / f"{tag}_Signals.csv.gz", "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        data = np.array([[float(v) if v.strip() else np.nan for v in row] for row in reader])
    col = {h: i for i, h in enumerate(header)}
    t = data[:, col["Time [s]"]]
    fs = float(round((len(t) - 1) / float(t[-1] - t[0])))
    with open(base / f"{tag}_Breaths.csv", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = [row for row in reader if row]
    b1 = np.array([float(r[0]) for r in rows if r[0].strip()]) / fs
    b2 = np.array([float(r[1]) for r in rows if len(r) > 1 and r[1].strip()]) / fs
    return BidmcRecord(
        name=tag,
        fs_hz=fs,
        ecg=data[:, col["II"]],
        ppg=data[:, col["PLETH"]],
        resp=data[:, col["RESP"]],
        breaths_s=b1,
        breaths2_s=b2,
    )
