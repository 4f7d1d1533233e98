"""Beat detectors: ECG R peaks and PPG pulses, each with its excluded stretches."""

from hrv.detect.ecg import (
    detect_ecg,
    detect_ecg_working,
)
from hrv.detect.ppg import (
    detect_ppg,
)

__all__ = [
    "detect_ecg",
    "detect_ecg_working",
    "detect_ppg",
]
