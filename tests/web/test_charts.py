"""Charts drawn from hrv results with known answers: where the peaks and marks land."""

from __future__ import annotations

import re

import numpy as np
import pytest

import hrv
from app.web.charts import (
    CourseRow,
    RecordingSeries,
    course_chart,
    poincare_chart,
    recording_series,
    spectrum_chart,
    tachogram_chart,
)
from app.web.negotiate import REPORT_TYPES, choose
from app.web.svg import nice_ticks
from hrv.simulate import rr_series


def _series(label: str, hf_hz: float, *,
            artefacts: bool = False) -> tuple[RecordingSeries, hrv.Analysis]:
    rr = rr_series(300, mean_hr_bpm=60, hf_amplitude_ms=40, hf_hz=hf_hz, noise_ms=2, seed=3)
    if artefacts:
        rr = rr.copy()
        rr[100] *= 0.6  # an early beat and its compensatory pause
        rr[101] *= 1.4
        rr[200] *= 2.0  # a missed beat
    analysis = hrv.analyze_intervals(rr)
    shift = hrv.compare(analysis, analysis)
    return recording_series(label, analysis, shift.trend["pre"].to_dict()), analysis


def _x_of_axis(svg: str, panel: int) -> tuple[float, float]:
    rects = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" '
                       r'fill="#ffffff" stroke', svg)
    x0, w = (float(v) for v in rects[panel])
    return x0, w


class TestSpectrumChart:
    @pytest.mark.parametrize("hf_hz", [0.2, 0.3])
    def test_peak_drawn_at_the_breathing_frequency(self, hf_hz: float) -> None:
        # Truth: the simulated respiratory sinus arrhythmia at hf_hz; the axis is 0-0.5 Hz.
        pre, _ = _series("Before", hf_hz)
        svg = spectrum_chart("c", pre, pre)
        line = re.findall(r'<polyline points="([^"]+)"', svg)[0]
        pts = np.array([[float(v) for v in p.split(",")] for p in line.split()])
        x0, w = _x_of_axis(svg, 0)
        peak_hz = (pts[np.argmin(pts[:, 1]), 0] - x0) / w * 0.5  # smallest y = highest
        assert peak_hz == pytest.approx(hf_hz, abs=0.01)  # Welch resolution ~0.004 Hz
        assert f"breathing {hf_hz * 60:.1f}/min" in svg

    def test_bands_shaded_and_described(self) -> None:
        pre, analysis = _series("Before", 0.25)
        svg = spectrum_chart("c", pre, pre)
        assert svg.count('fill="#9ecae1"') >= 2 and svg.count('fill="#c7e9c0"') >= 2
        hf = analysis.metrics.hf_power_ms2
        assert f"HF power {hf:,.0f} ms²" in svg
        # A 40 ms sinusoid carries 40²/2 = 800 ms² (hrv's own test tolerance is wider).
        assert hf == pytest.approx(800, rel=0.15)


class TestTachogram:
    def test_corrected_beats_are_marked(self) -> None:
        clean, _ = _series("Before", 0.25)
        dirty, analysis = _series("After", 0.25, artefacts=True)
        assert len(clean.corrected_t_s) == 0
        # The early beat pair and the missed beat: 2 + 2 changed or inserted intervals.
        assert analysis.quality.corrected_beats >= 3
        marked = dirty.corrected_t_s
        beats = analysis.beats.times_s
        assert 2 <= len(marked) <= 6
        assert np.any(np.abs(marked - beats[100]) < 2.5)
        assert np.any(np.abs(marked - beats[200]) < 2.5)
        svg = tachogram_chart("t", clean, dirty)
        assert svg.count('fill="#e0a100"') >= len(marked)
        assert f"{len(marked)} corrected interval(s)" in svg

    def test_one_scale_for_both(self) -> None:
        slow = recording_series("Before", hrv.analyze_intervals(rr_series(200, mean_hr_bpm=55,
                                                                           seed=1)), None)
        fast = recording_series("After", hrv.analyze_intervals(rr_series(200, mean_hr_bpm=90,
                                                                          seed=2)), None)
        svg = tachogram_chart("t", slow, fast)
        lines = re.findall(r'<polyline points="([^"]+)"', svg)
        ys = [np.mean([float(p.split(",")[1]) for p in ln.split()]) for ln in lines[:2]]
        # Same y axis: the faster heart rate is drawn higher (smaller pixel y).
        assert ys[1] < ys[0] - 50
        assert "55 to 55 beats/min" in svg and "90 to 90 beats/min" in svg


class TestPoincareAndCourse:
    def test_poincare_states_sd1(self) -> None:
        pre, analysis = _series("Before", 0.25)
        svg = poincare_chart("p", pre, pre)
        assert f"SD1 {analysis.metrics.sd1_ms:.1f} ms" in svg
        # Every pair drawn: before as circles, after as triangles (shape, not colour alone).
        assert svg.count("<circle") >= len(analysis.nn) - 1
        assert svg.count("<polygon") >= len(analysis.nn) - 1

    def test_course_marks_are_symbols_and_words(self) -> None:
        rows = [CourseRow(f"0{i} Mar", 20 + i, 30 + i, 70, 65, 6, 3, None, None, s, w)
                for i, (s, w) in enumerate((("▲", "calmer"), ("?", "inconclusive")))]
        svg = course_chart("c", rows, None)
        assert "▲" in svg and "01 Mar: inconclusive" in svg
        assert "00 Mar: 20.0 before, 30.0 after" in svg


class TestNegotiation:
    @pytest.mark.parametrize(("accept", "chosen"), [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/pdf", "application/pdf"),
        ("application/fhir+json, application/json", "application/fhir+json"),
        ("text/csv;q=0.4, application/pdf;q=0.9", "application/pdf"),
        ("application/json;q=0, text/*", "text/csv"),
        ("image/png", None),
        ("application/json;q=0", None),
    ])
    def test_choose(self, accept: str | None, chosen: str | None) -> None:
        assert choose(accept, REPORT_TYPES) == chosen

    def test_nice_ticks(self) -> None:
        assert nice_ticks(0, 100, 5) == [0, 20, 40, 60, 80, 100]
        assert nice_ticks(61.3, 78.9, 4) == [65, 70, 75]
