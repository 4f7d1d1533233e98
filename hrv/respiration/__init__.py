"""Breathing rate and HF-band validity.

From the RSA peak of the NN spectrum (:func:`rsa_estimate`), from ECG-derived
(R-amplitude, QRS area) or PPG-derived (amplitude, baseline, frequency modulation)
respiration, and their fusion (:func:`fuse_respiration`).
"""

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
    "PeakEvidence",
    "RsaEstimate",
    "ecg_derived_respiration_bpm",
    "ecg_rate_filled",
    "fuse_respiration",
    "highest_local_max",
    "ppg_derived_respiration_bpm",
    "ppg_rate_filled",
    "rsa_estimate",
    "rsa_rate_bpm",
]
