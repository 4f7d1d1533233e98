"""Regression guard of :func:`hrv.shift.compare` on real recordings (a snapshot).

**What this is and is not.** ``fixtures/shift/real_pairs.json`` is a snapshot of this
code's own output, re-judged by hand after each deliberate change: it guards against
unintended changes, it is not independent truth (the verdicts here were not measured
against a physiological reference). Checks against independent truth live elsewhere:
synthetic pairs with a known effect (``test_shift.py``, ``test_shift_breathing.py``,
``benchmarks/shift_calibration.py``). No shared recording has a documented posture
change (supine to standing), so the known direction of posture cannot be checked here.

Each record's first and last 5 minutes (reference beat annotations read with
``wfdb.rdann``; beats of sinus origin are normal) are analysed by
:func:`hrv.analysis.analyze_beat_times` and compared. The verdicts were judged by reading
the numbers; the reasoning is written beside the fixture in
``fixtures/shift/real_pairs.md``. Data: MIT-BIH Arrhythmia Database (Moody & Mark 2001)
and the Normal Sinus Rhythm RR Interval Database (Goldberger et al. 2000), ODC-By 1.0.

Regenerate the fixture after a deliberate change with
``.venv/bin/python -m tests.hrv.test_shift_real`` and re-judge every verdict.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hrv.analysis import analyze_beat_times
from hrv.errors import InsufficientDataError
from hrv.shift import Direction, SessionShift, compare
from hrv.types import Analysis

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "shift" / "real_pairs.json"

#: Annotation codes of beats (PhysioNet convention); other codes are rhythm/noise marks.
BEAT_CODES = frozenset("NLRBAaJSVrFejnE/fQ?")
#: Beats of sinus origin, whose intervals are NN intervals: normal, left/right bundle
#: branch block (sinus-conducted), atrial and nodal escape beats.
SINUS_CODES = frozenset("NLRej")
WINDOW_S = 300.0

#: ``":ecg"``: the raw lead-MLII waveform through :func:`hrv.analyze` (the service's path
#: for an uploaded ECG) instead of the reference beats. Paced record 107 is compared this
#: way because through its reference beats no sinus interval is left (every beat is paced)
#: and ``analyze_beat_times`` refuses the segment.
RECORDS = (
    "mitdb/101", "mitdb/106", "mitdb/112", "mitdb/115", "mitdb/116", "mitdb/122",
    "mitdb/201", "mitdb/203", "mitdb/207", "mitdb/208", "mitdb/107:ecg",
    "nsr2db/nsr001", "nsr2db/nsr004", "nsr2db/nsr009",
)  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data folder {DATA} is missing"),
]


def beat_times(record: str) -> tuple[np.ndarray, np.ndarray]:
    """Beat times (s) and sinus flags of a record's reference annotations."""
    import wfdb

    db, name = record.split("/")
    ext = "atr" if db == "mitdb" else "ecg"
    ann = wfdb.rdann(str(DATA / db / name), ext)
    symbols = np.asarray(ann.symbol)
    is_beat = np.isin(symbols, list(BEAT_CODES))
    times = np.asarray(ann.sample, dtype=np.float64)[is_beat] / float(ann.fs)
    normal = np.isin(symbols[is_beat], list(SINUS_CODES))
    return times, normal


def _segment(times: np.ndarray, normal: np.ndarray, t0: float) -> Analysis:
    keep = (times >= t0) & (times < t0 + WINDOW_S)
    return analyze_beat_times(times[keep] - t0, normal=normal[keep])


def _waveform_pair(record: str) -> tuple[Analysis, Analysis]:
    """First and last 5 minutes of a record's first ECG lead through :func:`hrv.analyze`."""
    import wfdb

    import hrv

    path = str(DATA / record)
    header = wfdb.rdheader(path)
    n = int(WINDOW_S * header.fs)
    out = []
    for start in (0, header.sig_len - n):
        sig, _ = wfdb.rdsamp(path, sampfrom=start, sampto=start + n, channels=[0])
        out.append(hrv.analyze(sig[:, 0], float(header.fs), "ecg"))
    return out[0], out[1]


@functools.cache
def shift_of(record: str) -> SessionShift:
    """First 5 minutes (pre) against the last 5 minutes (post) of a record."""
    if record.endswith(":ecg"):
        return compare(*_waveform_pair(record.removesuffix(":ecg")))
    times, normal = beat_times(record)
    return compare(_segment(times, normal, float(times[0])),
                   _segment(times, normal, float(times[-1]) - WINDOW_S + 1e-6))


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def key_figures(s: SessionShift) -> dict[str, Any]:
    """Direction and the figures a reader needs to judge it."""
    c = s.changes
    return {
        "direction": s.verdict.direction.value,
        "confidence_label": None if s.verdict.confidence_label is None
        else s.verdict.confidence_label.value,
        "evidence": list(s.verdict.evidence),
        "caveats": sorted({w.code for w in s.verdict.caveats}),
        "rmssd_ms": [_r(c["rmssd_ms"].pre, 1), _r(c["rmssd_ms"].post, 1)],
        "rmssd_ci_ms": [_r(c["rmssd_ms"].ci_low, 1), _r(c["rmssd_ms"].ci_high, 1)],
        "rmssd_meaningful": c["rmssd_ms"].meaningful,
        "mean_hr_bpm": [_r(c["mean_hr_bpm"].pre, 1), _r(c["mean_hr_bpm"].post, 1)],
        "hr_meaningful": c["mean_hr_bpm"].meaningful,
        "hf_power_ms2": [_r(c["hf_power_ms2"].pre, 0), _r(c["hf_power_ms2"].post, 0)],
        "respiration_bpm": [_r(c["respiration_rate_bpm"].pre, 1),
                            _r(c["respiration_rate_bpm"].post, 1)],
        "corrected_pct": [_r(s.pre.quality.corrected_pct, 1),
                          _r(s.post.quality.corrected_pct, 1)],
        "grades": [s.pre.quality.grade.value, s.post.quality.grade.value],
        "summary": s.verdict.summary,
    }


def _fixture() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(FIXTURE.read_text())
    return data


@pytest.mark.parametrize("record", RECORDS)
class TestRealPairs:
    """Snapshot comparison (regression guard), see the module docstring."""

    def test_verdict_matches_the_judged_fixture(self, record: str) -> None:
        want = _fixture()[record]
        got = key_figures(shift_of(record))
        assert got["direction"] == want["direction"], got["summary"]
        assert got["evidence"] == want["evidence"]

    def test_key_figures_match(self, record: str) -> None:
        # 10 % on RMSSD and 1 bpm on HR: room for numeric changes upstream (artefact
        # correction thresholds, spline), not for a different beat series or a verdict
        # resting on different numbers; a larger move means re-judging the fixture.
        want = _fixture()[record]
        got = key_figures(shift_of(record))
        for i in range(2):
            if want["rmssd_ms"][i] is not None:
                assert got["rmssd_ms"][i] == pytest.approx(want["rmssd_ms"][i], rel=0.10)
            if want["mean_hr_bpm"][i] is not None:
                assert got["mean_hr_bpm"][i] == pytest.approx(want["mean_hr_bpm"][i], abs=1.0)

    def test_result_is_explained_and_json_ready(self, record: str) -> None:
        s = shift_of(record)
        json.dumps(s.to_dict(include_beats=False), allow_nan=False)
        assert len(s.verdict.summary) > 80
        if s.verdict.direction is Direction.INCONCLUSIVE:
            assert s.verdict.next_time


class TestPacedRecord:
    def test_reference_beats_of_a_paced_record_give_no_verdict(self) -> None:
        # Every beat of mitdb/107 is paced ('/' in the reference annotations), so no
        # interval between two sinus beats is left: the beat-times path refuses the
        # segment (the service answers 422 with the reason) or, should it ever return an
        # Analysis instead, the comparison must be inconclusive. Never a direction.
        times, normal = beat_times("mitdb/107")
        try:
            pair = [_segment(times, normal, float(times[0])),
                    _segment(times, normal, float(times[-1]) - WINDOW_S + 1e-6)]
        except InsufficientDataError:
            return
        assert compare(*pair).verdict.direction is Direction.INCONCLUSIVE

    def test_paced_ecg_is_inconclusive_with_the_reason(self) -> None:
        s = shift_of("mitdb/107:ecg")
        assert s.verdict.direction is Direction.INCONCLUSIVE
        assert "rhythm_not_interpretable" in {c.code for c in s.verdict.caveats}
        assert "pacemaker" in s.verdict.summary


def main() -> None:
    """Write the fixture from the current code (then re-judge it by hand)."""
    out = {r: key_figures(shift_of(r)) for r in RECORDS}
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    for r, f in out.items():
        print(r, json.dumps({k: v for k, v in f.items() if k != "summary"}))
        print("   ", f["summary"])


if __name__ == "__main__":
    main()
