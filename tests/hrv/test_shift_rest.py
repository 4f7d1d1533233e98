"""A session's change beside the client's rest-only control sessions (``compare(rest=...)``).

Synthetic sessions with known effects (``tests.hrv.test_shift_support``): rest-only
sessions in which RMSSD truly rises by 10 % (heart rate 1 bpm lower), a treatment session
with a true +40 % rise (6 bpm lower) that must exceed them, and one with +8 % that must not.
"""

from __future__ import annotations

import math

import pytest

from hrv.errors import InvalidInputError
from hrv.shift import RestShift, SessionShift, compare
from hrv.shift._rest import RETEST_LN_RMSSD
from tests.hrv.test_shift_support import REST, pair, vagal_from

REST_PLUS_10 = vagal_from(REST, ratio=1.10, hr_drop_bpm=1.0)
SESSION_PLUS_40 = vagal_from(REST, ratio=1.40, hr_drop_bpm=6.0)
SESSION_PLUS_8 = vagal_from(REST, ratio=1.08, hr_drop_bpm=1.0)


@pytest.fixture(scope="module")
def rests() -> list[SessionShift]:
    return [compare(*pair(REST, REST_PLUS_10, 800 + k)) for k in range(5)]


def test_a_large_rise_exceeds_rest_alone(rests: list[SessionShift]) -> None:
    s = compare(*pair(REST, SESSION_PLUS_40, 900), rest=rests)
    rc = s.rest_comparison
    assert rc is not None
    assert rc.n_sessions == 5
    # the rest sessions' typical rise is about the +10 % put in
    assert 3.0 < rc.rest_rmssd_pct < 17.0
    assert rc.rest_ln_rmssd_sd is not None and rc.rest_ln_rmssd_sd > 0
    assert rc.rest_rmssd_pct_low < rc.rest_rmssd_pct < rc.rest_rmssd_pct_high
    assert rc.session_rmssd_pct is not None and 25.0 < rc.session_rmssd_pct < 55.0
    assert rc.exceeded is True and rc.outcome == "exceeded"
    assert rc.hr_outcome == "exceeded"  # 6 bpm lower against 1 bpm at rest
    assert "more than rest alone, beyond the combined uncertainty" in rc.summary
    assert "In this client's 5 rest-only sessions" in rc.summary
    # the summary of the rise says it once, in place of the general sentence on rest
    assert s.verdict.summary.count("rest-only sessions") == 1
    assert "Rest alone also raises" not in s.verdict.summary


def test_a_small_rise_does_not_exceed_rest_alone(rests: list[SessionShift]) -> None:
    s = compare(*pair(REST, SESSION_PLUS_8, 901), rest=rests)
    rc = s.rest_comparison
    assert rc is not None
    assert rc.exceeded is False and rc.outcome == "within"
    assert "not clearly more than rest alone" in rc.summary


def test_the_block_in_to_dict(rests: list[SessionShift]) -> None:
    s = compare(*pair(REST, SESSION_PLUS_40, 902), rest=rests)
    block = s.to_dict(include_beats=False)["rest_comparison"]
    assert block["n_sessions"] == 5 and block["exceeded"] is True
    for key in ("rest_ln_rmssd_change", "rest_ln_rmssd_sd", "rest_rmssd_pct",
                "session_ln_rmssd_change", "session_rmssd_pct", "difference_ln_rmssd",
                "uncertainty_ln_rmssd", "rest_hr_change_bpm", "session_hr_change_bpm",
                "summary"):
        assert block[key] is not None, key
    # the difference is this session's ln RMSSD change less the rest mean
    assert block["difference_ln_rmssd"] == pytest.approx(
        s.changes["ln_rmssd"].delta - block["rest_ln_rmssd_change"])
    # LF and LF/HF are given, never judged
    assert set(block["descriptive"]) == {"lf_power_ms2", "lf_hf_ratio"}
    assert set(block["descriptive"]["lf_power_ms2"]) == {"rest_pct", "session_pct"}
    assert compare(*pair(REST, REST, 903)).to_dict()["rest_comparison"] is None


def test_rest_changes_as_numbers() -> None:
    """ln RMSSD changes of +10 % ± 2 % at rest; a session of +40 % exceeds them."""
    changes = [math.log(x) for x in (1.08, 1.10, 1.12, 1.09, 1.11)]
    s = compare(*pair(REST, SESSION_PLUS_40, 904), rest=changes)
    assert s.rest_comparison is not None and s.rest_comparison.exceeded is True
    assert s.rest_comparison.rest_rmssd_pct == pytest.approx(10.0, abs=0.1)
    small = compare(*pair(REST, SESSION_PLUS_8, 905), rest=changes)
    assert small.rest_comparison is not None and small.rest_comparison.exceeded is False


def test_one_rest_session_uses_the_published_test_retest_error() -> None:
    """A single rest change has no spread of its own; about 21 % is the within-session
    test-retest error, so +40 % against one session of +10 % is not clearly beyond it."""
    rest = RestShift.from_changes([math.log(1.10)])
    assert rest.se == pytest.approx(RETEST_LN_RMSSD)
    s = compare(*pair(REST, SESSION_PLUS_40, 906), rest=rest)
    rc = s.rest_comparison
    assert rc is not None and rc.n_sessions == 1
    assert rc.outcome == "within"
    assert "In this client's 1 rest-only session " in rc.summary
    # a rise far beyond that error still exceeds it
    huge = compare(*pair(REST, vagal_from(REST, ratio=3.0, hr_drop_bpm=8.0), 907), rest=rest)
    assert huge.rest_comparison is not None and huge.rest_comparison.exceeded is True


def test_a_fall_is_below_rest_alone(rests: list[SessionShift]) -> None:
    down = vagal_from(REST, ratio=0.6, hr_drop_bpm=-6.0)
    s = compare(*pair(REST, down, 908), rest=rests)
    assert s.rest_comparison is not None
    assert s.rest_comparison.outcome == "below" and s.rest_comparison.exceeded is False
    assert "less than rest alone" in s.rest_comparison.summary


def test_stored_reports_count_like_shifts(rests: list[SessionShift]) -> None:
    a = RestShift.from_shifts(rests)
    b = RestShift.from_shifts([r.to_dict(include_beats=False) for r in rests])
    assert a == b


def test_inconclusive_rest_sessions_are_left_out(rests: list[SessionShift]) -> None:
    pre, _ = pair(REST, REST, 909)
    short, _ = pair(REST, REST, 910, duration_s=25.0)
    broken = compare(pre, short)
    assert broken.verdict.direction.value == "inconclusive"
    assert RestShift.from_shifts([*rests, broken]).n_sessions == len(rests)
    with pytest.raises(InvalidInputError):
        RestShift.from_shifts([broken])


def test_an_inconclusive_session_is_not_set_beside_rest(rests: list[SessionShift]) -> None:
    pre, _ = pair(REST, REST, 911)
    short, _ = pair(REST, REST, 912, duration_s=25.0)
    s = compare(pre, short, rest=rests)
    rc = s.rest_comparison
    assert rc is not None and rc.exceeded is None and rc.session_rmssd_pct is None
    assert "cannot be set beside it" in rc.summary
    assert rc.n_sessions == 5
