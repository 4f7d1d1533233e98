"""Audit the locked dependencies for known vulnerabilities and say how much was audited.

Runs ``pip-audit`` on ``requirements.lock`` (exact versions, no resolution, nothing
installed) and prints one line: how many packages were checked against advisory data,
how many could not be (the package index gave no advisory data for them), and how many
known vulnerabilities were found. Exit status: 1 when a vulnerability is found; 2 with
``--strict`` when any package could not be audited; else 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--strict", action="store_true",
                        help="fail when a package could not be audited")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [sys.executable, "-m", "pip_audit", "-r", str(args.lock), "--no-deps",
               "--disable-pip", "--progress-spinner", "off", "-f", "json", "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if not out.exists():
            sys.stderr.write(proc.stderr)
            print(f"pip-audit did not run (exit {proc.returncode})", file=sys.stderr)
            return 2
        report = json.loads(out.read_text())
    return summarise(report, args.lock.name, strict=args.strict)


def summarise(report: dict, lock_name: str, *, strict: bool = False) -> int:
    """Print the findings of a ``pip-audit -f json`` report and return the exit status."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulns = [(d["name"], d["version"], v["id"], v.get("fix_versions", []))
             for d in deps for v in d.get("vulns", [])]
    for name, version, vid, fixes in vulns:
        fix = f", fixed in {', '.join(fixes)}" if fixes else ""
        print(f"{name} {version}: {vid}{fix}")
    print(f"pip-audit on {lock_name}: {len(deps)} packages, "
          f"{len(deps) - len(skipped)} audited, {len(skipped)} without advisory data "
          f"from the index, {len(vulns)} known vulnerabilities")
    if vulns:
        return 1
    if skipped and strict:
        return 2
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
