"""The README's accuracy and speed table is the one the results files hold."""

from __future__ import annotations

from pathlib import Path

from benchmarks import readme_table


def test_readme_table_matches_the_results_files() -> None:
    assert readme_table.main(["--check"]) == 0, (
        "README.md's table differs from benchmarks/results: run python -m benchmarks.readme_table"
    )


def test_rows_carry_the_commit_of_their_run(tmp_path: Path) -> None:
    f = tmp_path / "x.md"
    f.write_text("# T\n\nCommit: `abcdef1234567`\n\nA note on commit 9999999.\n\n"
                 "<!-- readme-row: | a | b | c | -->\n", encoding="utf-8")
    assert readme_table.rows_of(f) == ["| a | b | c | `x` (abcdef1) |"]
    f.write_text("# T\n\n<!-- readme-row: | a | b | c | -->\n", encoding="utf-8")
    assert readme_table.rows_of(f) == ["| a | b | c | `x` (commit not recorded) |"]
