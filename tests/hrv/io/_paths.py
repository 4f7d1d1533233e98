"""Locations of the test data: our own format samples and the shared real recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FORMATS = ROOT / "tests" / "data" / "formats"
SHARED = ROOT.parent / "shared" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared recordings not found at {SHARED}"
)
