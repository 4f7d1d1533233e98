"""Breathing rate and HF-band validity.

From the RSA peak of the NN spectrum checked by a count of breaths in the NN series
(:func:`rsa_estimate`, :func:`count_breaths`), from ECG-derived
(R-amplitude, QRS area) or PPG-derived (amplitude, baseline, frequency modulation)
respiration, and their fusion (:func:`fuse_respiration`).
"""

from hrv.respiration._count import BreathCount, count_breaths
from hrv.respiration._derived import (
    ecg_derived_respiration_bpm,
    ecg_rate_filled,
    ppg_derived_respiration_bpm,
    ppg_rate_filled,
)
from hrv.respiration._peak import (
    PeakEvidence,
    highest_local_max,
)
from hrv.respiration._rsa import (
    RsaEstimate,
    fuse_respiration,
    rsa_estimate,
    rsa_rate_bpm,
)

__all__ = [
    "BreathCount",
    "PeakEvidence",
    "RsaEstimate",
    "count_breaths",
    "ecg_derived_respiration_bpm",
    "ecg_rate_filled",
    "fuse_respiration",
    "highest_local_max",
    "ppg_derived_respiration_bpm",
    "ppg_rate_filled",
    "rsa_estimate",
    "rsa_rate_bpm",
]
