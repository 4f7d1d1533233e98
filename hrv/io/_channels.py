"""Choosing the ECG or PPG channel of a multi-channel recording by its label."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hrv.errors import InvalidInputError
from hrv.types import SignalKind

__all__ = ["choose_channel", "kind_of_label"]

# Limb and precordial lead names as they appear alone in WFDB/EDF labels.
_LEADS = {
    "I", "II", "III", "AVR", "AVL", "AVF", "MLI", "MLII", "MLIII", "ML2",
    "V", "V1", "V2", "V3", "V4", "V5", "V6", "MV1", "MV2", "D1", "D2", "D3", "CM5", "ECG",
}  # fmt: skip
_ECG_WORDS = re.compile(r"\b(ECG|EKG)\b|^(ECG|EKG)")
_PPG_WORDS = re.compile(r"PLETH|PPG|BVP|PULSE|SPO2 ?WAVE|PHOTO")


def _tokens(label: str) -> list[str]:
    return [t for t in re.split(r"[^A-Z0-9]+", label.upper()) if t]


def kind_of_label(label: str) -> SignalKind | None:
    """``ECG`` or ``PPG`` when the channel label names one, else ``None``."""
    up = label.upper().strip()
    if _PPG_WORDS.search(up):
        return SignalKind.PPG
    if _ECG_WORDS.search(up) or any(t in _LEADS for t in _tokens(up)):
        return SignalKind.ECG
    return None


def _ecg_score(label: str) -> int:
    """Higher is better: lead II (the usual rhythm lead) first, then any ECG lead."""
    toks = _tokens(label)
    if "MLII" in toks or "II" in toks or "ML2" in toks or "D2" in toks:
        return 3
    if kind_of_label(label) is SignalKind.ECG:
        return 2 if ("ECG" in toks or "EKG" in toks or "I" in toks) else 1
    return 0


def choose_channel(
    labels: Sequence[str], kind: SignalKind | None, channel: str | None
) -> tuple[int, SignalKind]:
    """Index and kind of the channel to read.

    Parameters
    ----------
    labels : sequence of str
        Channel labels of the recording.
    kind : SignalKind or None
        Wanted kind; ``None`` prefers an ECG channel, then a PPG channel.
    channel : str or None
        Explicit choice: a label (case-insensitive) or a 1-based channel number.

    Raises
    ------
    InvalidInputError
        If the named channel does not exist or no channel of the wanted kind is found;
        the message lists the available labels.
    """
    available = ", ".join(repr(s) for s in labels) or "none"
    if channel is not None:
        want = channel.strip()
        idx = next((i for i, s in enumerate(labels) if s.strip().upper() == want.upper()), None)
        if idx is None and want.isdigit() and 1 <= int(want) <= len(labels):
            idx = int(want) - 1
        if idx is None:
            raise InvalidInputError(f"no channel {channel!r}; available channels: {available}")
        found = kind_of_label(labels[idx])
        return idx, kind or found or SignalKind.ECG
    if kind in (None, SignalKind.ECG):
        scores = [_ecg_score(s) for s in labels]
        if scores and max(scores) > 0:
            return scores.index(max(scores)), SignalKind.ECG
    if kind in (None, SignalKind.PPG):
        for i, s in enumerate(labels):
            if kind_of_label(s) is SignalKind.PPG:
                return i, SignalKind.PPG
    if kind is SignalKind.RR:
        raise InvalidInputError("this file holds waveforms, not RR intervals; use kind ecg or ppg")
    what = kind.value.upper() if kind else "ECG or PPG"
    raise InvalidInputError(
        f"no {what} channel recognised by its label; choose one with channel= "
        f"(available channels: {available})"
    )
