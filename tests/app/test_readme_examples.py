"""The README's API examples run as written against a live server, on sample_recordings/.

The first ``sh`` block after the "## API" heading is run by bash with ``set -euo
pipefail`` and every ``curl`` made ``--fail-with-body``, so a 4xx/5xx answer or a
missing file fails the test. Only the ``KEY=`` and ``URL=`` lines are replaced (by a real
admin key and the test server's address). ``HRV_TEST_README`` names another file to
check (the text before it is pasted into README.md).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.app.test_batches_workers import _ready, cli_key, free_port, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
README = Path(os.environ.get("HRV_TEST_README", ROOT / "README.md"))
PRELUDE = """\
set -euo pipefail
curl() { command curl --fail-with-body --silent --show-error "$@"; }
"""


def api_block(text: str) -> str:
    """The first ```sh block after the '## API' heading."""
    head = re.search(r"^## API\s*$", text, flags=re.MULTILINE)
    assert head is not None, "README has no '## API' section"
    block = re.search(r"^```sh\n(.*?)^```", text[head.end():], flags=re.MULTILINE | re.DOTALL)
    assert block is not None, "no ```sh block after '## API'"
    return block.group(1)


def prepared(block: str, key: str, url: str) -> str:
    lines = block.splitlines()
    assert any(ln.startswith("KEY=") for ln in lines) and any(
        ln.startswith("URL=") for ln in lines), "the examples set KEY= and URL= first"
    out = [f"KEY={key}" if ln.startswith("KEY=") else f"URL={url}" if ln.startswith("URL=")
           else ln for ln in lines]
    return PRELUDE + "\n".join(out) + "\n"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
class TestReadmeExamples:
    def test_api_examples_run_as_written(self, tmp_path: Path) -> None:
        script = api_block(README.read_text())
        # Every file the examples name is shipped.
        for name in re.findall(r"sample_recordings/[\w./-]+", script):
            assert (ROOT / name).exists(), f"{name} is named by the README but not shipped"
        work = tmp_path / "work"
        work.mkdir()
        (work / "sample_recordings").symlink_to(ROOT / "sample_recordings")
        (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
        env = {"HRV_DATABASE_URL": f"sqlite:///{tmp_path}/hrv.db", "HRV_BATCH_PROCESSES": "1",
               "HRV_LOG_LEVEL": "WARNING"}
        key = cli_key(env, "admin")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start(["serve", "--port", str(port)], env)
        try:
            wait_for(lambda: _ready(url), 60, "the server to start", server)
            run = subprocess.run(["bash", "-c", prepared(script, key, url)], cwd=work,
                                 capture_output=True, text=True, timeout=600,
                                 env={**os.environ, "PATH": f"{Path(sys.executable).parent}:"
                                      f"{os.environ.get('PATH', '')}"})
            assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:])
        finally:
            stop(server)
        # The batch example fetched real tables of the sample recordings.
        manifest = list(csv.DictReader(io.StringIO(
            (ROOT / "sample_recordings" / "manifest.csv").read_text())))
        tidy = list(csv.DictReader(io.StringIO((work / "tidy.csv").read_text())))
        assert {r["file"] for r in tidy} == {m["file"] for m in manifest}
        assert all(r["status"] == "ok" for r in tidy)
        shifts = list(csv.DictReader(io.StringIO((work / "shifts.csv").read_text())))
        assert len(shifts) == len(manifest) // 2
        assert pq.read_table(work / "wide.parquet").num_rows == len(manifest)
