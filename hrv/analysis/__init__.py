"""Analysis entry points, one per input kind, and the shared tail they end in.

``analyze_intervals`` (RR/IBI), ``analyze_beat_times`` (R-peak or pulse times),
``analyze`` (raw ECG/PPG) and ``analyze_recording`` (whatever :func:`hrv.io.read_recording`
returned) all finish in one tail: artefact correction, metrics, respiration, rhythm and
grade. Interval analysis loads no filter code (scipy.signal) at all.
"""

from hrv.analysis._intervals import analyze_beat_times, analyze_intervals
from hrv.analysis._recording import analyze_recording
from hrv.analysis._waveform import analyze

__all__ = ["analyze", "analyze_beat_times", "analyze_intervals", "analyze_recording"]
