"""The ``hrv`` command run as a subprocess: summaries, JSON, batch tables, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hrv.types import METRIC_UNITS
from tests._procs import alive, children_of

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hrv.cli", *args], capture_output=True, text=True,
        cwd=cwd or ROOT, timeout=300, check=False,
    )


def write_rr(path: Path, rr: np.ndarray) -> Path:
    path.write_text("\n".join(f"{v:.3f}" for v in rr) + "\n", encoding="utf-8")
    return path


def alternating(n: int = 400, low: float = 800.0, high: float = 850.0) -> np.ndarray:
    """Intervals alternating low/high: every successive difference is 50 ms."""
    return np.where(np.arange(n) % 2 == 0, low, high).astype(float)


def noisy(seed: int, n: int = 400, mean: float = 820.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return mean + rng.normal(0, 35, n)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    d = tmp_path / "study"
    d.mkdir()
    write_rr(d / "p1_pre.txt", noisy(1))
    write_rr(d / "p1_post.txt", noisy(2, mean=900.0))
    write_rr(d / "p2_pre.txt", noisy(3))
    (d / "p2_post.txt").write_bytes(b"\x00\x01not a recording\xff" * 10)
    (d / "manifest.csv").write_text(
        "file,participant,session,phase,kind,group,anxiety\n"
        "p1_pre.txt,P1,1,pre,rr,massage,6\n"
        "p1_post.txt,P1,1,post,rr,massage,3\n"
        "p2_pre.txt,P2,1,PRE,rr,=control,5\n"
        "p2_post.txt,P2,1,post,rr,=control,4\n",
        encoding="utf-8",
    )
    return d


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


class TestHelp:
    def test_help_has_examples_and_exit_codes(self) -> None:
        r = run("--help")
        assert r.returncode == 0
        assert "examples:" in r.stdout and "exit codes:" in r.stdout
        assert "hrv batch" in r.stdout

    @pytest.mark.parametrize("command", ["analyze", "batch", "compare"])
    def test_each_command_has_help(self, command: str) -> None:
        r = run(command, "--help")
        assert r.returncode == 0
        assert "examples:" in r.stdout

    def test_no_command_is_a_usage_error(self) -> None:
        assert run().returncode == 2

    def test_unknown_option_is_a_usage_error(self) -> None:
        assert run("analyze", "--bogus", "x").returncode == 2


class TestAnalyze:
    def test_json_numbers(self, tmp_path: Path) -> None:
        f = write_rr(tmp_path / "rr.txt", alternating())
        r = run("analyze", str(f), "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert isinstance(out, list) and out[0]["file"] == str(f)
        m = out[0]["analysis"]["metrics"]
        assert m["rmssd_ms"] == pytest.approx(50.0, abs=1e-9)
        assert m["mean_nn_ms"] == pytest.approx(825.0, abs=1e-9)
        assert m["nn50_count"] == 0.0  # |50| is not more than 50
        assert set(METRIC_UNITS) <= set(m)

    def test_summary_is_readable(self, tmp_path: Path) -> None:
        f = write_rr(tmp_path / "rr.txt", alternating())
        r = run("analyze", str(f))
        assert r.returncode == 0, r.stderr
        assert "rmssd_ms" in r.stdout and "50 ms" in r.stdout
        assert "quality" in r.stdout

    def test_missing_file_is_a_usage_error(self, tmp_path: Path) -> None:
        r = run("analyze", str(tmp_path / "nope.txt"))
        assert r.returncode == 2
        assert "no such file" in r.stderr

    def test_unknown_format_is_a_usage_error(self, tmp_path: Path) -> None:
        f = write_rr(tmp_path / "rr.txt", alternating())
        r = run("analyze", str(f), "--format", "docx")
        assert r.returncode == 2 and "valid:" in r.stderr

    def test_bad_file_fails_and_others_go_on(self, tmp_path: Path) -> None:
        good = write_rr(tmp_path / "rr.txt", alternating())
        bad = tmp_path / "bad.bin"
        bad.write_bytes(b"\x00\xff" * 100)
        r = run("analyze", str(good), str(bad), "--json")
        assert r.returncode == 1
        out = json.loads(r.stdout)
        assert "analysis" in out[0] and "error" in out[1]
        assert "bad.bin" in r.stderr
        assert run("analyze", str(bad)).returncode == 3


class TestBatch:
    def test_tidy_table_and_failures(self, study: Path, tmp_path: Path) -> None:
        out = tmp_path / "results.csv"
        r = run("batch", str(study), "--manifest", str(study / "manifest.csv"),
                "-o", str(out), "--jobs", "2")
        assert r.returncode == 1, r.stderr
        assert "p2_post.txt" in r.stderr and "3 of 4" in r.stderr
        rows = read_csv(out)
        assert len(rows) == 3 * len(METRIC_UNITS) + 1
        first = rows[0]
        assert list(first)[:7] == ["file", "participant", "session", "phase",
                                   "kind", "group", "anxiety"]
        assert first["metric"] == "mean_nn_ms" and first["unit"] == "ms"
        assert first["status"] == "ok" and first["quality_grade"]
        assert {r["group"] for r in rows} == {"massage", "'=control"}  # formula escaped
        failed = [r for r in rows if r["status"] == "failed"]
        assert len(failed) == 1 and failed[0]["file"] == "p2_post.txt"
        assert failed[0]["error"]
        assert {r["phase"] for r in rows} == {"pre", "post"}  # PRE read as pre

    def test_same_bytes_every_run_and_any_job_count(self, study: Path, tmp_path: Path) -> None:
        outs = []
        for i, jobs in enumerate(("1", "2", "2")):
            out = tmp_path / f"r{i}.csv"
            r = run("batch", str(study), "--manifest", str(study / "manifest.csv"),
                    "-o", str(out), "--jobs", jobs, "--wide", "-q")
            assert r.returncode == 1 and out.exists(), r.stderr
            outs.append(out.read_bytes())
        assert outs[0] == outs[1] == outs[2]
        assert b"\r\n" not in outs[0]

    def test_wide_and_shifts(self, study: Path, tmp_path: Path) -> None:
        out, shifts = tmp_path / "wide.csv", tmp_path / "shifts.csv"
        r = run("batch", str(study), "--manifest", str(study / "manifest.csv"),
                "-o", str(out), "--wide", "--shifts", str(shifts), "-j", "1")
        assert r.returncode == 1
        wide = read_csv(out)
        assert len(wide) == 4
        assert set(METRIC_UNITS) <= set(wide[0])
        assert float(wide[1]["mean_nn_ms"]) > float(wide[0]["mean_nn_ms"])
        pairs = read_csv(shifts)
        assert [p["participant"] for p in pairs] == ["P1", "P2"]
        assert pairs[0]["status"] == "ok" and pairs[0]["verdict"]
        assert pairs[0]["anxiety_pre"] == "6.0" and pairs[0]["anxiety_post"] == "3.0"
        assert pairs[0]["group"] == "massage"
        assert pairs[1]["status"] == "failed" and "post recording failed" in pairs[1]["error"]

    def test_parquet(self, study: Path, tmp_path: Path) -> None:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("pyarrow")
        out, ref = tmp_path / "r.parquet", tmp_path / "r.csv"
        common = ("batch", str(study), "--manifest", str(study / "manifest.csv"), "-q")
        run(*common, "-o", str(out), "--parquet", "--wide")
        run(*common, "-o", str(ref), "--wide")
        frame = pd.read_parquet(out)
        text = pd.read_csv(ref)
        assert list(frame.columns) == list(text.columns)
        assert np.allclose(frame["rmssd_ms"].to_numpy(), text["rmssd_ms"].to_numpy(),
                           equal_nan=True)

    def test_folder_without_manifest(self, tmp_path: Path) -> None:
        d = tmp_path / "rr"
        d.mkdir()
        write_rr(d / "a.txt", noisy(5))
        write_rr(d / "b.txt", noisy(6))
        out = tmp_path / "o.csv"
        r = run("batch", str(d), "-o", str(out), "--wide")
        assert r.returncode == 0, r.stderr
        assert [row["file"] for row in read_csv(out)] == ["a.txt", "b.txt"]

    def test_manifest_without_file_column(self, study: Path, tmp_path: Path) -> None:
        bad = tmp_path / "m.csv"
        bad.write_text("name,phase\nx,pre\n", encoding="utf-8")
        r = run("batch", str(study), "--manifest", str(bad), "-o", str(tmp_path / "o.csv"))
        assert r.returncode == 2 and "'file' column" in r.stderr

    def test_bad_config(self, study: Path, tmp_path: Path) -> None:
        cfg = tmp_path / "cfg.json"
        cfg.write_text("{not json", encoding="utf-8")
        r = run("batch", str(study), "--manifest", str(study / "manifest.csv"),
                "-o", str(tmp_path / "o.csv"), "--config", str(cfg))
        assert r.returncode == 2 and "not JSON" in r.stderr

    def test_config_is_applied(self, study: Path, tmp_path: Path) -> None:
        cfg = tmp_path / "cfg.json"
        cfg.write_text(json.dumps({"artifacts": {"enabled": False}}), encoding="utf-8")
        out, ref = tmp_path / "c.csv", tmp_path / "d.csv"
        common = ("batch", str(study), "--manifest", str(study / "manifest.csv"), "--wide")
        run(*common, "-o", str(out), "--config", str(cfg))
        run(*common, "-o", str(ref))
        assert read_csv(out)[0]["config_hash"] != read_csv(ref)[0]["config_hash"]

    def test_progress_bar_on_request(self, study: Path, tmp_path: Path) -> None:
        r = run("batch", str(study), "--manifest", str(study / "manifest.csv"),
                "-o", str(tmp_path / "o.csv"), "--progress", "-j", "1")
        assert "4/4" in r.stderr and "[" in r.stderr


class TestCompare:
    def test_report(self, tmp_path: Path) -> None:
        pre = write_rr(tmp_path / "pre.txt", noisy(1))
        post = write_rr(tmp_path / "post.txt", noisy(2, mean=900.0))
        r = run("compare", str(pre), str(post))
        assert r.returncode == 0, r.stderr
        assert "verdict:" in r.stdout and "rmssd_ms" in r.stdout
        j = run("compare", str(pre), str(post), "--json")
        data = json.loads(j.stdout)
        assert data["verdict"]["direction"] in r.stdout
        assert data["changes"]["mean_hr_bpm"]["delta"] < 0  # slower heart after

    def test_unreadable_recording(self, tmp_path: Path) -> None:
        pre = write_rr(tmp_path / "pre.txt", noisy(1))
        bad = tmp_path / "bad.bin"
        bad.write_bytes(b"\x00\xff" * 100)
        assert run("compare", str(pre), str(bad)).returncode == 3


class TestFilesResearchersHave:
    def test_fit_file(self) -> None:
        pytest.importorskip("fit_tool")
        r = run("analyze", "tests/data/formats/garmin_hrv.fit", "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)[0]["analysis"]["kind"] == "rr"

    @pytest.mark.skipif(not Path("/work/shared/data/bidmc/bidmc_01_Signals.csv.gz").exists(),
                        reason="shared BIDMC data not present")
    def test_gzipped_physionet_export_with_rounded_time(self) -> None:
        f = "/work/shared/data/bidmc/bidmc_01_Signals.csv.gz"
        assert run("analyze", f, "--kind", "ecg", "--channel", "II").returncode == 3
        r = run("analyze", f, "--kind", "ecg", "--channel", "II", "--fs", "125", "--json")
        assert r.returncode == 0, r.stderr
        a = json.loads(r.stdout)[0]["analysis"]
        assert a["kind"] == "ecg" and a["duration_s"] == pytest.approx(480.0, abs=0.01)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
class TestPoolProcesses:
    def test_pool_processes_leave_when_hrv_batch_is_killed(self, tmp_path: Path) -> None:
        import signal
        import time

        d = tmp_path / "big"
        d.mkdir()
        lines = ["file,participant,session,phase,kind"]
        for i in range(3000):  # long enough (seconds) to be killed while it runs
            write_rr(d / f"r{i}.txt", noisy(i))
            lines.append(f"r{i}.txt,P{i},1,pre,rr")
        (d / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "hrv.cli", "batch", str(d), "--manifest",
             str(d / "manifest.csv"), "-o", str(tmp_path / "out.csv"), "--jobs", "2"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while len(children_of(proc.pid)) < 2 and time.monotonic() < deadline:
                assert proc.poll() is None, "hrv batch ended before its pool was seen"
                time.sleep(0.05)
            pool = children_of(proc.pid)
            assert len(pool) >= 2
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            deadline = time.monotonic() + 20
            while alive(pool) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not alive(pool), "pool processes outlived hrv batch"
        finally:
            if proc.poll() is None:
                proc.kill()

    def test_a_pool_process_whose_parent_is_already_gone_leaves_at_once(self) -> None:
        # The pid a pool process is given is its parent's; one that starts after that
        # parent died (its parent is then another process) must not wait for work.
        code = ("from hrv.cli._inputs import _exit_with_parent\n"
                "_exit_with_parent(2 ** 22 + 12345)\n"
                "print('still here')\n")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT, timeout=60, check=False)
        assert res.returncode == 1 and "still here" not in res.stdout
