"""hrv.tables: cell escaping and formatting, tidy/wide/shift tables, byte-identical files."""

import csv
import dataclasses
import io
import math
from pathlib import Path

import numpy as np
import pytest

import hrv
from hrv import tables
from hrv.tables import escape_cell
from hrv.types import METRIC_UNITS, Metrics


class TestEscapeCell:
    @pytest.mark.parametrize(
        "raw", ["=HYPERLINK(\"http://x\")", "+cmd|calc", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    )
    def test_formula_prefixes_are_neutralised(self, raw: str) -> None:
        out = escape_cell(raw)
        assert out == "'" + raw
        assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))

    @pytest.mark.parametrize("raw", ["C-1042", "massage", "", "12.5", "a=b"])
    def test_plain_text_is_unchanged(self, raw: str) -> None:
        assert escape_cell(raw) == raw


# ---------------------------------------------------------------------------------------
# Tables



def _analysis(seed: int, n: int = 400, mean: float = 820.0) -> hrv.Analysis:
    rng = np.random.default_rng(seed)
    return hrv.analyze_intervals(mean + rng.normal(0, 35, n))


@pytest.fixture(scope="module")
def items() -> list[tables.RecordingItem]:
    return [
        tables.RecordingItem({"file": "a.txt", "participant": "P1", "session": "1",
                              "phase": "pre", "group": "=cmd", "anxiety": "6"}, _analysis(1)),
        tables.RecordingItem({"file": "b.txt", "participant": "P1", "session": "1",
                              "phase": "post", "group": "=cmd", "anxiety": "2.5"},
                             _analysis(2, mean=900.0)),
        tables.RecordingItem({"file": "c.txt", "participant": "P2", "session": "1",
                              "phase": "pre", "metric": "x"}, None, "not a recording"),
    ]


def _parse(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


class TestUnits:
    def test_one_unit_per_metric_field(self) -> None:
        assert list(METRIC_UNITS) == [f.name for f in dataclasses.fields(Metrics)]
        assert METRIC_UNITS["rmssd_ms"] == "ms" and METRIC_UNITS["hf_power_ms2"] == "ms^2"
        assert METRIC_UNITS["mean_hr_bpm"] == "1/min" and METRIC_UNITS["pnn50_pct"] == "%"

    def test_names_agree_with_units(self) -> None:
        suffix = {"_ms": "ms", "_ms2": "ms^2", "_pct": "%", "_hz": "Hz", "_bpm": "1/min"}
        for name, unit in METRIC_UNITS.items():
            for end, u in suffix.items():
                if name.endswith(end):
                    assert unit == u, name


class TestFormatCell:
    @pytest.mark.parametrize("x", [0.1, 1 / 3, 1e-7, 123456789.123, -2.5, 5e300, 42.0])
    def test_floats_round_trip(self, x: float) -> None:
        assert float(tables.format_cell(x)) == x

    def test_other_cells(self) -> None:
        assert tables.format_cell(None) == ""
        assert tables.format_cell(math.nan) == "" and tables.format_cell(math.inf) == ""
        assert tables.format_cell(True) == "true" and tables.format_cell(False) == "false"
        assert tables.format_cell(7) == "7"
        assert tables.format_cell(-3.5) == "-3.5"  # a number stays a number
        assert tables.format_cell("-x") == "'-x"


class TestTidy:
    def test_rows_and_columns(self, items: list[tables.RecordingItem]) -> None:
        t = tables.tidy_table(items)
        assert len(t) == 2 * len(METRIC_UNITS) + 1
        # Manifest columns first, in first-seen order; a clash is renamed.
        assert t.columns[:7] == ("file", "participant", "session", "phase", "group",
                                 "anxiety", "manifest_metric")
        assert t.columns[7:10] == tables.TIDY_COLUMNS
        assert t.columns[10:] == tables.RECORDING_COLUMNS
        rows = _parse(tables.csv_bytes(t))
        rmssd = [r for r in rows if r["metric"] == "rmssd_ms"]
        assert [r["file"] for r in rmssd] == ["a.txt", "b.txt"]
        assert float(rmssd[0]["value"]) == items[0].analysis.metrics.rmssd_ms  # type: ignore[union-attr]
        assert rmssd[0]["unit"] == "ms" and rmssd[0]["status"] == "ok"
        assert rmssd[0]["group"] == "'=cmd"
        failed = rows[-1]
        assert failed["file"] == "c.txt" and failed["status"] == "failed"
        assert failed["error"] == "not a recording" and failed["metric"] == ""
        assert failed["manifest_metric"] == "x"

    def test_missing_metric_is_empty(self) -> None:
        a = _analysis(3, n=150)  # 2 min: no TINN, no DFA, no sample entropy
        rows = _parse(tables.csv_bytes(tables.tidy_table([tables.RecordingItem({}, a)])))
        by = {r["metric"]: r for r in rows}
        assert by["tinn_ms"]["value"] == "" and by["dfa_alpha1"]["value"] == ""
        assert "too_short_for_triangular" in by["tinn_ms"]["warnings"].split(";")

    def test_config_hash(self) -> None:
        a = _analysis(4)
        b = hrv.analyze_intervals(a.nn.rr_ms, config=hrv.AnalysisConfig.from_dict(
            {"artifacts": {"enabled": False}}))
        h = tables.config_hash(a)
        assert len(h) == 16 and h == tables.config_hash(_analysis(5))
        assert h != tables.config_hash(b)


class TestWide:
    def test_one_row_per_recording(self, items: list[tables.RecordingItem]) -> None:
        t = tables.wide_table(items)
        assert len(t) == 3
        assert t.columns[-len(METRIC_UNITS):] == tuple(METRIC_UNITS)
        assert t.column("mean_nn_ms")[2] is None
        assert t.column("status") == ["ok", "ok", "failed"]


class TestShift:
    def test_pairs_and_rows(self, items: list[tables.RecordingItem]) -> None:
        pairs = tables.pair_items(items)
        assert [p.manifest["participant"] for p in pairs] == ["P1", "P2"]
        assert pairs[0].shift is not None and pairs[0].manifest["group"] == "=cmd"
        assert pairs[0].anxiety_pre == 6.0 and pairs[0].anxiety_post == 2.5
        assert pairs[1].shift is None and "no post recording" in (pairs[1].error or "")
        t = tables.shift_table(pairs)
        rows = _parse(tables.csv_bytes(t))
        assert rows[0]["verdict"] == pairs[0].shift.verdict.direction.value
        assert float(rows[0]["mean_hr_bpm_delta"]) < 0  # the post series is slower
        assert rows[1]["status"] == "failed" and rows[1]["verdict"] == ""
        for f in tables.SHIFT_CHANGE_FIELDS:
            assert f"rmssd_ms_{f}" in t.columns

    def test_failed_recording_names_its_phase(self) -> None:
        pre = tables.RecordingItem({"participant": "P", "session": "1", "phase": "pre"},
                                   _analysis(6))
        post = tables.RecordingItem({"participant": "P", "session": "1", "phase": "post"},
                                    None, "bad file")
        (pair,) = tables.pair_items([pre, post])
        assert pair.error == "the post recording failed: bad file"


class TestDeterministicFiles:
    def test_same_bytes_twice_and_lf_only(self, items: list[tables.RecordingItem]) -> None:
        again = [tables.RecordingItem(dict(i.manifest),
                                      None if i.analysis is None else hrv.Analysis.from_dict(
                                          i.analysis.to_dict(include_series=True)),
                                      i.error) for i in items]
        for build in (tables.tidy_table, tables.wide_table):
            a, b = tables.csv_bytes(build(items)), tables.csv_bytes(build(again))
            assert a == b
            assert b"\r" not in a and a.endswith(b"\n")

    def test_write_csv_path_and_stream(self, items: list[tables.RecordingItem],
                                       tmp_path: Path) -> None:
        t = tables.wide_table(items)
        tables.write_csv(t, tmp_path / "w.csv")
        buf = io.BytesIO()
        tables.write_csv(t, buf)
        assert (tmp_path / "w.csv").read_bytes() == buf.getvalue() == tables.csv_bytes(t)

    def test_parquet_and_frame(self, items: list[tables.RecordingItem], tmp_path: Path) -> None:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        t = tables.wide_table(items)
        tables.write_parquet(t, tmp_path / "w.parquet")
        back = pd.read_parquet(tmp_path / "w.parquet")
        frame = tables.to_frame(t)
        assert list(back.columns) == list(frame.columns) == list(t.columns)
        assert back["rmssd_ms"].tolist()[:2] == t.column("rmssd_ms")[:2]
        assert math.isnan(frame["rmssd_ms"].iloc[2])
        tables.write_parquet(t, tmp_path / "again.parquet")
        assert (tmp_path / "w.parquet").read_bytes() == (tmp_path / "again.parquet").read_bytes()


class TestToFrame:
    def test_analysis_and_shift(self) -> None:
        pytest.importorskip("pandas")
        a, b = _analysis(7), _analysis(8, mean=880.0)
        f = a.to_frame()
        assert list(f["metric"]) == list(METRIC_UNITS)
        assert f.loc[f["metric"] == "rmssd_ms", "value"].item() == a.metrics.rmssd_ms
        assert a.to_frame("wide").shape[0] == 1
        s = hrv.compare(a, b)
        changes = s.to_frame()
        assert list(changes["marker"]) == list(s.changes)
        assert s.to_frame("pair")["verdict"].item() == s.verdict.direction.value
        with pytest.raises(ValueError):
            a.to_frame("long")

    def test_without_pandas(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import sys

        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match="pip install"):
            _analysis(9).to_frame()
