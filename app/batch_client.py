"""``hrv-service batch ...``: submit a study folder to a running service and fetch its
tables, without writing HTTP code.

Only the standard library is used, so these commands work where the ``service`` extra
is not installed (a researcher's laptop talking to the lab's server).

Exit codes: 0 the batch succeeded (or the command did what it was asked), 1 the batch
failed or was cancelled, 2 a usage error or a request the service refused, 3 the
service could not be reached.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import IO, Any

__all__ = ["add_parser"]

DEFAULT_URL = "http://127.0.0.1:8000"
EPILOG = """\
examples:
  export HRV_URL=http://127.0.0.1:8000 HRV_KEY=hrv_...   # a researcher or admin key
  hrv-service batch submit study/ --manifest study/manifest.csv --wait
  hrv-service batch status 01a2...e6
  hrv-service batch results 01a2...e6 -o results.csv            # tidy table
  hrv-service batch results 01a2...e6 -o wide.parquet --table wide
  hrv-service batch results 01a2...e6 -o shifts.csv --table shifts
"""


class _Failure(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "batch", help="submit a study folder to a running service, follow it, get tables",
        description=__doc__.replace("``", ""), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("HRV_URL", DEFAULT_URL),
                        help=f"the service (default $HRV_URL or {DEFAULT_URL})")
    common.add_argument("--key", default=os.environ.get("HRV_KEY"),
                        help="API key of a researcher or admin (default $HRV_KEY)")
    bsub = p.add_subparsers(dest="batch_command", required=True)

    s = bsub.add_parser("submit", help="zip DIR with its manifest and submit it",
                        parents=[common],
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("dir", type=Path, help="folder with the data files")
    s.add_argument("--manifest", type=Path, required=True,
                   help="CSV: file, participant, session, phase, kind, sampling_rate_hz, "
                        "format (+ any columns of your own); file is relative to DIR")
    s.add_argument("--config", type=Path, help="analysis configuration (JSON)")
    s.add_argument("--wait", action="store_true", help="follow the progress until it ends")
    s.set_defaults(batch_func=_submit)

    st = bsub.add_parser("status", help="counts, progress, ETA and item errors",
                         parents=[common])
    st.add_argument("id")
    st.add_argument("--wait", action="store_true", help="follow the progress until it ends")
    st.add_argument("--json", action="store_true", help="print the status document")
    st.set_defaults(batch_func=_status)

    r = bsub.add_parser("results", help="wait for the batch, then download a table",
                        parents=[common])
    r.add_argument("id")
    r.add_argument("-o", "--output", type=Path, required=True)
    r.add_argument("--table", choices=["tidy", "wide", "shifts"], default="tidy")
    r.add_argument("--format", choices=["csv", "parquet", "json"],
                   help="default: from the output's extension, else csv")
    r.set_defaults(batch_func=_results)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        if not args.key:
            raise _Failure("no API key: pass --key or set HRV_KEY", 2)
        return int(args.batch_func(args))
    except _Failure as exc:
        print(f"hrv-service batch: {exc}", file=sys.stderr)
        return exc.code


def _request(args: argparse.Namespace, method: str, path: str, body: IO[bytes] | None = None,
             size: int | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(args.url.rstrip("/") + path, method=method,
                                 data=body)
    req.add_header("Authorization", f"Bearer {args.key}")
    if content_type:
        req.add_header("Content-Type", content_type)
    if size is not None:
        req.add_header("Content-Length", str(size))
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as exc:
        data = exc.read()
        try:
            detail = json.loads(data).get("detail") or data.decode(errors="replace")
        except ValueError:
            detail = data.decode(errors="replace")
        raise _Failure(f"{method} {path}: {exc.code} {detail}", 2) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _Failure(f"cannot reach the service at {args.url}: {exc}", 3) from None


def _listed_files(manifest: Path) -> list[str]:
    with open(manifest, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "file" not in header:
            raise _Failure(f"{manifest} needs a 'file' column", 2)
        col = header.index("file")
        return [row[col].strip() for row in reader if len(row) > col and row[col].strip()]


def _submit(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        raise _Failure(f"{args.dir} is not a folder", 2)
    files = _listed_files(args.manifest)
    missing = [f for f in files if not (args.dir / f).is_file()]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise _Failure(f"{len(missing)} file(s) of the manifest are not in {args.dir}: {shown}",
                       2)
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(args.manifest, "manifest.csv")
            if args.config is not None:
                z.write(args.config, "config.json")
            for name in dict.fromkeys(files):
                z.write(args.dir / name, name)
        size = tmp.tell()
        tmp.seek(0)
        print(f"uploading {len(files)} file(s), {size / 1e6:.1f} MB", file=sys.stderr)
        _, body = _request(args, "POST", "/v1/batches", tmp, size, "application/zip")
    status = json.loads(body)
    print(status["id"])
    if args.wait:
        return _outcome(_follow(args, status["id"]))
    return 0


def _get_status(args: argparse.Namespace, batch_id: str) -> dict[str, Any]:
    _, body = _request(args, "GET", f"/v1/batches/{batch_id}")
    out: dict[str, Any] = json.loads(body)
    return out


def _bar(st: dict[str, Any], width: int = 30) -> str:
    filled = round(st["progress"] * width)
    eta = "" if st.get("eta_s") is None else f", ETA {st['eta_s']:.0f} s"
    return (f"[{'#' * filled}{'.' * (width - filled)}] {st['done'] + st['failed']}/"
            f"{st['total']} ({st['failed']} failed){eta} {st['status']}")


def _follow(args: argparse.Namespace, batch_id: str) -> dict[str, Any]:
    """Poll the status, drawing a progress bar on stderr, until the batch has ended."""
    tty = sys.stderr.isatty()
    last = ""
    while True:
        st = _get_status(args, batch_id)
        line = _bar(st)
        if tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif line != last:
            print(line, file=sys.stderr, flush=True)
        last = line
        if st["status"] not in ("queued", "running"):
            if tty:
                print(file=sys.stderr)
            _print_errors(st)
            return st
        time.sleep(1.0)


def _print_errors(st: dict[str, Any]) -> None:
    for e in st.get("errors", []):
        print(f"  failed: {e['file']}: {e['error']}", file=sys.stderr)
    if st.get("errors_truncated"):
        print(f"  ... {st['failed'] - len(st['errors'])} more failed item(s)", file=sys.stderr)


def _outcome(st: dict[str, Any]) -> int:
    return 0 if st["status"] == "succeeded" else 1


def _status(args: argparse.Namespace) -> int:
    st = _follow(args, args.id) if args.wait else _get_status(args, args.id)
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        print(_bar(st))
        if not args.wait:
            _print_errors(st)
    if st["status"] in ("queued", "running"):
        return 0
    return _outcome(st)


def _results(args: argparse.Namespace) -> int:
    fmt = args.format or {".parquet": "parquet", ".json": "json"}.get(
        args.output.suffix.lower(), "csv")
    st = _follow(args, args.id)
    if st["status"] == "failed" and not st["done"]:
        raise _Failure("every item of the batch failed; there is no table to fetch", 1)
    _, body = _request(args, "GET", f"/v1/batches/{args.id}/results?table={args.table}"
                       f"&format={fmt}")
    args.output.write_bytes(body)
    rows = body.count(b"\n") - 1 if fmt == "csv" else None
    extra = f", {rows} rows" if rows is not None else ""
    print(f"wrote {args.output} ({len(body)} bytes{extra})", file=sys.stderr)
    return _outcome(st)
