"""Artefact classification and correction after Lipponen & Tarvainen (2019)."""

from __future__ import annotations

import numpy as np
import pytest

from hrv.config import ArtifactConfig
from hrv.intervals import BeatType, classify, correct
from hrv.simulate import rr_series
from hrv.types import Intervals

Truth = list[tuple[str, int, int]]  # (kind, first corrupted index, number of intervals)


def _rmssd(iv: Intervals) -> float:
    d = iv.successive_diffs_ms
    return float(np.sqrt(np.mean(d**2)))


def _clean(seed: int, duration_s: float) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    return rr_series(
        duration_s,
        mean_hr_bpm=rng.uniform(55, 85),
        lf_amplitude_ms=rng.uniform(10, 40),
        hf_amplitude_ms=rng.uniform(10, 40),
        noise_ms=rng.uniform(5, 20),
        noise_ar=0.5,
        seed=seed,
    )


def _inject(rr: np.ndarray, kinds: list[str], frac: float, seed: int) -> tuple[np.ndarray, Truth]:
    """Corrupt ``frac`` of the beats at random positions at least 8 beats apart.

    missed: two intervals merged; extra: one interval split in two unequal parts
    (15-45 % / 55-85 %); ectopic: a beat 15-35 % premature with a full compensatory
    pause (the short and long intervals sum to the two originals).
    """
    rng = np.random.default_rng(seed)
    n = len(rr)
    n_art = max(1, round(frac * n))
    pos = rng.choice(np.arange(10, n - 10, 8), size=n_art, replace=False)
    kind_at = dict(zip(pos.tolist(), rng.choice(kinds, size=n_art).tolist(), strict=True))
    out: list[float] = []
    truth: Truth = []
    i = 0
    while i < n:
        kind = kind_at.get(i)
        if kind == "missed":
            truth.append((kind, len(out), 1))
            out.append(rr[i] + rr[i + 1])
            i += 2
        elif kind == "extra":
            f = rng.uniform(0.15, 0.45)
            f = f if rng.random() < 0.5 else 1 - f
            truth.append((kind, len(out), 2))
            out += [rr[i] * f, rr[i] * (1 - f)]
            i += 1
        elif kind == "ectopic":
            shift = rng.uniform(0.15, 0.35) * rr[i]
            truth.append((kind, len(out), 2))
            out += [rr[i] - shift, rr[i + 1] + shift]
            i += 2
        else:
            out.append(rr[i])
            i += 1
    return np.asarray(out), truth


def _score(labels: np.ndarray, truth: Truth) -> tuple[dict[str, float], float]:
    """Share of injected artefacts found as their own class, and false-detection %."""
    found: dict[str, list[bool]] = {}
    touched = np.zeros(len(labels), bool)
    for kind, j, w in truth:
        found.setdefault(kind, []).append(bool(np.any(labels[j : j + w] == kind)))
        touched[max(j - 1, 0) : j + w + 1] = True  # the artefact and its neighbours
    false_pct = 100.0 * np.count_nonzero((labels != "normal") & ~touched) / np.sum(~touched)
    return {k: float(np.mean(v)) for k, v in found.items()}, false_pct


SEEDS = range(5)


class TestInjectedArtefacts:
    """Acceptance: missed/extra >= 99 %, ectopic >= 95 %, false detections <= 0.5 %."""

    @pytest.mark.parametrize("duration_s", [300.0, 1800.0])
    @pytest.mark.parametrize(
        ("kind", "min_found"), [("missed", 0.99), ("extra", 0.99), ("ectopic", 0.95)]
    )
    def test_detection_rates(self, kind: str, min_found: float, duration_s: float) -> None:
        found: list[float] = []
        weights: list[int] = []
        for seed in SEEDS:
            rr, truth = _inject(_clean(seed, duration_s), [kind], 0.02, seed)
            labels = correct(Intervals.contiguous(rr)).labels
            rates, false_pct = _score(labels, truth)
            # Limits of the acceptance criteria (pooled over seeds for the rates).
            assert false_pct <= 0.5, f"seed {seed}: {false_pct:.2f}% false detections"
            found.append(rates[kind] * len(truth))
            weights.append(len(truth))
        assert sum(found) / sum(weights) >= min_found

    @pytest.mark.parametrize("seed", SEEDS)
    def test_clean_series_left_alone(self, seed: int) -> None:
        c = correct(Intervals.contiguous(_clean(seed, 1800.0)))
        assert c.corrected_pct <= 0.5

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("duration_s", [300.0, 1800.0])
    def test_rmssd_restored_at_2pct(self, seed: int, duration_s: float) -> None:
        clean = _clean(seed, duration_s)
        rr, _ = _inject(clean, ["missed", "extra", "ectopic"], 0.02, seed)
        raw = _rmssd(Intervals.contiguous(rr))
        ours = _rmssd(correct(Intervals.contiguous(rr)).nn)
        ref = _rmssd(Intervals.contiguous(clean))
        assert raw > 1.5 * ref  # the artefacts matter (else the test proves nothing)
        assert abs(ours / ref - 1) <= 0.05  # acceptance limit

    def test_counts_and_length(self) -> None:
        clean = _clean(0, 600.0)
        rr, truth = _inject(clean, ["missed", "extra", "ectopic"], 0.02, 3)
        c = correct(Intervals.contiguous(rr))
        n_missed = sum(1 for k, _, _ in truth if k == "missed")
        n_extra = sum(1 for k, _, _ in truth if k == "extra")
        assert c.counts["missed"] == n_missed
        assert c.counts["extra"] == n_extra
        # Each missed beat adds one interval back, each extra beat removes one.
        assert len(c.nn) == len(rr) + n_missed - n_extra == len(clean)
        assert set(c.counts) >= {"ectopic", "long", "short", "missed", "extra", "out_of_range"}
        assert c.corrected_pct == pytest.approx(100 * c.corrected_beats / len(rr))


class TestClassifyExact:
    """A smooth series with one artefact of each kind: exact labels and corrections."""

    def _base(self) -> np.ndarray:
        return 800.0 + 20.0 * np.sin(np.arange(300) * 2 * np.pi / 4.3)

    def test_labels(self) -> None:
        rr = list(self._base())
        rr[50:52] = [rr[50] + rr[51]]  # missed at 50
        rr[100:101] = [0.3 * rr[100], 0.7 * rr[100]]  # extra: 100, 101
        rr[200], rr[201] = rr[200] - 200, rr[201] + 200  # ectopic beat between 200 and 201
        labels = classify(np.asarray(rr))
        assert labels[50] == BeatType.MISSED
        assert labels[100] == labels[101] == BeatType.EXTRA
        assert labels[200] == labels[201] == BeatType.ECTOPIC
        others = np.delete(labels, [50, 100, 101, 200, 201])
        assert np.all(others == BeatType.NORMAL)

    def test_missed_split_in_equal_parts_at_true_time(self) -> None:
        base = self._base()
        rr = np.r_[base[:50], base[50] + base[51], base[52:]]
        c = correct(Intervals.contiguous(rr))
        # Two equal halves of the merged interval; beat times of the original beats kept.
        half = (base[50] + base[51]) / 2
        np.testing.assert_allclose(c.nn.rr_ms[50:52], [half, half])
        np.testing.assert_allclose(c.nn.t_s, np.cumsum(c.nn.rr_ms) / 1000, atol=1e-9)

    def test_extra_merged(self) -> None:
        base = self._base()
        rr = np.r_[base[:100], 0.3 * base[100], 0.7 * base[100], base[101:]]
        c = correct(Intervals.contiguous(rr))
        np.testing.assert_allclose(c.nn.rr_ms, base)
        np.testing.assert_allclose(c.nn.t_s, np.cumsum(base) / 1000)


class TestGapsRespected:
    def test_no_merge_across_gap(self) -> None:
        # Two short halves on either side of a gap would sum to a normal interval;
        # they must not be merged across it.
        rr = np.r_[np.full(60, 800.0), 400.0, 400.0, np.full(60, 800.0)]
        rr += 10 * np.sin(np.arange(len(rr)))
        t = np.cumsum(rr) / 1000
        t[61:] += 30.0  # a 30 s gap between the two halves
        gap = np.zeros(len(rr), bool)
        gap[[0, 61]] = True
        c = correct(Intervals(rr, t, gap))
        assert c.counts["extra"] == 0
        assert c.nn.n_gaps >= 1
        # No output interval spans the gap: every one ends on one side of it.
        first_after = t[61]
        assert not np.any((c.nn.t_s > t[60]) & (c.nn.t_s < first_after))

    def test_successive_diffs_never_cross_gap(self) -> None:
        clean = _clean(2, 600.0)
        rr, _ = _inject(clean, ["missed", "extra", "ectopic"], 0.03, 2)
        t = np.cumsum(rr) / 1000
        gap = np.zeros(len(rr), bool)
        gap[[0, 150, 400]] = True
        t[150:] += 60.0
        t[400:] += 60.0
        c = correct(Intervals(rr, t, gap))
        nn = c.nn
        # Every segment of the output lies inside one segment of the input.
        seg_in = np.searchsorted(t[[150, 400]], nn.t_s, side="right")
        for k in np.flatnonzero(~nn.gap_before[1:]) + 1:
            assert seg_in[k] == seg_in[k - 1], "a successive difference spans a gap"
        assert nn.n_gaps >= 2

    def test_long_run_is_dropped_not_invented(self) -> None:
        # Ten beats of bigeminy (premature beat every other beat) leave no trusted
        # neighbours to interpolate from: the run is removed and leaves a gap.
        base = 800.0 + 15 * np.sin(np.arange(400) * 0.9)
        rr = base.copy()
        rr[200:220:2] -= 250.0
        rr[201:221:2] += 250.0
        c = correct(Intervals.contiguous(rr), ArtifactConfig(max_run_beats=3))
        assert c.nn.n_gaps == 1
        assert np.all(c.labels[201:220] == BeatType.DROPPED)
        assert len(c.nn) <= len(rr) - 20
        kept = c.nn.t_s
        assert not np.any((kept > base[:200].sum() / 1000 + 0.5) & (kept < rr[:220].sum() / 1000))


class TestEctopicRuns:
    """Bursts of premature beats (tachycardia runs) are removed as gaps, not rebuilt."""

    def _with_burst(self, seed: int, length: int) -> tuple[np.ndarray, np.ndarray, int]:
        # A burst of ``length`` beats at about half the sinus interval (ventricular
        # tachycardia at ~150/min in an 80/min rhythm), then the interval from the last
        # ectopic beat to the next sinus beat. Returns (clean, with burst, burst start).
        clean = _clean(seed, 600.0)
        at = 300
        rng = np.random.default_rng(seed)
        burst = 0.5 * np.median(clean) + rng.uniform(-20, 20, length)
        back = 1.1 * np.median(clean)
        return clean, np.r_[clean[:at], burst, back, clean[at:]], at

    @pytest.mark.parametrize("seed", SEEDS)
    @pytest.mark.parametrize("length", [3, 8, 20])
    def test_burst_dropped_exactly(self, seed: int, length: int) -> None:
        clean, rr, at = self._with_burst(seed, length)
        c = correct(Intervals.contiguous(rr))
        burst = np.arange(at, at + length + 1)  # the burst and the return interval
        # Known truth: exactly the burst intervals and the return interval are dropped;
        # every sinus interval is kept unchanged (a clean 80/min series needs no fix).
        assert np.all(c.labels[burst] == BeatType.DROPPED)
        assert c.counts["dropped"] == length + 1
        assert np.all(np.delete(c.labels, burst) == BeatType.NORMAL)
        assert c.nn.n_gaps == 1
        np.testing.assert_allclose(c.nn.rr_ms, clean)
        # Only the one successive difference across the burst is lost: RMSSD within
        # 2 % of the clean series (one difference of ~2000 changes RMSSD by < 1 %).
        assert _rmssd(c.nn) == pytest.approx(_rmssd(Intervals.contiguous(clean)), rel=0.02)

    def test_burst_kept_when_rule_disabled(self) -> None:
        _, rr, _ = self._with_burst(0, 8)
        c = correct(Intervals.contiguous(rr), ArtifactConfig(run_ratio=0.0))
        assert c.counts["dropped"] == 0
        assert not np.any(c.labels == BeatType.DROPPED)

    @pytest.mark.parametrize("seed", SEEDS)
    def test_gradual_rate_change_is_kept(self, seed: int) -> None:
        # Exercise-like sinus acceleration: 1000 ms to 500 ms over 40 beats (about 1.7 %
        # shorter per beat), 150 beats at 500 ms, back to 1000 ms over 60 beats. The
        # intervals are far below the 91-beat median but no step is abrupt: no artefact.
        rng = np.random.default_rng(seed)
        ramp_down = np.geomspace(1000.0, 500.0, 40)
        ramp_up = np.geomspace(500.0, 1000.0, 60)
        base = np.r_[np.full(150, 1000.0), ramp_down, np.full(150, 500.0), ramp_up,
                     np.full(150, 1000.0)]
        # Respiratory modulation of 3 % and 5 ms noise, as in a resting adult.
        rr = base * (1 + 0.03 * np.sin(np.arange(len(base)) * 2 * np.pi / 4.2))
        rr += rng.normal(0, 5, len(rr))
        c = correct(Intervals.contiguous(rr))
        assert c.counts["dropped"] == 0
        assert c.corrected_pct <= 0.5  # the acceptance limit for false detections

    @pytest.mark.parametrize("seed", SEEDS)
    def test_no_runs_in_an_irregular_rhythm(self, seed: int) -> None:
        # Atrial-fibrillation-like rhythm: independent intervals, uniform 400-1000 ms
        # (median |dRR| ~ 30 % of the median interval). Fast stretches are the rhythm,
        # not ectopic bursts; max_run_beats is lifted so only the run rule could drop.
        rr = np.random.default_rng(seed).uniform(400.0, 1000.0, 2000)
        lifted = ArtifactConfig(max_run_beats=10_000)
        assert correct(Intervals.contiguous(rr), lifted).counts["dropped"] == 0
        # Without the regularity guard the same series loses many "runs".
        unguarded = ArtifactConfig(max_run_beats=10_000, run_max_irregularity=1.0)
        assert correct(Intervals.contiguous(rr), unguarded).counts["dropped"] > 0

    def test_two_premature_beats_are_corrected_not_dropped(self) -> None:
        # A couplet is below run_min_beats (3): the paper's rules handle it.
        rr = 800.0 + 20.0 * np.sin(np.arange(300) * 2 * np.pi / 4.3)
        rr[150:153] = [450.0, 430.0, 1400.0]
        c = correct(Intervals.contiguous(rr))
        assert c.counts["dropped"] == 0
        assert np.all(c.labels[150:153] != BeatType.NORMAL)


class TestPauses:
    """A long interval is a missed beat only near a multiple of the rhythm."""

    def _base(self) -> np.ndarray:
        return 1000.0 + 20.0 * np.sin(np.arange(300) * 2 * np.pi / 4.3)

    @pytest.mark.parametrize("ratio", [1.3, 1.5, 1.6])
    def test_sinus_pause_after_normal_interval_is_kept(self, ratio: float) -> None:
        # 1.3-1.6 local intervals: no whole number of beats fits (parts 0.65-0.8 of
        # the median), so no beat is invented; the NN series keeps the real pause.
        rr = self._base()
        rr[150] = ratio * 1000.0
        c = correct(Intervals.contiguous(rr))
        assert np.all(c.labels == BeatType.NORMAL)
        np.testing.assert_array_equal(c.nn.rr_ms, rr)

    def test_isolated_pauses_are_all_kept(self) -> None:
        # Three sinus pauses 120 beats apart (0.75 % of 400 intervals): rare and apart.
        rr = 1000.0 + 20.0 * np.sin(np.arange(400) * 2 * np.pi / 4.3)
        for i in (80, 200, 320):
            rr[i] = 1500.0
        c = correct(Intervals.contiguous(rr))
        assert np.all(c.labels == BeatType.NORMAL)

    def test_crowded_long_intervals_are_no_pauses(self) -> None:
        # Four 1.5x intervals within 60 beats: no sinus arrest recurs like that.
        rr = self._base()
        for i in (120, 140, 160, 180):
            rr[i] = 1500.0
        c = correct(Intervals.contiguous(rr))
        assert all(c.labels[i] == BeatType.LONG for i in (120, 140, 160, 180))
        assert np.max(c.nn.rr_ms) < 1100.0

    @pytest.mark.parametrize("share", [0.03, 0.07])
    def test_frequent_uncompensated_long_intervals_do_not_inflate_rmssd(
        self, share: float
    ) -> None:
        # A sensor that lengthens 3-7 % of intervals by 60 % (no compensating short
        # interval): as pauses they would multiply RMSSD 2-4 times.
        ratios = []
        for seed in range(10):
            rr = rr_series(300, mean_hr_bpm=70, hf_amplitude_ms=25, lf_amplitude_ms=20,
                           noise_ms=8, seed=seed)
            truth = float(np.sqrt(np.mean(np.diff(rr) ** 2)))
            rng = np.random.default_rng(seed + 10)
            bad = rr.copy()
            bad[rng.choice(np.arange(5, rr.size - 5), int(share * rr.size), replace=False)] *= 1.6
            nn = correct(Intervals.contiguous(bad)).nn
            ratios.append(float(np.sqrt(np.mean(np.diff(nn.rr_ms) ** 2))) / truth)
        assert 0.9 < float(np.median(ratios)) < 1.1, ratios
        assert sum(abs(r - 1.0) < 0.2 for r in ratios) >= 8, ratios

    def test_pause_interpolated_when_rule_disabled(self) -> None:
        rr = self._base()
        rr[150] = 1500.0
        c = correct(Intervals.contiguous(rr), ArtifactConfig(keep_pauses=False))
        assert c.labels[150] == BeatType.LONG
        assert c.nn.rr_ms[150] == pytest.approx(1000.0, abs=60)  # between its neighbours

    def test_near_double_interval_is_not_kept(self) -> None:
        # 1.8 intervals (a non-conducted premature beat or a missed beat with jitter):
        # parts 0.9 of the median lie within missed_tolerance, so it is no pause.
        rr = self._base()
        rr[150] = 1800.0
        c = correct(Intervals.contiguous(rr))
        assert c.labels[150] in {BeatType.LONG, BeatType.MISSED}
        assert np.max(c.nn.rr_ms) < 1100.0

    def test_long_after_short_is_corrected(self) -> None:
        # A premature beat whose pause is not compensatory (700 + 1500 ms is not two
        # intervals): the long interval follows a short one, so it is no sinus pause.
        rr = self._base()
        rr[150], rr[151] = 700.0, 1500.0
        c = correct(Intervals.contiguous(rr))
        assert c.labels[150] != BeatType.NORMAL
        assert c.labels[151] != BeatType.NORMAL
        assert np.max(c.nn.rr_ms) < 1100.0


class TestConfig:
    @pytest.mark.parametrize(
        "kwargs",
        [{"run_ratio": 1.0}, {"run_ratio": -0.1}, {"run_min_beats": 1},
         {"missed_tolerance": 0.0}, {"missed_tolerance": 1.5},
         {"run_max_irregularity": 0.0}],
    )
    def test_invalid_new_fields(self, kwargs: dict[str, float]) -> None:
        from hrv.errors import ConfigError

        with pytest.raises(ConfigError):
            ArtifactConfig(**kwargs)  # type: ignore[arg-type]


class TestEdges:
    def test_disabled(self) -> None:
        rr = np.r_[np.full(50, 800.0), 1600.0, np.full(50, 800.0)]
        iv = Intervals.contiguous(rr)
        c = correct(iv, ArtifactConfig(enabled=False))
        assert c.nn is iv and c.corrected_beats == 0

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_tiny(self, n: int) -> None:
        c = correct(Intervals.contiguous(np.full(n, 800.0)))
        assert len(c.nn) == n

    def test_out_of_range_dropped(self) -> None:
        rr = np.full(100, 250.0) + np.sin(np.arange(100))  # 240 bpm: outside 300-2000 ms
        c = correct(Intervals.contiguous(rr))
        assert len(c.nn) == 0
        assert c.counts["out_of_range"] == 100
        assert np.all(c.labels == BeatType.OUT_OF_RANGE)

    def test_classify_rejects_bad_values(self) -> None:
        from hrv.errors import InvalidInputError

        with pytest.raises(InvalidInputError, match="interval 1"):
            classify([800.0, float("nan"), 800.0])


# --- real data: MIT-BIH Arrhythmia Database reference annotations ----------------------

try:
    from benchmarks.mitdb_rmssd import (
        MAX_ECTOPIC_PCT,
        MAX_ERROR_PCT,
        available_records,
        evaluate_record,
    )

    _RECORDS = available_records()
except ImportError:  # pragma: no cover - wfdb missing
    _RECORDS = []

@pytest.mark.slow
class TestMitdb:
    @pytest.mark.skipif(not _RECORDS, reason="shared/data/mitdb not found beside the project")
    @pytest.mark.parametrize("record", _RECORDS or ["none"])
    def test_rmssd_within_10pct_of_nn_reference(self, record: str) -> None:
        res = evaluate_record(record)
        if res is None or res.ectopic_pct >= MAX_ECTOPIC_PCT:
            pytest.skip(f"{record}: the rule applies to records with < 5% ectopic beats")
        # Acceptance rule: |RMSSD error| <= 10 % against the NN-only reference.
        assert abs(res.error_pct) <= MAX_ERROR_PCT, (
            f"{record}: RMSSD {res.ours_rmssd_ms:.1f} ms vs reference "
            f"{res.reference_rmssd_ms:.1f} ms ({res.error_pct:+.1f}%)"
        )
