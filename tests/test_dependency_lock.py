"""requirements.lock pins every declared dependency, and the audit summary counts right."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"not an exact pin: {line!r}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra if not r.startswith("hrv")]
    return reqs


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pins = _lock()
    for req in _declared():
        name = canonicalize_name(req.name)
        if name == "hrv":
            continue
        assert name in pins, f"{req.name} is declared in pyproject.toml but not locked"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}=={pins[name]} in requirements.lock is outside {req.specifier}")


@pytest.fixture()
def audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_audit_fails_on_a_known_vulnerability(audit, capsys) -> None:
    report = {"dependencies": [
        {"name": "a", "version": "1.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["1.1"]}]},
        {"name": "b", "version": "2.0", "vulns": []},
        {"name": "c", "skip_reason": "Dependency not found on PyPI"},
    ]}
    assert audit.summarise(report, "x.lock") == 1
    out = capsys.readouterr().out
    assert "a 1.0: PYSEC-1, fixed in 1.1" in out
    assert "3 packages, 2 audited, 1 without advisory data" in out


def test_audit_counts_unaudited_packages_and_strict_refuses_them(audit, capsys) -> None:
    report = {"dependencies": [{"name": "b", "version": "2.0", "vulns": []},
                               {"name": "c", "skip_reason": "not found"}]}
    assert audit.summarise(report, "x.lock") == 0
    assert audit.summarise(report, "x.lock", strict=True) == 2
    assert "1 audited, 1 without advisory data" in capsys.readouterr().out
