"""Breathing that changes between pre and post, rest alone, and pairs analysed unalike.

Synthetic pairs with known truth (``tests.hrv.test_shift_support``): breathing at about
15/min before and 4-6/min after, with and without a true vagal change; a vagal direction
must never be called from RMSSD or HF across such a change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hrv.errors import InvalidInputError
from hrv.shift import Direction, RestShift, compare
from hrv.shift._windows import analysis_config_of
from hrv.types import Analysis, SignalKind
from tests.hrv.test_shift_support import REST, VAGAL, pair, slow_breathing


@pytest.mark.parametrize("rate", [4.0, 5.0, 6.0])
@pytest.mark.parametrize("post_state", ["rest", "vagal"])
def test_no_vagal_call_across_slowed_breathing(rate: float, post_state: str) -> None:
    post = slow_breathing(REST if post_state == "rest" else VAGAL, rate)
    for seed in range(3):
        s = compare(*pair(REST, post, 300 + seed))
        codes = {c.code for c in s.verdict.caveats}
        # the post rate is read from the intervals alone
        assert s.post.respiration.rate_bpm is not None
        assert abs(s.post.respiration.rate_bpm - rate) <= 1.0
        assert "breathing_changed" in codes
        assert s.verdict.direction not in (Direction.PARASYMPATHETIC_INCREASE,
                                           Direction.PARASYMPATHETIC_DECREASE)
        assert f"to about {rate:.0f} breaths/min" in s.verdict.summary
        assert "reflects breathing, not vagal activity" in s.verdict.summary


def test_steady_breathing_still_calls_a_true_vagal_rise() -> None:
    calls = [compare(*pair(REST, VAGAL, 400 + k)).verdict for k in range(4)]
    assert all("breathing_changed" not in {c.code for c in v.caveats} for v in calls)
    assert sum(v.direction is Direction.PARASYMPATHETIC_INCREASE for v in calls) >= 3


def test_a_rise_names_rest_and_the_clients_rest_sessions() -> None:
    pre, post = pair(REST, VAGAL, 500)
    v = compare(pre, post).verdict
    assert v.direction is Direction.PARASYMPATHETIC_INCREASE
    assert v.summary.count("Rest alone also raises RMSSD") == 1
    # rest-only sessions of this client with no change: the rise exceeds them
    rests = [compare(*pair(REST, REST, 600 + k)) for k in range(3)]
    s = compare(pre, post, rest=rests)
    assert "In this client's 3 rest-only sessions" in s.verdict.summary
    assert "more than rest alone, beyond the combined uncertainty" in s.verdict.summary
    # a client whose rest alone raises ln RMSSD by as much as this session did
    big = RestShift(3, s.changes["ln_rmssd"].delta or 0.0, 0.05)
    s2 = compare(pre, post, rest=big)
    assert "not clearly more than rest alone" in s2.verdict.summary
    assert s2.provenance["rest"]["n_sessions"] == 3


def _with_provenance(a: Analysis, **changes: object) -> Analysis:
    prov = dict(a.provenance)
    prov.update(changes)
    return dataclasses.replace(a, provenance=prov)


def test_pairs_analysed_alike_or_not() -> None:
    pre, post = pair(REST, REST, 700)
    codes = {c.code for c in compare(pre, post).verdict.caveats}
    assert not {"different_version", "different_settings", "settings_unknown"} & codes
    other = _with_provenance(post, hrv_version="0.0.1")
    assert "different_version" in {c.code for c in compare(pre, other).verdict.caveats}
    cfg = dict(post.provenance["config"])
    cfg["spectrum"] = {**cfg["spectrum"], "segment_s": 120.0}
    changed = _with_provenance(post, config=cfg)
    cav = {c.code: c.message for c in compare(pre, changed).verdict.caveats}
    assert "frequency analysis" in cav["different_settings"]
    assert "segment_s" not in cav["different_settings"]


def test_unreadable_config_is_not_read_as_defaults() -> None:
    _, post = pair(REST, REST, 710)
    broken = _with_provenance(post, config={"spectrum": {"segment_s": "long"}})
    with pytest.raises(InvalidInputError):
        analysis_config_of(broken)
    assert analysis_config_of(_with_provenance(post, config=None)) is not None


def test_ecg_against_intervals_gets_no_ppg_caveat() -> None:
    pre, post = pair(REST, REST, 720)
    as_ecg = dataclasses.replace(pre, kind=SignalKind.ECG)
    cav = {c.code: c.message for c in compare(as_ecg, post).verdict.caveats}
    assert "PPG" not in cav["different_kind"]
    assert "PPG" in {c.code: c.message for c in compare(
        dataclasses.replace(pre, kind=SignalKind.PPG), post).verdict.caveats}["different_kind"]


def test_vlf_message_states_the_measured_length() -> None:
    from hrv.config import Bands, SpectrumConfig
    from hrv.metrics.frequency import frequency_domain
    from hrv.types import Intervals

    rr = 800.0 + np.random.default_rng(1).normal(0, 20, 400)
    t = np.cumsum(rr) / 1000.0
    keep = t <= 299.5
    rr, t = rr[keep], t[keep]
    rr[-1] += (299.5 - t[-1]) * 1000.0  # the series spans exactly 299.5 s
    t[-1] = 299.5
    nn = Intervals(rr, t, np.zeros(len(rr), dtype=bool))
    fd = frequency_domain(nn, SpectrumConfig(), Bands())
    msg = {w.code: w.message for w in fd.warnings}["too_short_for_vlf"]
    assert msg.startswith("The recording is 299.5 s long") and "300 s long" not in msg
