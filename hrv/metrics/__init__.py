"""HRV markers of an NN series: time domain, frequency domain and Poincaré plot."""

from hrv.metrics._spectrum import band_power, peak_frequency, split_stretches
from hrv.metrics.frequency import FrequencyDomain, Spectrum, frequency_domain
from hrv.metrics.nonlinear import Poincare, poincare
from hrv.metrics.time import TimeDomain, time_domain

__all__ = [
    "FrequencyDomain",
    "Poincare",
    "Spectrum",
    "TimeDomain",
    "band_power",
    "frequency_domain",
    "peak_frequency",
    "poincare",
    "split_stretches",
    "time_domain",
]
