"""Write the small sample files of ``tests/data/formats/`` from their published layouts.

Run ``python tests/data/formats/make_samples.py`` to regenerate. Every file's content is
a deterministic function defined here (``truth_*``), so tests compare what a reader
returns with these definitions rather than with the reader's own output.

Layouts follow the vendors' descriptions: Polar Sensor Logger (``;``-separated, ISO
phone time, sensor ns, µV at 130 Hz), Polar H10 BLE Heart Rate Measurement (RR in
1/1024 s), Apple Health ECG export (key/value header, 512 Hz, µV), Empatica E4
``IBI.csv``/``BVP.csv``, an Oura-style IBI JSON, and generic CSV variants.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
START = dt.datetime(2024, 3, 1, 9, 30, 0, 250000)
E4_START_UNIX = 1709285400  # 2024-03-01T09:30:00Z


def truth_rr_ms(n: int = 120) -> list[int]:
    """Integer RR intervals (ms): 15/min breathing modulation around 850 ms."""
    t, out = 0.0, []
    for _ in range(n):
        rr = (
            850.0 + 40.0 * math.sin(2 * math.pi * 0.25 * t) + 15.0 * math.sin(2 * math.pi * 0.1 * t)
        )
        out.append(round(rr))
        t += rr / 1000.0
    return out


def truth_ecg(fs_hz: float, duration_s: float, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic ECG (Gaussian R waves at the ``truth_rr_ms`` beats) and its beat times."""
    beats = np.cumsum(truth_rr_ms()) / 1000.0
    beats = beats[beats < duration_s - 0.1]
    t = np.arange(round(duration_s * fs_hz)) / fs_hz
    ecg = np.zeros_like(t)
    for b in beats:
        ecg += amplitude * np.exp(-0.5 * ((t - b) / 0.012) ** 2)  # R wave, ~28 ms wide
        ecg -= 0.15 * amplitude * np.exp(-0.5 * ((t - b - 0.25) / 0.04) ** 2)
    ecg += 0.05 * amplitude * np.sin(2 * np.pi * 0.3 * t)  # baseline wander
    return ecg, beats


def write_apple() -> None:
    ecg, _ = truth_ecg(512.0, 30.0, 900.0)
    head = [
        "Name,Jane Example",
        'Date of Birth,"Feb 29, 1988"',
        "Recorded Date,2024-03-01 09:30:00 +0100",
        "Classification,Sinus Rhythm",
        "Symptoms,",
        "Software Version,2",
        'Device,"Watch6,1"',
        "Sample Rate,512 hertz",
        "Lead,Lead I",
        "Unit,µV",
        "",
    ]
    body = [f"{v:.3f}" for v in ecg]
    (HERE / "apple_health_ecg.csv").write_text("\n".join(head + body) + "\n", encoding="utf-8")


def write_sensor_logger() -> None:
    ecg, _ = truth_ecg(130.0, 20.0, 1200.0)
    period_ns = 7_692_308  # 1/130 s
    sensor0 = 762_600_000_000_000_000  # ns since 2000-01-01 (2024-03-01)
    rows = ["Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]"]
    for i, v in enumerate(ecg):
        packet_end = (i // 73 + 1) * 73  # the H10 sends 73 samples per BLE packet
        phone = START + dt.timedelta(seconds=packet_end / 130.0 + 0.04)
        ts_ns = sensor0 + i * period_ns
        rows.append(f"{phone.isoformat(timespec='milliseconds')};{ts_ns};"
                    f"{(ts_ns - sensor0) / 1e6:.1f};{round(v)}")  # fmt: skip
    (HERE / "polar_sensor_logger_ecg.txt").write_text("\n".join(rows) + "\n")
    rr = truth_rr_ms()
    rows = ["Phone timestamp;RR-interval [ms]"]
    t = 0.0
    for v in rr:
        t += v / 1000.0
        phone = START + dt.timedelta(seconds=t + 0.3)
        rows.append(f"{phone.isoformat(timespec='milliseconds')};{v}")
    (HERE / "polar_sensor_logger_rr.txt").write_text("\n".join(rows) + "\n")


def write_h10() -> None:
    ticks = [round(v * 1024 / 1000) for v in truth_rr_ms()]
    (HERE / "polar_h10_rr_ticks.txt").write_text("rr_1024\n" + "\n".join(map(str, ticks)) + "\n")
    lines = []
    hr = 70
    for i in range(0, len(ticks), 2):  # two RR values per notification, then one
        pair = ticks[i : i + 2]
        payload = bytes([0x10, hr]) + b"".join(v.to_bytes(2, "little") for v in pair)
        lines.append("-".join(f"{b:02X}" for b in payload))
    lines.insert(3, "00-46")  # a notification without RR (flags bit 4 clear)
    (HERE / "polar_h10_notifications.txt").write_text("\n".join(lines) + "\n")


def truth_e4_ibi() -> tuple[list[float], list[float], list[int]]:
    """E4 rows (t_offset s, ibi s) quantised to 1/64 s, and the row indices after a gap."""
    rr = truth_rr_ms(60)
    t, ts, ibis, gaps = 4.0, [], [], []
    for i, v in enumerate(rr):
        ibi = round(v / 1000.0 * 64) / 64
        t += ibi
        if i in (20, 41):  # the E4 dropped beats before these rows
            t += 2.5 * ibi
            gaps.append(len(ts))
        ts.append(t)
        ibis.append(ibi)
    return ts, ibis, gaps


def write_empatica() -> None:
    ts, ibis, _ = truth_e4_ibi()
    rows = [f"{E4_START_UNIX:.6f}, IBI"] + [
        f"{t:.6f},{v:.6f}" for t, v in zip(ts, ibis, strict=True)
    ]
    (HERE / "empatica_IBI.csv").write_text("\n".join(rows) + "\n")
    t = np.arange(64 * 20) / 64.0
    bvp = 50.0 * np.sin(2 * np.pi * 1.2 * t) + 5.0 * np.sin(2 * np.pi * 0.25 * t)
    rows = [f"{E4_START_UNIX:.6f}", "64.000000"] + [f"{v:.2f}" for v in bvp]
    (HERE / "empatica_BVP.csv").write_text("\n".join(rows) + "\n")


def write_oura() -> None:
    rr = truth_rr_ms(40)
    t = dt.datetime(2024, 3, 1, 23, 10, 0, tzinfo=dt.UTC)
    items = []
    for i, v in enumerate(rr):
        t += dt.timedelta(milliseconds=v)
        if i == 25:
            t += dt.timedelta(seconds=3)  # beats dropped by the ring before this one
        items.append({"timestamp": t.isoformat().replace("+00:00", "Z"), "ibi": v,
                      "validity": 0 if i in (10, 11) else 1})  # fmt: skip
    (HERE / "oura_ibi.json").write_text(json.dumps({"ibi": items}, indent=1) + "\n")


def write_generic_csv() -> None:
    ecg, _ = truth_ecg(250.0, 10.0, 1.0)
    rows = ["Zeit [ms];EKG [mV]"] + [
        f"{i * 4};{v:.4f}".replace(".", ",") for i, v in enumerate(ecg)
    ]
    (HERE / "generic_semicolon_decimal_comma.csv").write_text("\n".join(rows) + "\n")
    (HERE / "generic_single_column.csv").write_text("\n".join(f"{v:.4f}" for v in ecg) + "\n")
    rr = truth_rr_ms(30)
    t = np.cumsum(rr) / 1000.0
    rows = ["time_s,rr_ms"] + [f"{a:.3f},{b}" for a, b in zip(t, rr, strict=True)]
    (HERE / "generic_rr_with_time.csv").write_text("\n".join(rows) + "\n")


def main() -> None:
    write_apple()
    write_sensor_logger()
    write_h10()
    write_empatica()
    write_oura()
    write_generic_csv()


if __name__ == "__main__":
    main()
