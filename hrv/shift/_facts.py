"""What each recording of a pair brings to the comparison, told once per pair.

A finding both recordings share (too short, too many corrected beats, unusable, ...) is
one sentence naming both ("in both recordings", or "pre: X, post: Y"), never one per
recording; a recording graded unusable for its corrected beats is not also told the
grade's own sentence about them. Measured values are given with as many decimals as it
takes not to read like the limit they fall short of ("59.6 s; at least 60 s").
"""

from __future__ import annotations

import dataclasses

from hrv.rhythm import ECTOPIC_MAX_SHARE
from hrv.shift._types import ShiftConfig
from hrv.types import Analysis, Grade, QualityWarning

__all__ = ["Facts", "below", "recording_facts", "rhythm_finding"]

#: Rhythm findings after which HRV does not reflect vagal activity at all.
_AF_CODES = frozenset({"possible_atrial_fibrillation"})
#: Rhythm findings under which the recording's own screening calls HRV not
#: interpretable (more than 10 % non-normal beats, ``hrv.rhythm``): they void the comparison.
_ECTOPY_CODES = frozenset({"high_ectopic_burden", "rhythm_not_interpretable"})
#: Above this share of non-normal beats (half the rhythm screen's limit), a caveat is given.
_ARRHYTHMIA_CAVEAT_SHARE = ECTOPIC_MAX_SHARE / 2
#: Quality-grade findings that explain an "unusable" grade (see ``hrv.quality``).
_GRADE_CODES = frozenset({"too_short", "excessive_artifacts", "too_many_corrections",
                          "mostly_excluded", "rhythm_not_interpretable", "short_recording"})
#: Grade findings about corrected beats: told in the pair's own sentence on corrections.
_CORRECTION_CODES = frozenset({"excessive_artifacts", "too_many_corrections",
                               "many_artifacts", "some_artifacts"})
#: Grade findings about shortness: told in the pair's own sentence on duration.
_SHORT_CODES = frozenset({"too_short", "short_recording"})
#: Grade findings that can make a recording "poor".
_POOR_CODES = frozenset({"many_artifacts", "short_recording", "mostly_excluded",
                         "beat_timing_unreliable"})
#: Below this share of the recording covered by NN intervals, a caveat is given.
_MIN_NN_SHARE = 0.8
#: Below this share, the NN series no longer represents the recording: inconclusive.
_MIN_NN_SHARE_VERDICT = 0.5

ADVICE_STILL = (
    "Record at least 3 minutes (5 minutes is the standard) sitting or lying still, "
    "breathing normally, before and after the session."
)
ADVICE_CONTACT = (
    "Check the sensor contact (moisten a chest strap's electrodes, tighten a watch or "
    "finger sensor) and keep still while recording."
)
#: Findings that void the comparison (the others are caveats), in the order told.
_INCONCLUSIVE = ("unusable_recording", "too_few_normal_intervals", "too_short",
                 "too_many_corrections", "rmssd_unavailable")
_CAVEATS = ("sparse_intervals", "short_recording", "many_corrections", "poor_quality")


def below(value: float, limit: float, digits: int = 0) -> str:
    """``value`` formatted with ``digits`` decimals, or more until it no longer reads
    like ``limit`` (59.6 s against a 60 s limit is "59.6", not "60")."""
    for d in range(digits, digits + 4):
        text = f"{value:.{d}f}"
        if value == limit or text != f"{limit:.{d}f}":
            return text
    return f"{value:.{digits + 3}f}"


@dataclasses.dataclass(frozen=True)
class Facts:
    """``inconclusive`` and ``caveats`` from the recordings one by one; ``advice``."""

    inconclusive: tuple[QualityWarning, ...]
    caveats: tuple[QualityWarning, ...]
    advice: tuple[str, ...]


def _nn_s(a: Analysis) -> float:
    return float(a.nn.rr_ms.sum()) / 1000.0 if len(a.nn) else 0.0


def _abnormal_share(a: Analysis) -> float | None:
    """Share of beats classified non-normal, or ``None`` without a classification."""
    normal = a.beats.normal
    if normal is None or len(normal) == 0:
        return None
    return 1.0 - float(normal.mean())


def rhythm_finding(a: Analysis) -> tuple[str, float | None] | None:
    """The recording's rhythm finding: ``("af" | "ectopy" | "ectopic_caveat", share)``.

    ``share`` is the fraction of beats classified non-normal (``None`` without a
    classification). More than :data:`hrv.rhythm.ECTOPIC_MAX_SHARE` non-normal beats (or
    the rhythm screen's own flag) means the recording's screening calls HRV not
    interpretable; paced beats count as non-normal.
    """
    codes = {w.code for w in a.quality.warnings}
    abnormal = _abnormal_share(a)
    if codes & _AF_CODES:
        return "af", abnormal
    if codes & _ECTOPY_CODES or (abnormal is not None and abnormal > ECTOPIC_MAX_SHARE):
        return "ectopy", abnormal
    if abnormal is not None and abnormal > _ARRHYTHMIA_CAVEAT_SHARE:
        return "ectopic_caveat", abnormal
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def recording_facts(pre: Analysis, post: Analysis, cfg: ShiftConfig) -> Facts:
    """The per-recording rules of :func:`hrv.shift.compare`, one sentence per finding."""
    found: dict[str, list[tuple[str, object]]] = {}
    advice: list[str] = []

    def note(code: str, name: str, value: object = None, tip: str | None = None) -> None:
        found.setdefault(code, []).append((name, value))
        if tip is not None:
            advice.append(tip)

    for name, a in (("pre", pre), ("post", post)):
        q = a.quality
        unusable = q.grade is Grade.UNUSABLE
        over = q.corrected_pct > cfg.max_corrected_pct
        if unusable:
            skip = (_CORRECTION_CODES if over else frozenset())
            why = [w.message for w in q.warnings if w.code in _GRADE_CODES - skip]
            told_by_corrections = over and any(w.code in _CORRECTION_CODES
                                               for w in q.warnings)
            if not why and q.warnings and not told_by_corrections:
                why = [q.warnings[-1].message]
            left = {w.code for w in q.warnings if w.code in _GRADE_CODES - skip}
            if left == {"too_short"}:  # told with its length, like a short pair
                note("unusable_recording", name, _nn_s(a), ADVICE_STILL)
            elif why or not told_by_corrections:
                note("unusable_recording", name,
                     "; ".join(_lower_first(w.strip().rstrip(".")) for w in why)
                     or "no reason recorded", ADVICE_STILL)
        nn_s = _nn_s(a)
        share = nn_s / a.duration_s if a.duration_s > 0 else 1.0
        # Frequent non-normal beats void the comparison elsewhere and already explain why
        # so little of the recording is covered: one reason, not two.
        explained = unusable or (rhythm_finding(a) or ("",))[0] == "ectopy"
        if share < _MIN_NN_SHARE_VERDICT and not explained:
            note("too_few_normal_intervals", name, share,
                 "If extra heartbeats are frequent for this client, HRV cannot track "
                 "relaxation reliably; otherwise check the sensor contact.")
        elif share < _MIN_NN_SHARE and not explained:
            note("sparse_intervals", name, share)
        if unusable:
            pass  # the grade's own reason (usually the same shortness) is already given
        elif nn_s < cfg.min_duration_s:
            note("too_short", name, nn_s, ADVICE_STILL)
        elif nn_s < cfg.recommended_duration_s:
            note("short_recording", name, nn_s, ADVICE_STILL)
        if over:
            note("too_many_corrections", name, q.corrected_pct, ADVICE_CONTACT)
        elif q.corrected_pct > cfg.caveat_corrected_pct:
            note("many_corrections", name, q.corrected_pct, ADVICE_CONTACT)
        if rhythm_finding(a) is None and q.grade is Grade.POOR:
            told = {c for c, items in found.items() if any(n == name for n, _ in items)}
            covered = set(_CORRECTION_CODES) if told & {"many_corrections",
                                                       "too_many_corrections"} else set()
            if told & {"short_recording", "too_short"}:
                covered |= _SHORT_CODES
            why = [w.message for w in q.warnings if w.code in _POOR_CODES - covered]
            note("poor_quality", name,
                 "; ".join(_lower_first(w.strip().rstrip(".")) for w in why), ADVICE_CONTACT)
        if a.metrics.rmssd_ms is None:
            note("rmssd_unavailable", name)

    grades = {"pre": pre.quality.grade.value, "post": post.quality.grade.value}
    bad = [QualityWarning(c, _told(c, found[c], cfg, grades)) for c in _INCONCLUSIVE
           if c in found]
    cav = [QualityWarning(c, _told(c, found[c], cfg, grades)) for c in _CAVEATS if c in found]
    return Facts(tuple(bad), tuple(cav), tuple(advice))


def _told(code: str, items: list[tuple[str, object]], cfg: ShiftConfig,
          grades: dict[str, str]) -> str:
    """The one sentence of a finding, for one recording or for both (``grades``: each
    recording's quality grade, to name the other one's beside a poor one)."""
    names = [n for n, _ in items]
    values = [v for _, v in items]
    both = len(items) == 2
    one = names[0]
    if code == "unusable_recording":
        need = f"at least {cfg.min_duration_s:g} s are needed"
        if all(isinstance(v, float) for v in values):
            secs = [below(float(v), cfg.min_duration_s) for v in values]  # type: ignore[arg-type]
            if not both:
                return (f"The {one} recording is too short to use: only {secs[0]} s of clean "
                        f"beat intervals; {need}.")
            return (f"Both recordings are too short to use (pre: {secs[0]} s, post: {secs[1]} s "
                    f"of clean beat intervals); {need}.")
        reasons = [str(v) if not isinstance(v, float) else
                   f"only {below(v, cfg.min_duration_s)} s of clean beat intervals; {need}"
                   for v in values]
        if not both:
            return f"The {one} recording was graded unusable: {reasons[0]}."
        if reasons[0] == reasons[1]:
            return f"Both recordings were graded unusable: {reasons[0]}."
        return ("Both recordings were graded unusable. "
                + " ".join(f"{n.capitalize()}: {_sentence(r)}" for n, r in zip(
                    names, reasons, strict=True)))
    if code in ("too_few_normal_intervals", "sparse_intervals"):
        pct = [f"{100 * float(v):.0f}%" for v in values]  # type: ignore[arg-type]
        tail = ("; the rest touches extra (ectopic) beats or gaps, so the remaining "
                "pieces do not represent the recording." if code == "too_few_normal_intervals"
                else " (the rest touches extra (ectopic) beats or gaps).")
        if not both:
            return (f"Only {pct[0]} of the {one} recording is covered by clean intervals "
                    f"between normal heartbeats{tail}")
        return (f"Only part of each recording is covered by clean intervals between normal "
                f"heartbeats (pre: {pct[0]}, post: {pct[1]}){tail}")
    if code in ("too_short", "short_recording"):
        limit = cfg.min_duration_s if code == "too_short" else cfg.recommended_duration_s
        secs = [below(float(v), limit) for v in values]  # type: ignore[arg-type]
        if code == "too_short":
            need = f"at least {limit:g} s are needed to compare RMSSD"
            if not both:
                return f"The {one} recording has only {secs[0]} s of clean beat intervals; {need}."
            return (f"Both recordings are too short (pre: {secs[0]} s, post: {secs[1]} s of "
                    f"clean beat intervals); {need}.")
        steadier = (f"{limit / 60:g} minutes or more give steadier values (LF power needs "
                    "2 minutes, 5 minutes is the standard)")
        if not both:
            return f"The {one} recording has {secs[0]} s of clean beat intervals; {steadier}."
        return (f"Both recordings are short (pre: {secs[0]} s, post: {secs[1]} s of clean "
                f"beat intervals); {steadier}.")
    if code in ("too_many_corrections", "many_corrections"):
        limit = cfg.max_corrected_pct if code == "too_many_corrections" else \
            cfg.caveat_corrected_pct
        pct = [below(float(v), limit, 1) for v in values]  # type: ignore[arg-type]
        same = both and pct[0] == pct[1]
        whose = ("the beats in both recordings" if same else f"the {one} recording's beats")
        if code == "too_many_corrections":
            tail = f"(the limit is {limit:g}%)"
            if both and not same:
                return (f"Too many beats had to be corrected in both recordings "
                        f"(pre: {pct[0]}%, post: {pct[1]}%; the limit is {limit:g}%).")
            return f"{pct[0]}% of {whose} had to be corrected {tail}."
        bias = "corrected beats bias RMSSD and HF power"
        if both and not same:
            return (f"Many beats were corrected in both recordings (pre: {pct[0]}%, "
                    f"post: {pct[1]}%); {bias}.")
        return f"{pct[0]}% of {whose} were corrected; {bias}."
    if code == "poor_quality":
        reasons = [str(v) for v in values]
        if both and reasons[0] == reasons[1]:
            return "Both recordings' data quality is poor" + (
                f": {reasons[0]}." if reasons[0] else ".")
        if not both:
            other = "post" if one == "pre" else "pre"
            said = f"The {one} recording's data quality is poor"
            if grades[other] != grades[one]:
                said += f" (the {other} recording's is {grades[other]})"
            return said + (f": {reasons[0]}." if reasons[0] else ".")
        return " ".join(f"The {n} recording's data quality is poor"
                        + (f": {r}." if r else ".") for n, r in zip(names, reasons,
                                                                    strict=True))
    if code == "rmssd_unavailable":
        return ("RMSSD could not be computed for either recording." if both
                else f"RMSSD could not be computed for the {one} recording.")
    raise ValueError(code)
