"""Rest alone: a session's change set beside the client's rest-only control sessions.

Lying still raises RMSSD and lowers heart rate without any treatment (``hrv-methods``
§7); a session's rise means more when it exceeds what rest alone does for this client.
:class:`RestShift` summarises the client's rest-only sessions (modality ``rest``);
:func:`rest_comparison` sets one session's change beside it.

Uncertainty
-----------
Two 5-min recordings 20–30 min apart at rest differ by about 21 % in RMSSD (CV), far more
than one recording's own sub-window error suggests. The spread of the client's rest
changes (SD, two or more sessions) is that noise measured for them: it holds both
recordings' measurement errors and the day-to-day variation of what rest does. A session
exceeds rest alone when ``d − m > t · sqrt(σ² + SD² / n)``: ``d`` this session's change of
ln RMSSD, ``m`` and ``SD`` the mean and SD of the ``n`` rest changes, ``σ`` the noise of
one change (the larger of this session's own standard error and ``SD``), ``t`` the
Student-t quantile with Welch–Satterthwaite degrees of freedom. With a single rest
session the published within-session test–retest error (:data:`RETEST_LN_RMSSD`) stands
in for ``SD``. Heart rate is judged the same way in bpm (a fall beyond rest's); LF power
and LF/HF are given beside them, descriptive only (their test–retest error is about 94 %).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hrv.errors import InvalidInputError
from hrv.shift._changes import satterthwaite, t_value

__all__ = ["RETEST_LN_RMSSD", "RestComparison", "RestShift", "rest_comparison"]

#: Within-session test–retest error of ln RMSSD: two 5-min recordings 20–30 min apart
#: differ by about 21 % (``hrv-methods`` §7). The spread of one rest change when the
#: client has a single rest-only session.
RETEST_LN_RMSSD = math.log(1.21)
#: Confidence level of the comparison with rest alone.
_LEVEL = 0.95


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _entry(changes: Any, key: str) -> Any:
    """One change of a SessionShift, of its ``to_dict()`` or of a changes mapping."""
    changes = changes.get("changes", changes) if isinstance(changes, Mapping) else \
        changes.changes
    return changes.get(key) if isinstance(changes, Mapping) else None


def _field(c: Any, name: str) -> Any:
    if c is None:
        return None
    return c.get(name) if isinstance(c, Mapping) else getattr(c, name)


def _change(shift: Any, key: str) -> tuple[float | None, float | None, float | None]:
    """``(delta, se, df)`` of one change."""
    c = _entry(shift, key)
    return _field(c, "delta"), _field(c, "se"), _field(c, "df")


def _direction(shift: Any) -> str | None:
    if isinstance(shift, Mapping):
        return (shift.get("verdict") or {}).get("direction")
    return shift.verdict.direction.value


def _ln_ratio(shift: Any, key: str) -> float | None:
    """ln(post / pre) of a ratio marker (LF power, LF/HF), or ``None``."""
    c = _entry(shift, key)
    pre, post = _field(c, "pre"), _field(c, "post")
    if pre is None or post is None or pre <= 0 or post <= 0:
        return None
    return math.log(post / pre)


def _sd(values: Sequence[float]) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) >= 2 else None


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


@dataclasses.dataclass(frozen=True)
class RestShift:
    """The client's typical change in rest-only control sessions (modality ``rest``).

    Build it with :meth:`from_shifts` (earlier :class:`~hrv.shift.SessionShift` results,
    or their ``to_dict()``) or :meth:`from_changes` (ln RMSSD changes, post − pre).

    Attributes
    ----------
    n_sessions : int
        Number of rest-only sessions.
    mean : float
        Mean change of ln RMSSD (post − pre) over them.
    se : float
        Standard error of that mean: their SD / sqrt(n) with two or more sessions, the
        single session's own measurement error otherwise.
    sd : float or None
        SD (ddof=1) of their ln RMSSD changes; ``None`` with one session.
    hr_mean, hr_sd : float or None
        Mean and SD of their heart-rate changes in bpm.
    hr_se : float or None
        Standard error of ``hr_mean`` (as ``se``).
    ln_lf_mean, ln_lf_hf_mean : float or None
        Mean ln ratio (post / pre) of LF power and of LF/HF: descriptive only.
    """

    n_sessions: int
    mean: float
    se: float
    sd: float | None = None
    hr_mean: float | None = None
    hr_se: float | None = None
    hr_sd: float | None = None
    ln_lf_mean: float | None = None
    ln_lf_hf_mean: float | None = None

    def __post_init__(self) -> None:
        if self.n_sessions < 1:
            raise InvalidInputError("a rest shift needs at least one session")
        if not (math.isfinite(self.mean) and math.isfinite(self.se) and self.se >= 0):
            raise InvalidInputError("rest shift mean and se must be finite, se >= 0")
        for name in ("sd", "hr_se", "hr_sd"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v >= 0):
                raise InvalidInputError(f"{name} must be finite and >= 0, got {v!r}")

    @classmethod
    def from_changes(cls, ln_rmssd_changes: Sequence[float],
                     hr_changes_bpm: Sequence[float] | None = None) -> RestShift:
        """From the ln RMSSD changes (post − pre) of rest-only sessions (and their heart-rate
        changes in bpm). With one session its error is unknown: ``se`` is the published
        within-session test–retest error, :data:`RETEST_LN_RMSSD`."""
        d = [float(x) for x in ln_rmssd_changes if x is not None and math.isfinite(x)]
        if not d:
            raise InvalidInputError("no rest-only session has an RMSSD change")
        hr = [float(x) for x in (hr_changes_bpm or ()) if x is not None and math.isfinite(x)]
        sd, hr_sd = _sd(d), _sd(hr)
        return cls(
            n_sessions=len(d), mean=float(np.mean(d)),
            se=RETEST_LN_RMSSD if sd is None else sd / math.sqrt(len(d)), sd=sd,
            hr_mean=_mean(hr), hr_sd=hr_sd,
            hr_se=None if hr_sd is None else hr_sd / math.sqrt(len(hr)),
        )

    @classmethod
    def from_shifts(cls, shifts: Sequence[Any]) -> RestShift:
        """From earlier :class:`~hrv.shift.SessionShift` results of rest-only sessions (or
        their ``to_dict()``). Sessions whose comparison was inconclusive (a recording
        unusable, breathing that slowed or quickened) or has no RMSSD change are left out."""
        used = [s for s in shifts if _direction(s) != "inconclusive"
                and _change(s, "ln_rmssd")[0] is not None]
        if not used:
            raise InvalidInputError("no rest-only session has a usable RMSSD change")
        d = [float(_change(s, "ln_rmssd")[0] or 0.0) for s in used]
        hr_pairs = [_change(s, "mean_hr_bpm") for s in used]
        hr = [float(x) for x, _, _ in hr_pairs if x is not None]
        lf = [x for s in used if (x := _ln_ratio(s, "lf_power_ms2")) is not None]
        lf_hf = [x for s in used if (x := _ln_ratio(s, "lf_hf_ratio")) is not None]
        sd, hr_sd = _sd(d), _sd(hr)
        if sd is not None:
            se = sd / math.sqrt(len(d))
        else:
            se = float(_change(used[0], "ln_rmssd")[1] or 0.0)
        if hr_sd is not None:
            hr_se: float | None = hr_sd / math.sqrt(len(hr))
        else:
            hr_se = hr_pairs[0][1] if hr else None
        return cls(len(d), float(np.mean(d)), se, sd, _mean(hr), hr_se, hr_sd,
                   _mean(lf), _mean(lf_hf))

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_sessions": self.n_sessions,
            "mean_ln_rmssd_change": _num(self.mean),
            "se": _num(self.se),
            "sd_ln_rmssd_change": _num(self.sd),
            "mean_hr_change_bpm": _num(self.hr_mean),
            "se_hr_change_bpm": _num(self.hr_se),
            "sd_hr_change_bpm": _num(self.hr_sd),
            "mean_ln_lf_change": _num(self.ln_lf_mean),
            "mean_ln_lf_hf_change": _num(self.ln_lf_hf_mean),
        }


@dataclasses.dataclass(frozen=True)
class RestComparison:
    """One session's change beside the client's rest-only sessions.

    Attributes
    ----------
    n_sessions : int
        Rest-only sessions compared with.
    rest_ln_rmssd_change, rest_ln_rmssd_sd : float, float or None
        Mean and SD of their ln RMSSD changes (SD ``None`` with one session).
    rest_rmssd_pct : float
        That mean as a % change of RMSSD; ``rest_rmssd_pct_low``/``_high`` the typical
        range (mean ± SD, or ± the published test–retest error with one session).
    session_ln_rmssd_change, session_rmssd_pct : float or None
        This session's change (``None`` when it has none or was inconclusive).
    difference_ln_rmssd : float or None
        This session's change less the rest mean.
    uncertainty_ln_rmssd : float or None
        Combined standard error of that difference (see the module notes).
    exceeded : bool or None
        ``True`` when the difference is beyond ``t`` × the combined uncertainty.
    outcome : str or None
        ``"exceeded"``, ``"within"`` (not clearly different) or ``"below"`` (clearly less
        than rest alone).
    rest_hr_change_bpm, session_hr_change_bpm : float or None
        Mean heart-rate change at rest and this session's, in bpm.
    hr_outcome : str or None
        ``"exceeded"`` (fell more than at rest beyond the uncertainty), ``"within"`` or
        ``"below"``.
    descriptive : mapping
        ``lf_power_ms2`` and ``lf_hf_ratio``: the rest and session % changes, never judged.
    summary : str
        The comparison in words.
    """

    n_sessions: int
    rest_ln_rmssd_change: float
    rest_ln_rmssd_sd: float | None
    rest_rmssd_pct: float
    rest_rmssd_pct_low: float
    rest_rmssd_pct_high: float
    session_ln_rmssd_change: float | None
    session_rmssd_pct: float | None
    difference_ln_rmssd: float | None
    uncertainty_ln_rmssd: float | None
    exceeded: bool | None
    outcome: str | None
    rest_hr_change_bpm: float | None
    session_hr_change_bpm: float | None
    hr_outcome: str | None
    descriptive: Mapping[str, Mapping[str, float | None]]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                v = _num(v)
            elif f.name == "descriptive":
                v = {k: {kk: _num(vv) for kk, vv in d.items()} for k, d in v.items()}
            out[f.name] = v
        return out


def _pct(ln: float | None) -> float | None:
    return None if ln is None else 100.0 * math.expm1(ln)


def _judge(d: float, m: float, *, own_se: float, own_df: float | None,
           spread: float | None, n: int, rest_se: float) -> tuple[float, float, str]:
    """``(difference, combined SE, outcome)`` of a change ``d`` against a rest mean ``m``.

    With a rest spread (two or more sessions) the noise of one change is the larger of
    ``own_se`` and ``spread`` and the rest mean's error ``spread / sqrt(n)``; otherwise
    ``own_se`` and ``rest_se`` are combined as they are.
    """
    if spread is not None and n >= 2:
        sigma = max(own_se, spread)
        rest_part = spread / math.sqrt(n)
        sigma_df = float(n - 1) if sigma == spread else (own_df or math.inf)
        df: float | None = satterthwaite((sigma, rest_part), (sigma_df, float(n - 1)))
    else:
        sigma, rest_part, df = own_se, rest_se, own_df
    se = math.hypot(sigma, rest_part)
    z = t_value(_LEVEL, df)
    diff = d - m
    outcome = "exceeded" if diff > z * se else ("below" if diff < -z * se else "within")
    return diff, se, outcome


def _signed(x: float) -> str:
    """``+9`` or ``-1``; a decimal more when it would read as 0 (never "-0")."""
    text = f"{x:+.0f}"
    return f"{x:+.1f}" if text in ("+0", "-0") and x != 0 else text


def rest_comparison(rest: RestShift, changes: Mapping[str, Any], *,
                    inconclusive: bool = False) -> RestComparison:
    """Set one session's ``changes`` (:class:`~hrv.shift.MarkerChange` by marker name)
    beside the client's rest-only sessions; ``inconclusive``: its verdict was."""
    n = rest.n_sessions
    # A mean's standard error given without the spread: SD = SE * sqrt(n).
    sd = rest.sd if rest.sd is not None or n < 2 else rest.se * math.sqrt(n)
    spread = sd if sd is not None else RETEST_LN_RMSSD
    typical = 100 * math.expm1(rest.mean)
    low, high = 100 * math.expm1(rest.mean - spread), 100 * math.expm1(rest.mean + spread)
    sessions = f"{n} rest-only session" + ("s" if n != 1 else "")
    said_rest = (f"In this client's {sessions} (lying still, no treatment), RMSSD changed by "
                 f"{_signed(typical)}% on average")
    said_rest += (f" (typically {_signed(low)}% to {_signed(high)}%)" if sd is not None
                  else " (one session: its spread is unknown, about ±21% is usual)")
    if rest.hr_mean is not None:
        said_rest += f" and heart rate by {_signed(rest.hr_mean)} bpm"
    shift = {"changes": changes}
    d, se, df = _change(shift, "ln_rmssd")
    descriptive = {
        "lf_power_ms2": {"rest_pct": _pct(rest.ln_lf_mean),
                         "session_pct": _pct(_ln_ratio(shift, "lf_power_ms2"))},
        "lf_hf_ratio": {"rest_pct": _pct(rest.ln_lf_hf_mean),
                        "session_pct": _pct(_ln_ratio(shift, "lf_hf_ratio"))},
    }
    if d is None or se is None or inconclusive:
        return RestComparison(
            n, rest.mean, sd, typical, low, high, None, None, None, None, None, None,
            rest.hr_mean, None, None, descriptive,
            f"{said_rest}. This session's change cannot be set beside it: no conclusion "
            "could be drawn from its recordings.",
        )
    # One rest session: the spread of a rest change is unknown and far larger than one
    # recording's sub-window error; the published test-retest error stands in for it.
    floor = 0.0 if sd is not None else RETEST_LN_RMSSD
    diff, comb, outcome = _judge(
        d, rest.mean, own_se=max(se, floor), own_df=None if floor else df, spread=sd,
        n=n, rest_se=max(rest.se, floor))
    hr_d, hr_se, hr_df = _change(shift, "mean_hr_bpm")
    hr_outcome = None
    if hr_d is not None and hr_se is not None and rest.hr_mean is not None:
        # A fall of heart rate beyond rest's is the vagal direction: -d against -m.
        _, _, hr_outcome = _judge(-hr_d, -rest.hr_mean, own_se=hr_se, own_df=hr_df,
                                  spread=rest.hr_sd, n=n, rest_se=rest.hr_se or 0.0)
    pct = 100 * math.expm1(d)
    said_session = f"This session's RMSSD changed by {_signed(pct)}%"
    if hr_d is not None:
        said_session += f" and heart rate by {_signed(hr_d)} bpm"
    words = {
        "exceeded": "more than rest alone, beyond the combined uncertainty of both",
        "within": "not clearly more than rest alone (the difference lies within the "
                  "combined uncertainty of both)",
        "below": "less than rest alone, beyond the combined uncertainty of both",
    }
    summary = f"{said_rest}. {said_session}: {words[outcome]}."
    if hr_outcome is not None and hr_outcome != outcome:
        hr_words = {"exceeded": "heart rate fell more than at rest",
                    "within": "the heart-rate change was within what rest alone does",
                    "below": "heart rate fell less than at rest"}
        summary += f" For heart rate alone, {hr_words[hr_outcome]}."
    return RestComparison(
        n, rest.mean, sd, typical, low, high, d, pct, diff, comb,
        outcome == "exceeded", outcome, rest.hr_mean, hr_d, hr_outcome, descriptive,
        summary,
    )
