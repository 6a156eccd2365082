"""Index builds: incremental by default, swapped in whole when rebuilt, bad files skipped."""

from __future__ import annotations

from casebook.config import Settings
from casebook.index.generations import CURRENT, current_generation
from casebook.index.manifest import Manifest
from casebook.search.searcher import SearchRequest
from casebook.service import Casebook


def book_for(cases_dir, tmp_path) -> Casebook:
    return Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))


def set_schema_version(generation, version: int) -> None:
    with Manifest(generation) as manifest:
        manifest.write([], [], {"stamp": dict(manifest.stamp(), schema_version=version)})


def total(book: Casebook, q: str) -> int:
    return book.search(SearchRequest(q=q)).total


def test_first_run_builds_then_updates_only_changes(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    first = book.update_index()
    assert first.full and first.reason == "no index yet" and first.added == 9
    again = book.update_index()
    assert not again.full and (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 9)

    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("三次爽约", "三次爽约，还把纸箱弄湿"), encoding="utf-8")
    (cases_dir / "cases" / "WG-2025-001.md").unlink()
    changed = book.update_index()
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == (0, 1, 1, 7)
    assert total(book, "纸箱弄湿") == 1
    assert total(book, "派送费") == 0
    book.close()


def test_touched_but_unchanged_file_is_not_reindexed(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_bytes(path.read_bytes())
    report = book.update_index()
    assert (report.updated, report.unchanged) == (0, 9)
    book.close()


def test_invalid_file_is_skipped_and_the_rest_indexed(cases_dir, tmp_path):
    (cases_dir / "cases" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    book = book_for(cases_dir, tmp_path)
    report = book.update_index()
    assert report.added == 9 and len(report.skipped) == 1 and report.skipped[0].endswith("broken.md")
    assert str(report.problems[0]).endswith(
        "YAML syntax error: did not find expected node content while parsing a flow node"
    )
    assert total(book, "虚假签收") == 1
    book.close()


def test_a_case_that_becomes_invalid_leaves_the_index(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "WG-2025-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("outcome: 退还运费", "outcome: 退了"), encoding="utf-8")
    report = book.update_index()
    assert report.removed == 1 and len(report.skipped) == 1
    assert total(book, "派送费") == 0
    book.close()


def test_full_rebuild_swaps_generations_and_readers_follow(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    old = current_generation(tmp_path / "index")
    searcher = book.searcher()
    before = searcher.search(SearchRequest(q="快递")).total
    report = book.update_index(full=True)
    new = current_generation(tmp_path / "index")
    assert report.full and report.reason == "requested" and new != old
    # A searcher opened before the swap still answers from the old generation.
    assert searcher.search(SearchRequest(q="快递")).total == before
    assert (tmp_path / "index" / CURRENT).read_text(encoding="utf-8") == new.name
    assert total(book, "快递") == before
    book.close()


def test_index_from_another_schema_version_is_rebuilt(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    set_schema_version(current_generation(tmp_path / "index"), 1)
    report = book.update_index()
    assert report.full and report.reason == "schema_version changed"
    book.close()


def test_vocabulary_change_rebuilds(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    assert total(book, "羽绒衣") == 0
    with open(cases_dir / "vocabulary" / "synonyms.txt", "a", encoding="utf-8") as handle:
        handle.write("羽绒服 羽绒衣\n")
    report = book.update_index()
    assert report.full and report.reason == "vocabulary changed"
    assert total(book, "羽绒衣") == 1
    book.close()


def test_index_is_built_on_first_search(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    assert not book.has_index()
    assert total(book, "快递柜") == 2
    assert book.has_index()
    book.close()


def test_search_never_reads_an_index_of_another_schema_version(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    old = current_generation(tmp_path / "index")
    set_schema_version(old, 1)
    fresh = book_for(cases_dir, tmp_path)  # a new process, e.g. after an upgrade
    assert total(fresh, "快递柜") == 2
    assert current_generation(tmp_path / "index") != old
    book.close()
    fresh.close()


def test_parallel_build_indexes_the_same_documents(cases_dir, tmp_path, monkeypatch):
    original = (cases_dir / "cases" / "TD-2023-001.md").read_text(encoding="utf-8")
    (cases_dir / "cases" / "AA-copy.md").write_text(original, encoding="utf-8")  # a duplicate id, earlier in path order
    single = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "single"))
    one = single.update_index()
    monkeypatch.setenv("CASEBOOK_INDEX_PROCS", "2")
    parallel = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "parallel"))
    two = parallel.update_index()
    assert (two.added, two.documents, len(two.skipped)) == (one.added, one.documents, len(one.skipped)) == (9, 12, 1)
    assert two.skipped[0].endswith("TD-2023-001.md") and one.skipped[0].endswith("TD-2023-001.md")
    for q in ("快递柜", "驿站", "受理", "虚假签收"):
        assert [h.id for h in single.search(SearchRequest(q=q)).hits] == [
            h.id for h in parallel.search(SearchRequest(q=q)).hits
        ]
    generation = current_generation(tmp_path / "parallel")
    from whoosh import index as whoosh_index

    combined = whoosh_index.open_dir(str(generation))
    assert len(combined._segments()) == 2 and not list(generation.glob("part-*"))
    combined.close()
    again = parallel.update_index()  # incremental updates work on the combined index
    assert (again.full, again.unchanged, len(again.skipped)) == (False, 9, 1)  # the duplicate is reported again
    single.close()
    parallel.close()


def test_in_a_git_work_tree_only_what_git_reports_is_looked_at(tmp_path, monkeypatch):
    import shutil

    from casebook.index import update

    monkeypatch.setattr(update, "RACY_NS", 0)  # files written just now are not read again: exact counts

    from .test_following import FIXTURES, git

    shutil.copytree(FIXTURES / "kb", tmp_path / "cases")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Start")
    cases = tmp_path / "cases"
    book = Casebook(Settings(cases_dir=cases, index_dir=tmp_path / "index"))
    book.update_index()
    with Manifest(current_generation(tmp_path / "index")) as manifest:
        assert manifest.meta("git")["dirty"] == []
    counts = lambda r: (r.added, r.updated, r.removed, r.unchanged, r.looked)  # noqa: E731

    path = cases / "cases" / "SJ-2019-001.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("三次爽约", "三次爽约，还把纸箱弄湿"), encoding="utf-8")  # in place, uncommitted
    assert counts(book.update_index()) == (0, 1, 0, 8, 1) and total(book, "纸箱弄湿") == 1
    git(tmp_path, "checkout", "--", "cases/cases/SJ-2019-001.md")  # put back: no longer dirty, but it was
    assert counts(book.update_index()) == (0, 1, 0, 8, 1) and total(book, "纸箱弄湿") == 0

    (cases / "cases" / "WG-2026-001.md").write_text(
        (cases / "cases" / "WG-2025-001.md").read_text(encoding="utf-8").replace("WG-2025-001", "WG-2026-001"),
        encoding="utf-8",
    )
    assert counts(book.update_index()) == (1, 0, 0, 9, 1)  # untracked
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Add a case")
    git(tmp_path, "rm", "-q", "cases/cases/QT-2022-001.md")
    git(tmp_path, "commit", "-qm", "Drop a case")
    assert counts(book.update_index()) == (0, 0, 1, 9, 1)  # between the indexed commit and HEAD
    assert counts(book.update_index()) == (0, 0, 0, 9, 0)
    with Manifest(current_generation(tmp_path / "index")) as manifest:
        assert manifest.meta("git") == {"head": git(tmp_path, "rev-parse", "HEAD").strip(), "dirty": []}
    book.close()


def test_a_tree_git_ignores_is_listed_not_trusted_to_git(tmp_path):
    import shutil

    from .test_following import FIXTURES, git

    shutil.copytree(FIXTURES / "kb", tmp_path / "out" / "cases")
    (tmp_path / ".gitignore").write_text("out/\n", encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Start")
    book = Casebook(Settings(cases_dir=tmp_path / "out" / "cases", index_dir=tmp_path / "index"))
    book.update_index()
    path = tmp_path / "out" / "cases" / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("三次爽约", "三次爽约，还把纸箱弄湿"), encoding="utf-8")
    report = book.update_index()
    assert (report.updated, report.looked) == (1, 9) and total(book, "纸箱弄湿") == 1
    book.close()


def test_an_ignored_folder_inside_the_cases_is_listed(tmp_path, monkeypatch):
    import shutil

    from casebook.index import update

    monkeypatch.setattr(update, "RACY_NS", 0)  # files written just now are not read again: exact counts

    from .test_following import FIXTURES, git

    shutil.copytree(FIXTURES / "kb", tmp_path / "cases")
    (tmp_path / ".gitignore").write_text("drafts/\n", encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Start")
    book = Casebook(Settings(cases_dir=tmp_path / "cases", index_dir=tmp_path / "index"))
    book.update_index()
    (tmp_path / "cases" / "drafts").mkdir()
    text = (tmp_path / "cases" / "cases" / "WG-2025-001.md").read_text(encoding="utf-8")
    (tmp_path / "cases" / "drafts" / "WG-2026-001.md").write_text(text.replace("WG-2025-001", "WG-2026-001"), "utf-8")
    report = book.update_index()
    assert (report.added, report.looked) == (1, 1)
    book.close()
