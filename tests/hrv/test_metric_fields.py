"""The metric names are declared by the part that computes them and by ``Metrics``; a
field renamed on one side only would silently vanish from results (the pipeline copies
values across by name), so the two lists must agree exactly."""

from __future__ import annotations

import dataclasses
import inspect

import hrv.metrics
from hrv.types import Metrics, Spectrum

#: Fields of the metric parts that are not markers.
NOT_MARKERS = {
    "spectrum", "warnings", "info", "n_pairs", "n_diffs", "n_intervals", "n_templates",
    "tolerance_ms",
}


def _parts() -> list[type]:
    return [
        obj for name in hrv.metrics.__all__
        if inspect.isclass(obj := getattr(hrv.metrics, name))
        and dataclasses.is_dataclass(obj) and obj is not Spectrum
    ]


def test_every_part_field_is_a_metric() -> None:
    metric_names = {f.name for f in dataclasses.fields(Metrics)}
    for part in _parts():
        names = {f.name for f in dataclasses.fields(part)} - NOT_MARKERS
        missing = names - metric_names
        assert not missing, f"{part.__name__} computes {sorted(missing)}, which Metrics lacks"


def test_every_metric_comes_from_a_part() -> None:
    produced = set().union(*({f.name for f in dataclasses.fields(p)} for p in _parts()))
    orphans = {f.name for f in dataclasses.fields(Metrics)} - produced
    assert not orphans, f"Metrics declares {sorted(orphans)}, which no metric part computes"


def test_results_carry_every_metric_name() -> None:
    from hrv.simulate import rr_series

    a = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=30, seed=1), unit="ms")
    assert set(a.to_dict()["metrics"]) == {f.name for f in dataclasses.fields(Metrics)}
