"""HRV markers of an NN series: time domain, geometric, frequency domain, Poincaré plot,
DFA and sample entropy."""

from hrv.metrics._spectrum import band_power, peak_frequency, split_stretches
from hrv.metrics.frequency import FrequencyDomain, Spectrum, frequency_domain
from hrv.metrics.nonlinear import DFA, Poincare, SampleEntropy, dfa, poincare, sample_entropy
from hrv.metrics.time import Geometric, TimeDomain, geometric, time_domain

__all__ = [
    "DFA",
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
    "peak_frequency",
    "poincare",
    "sample_entropy",
    "split_stretches",
    "time_domain",
]
