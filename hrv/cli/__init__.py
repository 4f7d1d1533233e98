"""The ``hrv`` command: the library's analysis from a terminal, without a server.

``hrv analyze FILE...`` prints a summary of each recording (``--json`` for the full
result); ``hrv batch DIR --manifest manifest.csv -o results.csv`` analyses a study folder
on every core and writes the same tidy or wide table (and pre/post shift table) the
service's batches give, through :mod:`hrv.tables`; ``hrv compare PRE POST`` prints the
before/after report. Only the standard library, numpy and scipy are needed; ``--parquet``
needs pyarrow.

This module imports nothing of :mod:`hrv` at start-up: each command loads what it uses,
so ``hrv analyze`` on a 5-minute RR file stays quick.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from hrv.cli._inputs import (
    Job,
    UsageError,
    analyse,
    check_format,
    folder_jobs,
    init_worker,
    load_config,
    read_manifest,
    work,
)
from hrv.cli._output import Progress, json_out, shift_report, summary

if TYPE_CHECKING:
    from hrv.config import AnalysisConfig
    from hrv.tables import RecordingItem
    from hrv.types import Analysis

__all__ = [
    "EXIT_FAILED_ALL",
    "EXIT_FAILED_SOME",
    "EXIT_MISSING_EXTRA",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
]

#: Exit codes, for scripts.
EXIT_OK = 0
#: Some files (or pairs) could not be analysed; the others are in the output.
EXIT_FAILED_SOME = 1
#: Bad command line, unreadable manifest or configuration (argparse uses 2 as well).
EXIT_USAGE = 2
#: No file could be analysed (``analyze``, ``batch``) or compared (``compare``).
EXIT_FAILED_ALL = 3
#: An optional dependency the options need is missing (pyarrow for ``--parquet``).
EXIT_MISSING_EXTRA = 4
#: An unexpected error (a bug): the traceback is printed.
EXIT_INTERNAL = 5

_EXIT_TEXT = """\
exit codes:
  0  every file analysed
  1  some files failed (reported on stderr; the others are in the output)
  2  usage error: bad option, missing file, bad manifest or configuration
  3  nothing could be analysed (or compared)
  4  an optional dependency is missing (pyarrow for --parquet)
  5  unexpected internal error (please report it with the printed traceback)
"""

_MAIN_EPILOG = """\
examples:
  hrv analyze rr.txt                       summary of one recording
  hrv analyze ecg.edf --json > result.json
  hrv batch study/ --manifest study/manifest.csv -o results.csv --jobs 4
  hrv compare pre.edf post.edf

""" + _EXIT_TEXT

_BATCH_EPILOG = """\
The manifest is a CSV file with a header; 'file' (relative to DIR) is required, and
'participant', 'session', 'phase' (pre/post), 'kind' (ecg/ppg/rr), 'sampling_rate_hz',
'format' and 'channel' are read when present. Every column (group, age, ...) is carried
into every output row. Without --manifest every file under DIR is analysed.

examples:
  hrv batch study/ --manifest study/manifest.csv -o results.csv
  hrv batch study/ --manifest study/manifest.csv -o wide.csv --wide --jobs 2
  hrv batch study/ --manifest m.csv -o results.parquet --parquet --shifts shifts.csv
  hrv batch study/ --manifest m.csv -o results.csv --config cfg.json

""" + _EXIT_TEXT


# ---------------------------------------------------------------------------------------
# Commands




def _single_job(path: str, args: argparse.Namespace) -> Job:
    return Job(path=path, manifest={"file": path}, format=args.format, kind=args.kind,
                fs_hz=args.fs, channel=args.channel)


def _check_exists(paths: Sequence[str]) -> None:
    for p in paths:
        if not (os.path.exists(p) or os.path.exists(p + ".hea")):
            raise UsageError(f"no such file: {p}")


def cmd_analyze(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    check_format(args.format, "")
    _check_exists(args.files)
    config = load_config(args.config)
    results: list[dict[str, Any]] = []
    failed = 0
    for i, path in enumerate(args.files):
        a, error = analyse(_single_job(path, args), config)
        if a is None:
            failed += 1
            err.write(f"hrv: {path}: {error}\n")
            results.append({"file": path, "error": error})
            continue
        if args.json:
            results.append({"file": path, "analysis": a.to_dict(include_beats=args.beats)})
        else:
            out.write(("\n" if i else "") + summary(path, a) + "\n")
    if args.json:
        json_out(results, out)
    return _exit_for(failed, len(args.files))


def cmd_compare(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    check_format(args.format, "")
    _check_exists([args.pre, args.post])
    config = load_config(args.config)
    from hrv.errors import HRVError
    from hrv.shift import compare

    analyses = []
    for path in (args.pre, args.post):
        a, error = analyse(_single_job(path, args), config)
        if a is None:
            err.write(f"hrv: {path}: {error}\n")
            return EXIT_FAILED_ALL
        analyses.append(a)
    try:
        shift = compare(analyses[0], analyses[1])
    except HRVError as exc:
        err.write(f"hrv: cannot compare: {exc}\n")
        return EXIT_FAILED_ALL
    if args.json:
        json_out(shift.to_dict(include_beats=False), out)
    else:
        out.write(shift_report(args.pre, args.post, shift) + "\n")
    return EXIT_OK


def _run_jobs(jobs: Sequence[Job], config: AnalysisConfig | None, n_jobs: int,
              progress: Progress) -> Iterator[tuple[Job, Analysis | None, str | None]]:
    """Results in job order (so the tables do not depend on scheduling)."""
    if n_jobs <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield job, *analyse(job, config)
        return
    import concurrent.futures
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    chunk = max(1, min(16, len(jobs) // (n_jobs * 8)))
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=n_jobs, mp_context=ctx, initializer=init_worker,
        initargs=(None if config is None else config.to_dict(), os.getpid()),
    ) as pool:
        for job, res in zip(jobs, pool.map(work, jobs, chunksize=chunk), strict=True):
            yield job, *res


def cmd_batch(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from hrv import tables

    root = Path(args.dir)
    if not root.is_dir():
        raise UsageError(f"not a folder: {args.dir}")
    config = load_config(args.config)
    jobs = read_manifest(args.manifest, root) if args.manifest else folder_jobs(root)
    if not jobs:
        raise UsageError(f"no files under {args.dir}")
    if args.parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            err.write("hrv: --parquet needs pyarrow: pip install 'hrv-session[parquet]'\n")
            return EXIT_MISSING_EXTRA
    n_jobs = args.jobs if args.jobs and args.jobs > 0 else (os.cpu_count() or 1)
    show = args.progress or (not args.quiet and err.isatty())
    progress = Progress(len(jobs), err, show)
    t0 = time.perf_counter()
    items: list[RecordingItem] = []
    failures: list[tuple[str, str]] = []
    for done, (job, a, error) in enumerate(_run_jobs(jobs, config, n_jobs, progress), 1):
        items.append(tables.RecordingItem(manifest=job.manifest, analysis=a, error=error))
        if a is None:
            failures.append((job.manifest.get("file", job.path), error or "failed"))
        progress.update(done, len(failures))
    elapsed = time.perf_counter() - t0

    table = tables.wide_table(items) if args.wide else tables.tidy_table(items)
    writer: Callable[[tables.Table, str], None] = (
        tables.write_parquet if args.parquet else tables.write_csv)
    writer(table, args.output)
    n_pairs = 0
    pair_failures = 0
    if args.shifts:
        pairs = tables.pair_items(items)
        n_pairs = len(pairs)
        pair_failures = sum(p.shift is None for p in pairs)
        shift_writer: Callable[[tables.Table, str], None] = (
            tables.write_parquet if args.shifts.endswith(".parquet") else tables.write_csv)
        shift_writer(tables.shift_table(pairs), args.shifts)

    if not args.quiet:
        ok = len(jobs) - len(failures)
        rate = len(jobs) / elapsed if elapsed > 0 else float("inf")
        err.write(f"hrv: analysed {ok} of {len(jobs)} recordings in {elapsed:.1f} s "
                  f"({rate:.1f}/s, {n_jobs} job{'s' if n_jobs != 1 else ''}); "
                  f"wrote {args.output}\n")
        if args.shifts:
            err.write(f"hrv: {n_pairs - pair_failures} of {n_pairs} pre/post pairs compared;"
                      f" wrote {args.shifts}\n")
        for name, why in failures:
            err.write(f"hrv: failed: {name}: {why}\n")
    return _exit_for(len(failures), len(jobs))


def _exit_for(failed: int, total: int) -> int:
    if failed == 0:
        return EXIT_OK
    return EXIT_FAILED_ALL if failed >= total else EXIT_FAILED_SOME


# ---------------------------------------------------------------------------------------
# Command line


def _positive_rate(text: str) -> float:
    try:
        fs = float(text)
    except ValueError:
        fs = math.nan
    if not (math.isfinite(fs) and 0 < fs <= 100_000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a sampling rate in (0, 100000] Hz")
    return fs


def _reading_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", help="file format (default: recognised from the content)")
    p.add_argument("--kind", choices=("ecg", "ppg", "rr"),
                   help="signal kind where the format leaves it open")
    p.add_argument("--fs", type=_positive_rate, metavar="HZ",
                   help="sampling rate of a waveform CSV/text file")
    p.add_argument("--channel", help="channel label or 1-based number (EDF, WFDB)")
    p.add_argument("--config", metavar="CFG.json",
                   help="analysis configuration (hrv.AnalysisConfig.from_dict)")


def build_parser() -> argparse.ArgumentParser:
    from hrv._version import __version__

    parser = argparse.ArgumentParser(
        prog="hrv",
        description="Heart-rate variability from ECG, PPG or beat-interval files.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hrv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "analyze", help="analyse recordings and print a summary",
        description="Analyse each FILE and print a readable summary (or --json).",
        epilog="examples:\n  hrv analyze rr.txt\n  hrv analyze a.edf b.edf --json\n"
               "  hrv analyze ecg.csv --kind ecg --fs 250\n\n" + _EXIT_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {file, analysis} (or {file, error})")
    p.add_argument("--beats", action="store_true", help="include beat times in --json")
    _reading_options(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser(
        "batch", help="analyse a study folder into one table",
        description="Analyse every recording a manifest lists (or every file under DIR) "
                    "on all cores and write one tidy table (one row per recording x "
                    "metric) or, with --wide, one row per recording.",
        epilog=_BATCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--manifest", metavar="MANIFEST.csv", help="which file is whose")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the results table (CSV, or Parquet with --parquet)")
    p.add_argument("--wide", action="store_true", help="one row per recording")
    p.add_argument("--parquet", action="store_true", help="write Parquet (needs pyarrow)")
    p.add_argument("--shifts", metavar="SHIFTS.csv",
                   help="also write one row per pre/post pair (participant + session)")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--progress", action="store_true",
                   help="draw the progress bar even when stderr is not a terminal")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    p.add_argument("--config", metavar="CFG.json",
                   help="analysis configuration for every file (hrv.AnalysisConfig)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser(
        "compare", help="compare a pre- and a post-session recording",
        description="Analyse PRE and POST and print the before/after report: verdict, "
                    "confidence, each marker's change and the caveats.",
        epilog="examples:\n  hrv compare pre.edf post.edf\n"
               "  hrv compare pre_rr.txt post_rr.txt --json\n\n" + _EXIT_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pre", metavar="PRE")
    p.add_argument("post", metavar="POST")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _reading_options(p)
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hrv`` command; returns the exit code (see ``hrv --help``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if getattr(args, "jobs", 0) and args.jobs < 0:
        parser.error("--jobs must be positive")
    try:
        code: int = args.func(args, sys.stdout, sys.stderr)
    except UsageError as exc:
        sys.stderr.write(f"hrv: {exc}\n")
        return EXIT_USAGE
    except ImportError as exc:
        sys.stderr.write(f"hrv: {exc}\n")
        return EXIT_MISSING_EXTRA
    except BrokenPipeError:  # `hrv analyze ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("hrv: interrupted\n")
        return 130
    except Exception:
        import traceback

        traceback.print_exc()
        sys.stderr.write("hrv: internal error (the traceback above says where)\n")
        return EXIT_INTERNAL
    return code

