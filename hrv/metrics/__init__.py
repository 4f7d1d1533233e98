"""HRV markers of an NN series: time domain, geometric, frequency domain, Poincaré plot,
DFA and sample entropy."""

from hrv.metrics._bands import BandIntegral, band_power, peak_frequency
from hrv.metrics._shared import grid_values, shared, shared_resampling, spline_through
from hrv.metrics._spectrum import split_stretches
from hrv.metrics.frequency import FrequencyDomain, Spectrum, frequency_domain
from hrv.metrics.nonlinear import DFA, Poincare, SampleEntropy, dfa, poincare, sample_entropy
from hrv.metrics.time import Geometric, TimeDomain, geometric, time_domain

__all__ = [
    "DFA",
    "BandIntegral",
    "FrequencyDomain",
    "Geometric",
    "Poincare",
    "SampleEntropy",
    "Spectrum",
    "TimeDomain",
    "band_power",
    "dfa",
    "frequency_domain",
    "geometric",
    "grid_values",
    "peak_frequency",
    "poincare",
    "sample_entropy",
    "shared",
    "shared_resampling",
    "spline_through",
    "split_stretches",
    "time_domain",
]
