"""Before/after comparison of two recordings: what changed, how sure we are, and why.

:func:`compare` takes the :class:`~hrv.Analysis` of a recording made before a session and
one made after it and returns a :class:`SessionShift`: for each marker the change with a
confidence interval estimated from the data, whether it is meaningful (larger than both
the measurement uncertainty and the smallest worthwhile change), and a :class:`Verdict`
in plain language with its caveats.

Method
------
*Measurement uncertainty* (:class:`UncertaintyMethod` ``SUBWINDOWS``): each marker is
computed with :mod:`hrv.metrics` on overlapping sub-windows of the recording's NN series
(60 s, 50 % overlap; 120 s windows for LF and LF/HF). The standard error of the
whole-recording value is the between-window SD, corrected for the data overlapping
windows share (overlapping batch means), × ``sqrt(window / duration)``; from 4 min on it
is checked against the same estimate from the 120-s windows and the larger one is used
(slow wander shows as a growth with window length; see
:func:`hrv.shift._windows.window_uncertainty`). Ratio markers (RMSSD, HF, LF, LF/HF, SD1)
are handled on the log scale. The change's standard error is ``sqrt(SE_pre² + SE_post²)``
and its interval ``d ± t·SE``, with ``t`` the Student quantile for the
Welch–Satterthwaite degrees of freedom of the two recordings' estimates, mapped back to
the marker's unit.

*Smallest worthwhile change*: with a :class:`Baseline` of at least three earlier sessions,
0.5 × the client's SD of ln RMSSD (and of mean HR and ln HF); otherwise the between-day
typical errors of Al Haddad et al. (2011) summarised in ``hrv-methods`` §5 (see
:class:`ShiftConfig`).

*Verdict*: see :func:`hrv._shift_verdict.decide`. RMSSD is the primary marker; heart rate
and (while breathing stays inside the HF band) HF power confirm it; LF/HF is descriptive
only and never evidence of a direction.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from hrv._version import __version__
from hrv.errors import InvalidInputError
from hrv.shift._changes import compute_changes
from hrv.shift._checks import check_pair
from hrv.shift._rest import RestComparison, RestShift, rest_comparison
from hrv.shift._types import (
    Baseline,
    ConfidenceLabel,
    Direction,
    MarkerChange,
    Scale,
    ShiftConfig,
    Trend,
    UncertaintyMethod,
    Verdict,
)
from hrv.shift._verdict import decide
from hrv.shift._windows import (
    LONG_MARKERS,
    SHORT_MARKERS,
    WindowSeries,
    analysis_config_of,
    window_series,
)
from hrv.types import Analysis

__all__ = [
    "Baseline",
    "ConfidenceLabel",
    "Direction",
    "MarkerChange",
    "RestComparison",
    "RestShift",
    "Scale",
    "SessionShift",
    "ShiftConfig",
    "Trend",
    "UncertaintyMethod",
    "Verdict",
    "compare",
    "windowed_trend",
]

#: Shortest sub-window used when recordings are too short for the configured one.
_MIN_WINDOW_S = 30.0


@dataclasses.dataclass(frozen=True, eq=False)
class SessionShift:
    """The comparison of a pre- and a post-session recording.

    Attributes
    ----------
    pre, post : Analysis
    changes : mapping of str to MarkerChange
        ``rmssd_ms``, ``ln_rmssd``, ``hf_power_ms2``, ``ln_hf``, ``lf_power_ms2``,
        ``lf_hf_ratio``, ``mean_hr_bpm``, ``sd1_ms``, ``respiration_rate_bpm``.
    verdict : Verdict
    trend : mapping of str to Trend
        ``"pre"`` and ``"post"``: RMSSD, HF and HR over sliding windows, for charts.
    provenance : mapping
        Library version, the :class:`ShiftConfig`, the uncertainty method and window
        lengths used, the SWC source, the baseline and the rest-only sessions.
    rest_comparison : RestComparison or None
        This session's change beside the client's rest-only control sessions, when
        :func:`compare` was given them (``rest=``).
    """

    pre: Analysis
    post: Analysis
    changes: Mapping[str, MarkerChange]
    verdict: Verdict
    trend: Mapping[str, Trend]
    provenance: Mapping[str, Any]
    rest_comparison: RestComparison | None = None

    def to_dict(self, *, include_beats: bool = True) -> dict[str, Any]:
        """JSON-ready dictionary (no NaN): the service's session-shift contract."""
        return {
            "pre": self.pre.to_dict(include_beats=include_beats),
            "post": self.post.to_dict(include_beats=include_beats),
            "changes": {k: v.to_dict() for k, v in self.changes.items()},
            "verdict": self.verdict.to_dict(),
            "trend": {k: v.to_dict() for k, v in self.trend.items()},
            "provenance": dict(self.provenance),
            "rest_comparison": None if self.rest_comparison is None
            else self.rest_comparison.to_dict(),
        }

    def to_frame(self, layout: str = "changes") -> Any:
        """This comparison as a ``pandas.DataFrame``, built from :mod:`hrv.tables` rows.

        Parameters
        ----------
        layout : {"changes", "pair"}
            ``"changes"``: one row per marker (``marker``, ``unit``, pre, post, delta,
            confidence interval, meaningful, SWC, ...); ``"pair"``: the one row a batch's
            shift table holds for this pair (verdict, confidence, caveats, each change).

        Raises
        ------
        ImportError
            pandas is not installed (``pip install 'hrv-session[frames]'``).
        ValueError
            For another ``layout``.
        """
        # hrv.tables lies above hrv.shift in the data flow: loaded when called only.
        tables = importlib.import_module("hrv.tables")
        if layout == "changes":
            return tables.to_frame(tables.shift_changes_table(self))
        if layout == "pair":
            return tables.to_frame(tables.shift_table([tables.PairItem(shift=self)]))
        raise ValueError(f"layout must be 'changes' or 'pair', not {layout!r}")


def _trend_of(ws: WindowSeries, step_s: float) -> Trend:
    return Trend(
        window_s=ws.window_s,
        step_s=step_s,
        t_start_s=ws.t_start_s,
        t_end_s=ws.t_end_s,
        rmssd_ms=ws.values["rmssd_ms"],
        hf_power_ms2=ws.values["hf_power_ms2"],
        mean_hr_bpm=ws.values["mean_hr_bpm"],
        n_beats=ws.n_beats,
    )


def windowed_trend(analysis: Analysis, *, window_s: float = 60.0, step_s: float = 30.0) -> Trend:
    """RMSSD, HF power and mean HR over sliding windows of one recording.

    Parameters
    ----------
    analysis : Analysis
        The recording; its clean NN series ``analysis.nn`` is cut into windows.
    window_s : float
        Window length in seconds (60 s: long enough for HF, Esco & Flatt 2014 found ln
        RMSSD over 60 s to agree with 5 min).
    step_s : float
        Step between window starts in seconds (30 s = 50 % overlap).

    Returns
    -------
    Trend
        Arrays of shape (k,) with one entry per window; NaN where a window holds less than
        50 % clean data or a marker is not computable.

    References
    ----------
    Esco & Flatt (2014) J Sports Sci Med 13:535.
    """
    if not (window_s > 0 and step_s > 0):
        raise InvalidInputError("window_s and step_s must be positive")
    cfg = analysis_config_of(analysis)
    ws = window_series(
        analysis.nn, window_s=window_s, step_s=step_s, spectrum=cfg.spectrum, bands=cfg.bands,
        markers=("rmssd_ms", "mean_hr_bpm", "hf_power_ms2"), fit=False,
    )
    return _trend_of(ws, step_s)


def _baseline(baseline: Baseline | Sequence[Analysis] | None) -> Baseline | None:
    if baseline is None or isinstance(baseline, Baseline):
        return baseline
    return Baseline.from_analyses(list(baseline))


def compare(
    pre: Analysis,
    post: Analysis,
    *,
    baseline: Baseline | Sequence[Analysis] | None = None,
    config: ShiftConfig | None = None,
    rest: RestShift | Sequence[SessionShift | Mapping[str, Any] | float] | None = None,
) -> SessionShift:
    """Compare a recording made before a session with one made after it.

    Parameters
    ----------
    pre, post : Analysis
        Results of :func:`hrv.analyze_intervals` (or :func:`hrv.analyze`) for the two
        recordings; any kinds (ECG vs PPG is allowed and flagged).
    baseline : Baseline or sequence of Analysis, optional
        The client's earlier sessions, for an individual smallest worthwhile change
        (0.5 × their SD of ln RMSSD). Without it, published typical errors are used.
    config : ShiftConfig, optional
    rest : RestShift, or sequence of SessionShift (or their ``to_dict()``) or of floats
        The client's rest-only control sessions (modality ``rest``): their comparisons,
        or their ln RMSSD changes (post − pre). The result's ``rest_comparison`` then
        sets this session's RMSSD and heart-rate change beside their typical one and
        says whether it exceeded it beyond the combined uncertainty (see
        :mod:`hrv.shift._rest`); the summary of a rise says so too. Rest sessions whose
        comparison was inconclusive are left out.

    Returns
    -------
    SessionShift

    Notes
    -----
    ``inconclusive`` is returned, with the reason and advice for next time, when a
    recording is graded unusable, has less than ``min_duration_s`` of clean intervals or
    more than ``max_corrected_pct`` corrected beats, shows an irregular (AF-like) rhythm,
    has more than 10 % non-normal beats (ectopic or paced: the rhythm screen's limit,
    :data:`hrv.rhythm.ECTOPIC_MAX_SHARE`), or has no RMSSD. Breathing outside the HF
    band, or of unknown rate, in either recording removes HF and LF/HF from the
    evidence, with a caveat saying why.

    References
    ----------
    Al Haddad et al. (2011) Eur J Appl Physiol 111:2189 (typical errors).
    Hopkins (2000) Sports Med 30:1 (smallest worthwhile change, typical error).
    Billman (2013) Front Physiol 4:26 (LF/HF is not sympathovagal balance).
    Task Force of ESC/NASPE (1996) Circulation 93:1043.

    Examples
    --------
    >>> import hrv
    >>> from hrv.shift import compare
    >>> from hrv.simulate import rr_series
    >>> pre = hrv.analyze_intervals(rr_series(300, mean_hr_bpm=72, hf_amplitude_ms=20,
    ...                             noise_ms=8, seed=1), unit="ms")
    >>> post = hrv.analyze_intervals(rr_series(300, mean_hr_bpm=64, hf_amplitude_ms=35,
    ...                              noise_ms=12, seed=2), unit="ms")
    >>> compare(pre, post).verdict.direction.value
    'parasympathetic_increase'
    """
    cfg = config or ShiftConfig()
    base = _baseline(baseline)
    checks = check_pair(pre, post, cfg, base)
    # Same windows for both recordings; shorter ones when a recording is too short for
    # two configured windows (never below 30 s, where RMSSD stops being stable).
    shortest = min(_nn_s(pre), _nn_s(post))
    short_w = max(_MIN_WINDOW_S, min(cfg.window_s, shortest / 2.0))
    short_step = short_w * cfg.step_s / cfg.window_s
    series: dict[str, dict[str, WindowSeries]] = {}
    trend: dict[str, Trend] = {}
    for name, a in (("pre", pre), ("post", post)):
        acfg = analysis_config_of(a)
        short = window_series(a.nn, window_s=short_w, step_s=short_step,
                              spectrum=acfg.spectrum, bands=acfg.bands,
                              markers=SHORT_MARKERS, fit=False, respiration=acfg.respiration)
        series[name] = {
            "short": short,
            # LF needs 120 s: fit the few long windows to the whole recording.
            "long": window_series(a.nn, window_s=cfg.long_window_s, step_s=cfg.long_step_s,
                                  spectrum=acfg.spectrum, bands=acfg.bands,
                                  markers=LONG_MARKERS, fit=True),
        }
        same = short_w == cfg.window_s and short_step == cfg.step_s
        trend[name] = (_trend_of(short, cfg.step_s) if same
                       else windowed_trend(a, window_s=cfg.window_s, step_s=cfg.step_s))
    changes = compute_changes(pre, post, series, cfg=cfg, baseline=base,
                              hf_invalid_reason=checks.hf_invalid_reason)
    rest_shift = _rest_shift(rest)
    verdict = decide(changes, checks, cfg, rest_shift)
    compared = None if rest_shift is None else rest_comparison(
        rest_shift, changes, inconclusive=verdict.direction is Direction.INCONCLUSIVE)
    provenance = {
        "hrv_version": __version__,
        "shift_config": cfg.to_dict(),
        "uncertainty": {
            "method": cfg.uncertainty.value,
            "short_window_s": short_w,
            "long_window_s": cfg.long_window_s,
            "ci_level": cfg.ci_level,
        },
        "swc_source": changes["ln_rmssd"].swc_source,
        "baseline": None if base is None else base.to_dict(),
        "rest": None if rest_shift is None else rest_shift.to_dict(),
    }
    return SessionShift(pre, post, changes, verdict, trend, provenance, compared)


def _rest_shift(rest: RestShift | Sequence[Any] | None) -> RestShift | None:
    if rest is None or isinstance(rest, RestShift):
        return rest
    items = list(rest)
    if not items:
        return None
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in items):
        return RestShift.from_changes([float(x) for x in items])
    return RestShift.from_shifts(items)


def _nn_s(a: Analysis) -> float:
    return float(a.nn.rr_ms.sum()) / 1000.0 if len(a.nn) else 0.0
