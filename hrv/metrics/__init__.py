"""HRV markers of an NN series: time domain, frequency domain and Poincaré plot."""

from hrv.metrics.frequency import FrequencyDomain, Spectrum, frequency_domain
from hrv.metrics.nonlinear import Poincare, poincare
from hrv.metrics.time import TimeDomain, time_domain

__all__ = [
    "FrequencyDomain",
    "Poincare",
    "Spectrum",
    "TimeDomain",
    "frequency_domain",
    "poincare",
    "time_domain",
]
