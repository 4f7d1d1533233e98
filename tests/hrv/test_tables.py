import pytest

from hrv.tables import escape_cell


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
