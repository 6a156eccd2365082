"""One rule for a case id two files use: the first file in path order keeps it, everywhere."""

from __future__ import annotations

import shutil

from casebook.config import Settings
from casebook.content.identity import later_duplicates
from casebook.service import Casebook


def test_later_duplicates_name_the_first_owner():
    files = [("a/TD-1.md", "TD-1"), ("b/TD-1.md", "TD-1"), ("b/TD-2.md", "TD-2"), ("c/TD-1.md", "TD-1")]
    assert later_duplicates(files, lambda f: f[1]) == [(files[1], files[0]), (files[3], files[0])]


def test_check_and_index_keep_the_same_file(cases_dir, tmp_path):
    shutil.copy(cases_dir / "cases" / "TD-2023-001.md", cases_dir / "zz-copy.md")
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix"))
    try:
        loaded = book.load()
        report = book.update_index()
        kept = next(case for case in loaded.cases if case.id == "TD-2023-001")
        assert kept.path.endswith("cases/TD-2023-001.md")
        assert len(report.skipped) == 1 and report.skipped[0].endswith("zz-copy.md")
        messages = [str(p) for p in report.problems if "duplicate id" in p.message]
        assert len(messages) == 1 and "id: duplicate id 'TD-2023-001', also used in cases/TD-2023-001.md" in messages[0]
    finally:
        book.close()
