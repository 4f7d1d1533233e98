"""Per-marker changes with a data-driven confidence interval and a smallest worthwhile change."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from statistics import NormalDist

from hrv.shift._types import Baseline, MarkerChange, Scale, ShiftConfig
from hrv.shift._windows import WindowSeries, window_uncertainty
from hrv.types import Analysis

_NORMAL = NormalDist()  # standard normal (stdlib: no scipy.stats import)

__all__ = ["MARKERS", "MarkerSpec", "compute_changes", "t_value", "z_value"]


@dataclasses.dataclass(frozen=True)
class MarkerSpec:
    """How one marker is read, judged and given its SWC.

    ``window``: ``"short"`` (60 s sub-windows) or ``"long"`` (120 s, for LF).
    ``swc_key``: which SWC applies (``"ln_rmssd"``, ``"ln_hf"``, ``"ln_lf"``,
    ``"ln_lf_hf"``, ``"hr"``, ``"respiration"``).
    ``hf_dependent``: HF-band marker, not interpretable when breathing is outside the band.
    """

    name: str
    scale: Scale
    window: str
    swc_key: str
    read: Callable[[Analysis], float | None]
    hf_dependent: bool = False


MARKERS: tuple[MarkerSpec, ...] = (
    MarkerSpec("rmssd_ms", Scale.LOG, "short", "ln_rmssd", lambda a: a.metrics.rmssd_ms),
    MarkerSpec("ln_rmssd", Scale.LINEAR, "short", "ln_rmssd", lambda a: a.metrics.ln_rmssd),
    MarkerSpec("hf_power_ms2", Scale.LOG, "short", "ln_hf", lambda a: a.metrics.hf_power_ms2,
               hf_dependent=True),
    MarkerSpec("ln_hf", Scale.LINEAR, "short", "ln_hf", lambda a: a.metrics.ln_hf,
               hf_dependent=True),
    MarkerSpec("lf_power_ms2", Scale.LOG, "long", "ln_lf", lambda a: a.metrics.lf_power_ms2),
    MarkerSpec("lf_hf_ratio", Scale.LOG, "long", "ln_lf_hf", lambda a: a.metrics.lf_hf_ratio,
               hf_dependent=True),
    MarkerSpec("mean_hr_bpm", Scale.LINEAR, "short", "hr", lambda a: a.metrics.mean_hr_bpm),
    MarkerSpec("sd1_ms", Scale.LOG, "short", "ln_rmssd", lambda a: a.metrics.sd1_ms),
    MarkerSpec("respiration_rate_bpm", Scale.LINEAR, "short", "respiration",
               lambda a: a.respiration.rate_bpm),
)


def z_value(ci_level: float) -> float:
    """Two-sided normal quantile of a confidence level (1.96 for 0.95)."""
    return float(_NORMAL.inv_cdf(0.5 + ci_level / 2.0))


def t_value(ci_level: float, df: float | None) -> float:
    """Two-sided Student-t quantile with ``df`` degrees of freedom (normal without)."""
    if df is None or not math.isfinite(df):
        return z_value(ci_level)
    from scipy import stats  # loads on first use: `import hrv` stays free of scipy.stats
    return float(stats.t.ppf(0.5 + ci_level / 2.0, max(df, 1.0)))


def recording_uncertainty(
    spec: MarkerSpec, series: Mapping[str, WindowSeries], duration_s: float
) -> tuple[float, float] | None:
    """``(se, df)`` of one recording's marker from its sub-windows (see
    :func:`~hrv.shift._windows.window_uncertainty`), checked at a second window length.

    A slow wander of the series (a 1/f component, a drifting heart rate) makes the
    values of neighbouring windows alike, so their spread understates how much the
    average over the whole recording could have come out otherwise; over longer windows
    (``"long"``, the 120-s ones of LF) such a wander raises the estimate, uncorrelated
    noise does not (batch means are long enough once the variance they give stops
    growing with their length; Schmeiser 1982). So a short-window marker takes the
    larger of the two standard errors, each with its own degrees of freedom, when the
    recording holds at least two non-overlapping long windows (from 4 min on).
    """
    log = spec.scale is Scale.LOG
    short = series[spec.window]
    got = window_uncertainty(short, spec.name, duration_s, log=log)
    long = series.get("long")
    if (
        got is None
        or spec.window != "short"
        or long is None
        or spec.name not in long.values
        or not long.window_s > short.window_s
        or duration_s + 1e-9 < 2.0 * long.window_s
    ):
        return got
    wider = window_uncertainty(long, spec.name, duration_s, log=log)
    return wider if wider is not None and wider[0] > got[0] else got


def satterthwaite(se: tuple[float, float], df: tuple[float, float]) -> float:
    """Welch-Satterthwaite degrees of freedom of ``sqrt(se[0]² + se[1]²)``."""
    num = (se[0] ** 2 + se[1] ** 2) ** 2
    den = sum(s ** 4 / d for s, d in zip(se, df, strict=True))
    return num / den if den > 0 else max(df)


def _swc(
    spec: MarkerSpec, pre_value: float, cfg: ShiftConfig, baseline: Baseline | None
) -> tuple[float, str]:
    """SWC on the marker's judging scale (log units or marker units) and its source."""
    usable = baseline is not None and baseline.n_sessions >= cfg.min_baseline_sessions
    f = cfg.baseline_swc_factor
    if usable and baseline is not None:
        if spec.swc_key == "ln_rmssd" and baseline.ln_rmssd_sd > 0:
            return f * baseline.ln_rmssd_sd, "baseline"
        if spec.swc_key == "hr" and baseline.mean_hr_bpm_sd:
            return f * baseline.mean_hr_bpm_sd, "baseline"
        if spec.swc_key == "ln_hf" and baseline.ln_hf_sd:
            return f * baseline.ln_hf_sd, "baseline"
    published = {
        "ln_rmssd": cfg.swc_ln_rmssd,
        "ln_hf": cfg.swc_ln_hf,
        "ln_lf": cfg.swc_ln_lf,
        "ln_lf_hf": cfg.swc_ln_lf_hf,
        "hr": cfg.swc_hr_pct / 100.0 * abs(pre_value),
        "respiration": cfg.swc_respiration_bpm,
    }
    return published[spec.swc_key], "published"


def compute_changes(
    pre: Analysis,
    post: Analysis,
    windows: Mapping[str, Mapping[str, WindowSeries]],
    *,
    cfg: ShiftConfig,
    baseline: Baseline | None,
    hf_invalid_reason: str | None,
) -> dict[str, MarkerChange]:
    """Change of every marker in :data:`MARKERS`.

    ``windows[rec][kind]`` holds the sub-window series of recording ``rec`` (``"pre"`` or
    ``"post"``) for window kind ``"short"`` or ``"long"``. A change is meaningful when
    ``|d| > t·SE`` (its interval excludes zero) and ``|d| > SWC``, with ``d`` the log ratio
    for ``LOG`` markers and the difference otherwise, ``SE² = SE_pre² + SE_post²`` (the
    two recordings' errors are independent) and ``t`` the Student-t quantile with the
    Welch-Satterthwaite degrees of freedom of the two recordings' standard errors
    (:func:`recording_uncertainty`: overlapping sub-windows corrected for the data they
    share, with the degrees of freedom of their spread, checked against the longer
    windows): five overlapping 60-s windows of a 3-min recording hold few independent
    ones, and a normal quantile would make the interval too narrow.
    """
    dur = {"pre": _nn_duration_s(pre), "post": _nn_duration_s(post)}
    out: dict[str, MarkerChange] = {}
    for spec in MARKERS:
        a, b = spec.read(pre), spec.read(post)
        log = spec.scale is Scale.LOG

        if a is None or b is None or (log and (a <= 0 or b <= 0)):
            out[spec.name] = _make(spec, a, b, cfg, "not computable in both recordings")
            continue
        got_a = recording_uncertainty(spec, windows["pre"], dur["pre"])
        got_b = recording_uncertainty(spec, windows["post"], dur["post"])
        swc_scale, source = _swc(spec, a, cfg, baseline)
        swc_out = a * math.expm1(swc_scale) if log else swc_scale
        d = math.log(b / a) if log else b - a
        if got_a is None or got_b is None:
            out[spec.name] = _make(
                spec, a, b, cfg,
                "too few usable sub-windows to estimate the measurement uncertainty",
                swc=swc_out, source=source,
            )
            continue
        (se_a, df_a), (se_b, df_b) = got_a, got_b
        se = math.hypot(se_a, se_b)
        df = satterthwaite((se_a, se_b), (df_a, df_b))
        z = t_value(cfg.ci_level, df)
        lo, hi = d - z * se, d + z * se
        if log:
            lo, hi = a * math.expm1(lo), a * math.expm1(hi)
        meaningful: bool | None = abs(d) > z * se and abs(d) > swc_scale
        note = None
        if spec.hf_dependent and hf_invalid_reason is not None:
            meaningful, note = None, f"not interpretable as vagal activity: {hf_invalid_reason}"
        elif spec.name == "lf_hf_ratio":
            note = "descriptive only; not a measure of autonomic balance"
        out[spec.name] = _make(
            spec, a, b, cfg, note, ci=(lo, hi), meaningful=meaningful, swc=swc_out, se=se,
            source=source, df=df,
        )
    return out


def _make(
    spec: MarkerSpec,
    a: float | None,
    b: float | None,
    cfg: ShiftConfig,
    note: str | None,
    *,
    ci: tuple[float | None, float | None] = (None, None),
    meaningful: bool | None = None,
    swc: float | None = None,
    se: float | None = None,
    source: str = "published",
    df: float | None = None,
) -> MarkerChange:
    delta = None if a is None or b is None else b - a
    pct = None if delta is None or a is None or a == 0 else 100.0 * delta / a
    return MarkerChange(
        pre=a, post=b, delta=delta, pct_change=pct, ci_low=ci[0], ci_high=ci[1],
        meaningful=meaningful, swc=swc, swc_source=source, scale=spec.scale, se=se,
        uncertainty_method=cfg.uncertainty, note=note, df=df,
    )


def judged(change: MarkerChange) -> tuple[float, float, float] | None:
    """``(d, se, swc)`` of a ``LINEAR`` change on its own scale, or ``None``."""
    if change.delta is None or change.se is None or change.swc is None:
        return None
    return change.delta, change.se, change.swc


def _nn_duration_s(a: Analysis) -> float:
    return float(a.nn.rr_ms.sum()) / 1000.0 if len(a.nn) else 0.0
