"""Which fiducial times a pulse closest to its heartbeat: a study on the benchmark records.

Every variant times the same pulses (those ``detect_ppg`` finds, default fiducial) and is
scored on the same beats: consecutive reference R peaks matched to consecutive pulses,
both intervals within 30 % of the median. On those beats the ECG RMSSD and each
variant's PRV RMSSD are computed side by side (paired), so the difference is the pulse
timing alone, not which beats an analysis keeps. (This ECG RMSSD is of these raw beat
triples, without the analysis' interval correction, so it can differ from the ECG
RMSSD of the table above.)

Variants (Charlton et al. 2022, Physiol Meas 43:085007 and the pyPPG fiducials;
Chiu et al. 1991 for the intersecting tangents):

- ``peak``, ``max_slope``, ``onset``: the detector's own fiducials (band-pass 0.5-5 Hz,
  parabolic refinement; onset = intersecting tangents);
- ``max_slope 8 Hz`` / ``max_slope 10 Hz``: band-pass 0.5-8 (10) Hz, cubic spline
  through the samples evaluated on an 8x finer grid, maximum of its derivative with
  parabolic refinement;
- ``tangents 8 Hz``: the intersecting tangents on that spline;
- ``template``: cross-correlation of the whole pulse (-0.25 to +0.2 s around the
  steepest upstroke, 8x band-limited upsampling) with the median of its 20 neighbours,
  peak refined by a parabola; it uses every sample of the pulse, so additive noise
  averages out most.

Two further checks say where the PRV excess comes from:

- ``shared``: median correlation, over the other variants, of the beat-to-beat change
  of pulse arrival time (second difference of pulse-minus-R time) with that of
  ``max_slope``. Timing noise of a fiducial is its own; a correlation near 1 means the
  whole pulse moves, whatever point of it is timed;
- ``detector noise``: the record's own median pulse, its noise level (robust SD above
  15 Hz) and its sample quantisation, laid at the ECG's beat times and run through
  ``detect_ppg``: the timing error and RMSSD that the detector alone adds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import signal as sps
from scipy.interpolate import CubicSpline

from benchmarks._ppg_prv import TUNING
from benchmarks._ppg_reference import Reference
from hrv.detect.ppg import detect_ppg
from hrv.evaluation import best_lag_s

__all__ = ["FiducialStudy", "fiducial_study", "study_table"]

FloatArray = npt.NDArray[np.float64]
UP = 8
VARIANTS = (
    "peak",
    "max_slope",
    "onset",
    "max_slope 8 Hz",
    "max_slope 10 Hz",
    "tangents 8 Hz",
    "template",
)


@dataclasses.dataclass(frozen=True)
class FiducialStudy:
    """One record: paired ECG RMSSD, PRV RMSSD per variant and the two checks."""

    name: str
    n: int
    ecg_ms: float
    prv_ms: dict[str, float]
    shared: float
    d2pat_ms: float  # RMS beat-to-beat change of max_slope's pulse arrival time
    sim_error_ms: float
    sim_true_ms: float
    sim_prv_ms: float


def within(prv_ms: float, ecg_ms: float) -> bool:
    """The PRV target: within 15 % or 3 ms of the ECG RMSSD."""
    d = abs(prv_ms - ecg_ms)
    return bool(d <= 3.0 or d <= 0.15 * ecg_ms)


def _bandpass(x: FloatArray, fs: float, hi_hz: float) -> FloatArray:
    b, a = sps.butter(2, [0.5 / (fs / 2), min(hi_hz / (fs / 2), 0.95)], "bandpass")
    return np.asarray(sps.filtfilt(b, a, x - np.median(x)), dtype=np.float64)


def _vertex(y: FloatArray, k: npt.NDArray[np.intp]) -> FloatArray:
    den = y[k - 1] - 2 * y[k] + y[k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(np.abs(den) > 0, 0.5 * (y[k - 1] - y[k + 1]) / den, 0.0)
    return np.asarray(k + np.clip(off, -0.5, 0.5), dtype=np.float64)


def _spline_fiducials(
    x: FloatArray, fs: float, slope_s: FloatArray, hi_hz: float
) -> tuple[FloatArray, FloatArray]:
    """Maximum slope and intersecting tangents on a cubic spline (8x grid) near each pulse."""
    y = _bandpass(x, fs, hi_hz)
    cs = CubicSpline(np.arange(len(y)) / fs, y)
    fu = fs * UP
    w = round(0.08 * fu)
    foot_w = round(0.4 * fu)
    grid = np.arange(-foot_w, w + 1) / fu
    t = slope_s[:, None] + grid[None, :]
    t = np.clip(t, 0.0, (len(y) - 1) / fs)
    v, dv = cs(t), cs(t, 1)
    near = np.arange(-foot_w, w + 1) >= -w
    k = np.argmax(np.where(near[None, :], dv, -np.inf), axis=1)
    k = np.clip(k, 1, len(grid) - 2)
    rows = np.arange(len(slope_s))
    ym, y0, yp = dv[rows, k - 1], dv[rows, k], dv[rows, k + 1]
    den = ym - 2 * y0 + yp
    with np.errstate(divide="ignore", invalid="ignore"):
        kf = k + np.clip(np.where(np.abs(den) > 0, 0.5 * (ym - yp) / den, 0.0), -0.5, 0.5)
    ms = slope_s + (kf - foot_w) / fu
    before = np.arange(len(grid))[None, :] <= k[:, None]
    foot = np.min(np.where(before, v, np.inf), axis=1)
    slope = dv[rows, k]
    tangents = np.where(slope > 0, ms - (cs(ms) - foot) / slope, np.nan)
    return ms, tangents


def _template_times(x: FloatArray, fs: float, slope_s: FloatArray) -> FloatArray:
    """Whole-pulse cross-correlation with the median of the 20 neighbouring pulses."""
    yu = np.asarray(sps.resample_poly(_bandpass(x, fs, 5.0), UP, 1), dtype=np.float64)
    fu = fs * UP
    n0, n1, sh = round(0.25 * fu), round(0.2 * fu), round(0.04 * fu)
    length = n0 + n1
    c = np.round(slope_s * fu).astype(np.intp)
    ok = (c - n0 - sh >= 0) & (c + n1 + sh < len(yu))
    segs = np.zeros((len(c), length))
    idx = np.flatnonzero(ok)
    segs[idx] = yu[c[idx, None] + np.arange(-n0, n1)[None, :]]
    segs -= segs.mean(axis=1, keepdims=True)
    segs /= np.maximum(np.linalg.norm(segs, axis=1, keepdims=True), 1e-12)
    out = np.full(len(c), np.nan)
    ones = np.ones(length)
    for i in idx.tolist():  # loop per pulse: a few hundred, benchmark only
        nb = [j for j in range(max(0, i - 10), min(len(c), i + 11)) if j != i and ok[j]]
        tm = np.median(segs[nb], axis=0)
        tm -= tm.mean()
        w = yu[c[i] - n0 - sh : c[i] + n1 + sh]
        cc = np.correlate(w, tm, "valid")
        s1 = np.convolve(w, ones, "valid")
        e2 = np.convolve(w**2, ones, "valid") - s1**2 / length
        cc = cc / np.sqrt(np.maximum(e2, 1e-24))
        k = int(np.clip(np.argmax(cc), 1, len(cc) - 2))
        out[i] = (c[i] + _vertex(cc, np.array([k]))[0] - sh) / fu
    return out


def _nearest(src: FloatArray, to: FloatArray, max_s: float) -> FloatArray:
    """For each time in ``to``, the nearest time in ``src`` (NaN beyond ``max_s``)."""
    if len(src) == 0:
        return np.full(len(to), np.nan)
    j = np.clip(np.searchsorted(src, to), 1, max(len(src) - 1, 1))
    cand = np.stack([src[j - 1], src[np.minimum(j, len(src) - 1)]])
    best = cand[np.argmin(np.abs(cand - to[None, :]), axis=0), np.arange(len(to))]
    return np.where(np.abs(best - to) <= max_s, best, np.nan)


def _variants(x: FloatArray, fs: float, dets: dict[str, FloatArray]) -> dict[str, FloatArray]:
    ms = dets["max_slope"]
    ms8, tan8 = _spline_fiducials(x, fs, ms, 8.0)
    ms10, _ = _spline_fiducials(x, fs, ms, 10.0)
    return {
        "peak": _nearest(dets["peak"], ms + 0.1, 0.2),
        "max_slope": ms,
        "onset": _nearest(dets["onset"], ms - 0.05, 0.15),
        "max_slope 8 Hz": ms8,
        "max_slope 10 Hz": ms10,
        "tangents 8 Hz": tan8,
        "template": _template_times(x, fs, ms),
    }


def _rms(v: FloatArray) -> float:
    return float(np.sqrt(np.mean(v**2))) if len(v) else float("nan")


def _detector_noise(
    x: FloatArray, fs: float, ms: FloatArray, rr_s: FloatArray
) -> tuple[float, float, float]:
    """Timing error SD (ms), true and detected RMSSD (ms) on a synthetic copy of the record."""
    yu = np.asarray(sps.resample_poly(x - np.median(x), UP, 1), dtype=np.float64)
    fu = fs * UP
    # One beat per pulse (0.4 of an interval before the upstroke, 0.6 after), tapered,
    # so that the copies laid end to end do not count a neighbour's tail twice.
    med = float(np.median(rr_s))
    pre, post = round(0.4 * med * fu), round(0.6 * med * fu)
    c = np.round(ms * fu).astype(np.intp)
    c = c[(c - pre > 0) & (c + post < len(yu))]
    segs = yu[c[:, None] + np.arange(-pre, post)[None, :]]
    pulse = np.median(segs - segs.mean(axis=1, keepdims=True), axis=0)
    pulse *= sps.windows.tukey(len(pulse), 0.2)
    b, a = sps.butter(3, 15.0 / (fs / 2), "high")
    hf = sps.filtfilt(b, a, x)
    noise = 1.4826 * float(np.median(np.abs(hf - np.median(hf))))
    noise /= np.sqrt(max(1 - 15.0 / (fs / 2), 0.1))  # white noise over the whole band
    q = float(np.median(np.diff(np.unique(x))))
    rr = rr_s[np.abs(rr_s / np.median(rr_s) - 1) < 0.2]
    beats = 1.0 + np.concatenate(([0.0], np.cumsum(rr)))
    t = np.arange(int((beats[-1] + 1.5) * fs)) / fs
    grid = np.arange(-pre, post) / fu
    y = np.zeros(len(t))
    for s in beats:  # loop per pulse, synthetic signal only
        lo, hi = np.searchsorted(t, [s + grid[0], s + grid[-1]])
        y[lo:hi] += np.interp(t[lo:hi] - s, grid, pulse)
    y += np.random.default_rng(0).normal(0.0, noise, len(t))
    y = np.round(y / q) * q
    found = detect_ppg(y, fs).times_s
    got = _nearest(found, beats, 0.1)
    err = got - beats
    err = err[np.isfinite(err)]
    ok = np.isfinite(got)
    d_true = np.diff(rr)
    pair = ok[2:] & ok[1:-1] & ok[:-2]
    d_got = np.diff(got, 2)
    return (1000 * float(np.std(err)), 1000 * _rms(d_true[pair]), 1000 * _rms(d_got[pair]))


def fiducial_study(
    name: str,
    ref: Reference,
    x: FloatArray,
    fs: float,
    dets: dict[str, FloatArray],
    base_lag: float,
) -> FiducialStudy:
    """Paired ECG and PRV RMSSD for every fiducial variant on one record."""
    var = _variants(x, fs, dets)
    ms = var["max_slope"]
    r = ref.beats_s
    lag = base_lag + best_lag_s(r, ms - base_lag, max_lag_s=0.35)
    p = _nearest(ms - lag, r, 0.15)
    hit = np.flatnonzero(np.isfinite(p))
    r_m = r[hit]
    ii = np.searchsorted(ms - lag, p[hit])
    rr = np.diff(r_m)
    cons = (np.diff(ii) == 1) & (np.abs(rr / np.median(rr) - 1) < 0.3)
    c3 = cons[1:] & cons[:-1]
    ecg = 1000 * _rms(np.diff(r_m, 2)[c3])
    prv: dict[str, float] = {}
    d2pat: dict[str, FloatArray] = {}
    for k, v in var.items():
        t = v[ii]
        good = c3 & np.isfinite(np.diff(t, 2))
        prv[k] = 1000 * _rms(np.diff(t, 2)[good])
        d2pat[k] = np.where(good, np.diff(t - r_m, 2), np.nan)
    corr = []
    for k in VARIANTS:
        if k == "max_slope":
            continue
        a, b = d2pat["max_slope"], d2pat[k]
        both = np.isfinite(a) & np.isfinite(b)
        if both.sum() > 10:
            corr.append(float(np.corrcoef(a[both], b[both])[0, 1]))
    sim = _detector_noise(x, fs, ms, np.diff(r))
    shared = float(np.median(corr)) if corr else float("nan")
    d2 = d2pat["max_slope"]
    return FiducialStudy(
        name, int(c3.sum()), ecg, prv, shared, 1000 * _rms(d2[np.isfinite(d2)]), *sim
    )


def study_table(rows: list[FiducialStudy]) -> list[str]:
    """The fiducial study as markdown: per record, then the choice on the tuning half."""
    out = [
        "## Fiducial study: PRV RMSSD per fiducial, paired with the ECG",
        "",
        (__doc__ or "").split("\n\n", 1)[1].strip(),
        "",
        "| record | half | beats | ECG RMSSD ms | "
        + " | ".join(VARIANTS)
        + " | shared | detector noise: timing SD ms | RMSSD true / detected ms |",
        "|---|---|---|---|" + "---|" * len(VARIANTS) + "---|---|---|",
    ]
    for s in rows:
        half = "tuning" if s.name in TUNING else "reported"
        cells = " | ".join(
            f"{s.prv_ms[k]:.1f}" + (" ✓" if within(s.prv_ms[k], s.ecg_ms) else "") for k in VARIANTS
        )
        out.append(
            f"| {s.name} | {half} | {s.n} | {s.ecg_ms:.1f} | {cells} | {s.shared:.2f} | "
            f"{s.sim_error_ms:.2f} | {s.sim_true_ms:.1f} / {s.sim_prv_ms:.1f} |"
        )
    tune = [s for s in rows if s.name in TUNING]
    rep = [s for s in rows if s.name not in TUNING]

    def ratio(sub: list[FiducialStudy], k: str) -> float:
        return float(np.median([s.prv_ms[k] / s.ecg_ms for s in sub]))

    best = min(
        VARIANTS, key=lambda k: (-sum(within(s.prv_ms[k], s.ecg_ms) for s in tune), ratio(tune, k))
    )
    out += [
        "",
        "✓: within 15 % or 3 ms of the ECG RMSSD on the same beats.",
        "",
        "| fiducial | tuning: within target | tuning: median PRV/ECG | reported: within target "
        "| reported: median PRV/ECG |",
        "|---|---|---|---|---|",
    ]
    for k in VARIANTS:
        out.append(
            f"| {k} | {sum(within(s.prv_ms[k], s.ecg_ms) for s in tune)}/{len(tune)} | "
            f"{ratio(tune, k):.2f} | "
            f"{sum(within(s.prv_ms[k], s.ecg_ms) for s in rep)}/{len(rep)} | "
            f"{ratio(rep, k):.2f} |"
        )
    out += [
        "",
        f"- Best on the tuning half (most records within target, then the lowest "
        f"median PRV/ECG ratio): `{best}`; on the reported half it gives "
        f"{sum(within(s.prv_ms[best], s.ecg_ms) for s in rep)}/{len(rep)} within target, "
        f"median ratio {ratio(rep, best):.2f}.",
    ]
    return out


def study_note(rows: list[FiducialStudy]) -> str:
    """The conclusion the fiducial study supports, with its own figures."""
    best = [min(s.prv_ms.values()) / s.ecg_ms for s in rows]
    n_ok = sum(within(v, s.ecg_ms) for s in rows for v in s.prv_ms.values())
    wider = sum(
        s.prv_ms["max_slope 8 Hz"] > s.prv_ms["max_slope"]
        and s.prv_ms["max_slope 10 Hz"] > s.prv_ms["max_slope"]
        for s in rows
    )
    shared = [s.shared for s in rows]
    d2 = [s.d2pat_ms for s in rows]
    r_share = max((s.ecg_ms / s.d2pat_ms) ** 2 for s in rows)
    sim_err = max(s.sim_error_ms for s in rows)
    sim_dev = max(abs(s.sim_prv_ms - s.sim_true_ms) for s in rows)
    tune = [s for s in rows if s.name in TUNING]
    rep = [s for s in rows if s.name not in TUNING]

    def ratio(sub: list[FiducialStudy], k: str) -> float:
        return float(np.median([s.prv_ms[k] / s.ecg_ms for s in sub]))

    pick = min(VARIANTS, key=lambda k: ratio(tune, k))
    spread = {k: max(ratio(tune, k), ratio(rep, k)) for k in VARIANTS}
    steady = min(VARIANTS, key=lambda k: spread[k])
    return (
        f"- PRV RMSSD against ECG RMSSD, paired on the same beats: even the best of the "
        f"{len(VARIANTS)} fiducial variants of each record is {min(best):.1f}-{max(best):.1f}x "
        f"the ECG RMSSD, and {n_ok} of {len(VARIANTS) * len(rows)} record/variant pairs are "
        f"within 15 % or 3 ms. Opening the low-pass to 8 and 10 Hz before the maximum-slope "
        f"search raises PRV RMSSD on {wider} of {len(rows)} records (noise enters the "
        f"derivative). The detector adds almost nothing: on a copy of each record (its own "
        f"median pulse, noise and sample quantisation, at the ECG's beat times) its timing "
        f"error is at most {sim_err:.2f} ms and RMSSD comes out within {sim_dev:.2f} ms of the "
        f"truth, so the 8-ms sampling of BIDMC is not the cause (parabolic refinement of the "
        f"derivative peak already removes the 8/sqrt(12) = 2.3 ms per pulse that bare samples "
        f"would add). The beat-to-beat change of pulse arrival time is shared by the "
        f"fiducials (median correlation with max_slope's {min(shared):.2f}-{max(shared):.2f}): "
        f"the whole pulse moves against the R peak (second difference of its arrival time "
        f"{min(d2):.0f}-{max(d2):.0f} ms RMS). R-peak timing error cannot make that "
        f"correlation: it is bounded by the ECG RMSSD, at most {100 * r_share:.0f} % of that "
        f"variance. No choice "
        f"of fiducial point removes that pulse-arrival-time variability (nor a beat-to-beat "
        f"offset between the monitor's ECG and pleth channels, which these records cannot "
        f"tell apart from it); the 15 % / 3 ms target is not met. The tuning half would pick "
        f"`{pick}` ({ratio(tune, pick):.2f}x the ECG RMSSD), which gives {ratio(rep, pick):.2f}x "
        f"on the reported half; `{steady}` stays at most {spread[steady]:.2f}x on both halves"
        + (
            ", so it stays the default."
            if steady == "max_slope"
            else f" (`max_slope`, the default: {spread['max_slope']:.2f}x)."
        )
    )
