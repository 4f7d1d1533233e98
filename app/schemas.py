"""HTTP request and response models (pydantic). Neither rows nor ``hrv`` results."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)

from hrv.config import SAMPLING_RATE_HZ

__all__ = [
    "BeatTimesBody",
    "ClientOut",
    "ClientPage",
    "JobOut",
    "KeyCreate",
    "KeyCreated",
    "KeyOut",
    "Phase",
    "Questionnaire",
    "RecordingOut",
    "RestComparisonOut",
    "SessionCreate",
    "SessionOut",
    "SessionPage",
    "SessionPatch",
    "WaveformBody",
]

_FORBID = ConfigDict(extra="forbid")

# Strict input: a number must be sent as a JSON number ("800" is refused, and so are
# true/false), a flag as a JSON boolean, and a time with its UTC offset. Silent
# conversions hide client bugs, and a wrong guess about a time zone moves a session.
Number = Annotated[float, Strict()]
Flag = Annotated[bool, Strict()]

#: The earliest start a session may have; the latest is a day after the server's clock.
EARLIEST_SESSION = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_ALLOWANCE = dt.timedelta(days=1)


def _plausible(value: dt.datetime) -> dt.datetime:
    latest = dt.datetime.now(dt.UTC) + FUTURE_ALLOWANCE
    if not EARLIEST_SESSION <= value <= latest:
        raise ValueError(
            f"started_at must lie between {EARLIEST_SESSION.date().isoformat()} and one day "
            f"after now ({latest.date().isoformat()}); got {value.isoformat()}"
        )
    return value


#: A session's start: an ISO 8601 time with an offset ("2025-03-04T10:00:00+01:00" or
#: "...Z"), between 1990 and a day from now.
SessionTime = Annotated[AwareDatetime, AfterValidator(_plausible)]


class Phase(enum.StrEnum):
    """When a recording was taken relative to the therapy session."""

    PRE = "pre"
    POST = "post"


class Questionnaire(enum.StrEnum):
    GAD7 = "gad7"
    STAI6 = "stai6"


# --- analysis bodies --------------------------------------------------------------


class WaveformBody(BaseModel):
    """A raw ECG or PPG waveform."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "ecg", "sampling_rate_hz": 250, "unit": "mV",
                 "samples": [0.01, 0.02, 0.9, 0.1, -0.05]}
            ]
        },
    )

    kind: Literal["ecg", "ppg"]
    samples: list[Number] = Field(min_length=1)
    sampling_rate_hz: Number | None = Field(
        default=None, ge=SAMPLING_RATE_HZ.min_hz, le=SAMPLING_RATE_HZ.max_hz
    )
    times_s: list[Number] | None = Field(
        default=None, description="Uneven sample times in seconds (phone cameras)."
    )
    unit: str | None = Field(default=None, max_length=20)
    config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _rate_or_times(self) -> WaveformBody:
        if self.sampling_rate_hz is None and self.times_s is None:
            raise ValueError("give sampling_rate_hz or times_s")
        if self.times_s is not None and len(self.times_s) != len(self.samples):
            raise ValueError("times_s must have one entry per sample")
        return self


class BeatTimesBody(BaseModel):
    """Beat-to-beat intervals (``rr_ms``) or beat times (``beat_times_s``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "rr", "rr_ms": [812, 798, 845, 830, 801]},
                {"kind": "rr", "beat_times_s": [0.0, 0.81, 1.61, 2.45]},
                {"kind": "rr", "rr_ms": [812, 1650, 845], "valid": [True, False, True]},
            ]
        },
    )

    kind: Literal["rr"]
    rr_ms: list[Number] | None = Field(default=None, min_length=1)
    beat_times_s: list[Number] | None = Field(default=None, min_length=1)
    unit: Literal["auto", "ms", "s", "1/1024s"] | None = Field(
        default=None,
        description="Unit of the values in rr_ms when a device sends another (e.g. Polar "
        "1/1024 s); default ms.",
    )
    gap_flags: list[Flag] | None = Field(
        default=None, description="True where an interval follows a gap in the recording."
    )
    valid: list[Flag] | None = Field(
        default=None, description="Device validity flag per interval (False = invalid)."
    )
    normal: list[Flag] | None = Field(
        default=None, description="Per-beat classification for beat_times_s."
    )
    config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_series(self) -> BeatTimesBody:
        if (self.rr_ms is None) == (self.beat_times_s is None):
            raise ValueError("give exactly one of rr_ms or beat_times_s")
        if self.rr_ms is not None:
            for name in ("gap_flags", "valid"):
                flags = getattr(self, name)
                if flags is not None and len(flags) != len(self.rr_ms):
                    raise ValueError(f"{name} must have one entry per interval")
            if self.normal is not None:
                raise ValueError("normal applies to beat_times_s")
        if self.beat_times_s is not None:
            n = len(self.beat_times_s)
            for name, want in (("gap_flags", n - 1), ("valid", n - 1), ("normal", n)):
                flags = getattr(self, name)
                if flags is not None and len(flags) != want:
                    raise ValueError(f"{name} must have {want} entries for {n} beat times")
        return self


AnalysisBody = Annotated[WaveformBody | BeatTimesBody, Field(discriminator="kind")]


# --- sessions -------------------------------------------------------------------

#: The modality of a rest-only control session (lying still, no treatment); reports set
#: a session's change beside the client's rest sessions (``app.services.reports``).
REST_MODALITY = "rest"


def _modality(value: str | None) -> str | None:
    """``rest`` however it is capitalised or padded; any other therapy as given."""
    if value is not None and value.strip().lower() == REST_MODALITY:
        return REST_MODALITY
    return value


Modality = Annotated[
    str | None,
    Field(max_length=100, description="The therapy given (free text, e.g. massage). "
          "'rest' marks a rest-only control session: the client lies still with no "
          "treatment, and reports set each session's change beside these."),
    AfterValidator(_modality),
]


class SelfReport(BaseModel):
    model_config = _FORBID

    anxiety: Number | None = Field(default=None, ge=0, le=10, description="0–10 rating")
    questionnaire_score: Number | None = Field(default=None, ge=0, le=80)


class _SessionFields(BaseModel):
    """The fields a session's creator and a merge patch may set (the client is set once)."""

    therapist: str | None = Field(default=None, min_length=1, max_length=200)
    modality: Modality = None
    started_at: SessionTime | None = Field(
        default=None, description="ISO 8601 with a UTC offset, 1990 to one day from now"
    )
    duration_min: Number | None = Field(default=None, gt=0, le=24 * 60)
    notes: str | None = Field(default=None, max_length=10_000)
    questionnaire: Questionnaire | None = None
    pre: SelfReport | None = None
    post: SelfReport | None = None


class SessionCreate(_SessionFields):
    """A therapy session for a client."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"client": "C-1042", "therapist": "T-07", "modality": "massage",
                 "started_at": "2025-03-04T10:00:00Z", "duration_min": 50,
                 "questionnaire": "gad7",
                 "pre": {"anxiety": 7, "questionnaire_score": 12},
                 "post": {"anxiety": 3, "questionnaire_score": 6}}
            ]
        },
    )

    client: str = Field(min_length=1, max_length=200, description="Pseudonymous client ref")

    @model_validator(mode="after")
    def _scores(self) -> SessionCreate:
        limit = {Questionnaire.GAD7: 21, Questionnaire.STAI6: 24}
        for report in (self.pre, self.post):
            score = report.questionnaire_score if report else None
            if score is None:
                continue
            if self.questionnaire is None:
                raise ValueError("questionnaire_score needs 'questionnaire' (gad7 or stai6)")
            lo = 6 if self.questionnaire is Questionnaire.STAI6 else 0
            if not lo <= score <= limit[self.questionnaire]:
                raise ValueError(
                    f"{self.questionnaire.value} scores lie in {lo}–{limit[self.questionnaire]}"
                )
        return self


class SessionPatch(_SessionFields):
    """Changes to a session (JSON merge patch, RFC 7396).

    Fields left out stay as they are; ``null`` clears a field. ``pre``/``post`` are
    merged field by field. The client cannot be changed (create a new session instead).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"notes": "client reported poor sleep", "post": {"anxiety": 2}},
                {"therapist": "T-09", "modality": "craniosacral", "duration_min": 45},
                {"started_at": "2025-03-04T10:15:00Z", "notes": None},
            ]
        },
    )


class RecordingOut(BaseModel):
    id: str
    session_id: str
    phase: str
    kind: str
    content_type: str
    raw_bytes: int
    sha256: str
    hrv_version: str | None
    created_at: dt.datetime
    analyzed_at: dt.datetime | None
    analysis: dict[str, Any] | None = None


class SessionOut(BaseModel):
    id: str
    client: str
    therapist: str | None
    modality: str | None
    started_at: dt.datetime | None
    duration_min: float | None
    notes: str | None
    questionnaire: str | None
    pre: SelfReport
    post: SelfReport
    recordings: list[str] = Field(description="Phases with a stored recording")
    created_at: dt.datetime


class RestComparisonOut(BaseModel):
    """A report's ``rest_comparison``: the session beside the client's rest-only sessions.

    Present when the client has completed rest-only control sessions (modality ``rest``)
    that the reader may see (the baseline's rule); ``null`` otherwise. ln RMSSD and heart
    rate are judged; LF power and LF/HF are descriptive only.
    """

    n_sessions: int = Field(description="Rest-only sessions compared with")
    session_ids: list[str] = Field(default_factory=list, description="Their ids")
    rest_ln_rmssd_change: float = Field(description="Mean ln RMSSD change (post − pre) at rest")
    rest_ln_rmssd_sd: float | None = Field(
        description="SD of the rest changes; null with one session")
    rest_rmssd_pct: float = Field(description="The mean rest change as % of RMSSD")
    rest_rmssd_pct_low: float = Field(description="Typical range of a rest change, low (%)")
    rest_rmssd_pct_high: float = Field(description="Typical range of a rest change, high (%)")
    session_ln_rmssd_change: float | None = Field(description="This session's ln RMSSD change")
    session_rmssd_pct: float | None = Field(description="This session's RMSSD change (%)")
    difference_ln_rmssd: float | None = Field(description="Session change − rest mean")
    uncertainty_ln_rmssd: float | None = Field(
        description="Combined standard error of that difference")
    exceeded: bool | None = Field(
        description="True when the session exceeded rest alone beyond the combined "
        "uncertainty; null when this session could not be compared")
    outcome: Literal["exceeded", "within", "below"] | None
    rest_hr_change_bpm: float | None = Field(description="Mean heart-rate change at rest")
    session_hr_change_bpm: float | None = Field(description="This session's heart-rate change")
    hr_outcome: Literal["exceeded", "within", "below"] | None = Field(
        description="exceeded: heart rate fell more than at rest, beyond the uncertainty")
    descriptive: dict[str, dict[str, float | None]] = Field(
        description="lf_power_ms2 and lf_hf_ratio: rest_pct and session_pct, never judged")
    summary: str = Field(description="The comparison in words, for a therapist")


class ClientOut(BaseModel):
    id: str
    reference: str
    created_at: dt.datetime


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page")


class ClientPage(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page")


class JobOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    session_id: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "therapist", "name": "Dr A", "therapist": "T-07"}]
        },
    )

    role: Literal["integration", "therapist", "researcher", "admin"]
    name: str = Field(default="", max_length=200)
    therapist: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Required for role therapist: the therapist reference the key acts as",
    )

    @model_validator(mode="after")
    def _therapist(self) -> KeyCreate:
        if (self.role == "therapist") != (self.therapist is not None):
            raise ValueError("'therapist' is required for, and only for, role therapist")
        return self


class KeyOut(BaseModel):
    id: str
    prefix: str
    role: str
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="The secret; shown once, never again")
