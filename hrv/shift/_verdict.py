"""The verdict: direction, confidence and a plain-language summary naming the evidence."""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

from hrv.shift._changes import t_value
from hrv.shift._checks import SERIOUS, Checks
from hrv.shift._rest import RestShift, rest_comparison
from hrv.shift._types import (
    ConfidenceLabel,
    Direction,
    MarkerChange,
    ShiftConfig,
    Verdict,
)

_NORMAL = NormalDist()  # standard normal (stdlib: no scipy.stats import)

__all__ = ["decide"]

#: Evidence markers, their vagal sign (+1: rises with vagal activity) and weight in the
#: confidence. RMSSD is primary (hrv-methods §3); SD1 duplicates it and is not counted.
_EVIDENCE = {"ln_rmssd": (1, 2.0), "mean_hr_bpm": (-1, 1.0), "ln_hf": (1, 1.0)}
#: Caveats about breathing, told in full in the summary (the others are listed).
_BREATHING_CODES = frozenset({"breathing_outside_hf_band", "breathing_rate_unknown",
                              "breathing_changed"})


def _p_beyond(d: float, se: float, swc: float, sign: int) -> float:
    """Probability that the true change exceeds ``swc`` in direction ``sign`` (normal)."""
    return float(_NORMAL.cdf((sign * d - swc) / se)) if se > 0 else float(sign * d > swc)


def _p_within(d: float, se: float, swc: float) -> float:
    """Probability that the true change lies within ``±swc``."""
    if se <= 0:
        return float(abs(d) < swc)
    return float(_NORMAL.cdf((swc - d) / se) - _NORMAL.cdf((-swc - d) / se))


def _label(p: float, cfg: ShiftConfig) -> ConfidenceLabel:
    if p >= cfg.high_confidence:
        return ConfidenceLabel.HIGH
    if p >= cfg.moderate_confidence:
        return ConfidenceLabel.MODERATE
    return ConfidenceLabel.LOW


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def _pair(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` formatted alike, with a decimal more when they would read the same."""
    fa, fb = _fmt(a), _fmt(b)
    if fa == fb and a != b:
        fa, fb = f"{a:.1f}", f"{b:.1f}"
    return fa, fb


def _vagal_sign(c: MarkerChange, sign: int) -> int:
    """+1 / −1 if ``c`` is a meaningful change towards more / less vagal activity, else 0."""
    if c.meaningful is not True or c.delta is None:
        return 0
    return sign * (1 if c.delta > 0 else -1)


#: Plain-language names of the evidence markers, with the technical name in brackets.
_PLAIN = {
    "rmssd_ms": "beat-to-beat variation (RMSSD)",
    "mean_hr_bpm": "heart rate",
    "hf_power_ms2": "breathing-linked variation (HF power)",
}


def _describe(name: str, c: MarkerChange) -> str:
    assert c.pre is not None and c.post is not None and c.delta is not None
    pre, post = _pair(c.pre, c.post)
    if name == "mean_hr_bpm":
        verb = "fell" if c.delta < 0 else "rose"
        return f"heart rate {verb} by {abs(c.delta):.0f} bpm ({pre} to {post} bpm)"
    verb = ("rose" if c.delta > 0 else "fell") if c.meaningful else "went"
    unit = "ms" if name == "rmssd_ms" else "ms²"
    return f"{_PLAIN[name]} {verb} from {pre} to {post} {unit} ({_pct(c.pct_change)})"


def _pct(x: float | None) -> str:
    """A signed % change; a decimal more when it would read as 0 ("-0.3%", never "-0%")."""
    if x is None:
        return "change unknown"
    text = f"{x:+.0f}%"
    return f"{x:+.1f}%" if text in ("+0%", "-0%") and x != 0 else text


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _cap(p: float, caveats: set[str], cfg: ShiftConfig) -> float:
    serious = len(caveats & SERIOUS)
    if serious >= 2:
        return min(p, cfg.moderate_confidence - 0.01)
    if serious == 1:
        return min(p, cfg.high_confidence - 0.01)
    return p


def decide(changes: Mapping[str, MarkerChange], checks: Checks, cfg: ShiftConfig,
           rest: RestShift | None = None) -> Verdict:
    """Turn the changes and the checks into a :class:`Verdict`.

    Rules, in order:

    1. Any reason in ``checks.inconclusive`` -> ``inconclusive``, with the reasons and
       ``next_time`` advice.
    2. Evidence markers are ln RMSSD (required), mean HR (falling = more vagal) and ln HF
       (only while breathing is inside the HF band in both recordings). LF and LF/HF are
       never evidence.
    3. ln RMSSD meaningful in direction s, no evidence marker meaningful against it, and
       either another marker meaningful in direction s or the whole RMSSD interval beyond
       the SWC -> that direction. Otherwise ``no_clear_change`` (changes that are small,
       unconfirmed or mixed are said so in the summary).

    Before rule 2: when breathing was slow in one recording and not in the other
    (``checks.breathing_change``), RMSSD, SD1 and HF follow the breathing: no direction
    is called (``inconclusive``), the facts and the reason are given in plain words.
    A rise is told beside what rest alone does (and, with ``rest``, beside the client's
    own rest-only sessions).
    """
    caveats = checks.caveats
    codes = {c.code for c in caveats}
    advice = " ".join(checks.advice) or None
    if checks.inconclusive:
        reasons = " ".join(w.message for w in checks.inconclusive)
        return Verdict(
            Direction.INCONCLUSIVE, None, None,
            f"No conclusion can be drawn from these recordings. {reasons}",
            (), tuple(checks.inconclusive) + caveats,
            advice or "Record at least 3 minutes sitting still before and after the session.",
        )
    if checks.breathing_change is not None:
        return _breathing_changed(changes, checks, advice)
    evidence = {k: v for k, v in _EVIDENCE.items()
                if not (k == "ln_hf" and checks.hf_invalid_reason is not None)}
    primary = changes["ln_rmssd"]
    if primary.se is None or primary.delta is None or primary.swc is None:
        return Verdict(
            Direction.INCONCLUSIVE, None, None,
            "No conclusion can be drawn: the measurement uncertainty of RMSSD could not be "
            "estimated, because the recordings are too short or too broken up by ectopic "
            "beats or gaps to give two usable sub-windows each.",
            (), caveats, advice or "Record at least 3 minutes sitting still.",
        )
    z = t_value(cfg.ci_level, primary.df)
    votes = {k: _vagal_sign(changes[k], s) for k, (s, _) in evidence.items()}
    s = votes["ln_rmssd"]
    support = [k for k, v in votes.items() if k != "ln_rmssd" and v == s and s != 0]
    against = [k for k, v in votes.items() if k != "ln_rmssd" and v == -s and s != 0]
    certain = abs(primary.delta) - z * primary.se > primary.swc
    rmssd, hr = changes["rmssd_ms"], changes["mean_hr_bpm"]
    swc_pct = 100 * math.expm1(primary.swc)
    src = "the client's own earlier sessions" if primary.swc_source == "baseline" else \
        "published day-to-day variation"
    tail = _tail(checks)

    if s != 0 and not against and (support or certain):
        direction = (Direction.PARASYMPATHETIC_INCREASE if s > 0
                     else Direction.PARASYMPATHETIC_DECREASE)
        used = ["ln_rmssd", *support]
        num = den = 0.0
        for k in used:
            c, (sign, w) = changes[k], evidence[k]
            assert c.delta is not None and c.se is not None and c.swc is not None
            num += w * _p_beyond(c.delta, c.se, c.swc, sign * s)
            den += w
        p = _cap(num / den, codes, cfg)
        named = ["rmssd_ms" if k == "ln_rmssd" else ("hf_power_ms2" if k == "ln_hf" else k)
                 for k in used]
        facts = _join([_describe(k, changes[k]) for k in named])
        word = "rose" if s > 0 else "fell"
        both = "Both changes are" if len(named) == 2 else (
            "These changes are" if len(named) > 2 else "The change is")
        summary = (
            f"Parasympathetic (calming, vagal) activity {word}: "
            f"{facts}. {both} larger than measurement noise and "
            f"than the smallest change worth noticing ({swc_pct:.0f}% for RMSSD, from "
            f"{src}). Confidence in this verdict: {_label(p, cfg).value} "
            f"({p:.2f}).{_rest(changes, rest, s)}{tail}"
        )
        return Verdict(direction, p, _label(p, cfg), summary, tuple(used), caveats,
                       advice)

    p = _cap(_p_within(primary.delta, primary.se, primary.swc), codes, cfg)
    r = (_describe("rmssd_ms", rmssd) if rmssd.delta is not None
         else "beat-to-beat variation (RMSSD) was not compared")
    h = ""
    if hr.pre is not None and hr.post is not None:
        hr_pre, hr_post = _pair(hr.pre, hr.post)
        h = f"heart rate went from {hr_pre} to {hr_post} bpm"
    facts = r + (f" and {h}" if h else "")
    if s != 0 and against:
        why = (f"The evidence is mixed: RMSSD points one way but "
               f"{_join([_name(k) for k in against])} changed beyond noise the other way, "
               "so no direction is called.")
    elif s != 0:
        why = ("The RMSSD change is larger than the noise, but nothing else confirms it "
               "and it may still be smaller than the smallest change worth noticing; treat "
               "it as a possible change to watch over further sessions.")
    elif votes.get("mean_hr_bpm", 0) != 0:
        why = ("Heart rate changed beyond measurement noise, but RMSSD did not: a "
               "heart-rate change alone is not specific to vagal activity (posture, digestion "
               "or movement also move it).")
    else:
        why = (f"Neither change is larger than both the measurement noise and the smallest "
               f"change worth noticing ({swc_pct:.0f}% for RMSSD, from {src}).")
    summary = (f"No clear change in parasympathetic (calming, vagal) activity: "
               f"{facts}. {why} Confidence in this verdict: "
               f"{_label(p, cfg).value} ({p:.2f}).{tail}")
    return Verdict(Direction.NO_CLEAR_CHANGE, p, _label(p, cfg), summary, ("ln_rmssd",),
                   caveats, advice)


def _breathing_changed(changes: Mapping[str, MarkerChange], checks: Checks,
                       advice: str | None) -> Verdict:
    """Inconclusive verdict when breathing slowed or quickened between the recordings."""
    facts = []
    rmssd, hr = changes["rmssd_ms"], changes["mean_hr_bpm"]
    if rmssd.pre is not None and rmssd.post is not None and rmssd.pct_change is not None:
        a, b = _pair(rmssd.pre, rmssd.post)
        facts.append(f"beat-to-beat variation (RMSSD) went from {a} to {b} ms "
                     f"({_pct(rmssd.pct_change)})")
    if hr.pre is not None and hr.post is not None:
        a, b = _pair(hr.pre, hr.post)
        facts.append(f"heart rate went from {a} to {b} bpm")
    said = f" {_join(facts)[:1].upper()}{_join(facts)[1:]}." if facts else ""
    others = [c.message for c in checks.caveats
              if c.code not in _BREATHING_CODES and c.code != "breathing_changed"]
    tail = (" Caveats: " + " ".join(others)) if others else ""
    summary = (f"{checks.breathing_change} No change in parasympathetic (calming, vagal) "
               f"activity can be called from these recordings.{said}{tail}")
    return Verdict(Direction.INCONCLUSIVE, None, None, summary, (), checks.caveats,
                   advice)


def _rest(changes: Mapping[str, MarkerChange], rest: RestShift | None, s: int) -> str:
    """The sentence on rest alone, for a rise (``s > 0``); with the client's rest-only
    sessions, whether this session's change exceeded their typical one."""
    if s <= 0:
        return ""
    if rest is None:
        return (" Rest alone also raises RMSSD and lowers heart rate (lying still does so "
                "without any treatment), so part of this rise may be rest.")
    return " " + rest_comparison(rest, changes).summary


def _name(k: str) -> str:
    return {"mean_hr_bpm": "heart rate", "ln_hf": "HF power"}.get(k, k)


def _tail(checks: Checks) -> str:
    """Caveat sentences appended to the summary.

    LF/HF is left out: it is never evidence, and its value (in ``changes``, marked
    descriptive) would invite a reading the method does not support (Billman 2013).
    """
    out = [f" {c.message}" for c in checks.caveats if c.code in _BREATHING_CODES]
    others = [c.message for c in checks.caveats if c.code not in _BREATHING_CODES]
    if others:
        out.append(" Caveats: " + " ".join(others))
    return "".join(out)
