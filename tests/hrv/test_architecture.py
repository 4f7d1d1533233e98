"""The house stays as drawn in docs/architecture.md: which room of ``hrv`` may import which.

Every ``import`` in the package is read (module level and inside functions, where the
heavy ones load on first use), so a new dependency against the flow fails here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HRV = ROOT / "hrv"

#: Room -> the rooms it may import (besides itself). The order of the data flow:
#: bytes -> io -> detect -> quality -> intervals -> metrics + respiration + rhythm ->
#: analysis -> shift; _dsp, config, types and errors lie under all of them.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_version": set(),
    "types": {"errors"},
    "config": {"errors"},
    "_dsp": {"errors", "types"},
    "io": {"errors", "types", "config"},
    "evaluation": {"errors", "types"},
    "simulate": {"errors", "types"},
    "rhythm": {"errors", "types"},
    "metrics": {"errors", "types", "config", "_dsp"},
    "quality": {"errors", "types", "config", "_dsp"},
    "intervals": {"errors", "types", "config", "_dsp"},
    "detect": {"errors", "types", "config", "_dsp", "quality"},
    "respiration": {"errors", "types", "config", "_dsp", "metrics"},
    "analysis": {
        "errors", "types", "config", "_dsp", "_version", "io", "detect", "quality",
        "intervals", "metrics", "respiration", "rhythm",
    },
    "shift": {
        "errors", "types", "config", "_version", "metrics", "respiration", "rhythm",
        "analysis",
    },
    "tables": {"errors", "types", "config", "_version", "analysis", "shift", "metrics"},
    "cli": {
        "errors", "types", "config", "_version", "io", "analysis", "shift", "tables",
        "metrics",
    },
}
#: ``hrv/__init__.py`` is the public face over everything.
TOP = "__init__"
FORBIDDEN_THIRD_PARTY = (
    "fastapi", "pydantic", "sqlalchemy", "matplotlib", "app", "starlette", "neurokit2",
)


def room_of(path: Path) -> str:
    rel = path.relative_to(HRV).with_suffix("")
    return rel.parts[0]


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            if node.module == "hrv":
                out += [(node.lineno, f"hrv.{a.name}") for a in node.names]
    return out


MODULES = sorted(HRV.rglob("*.py"))


def test_every_room_is_drawn() -> None:
    rooms = {room_of(p) for p in MODULES} - {TOP}
    assert rooms <= set(ALLOWED), f"rooms missing from the drawing: {rooms - set(ALLOWED)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_flow(path: Path) -> None:
    room = room_of(path)
    if room == TOP:
        return
    bad = []
    for line, mod in imports_of(path):
        parts = mod.split(".")
        if parts[0] in FORBIDDEN_THIRD_PARTY:
            bad.append(f"line {line}: {mod} (hrv is a numeric library)")
            continue
        if parts[0] != "hrv" or len(parts) == 1:
            continue
        target = parts[1]
        if target == room:
            continue
        if target not in ALLOWED[room]:
            bad.append(f"line {line}: {room} may not import {target} ({mod})")
        elif len(parts) > 2 and parts[2].startswith("_"):
            bad.append(f"line {line}: {mod} is private to {target}; import its face")
    assert not bad, "\n".join(bad)


def test_drawing_has_no_cycle() -> None:
    seen: dict[str, int] = {}

    def visit(node: str, stack: tuple[str, ...]) -> None:
        if seen.get(node) == 2:
            return
        assert seen.get(node) != 1, f"cycle: {' -> '.join((*stack, node))}"
        seen[node] = 1
        for dep in ALLOWED[node]:
            visit(dep, (*stack, node))
        seen[node] = 2

    for room in ALLOWED:
        visit(room, ())


def test_import_hrv_loads_no_filters_or_statistics() -> None:
    """``import hrv`` and an interval analysis stay on numpy (and scipy's small parts)."""
    code = (
        "import sys, hrv\n"
        "assert 'scipy.signal' not in sys.modules, 'import hrv loaded scipy.signal'\n"
        "assert 'scipy.stats' not in sys.modules, 'import hrv loaded scipy.stats'\n"
        "from hrv.simulate import rr_series\n"
        "a = hrv.analyze_intervals(rr_series(300, hf_amplitude_ms=30, seed=1), unit='ms')\n"
        "assert a.metrics.rmssd_ms > 0\n"
        "heavy = ('scipy.signal', 'scipy.stats', 'scipy.ndimage', 'scipy.linalg')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "assert not bad, f'a 5-minute interval analysis loaded {bad}'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr


def test_subpackages_are_attributes() -> None:
    import hrv

    assert callable(hrv.io.read_recording)
    assert callable(hrv.detect.detect_ecg)
    with pytest.raises(AttributeError):
        _ = hrv.not_a_room  # type: ignore[attr-defined]
