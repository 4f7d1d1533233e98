"""Write ``garmin_hrv.fit``: a FIT activity file as a Garmin watch records one, made with
fit-tool's own writer (``FitFileBuilder``).

Five minutes of seated rest: ``file_id`` (activity, Garmin), a timer start event, one
``record`` per second (heart rate), ``hrv`` messages holding the beat intervals in seconds
(five per message, as Garmin devices write them, the last one padded with invalid
values), a timer stop event, a ``lap``, a ``session`` and an ``activity`` message.

The intervals are a seeded synthetic series (mean 850 ms, 0.25 Hz breathing modulation of
40 ms, 15 ms noise), rounded to 1 ms as the ``hrv.time`` field stores them, and written
beside the file as ``garmin_hrv_expected_rr_ms.txt`` for the test.

Run: ``python tests/data/formats/make_fit.py`` (needs the ``formats`` extra).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.hrv_message import HrvMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import Event, EventType, FileType, Manufacturer, Sport

HERE = Path(__file__).resolve().parent
PER_MESSAGE = 5


def intervals_ms() -> np.ndarray:
    rng = np.random.default_rng(2026)
    rr: list[float] = []
    t = 0.0
    while t < 300.0:
        v = 850.0 + 40.0 * np.sin(2 * np.pi * 0.25 * t) + rng.normal(0, 15)
        rr.append(round(v))
        t += v / 1000.0
    return np.asarray(rr, dtype=float)


def main() -> None:
    rr = intervals_ms()
    start = dt.datetime(2026, 3, 14, 7, 30, 0, tzinfo=dt.UTC)
    t0_ms = round(start.timestamp()) * 1000
    builder = FitFileBuilder(auto_define=True, min_string_size=50)

    m = FileIdMessage()
    m.type = FileType.ACTIVITY
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = 3113
    m.time_created = t0_ms
    m.serial_number = 0x3A1B2C4D
    builder.add(m)

    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.START
    ev.timestamp = t0_ms
    builder.add(ev)

    beats = np.cumsum(rr) / 1000.0
    duration_s = int(np.ceil(beats[-1]))
    pending: list[float] = []
    for s in range(duration_s + 1):
        rec = RecordMessage()
        rec.timestamp = t0_ms + 1000 * s
        recent = rr[(beats > s - 5) & (beats <= s + 1)]
        rec.heart_rate = round(60000.0 / float(recent.mean())) if recent.size else 70
        builder.add(rec)
        # The beats completed during this second go out in hrv messages of five.
        pending.extend(float(v) / 1000.0 for v in rr[(beats > s) & (beats <= s + 1)])
        while len(pending) >= PER_MESSAGE or (s == duration_s and pending):
            chunk, pending = pending[:PER_MESSAGE], pending[PER_MESSAGE:]
            h = HrvMessage()
            h.time = chunk + [None] * (PER_MESSAGE - len(chunk))  # padding: invalid
            builder.add(h)

    end_ms = t0_ms + 1000 * duration_s
    ev = EventMessage()
    ev.event = Event.TIMER
    ev.event_type = EventType.STOP_ALL
    ev.timestamp = end_ms
    builder.add(ev)

    lap = LapMessage()
    lap.timestamp = end_ms
    lap.start_time = t0_ms
    lap.total_elapsed_time = float(duration_s)
    lap.total_timer_time = float(duration_s)
    builder.add(lap)

    ses = SessionMessage()
    ses.timestamp = end_ms
    ses.start_time = t0_ms
    ses.total_elapsed_time = float(duration_s)
    ses.total_timer_time = float(duration_s)
    ses.sport = Sport.TRAINING
    ses.avg_heart_rate = round(60000.0 / float(rr.mean()))
    builder.add(ses)

    act = ActivityMessage()
    act.timestamp = end_ms
    act.num_sessions = 1
    act.total_timer_time = float(duration_s)
    builder.add(act)

    (HERE / "garmin_hrv.fit").write_bytes(builder.build().to_bytes())
    (HERE / "garmin_hrv_expected_rr_ms.txt").write_text(
        "\n".join(str(int(v)) for v in rr) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
