"""Column values read in one pass agree with Whoosh's own per-document reads, over segments and deletions."""

from __future__ import annotations

import numpy as np

from casebook.config import Settings
from casebook.search import columns as columns_module
from casebook.search.docsets import DocSets
from casebook.search.postings import Postings, to_mask
from casebook.service import Casebook

COLUMNS = ("id", "kind", "type", "date", "category", "outcome", "province", "year", "amount")


def test_columns_and_lengths_read_whole_agree_with_whoosh(cases_dir, tmp_path):
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index", search_log=False))
    book.update_index()
    # An edit and an addition: a second segment, and a deleted document in the first.
    edited = next(cases_dir.glob("cases/*.md"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n补充说明：纸箱受潮。\n", encoding="utf-8")
    copy = edited.read_text(encoding="utf-8").replace(edited.stem, "WG-2026-999")
    (edited.parent / "WG-2026-999.md").write_text(copy, encoding="utf-8")
    book.update_index()
    searcher = book.searcher()
    whoosh_searcher = searcher.postings.searcher
    reader = whoosh_searcher.reader()
    assert len(list(reader.leaf_readers())) >= 2 and reader.has_deletions()
    postings = Postings(whoosh_searcher)
    for name in COLUMNS:
        column = reader.column_reader(name)
        assert postings.values(name) == [column[d] for d in range(postings.size)], name
    for field in ("title", "text"):
        lengths, _ = postings.lengths(field)
        expected = [reader.doc_field_length(d, field) or 0 for d in range(postings.size)]
        assert np.array_equal(lengths, np.array(expected, dtype=np.float32)), field
    docsets = DocSets(whoosh_searcher)
    for chosen in (np.ones(postings.size, dtype=bool), np.arange(postings.size) % 2 == 0):  # deleted ones too
        mask = to_mask(chosen)
        for field in ("category", "outcome", "province", "type"):
            expected = {v: n for v in docsets.values(field) if (n := (mask & docsets.term(field, v)).bit_count())}
            assert docsets.counts(mask, field) == expected, field
    book.close()


def test_a_searcher_after_an_update_reads_only_the_new_segment(cases_dir, tmp_path, monkeypatch):
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index", search_log=False))
    book.update_index()
    assert book.searcher().postings.values("id")  # the first searcher reads every segment
    edited = next(cases_dir.glob("cases/*.md"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n补充说明：纸箱受潮。\n", encoding="utf-8")
    book.update_index()
    after = book.searcher().postings
    assert len(list(after.reader.leaf_readers())) == 2
    reads = []
    original = columns_module._leaf_values
    monkeypatch.setattr(columns_module, "_leaf_values", lambda *args: reads.append(args[1]) or original(*args))
    assert after.values("id") == [after.reader.column_reader("id")[d] for d in range(after.size)]
    assert reads == ["id"]  # the new segment only: the other was read by the searcher before
    book.close()
