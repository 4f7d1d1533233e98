"""The result of one analysis and its JSON form."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from hrv.types._quality import Quality
from hrv.types._results import (
    Beats,
    Metrics,
    Respiration,
    Spectrum,
)
from hrv.types._series import Intervals, SignalKind


@dataclasses.dataclass(frozen=True, eq=False)
class Analysis:
    """The result of analysing one recording.

    Attributes
    ----------
    kind : SignalKind
    duration_s : float
        Length of the recording in seconds.
    metrics : Metrics
    respiration : Respiration
    quality : Quality
    beats : Beats
    nn : Intervals
        The clean NN series the metrics were computed from.
    provenance : mapping
        ``hrv_version``, the full configuration and any data-dependent choice
        (detected unit, detector, fiducial point).
    spectrum : Spectrum or None
        The power spectrum the frequency-domain markers were integrated from (``None``
        when the series was too short for one).
    """

    kind: SignalKind
    duration_s: float
    metrics: Metrics
    respiration: Respiration
    quality: Quality
    beats: Beats
    nn: Intervals
    provenance: Mapping[str, Any]
    spectrum: Spectrum | None = None

    @property
    def label(self) -> str:
        """``"HRV"`` for ECG and intervals, ``"PRV"`` (pulse-rate variability) for PPG."""
        return "PRV" if self.kind is SignalKind.PPG else "HRV"

    def to_frame(self, layout: str = "tidy") -> Any:
        """This result as a ``pandas.DataFrame``, built from :mod:`hrv.tables` rows.

        Parameters
        ----------
        layout : {"tidy", "wide"}
            ``"tidy"``: one row per metric (``metric``, ``value``, ``unit`` and the
            recording's grade, warnings, version and configuration hash); ``"wide"``:
            one row, one column per metric.

        Raises
        ------
        ImportError
            pandas is not installed (``pip install 'hrv-session[frames]'``).
        ValueError
            For another ``layout``.
        """
        # hrv.tables lies above the types in the data flow: loaded when called, never
        # at import, so the types keep depending on nothing.
        tables = importlib.import_module("hrv.tables")
        if layout not in ("tidy", "wide"):
            raise ValueError(f"layout must be 'tidy' or 'wide', not {layout!r}")
        build = tables.tidy_table if layout == "tidy" else tables.wide_table
        return tables.to_frame(build([tables.RecordingItem(analysis=self)]))

    def to_dict(self, *, include_beats: bool = True, include_series: bool = False
                ) -> dict[str, Any]:
        """JSON-ready dictionary (the result contract of the service).

        ``include_series`` adds the clean NN series (``nn``) and the power spectrum
        (``spectrum``): what :meth:`from_dict` needs to rebuild a result that a
        comparison, a chart or a table can use without analysing the recording again.
        """
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "variability": self.label,
            "duration_s": float(self.duration_s),
            "metrics": self.metrics.to_dict(),
            "respiration": self.respiration.to_dict(),
            "quality": self.quality.to_dict(),
            "provenance": dict(self.provenance),
        }
        if include_beats:
            out["beats"] = self.beats.to_dict()
        if include_series:
            out["nn"] = {
                "rr_ms": [float(v) for v in self.nn.rr_ms],
                "t_s": [float(v) for v in self.nn.t_s],
                "gap_before": [bool(v) for v in self.nn.gap_before],
            }
            out["spectrum"] = None if self.spectrum is None else self.spectrum.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        """Rebuild a result from :meth:`to_dict` output.

        Without ``nn`` (a dict written with ``include_series=False``) the result has an
        empty NN series: its markers and grade are there, but a comparison that needs
        the series (:func:`hrv.compare`) refuses it.

        Raises
        ------
        ValueError
            ``data`` is not an analysis dictionary.
        """
        try:
            nn = data.get("nn")
            intervals = (
                Intervals(
                    np.asarray(nn["rr_ms"], dtype=np.float64),
                    np.asarray(nn["t_s"], dtype=np.float64),
                    np.asarray(nn["gap_before"], dtype=bool),
                )
                if nn
                else Intervals.contiguous(np.empty(0))
            )
            spectrum = data.get("spectrum")
            return cls(
                kind=SignalKind(data["kind"]),
                duration_s=float(data["duration_s"]),
                metrics=Metrics.from_dict(data.get("metrics") or {}),
                respiration=Respiration.from_dict(data.get("respiration") or {}),
                quality=Quality.from_dict(data["quality"]),
                beats=Beats.from_dict(data.get("beats") or {}),
                nn=intervals,
                provenance=dict(data.get("provenance") or {}),
                spectrum=None if not spectrum else Spectrum.from_dict(spectrum),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an analysis dictionary: missing or bad {exc}") from None
