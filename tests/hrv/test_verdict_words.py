"""The words of a verdict: one sentence per fact, plain language, each caveat where it applies.

Every test assembles real :class:`~hrv.shift.SessionShift` objects from synthetic analyses
(:mod:`hrv.simulate` through :func:`hrv.analyze_intervals`) and reads the text a therapist
reads: the summary and the caveats.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from hrv.analysis import analyze_intervals
from hrv.config import QualityConfig
from hrv.quality import grade_quality
from hrv.shift import Baseline, Direction, SessionShift, compare
from hrv.simulate import rr_series
from hrv.types import Analysis, Grade, SignalKind
from tests.hrv.test_shift_support import REST, VAGAL, pair, slow_breathing

#: Words a therapist should never read: code names, Python's, unformatted numbers.
_SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
_INTERNAL = re.compile(r"\(empty input\)|\b(?:None|nan|NaN|inf|Traceback)\b|[{}]")


def _texts(s: SessionShift) -> list[str]:
    v = s.verdict
    return [v.summary, v.next_time or "", *(c.message for c in v.caveats)]


def _assert_plain(s: SessionShift) -> None:
    for text in _texts(s):
        assert not _SNAKE.findall(text), (_SNAKE.findall(text), text)
        assert not _INTERNAL.findall(text), (_INTERNAL.findall(text), text)
        assert "-0%" not in text and "+0%" not in text, text


def _with_artifacts(rr: np.ndarray, share: float, seed: int) -> np.ndarray:
    """``rr`` with a ``share`` of its intervals lengthened by 60 % (missed beats)."""
    out = rr.copy()
    rng = np.random.default_rng(seed)
    idx = rng.choice(np.arange(5, len(rr) - 5, 3), int(share * len(rr)), replace=False)
    out[idx] *= 1.6
    return out


def _rr(seed: int, duration_s: float = 300.0) -> np.ndarray:
    return rr_series(duration_s, mean_hr_bpm=70, lf_amplitude_ms=20, hf_amplitude_ms=25,
                     hf_hz=0.25, noise_ms=10, seed=seed)


def _graded(a: Analysis, corrected_pct: float) -> Analysis:
    """``a`` re-graded as if ``corrected_pct`` of its beats had been corrected."""
    q = a.quality
    grade, warnings = grade_quality(
        n_beats=q.beats, n_intervals=len(a.nn), nn_duration_s=float(a.nn.rr_ms.sum()) / 1000,
        duration_s=a.duration_s, corrected_pct=corrected_pct, excluded_s=0.0, warnings=(),
        config=QualityConfig(),
    )
    return dataclasses.replace(
        a, quality=dataclasses.replace(q, grade=grade, corrected_pct=corrected_pct,
                                       warnings=tuple(warnings)))


class TestCorrectionsOnce:
    def test_both_recordings_over_the_limit_is_one_sentence(self) -> None:
        pre = analyze_intervals(_with_artifacts(_rr(1), 0.2, 3), unit="ms")
        post = analyze_intervals(_with_artifacts(_rr(2), 0.2, 4), unit="ms")
        assert pre.quality.corrected_pct > 15 and post.quality.corrected_pct > 15
        s = compare(pre, post)
        assert s.verdict.direction is Direction.INCONCLUSIVE
        text = s.verdict.summary
        # the corrected share of each recording is stated once, in one sentence
        for a in (pre, post):
            assert text.count(f"{a.quality.corrected_pct:.1f}%") == 1, text
        assert text.count("corrected") == 1, text
        assert "both recordings" in text
        assert "needed correction" not in text  # the grade's own sentence is not repeated
        assert [c.code for c in s.verdict.caveats].count("too_many_corrections") == 1
        _assert_plain(s)

    def test_the_same_share_in_both_is_said_once(self) -> None:
        a, b = pair(REST, REST, 11)
        s = compare(_graded(a, 25.0), _graded(b, 25.0))
        text = s.verdict.summary
        assert text.count("25.0%") == 1, text
        assert "25.0% of the beats in both recordings had to be corrected" in text
        assert "pre: " not in text
        _assert_plain(s)

    def test_one_recording_with_many_corrections(self) -> None:
        a, b = pair(REST, REST, 12)
        s = compare(a, _graded(b, 8.0))
        msgs = [c.message for c in s.verdict.caveats if c.code == "many_corrections"]
        assert msgs == ["8.0% of the post recording's beats were corrected; corrected beats "
                        "bias RMSSD and HF power."]
        assert s.verdict.summary.count("8.0%") == 1
        # 8 % corrected grades it poor: said once, with the other recording's grade
        assert s.post.quality.grade is Grade.POOR and s.pre.quality.grade is not Grade.POOR
        codes = {c.code: c.message for c in s.verdict.caveats}
        assert "different_quality" not in codes
        assert codes["poor_quality"] == (
            f"The post recording's data quality is poor (the pre recording's is "
            f"{s.pre.quality.grade.value}).")
        assert s.verdict.summary.count("poor") == 1
        _assert_plain(s)

    def test_both_with_many_corrections_named_pre_and_post(self) -> None:
        a, b = pair(REST, REST, 13)
        s = compare(_graded(a, 6.0), _graded(b, 9.0))
        text = s.verdict.summary
        assert "in both recordings (pre: 6.0%, post: 9.0%)" in text
        assert text.count("6.0%") == 1 and text.count("9.0%") == 1
        _assert_plain(s)


def _exact(total_s: float, seed: int) -> np.ndarray:
    """Intervals whose sum is ``total_s`` seconds (the last one cut to fit)."""
    rr = _rr(seed, total_s + 5)
    t = np.cumsum(rr)
    k = int(np.searchsorted(t, total_s * 1000))
    rr = rr[: k + 1].copy()
    rr[-1] -= t[k] - total_s * 1000
    return rr


def _seconds_in(text: str) -> list[str]:
    return re.findall(r"(\d+(?:\.\d+)?) s\b", text)


def _rounds_to(text: str, value: float) -> bool:
    """``text`` is ``value`` rounded to the decimals ``text`` shows."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10.0**-decimals + 1e-9


class TestLengths:
    @pytest.mark.parametrize(("length_s", "limit_s", "code"),
                             [(59.6, 60.0, "too_short"), (179.6, 180.0, "short_recording")])
    def test_a_shortfall_states_the_measured_length(self, length_s: float, limit_s: float,
                                                    code: str) -> None:
        pre = analyze_intervals(_exact(length_s, 21), unit="ms")
        nn_s = float(pre.nn.rr_ms.sum()) / 1000
        assert round(nn_s) == limit_s and nn_s < limit_s  # reads like the limit at 0 decimals
        post = analyze_intervals(_rr(22), unit="ms")
        msg = {c.code: c.message for c in compare(pre, post).verdict.caveats}[code]
        measured = [x for x in _seconds_in(msg) if float(x) != limit_s]
        assert measured and _rounds_to(measured[0], nn_s), msg
        assert float(measured[0]) < limit_s

    def test_the_grade_states_the_measured_length(self) -> None:
        # 57.6 s of intervals: short of 60 s even with the two intervals allowed for the
        # parts of the recording before the first and after the last beat
        a = analyze_intervals(_exact(57.6, 23), unit="ms")
        nn_s = float(a.nn.rr_ms.sum()) / 1000
        assert nn_s < 60
        msg = {w.code: w.message for w in a.quality.warnings}["short_recording"]
        assert "Only 60 s" not in msg
        assert _rounds_to(_seconds_in(msg)[0], nn_s), msg
        assert float(_seconds_in(msg)[0]) < 60

    def test_needs_at_least_never_reads_like_the_limit(self) -> None:
        a = analyze_intervals(_exact(59.6, 24), unit="ms")
        for w in a.quality.warnings:
            if "needs at least" not in w.message and "are needed" not in w.message:
                continue
            m = re.search(r"is (\d+(?:\.\d+)?) s long; .* needs at least (\d+) s", w.message)
            if m:
                assert float(m.group(1)) != float(m.group(2)), w.message

    def test_both_too_short_is_one_sentence(self) -> None:
        a = analyze_intervals(_exact(50.0, 25), unit="ms")
        b = analyze_intervals(_exact(55.0, 26), unit="ms")
        s = compare(a, b)
        msgs = [c.message for c in s.verdict.caveats if c.code == "too_short"]
        assert len(msgs) == 1 and msgs[0].startswith("Both recordings are too short (pre: ")
        assert s.verdict.summary.count("at least 60 s") == 1
        _assert_plain(s)


    def test_both_unusable_for_shortness_is_one_sentence(self) -> None:
        a = analyze_intervals(_rr(27, 25.0), unit="ms")
        b = analyze_intervals(_rr(28, 20.0), unit="ms")
        assert a.quality.grade is Grade.UNUSABLE and b.quality.grade is Grade.UNUSABLE
        s = compare(a, b)
        text = s.verdict.summary
        assert text.count("at least 60 s are needed") == 1, text
        assert "Both recordings are too short to use (pre: " in text
        # the advice is given once, as advice, not inside the reasons
        assert "record at least 3 minutes" not in text.lower()
        assert s.verdict.next_time is not None and "3 minutes" in s.verdict.next_time
        _assert_plain(s)


class TestKinds:
    def test_ecg_against_intervals_has_no_ppg_caveat(self) -> None:
        a, b = pair(REST, REST, 31)
        s = compare(dataclasses.replace(a, kind=SignalKind.ECG), b)
        msg = {c.code: c.message for c in s.verdict.caveats}["different_kind"]
        assert "PPG" not in msg and "pulse-rate variability" not in msg
        assert "different devices" in msg
        assert "pulse-rate variability" not in s.verdict.summary
        _assert_plain(s)

    @pytest.mark.parametrize("other", [SignalKind.ECG, SignalKind.RR])
    def test_ppg_against_another_kind_has_it(self, other: SignalKind) -> None:
        a, b = pair(REST, REST, 32)
        s = compare(dataclasses.replace(a, kind=SignalKind.PPG),
                    dataclasses.replace(b, kind=other))
        msg = {c.code: c.message for c in s.verdict.caveats}["different_kind"]
        assert "pulse-rate variability from a PPG runs higher" in msg
        assert s.verdict.summary.count("pulse-rate variability") == 1

    def test_same_kind_has_no_kind_caveat(self) -> None:
        a, b = pair(REST, REST, 33)
        for kind in (SignalKind.ECG, SignalKind.PPG):
            s = compare(dataclasses.replace(a, kind=kind), dataclasses.replace(b, kind=kind))
            assert "different_kind" not in {c.code for c in s.verdict.caveats}
            assert "pulse-rate variability" not in s.verdict.summary


class TestPlainWords:
    def test_differing_settings_are_named_in_words(self) -> None:
        a, b = pair(REST, REST, 41)
        cfg = dict(b.provenance["config"])
        cfg["spectrum"] = {**cfg["spectrum"], "segment_s": 120.0}
        cfg["artifacts"] = {**cfg["artifacts"], "alpha": 5.0}
        b2 = dataclasses.replace(b, provenance={**b.provenance, "config": cfg})
        s = compare(a, b2)
        msg = {c.code: c.message for c in s.verdict.caveats}["different_settings"]
        assert "frequency analysis" in msg and "beat correction" in msg
        _assert_plain(s)

    def test_unreadable_settings_without_the_readers_error(self) -> None:
        a, b = pair(REST, REST, 42)
        b2 = dataclasses.replace(b, provenance={**b.provenance, "config": None})
        s = compare(a, b2)
        msg = {c.code: c.message for c in s.verdict.caveats}["settings_unknown"]
        assert "the post recording (no analysis settings are recorded with it)" in msg
        _assert_plain(s)

    def test_a_small_baseline_in_words(self) -> None:
        a, b = pair(REST, REST, 43)
        s = compare(a, b, baseline=Baseline(n_sessions=1, ln_rmssd_mean=3.3, ln_rmssd_sd=0.0))
        msg = {c.code: c.message for c in s.verdict.caveats}["baseline_too_small"]
        assert msg.startswith("Only 1 earlier session;")
        _assert_plain(s)

    @pytest.mark.parametrize("case", ["rise", "none", "unusable", "breathing", "sparse"])
    def test_no_internal_wording(self, case: str) -> None:
        if case == "rise":
            s = compare(*pair(REST, VAGAL, 50))
        elif case == "none":
            s = compare(*pair(REST, REST, 51))
        elif case == "unusable":
            a, _ = pair(REST, REST, 52)
            b = analyze_intervals(_rr(53, 25.0), unit="ms")
            assert b.quality.grade is Grade.UNUSABLE
            s = compare(a, b)
        elif case == "breathing":
            s = compare(*pair(REST, slow_breathing(REST, 5.0), 54))
        else:
            a = analyze_intervals(_with_artifacts(_rr(55), 0.1, 5), unit="ms")
            s = compare(a, analyze_intervals(_rr(56), unit="ms"))
        _assert_plain(s)


class TestRestSentence:
    def test_a_rise_says_rest_alone_once(self) -> None:
        s = compare(*pair(REST, VAGAL, 60))
        assert s.verdict.direction is Direction.PARASYMPATHETIC_INCREASE
        assert s.verdict.summary.count("Rest alone also raises RMSSD and lowers heart rate") == 1
        assert "without any treatment" in s.verdict.summary

    def test_no_rise_no_rest_sentence(self) -> None:
        s = compare(*pair(REST, REST, 61))
        assert s.verdict.direction is not Direction.PARASYMPATHETIC_INCREASE
        assert "Rest alone" not in s.verdict.summary
