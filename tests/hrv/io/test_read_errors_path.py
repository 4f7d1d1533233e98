"""A missing file named by a string is reported as missing, not as an unknown format."""

from __future__ import annotations

import pytest

from hrv.errors import InvalidInputError
from hrv.io import FileFormat, read_recording


class TestMissingPath:
    @pytest.mark.parametrize("name", ["no/such/recording.csv", "missing.edf", "C:\\data\\x.hrm"])
    def test_missing_file(self, name: str) -> None:
        with pytest.raises(InvalidInputError, match="no such file"):
            read_recording(name)

    @pytest.mark.parametrize("text", ["812.5", "800\n810\n820\n"])
    def test_a_str_is_always_a_path(self, text: str) -> None:
        """Content that happens to look like data is never guessed from a ``str``."""
        with pytest.raises(InvalidInputError, match="no such file"):
            read_recording(text)

    @pytest.mark.parametrize("text", ["812.5", "800\n810\n820\n"])
    def test_content_is_bytes(self, text: str) -> None:
        assert read_recording(text.encode()).format is FileFormat.RR_TEXT
