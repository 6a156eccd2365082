"""The watcher follows the tree through file events: saves, deletes, renames, bursts, races."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from casebook.config import Settings
from casebook.index.lock import IndexLock
from casebook.index.watcher import Watcher
from casebook.search.searcher import SearchRequest
from casebook.service import Casebook

from .conftest import FIXTURES

CASE = (FIXTURES / "kb" / "cases" / "WG-2025-001.md").read_text(encoding="utf-8")


def new_case(number: int, word: str = "上楼费") -> str:
    return CASE.replace("WG-2025-001", f"WG-2026-{number:03d}").replace("送货上门额外收取派送费", f"驿站要求另付{word}")


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def book(cases_dir, tmp_path):
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    book.update_index()
    yield book
    book.close()


@pytest.fixture
def following(book):
    watcher = Watcher(book, interval=0.2, debounce=0.3)
    watcher.start()
    yield book, watcher
    watcher.stop()
    watcher.join(5)
    assert not watcher.is_alive()


def total(book, q: str) -> int:
    return book.search(SearchRequest(q=q)).total


def ids(book, q: str) -> set[str]:
    return {hit.id for hit in book.search(SearchRequest(q=q)).hits}


def test_the_watcher_uses_file_events(following):
    _, watcher = following
    assert wait_for(lambda: watcher.mode == "events", 2)


def test_a_saved_file_is_searchable(following, cases_dir):
    book, watcher = following
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("三次爽约", "三次爽约，还把纸箱弄湿"), encoding="utf-8")
    assert wait_for(lambda: total(book, "纸箱弄湿") == 1), "the saved text never became searchable"
    assert watcher.updates >= 1 and watcher.failures == 0


def test_a_deleted_file_leaves_the_index(following, cases_dir):
    book, _ = following
    assert total(book, "派送费") == 1
    (cases_dir / "cases" / "WG-2025-001.md").unlink()
    assert wait_for(lambda: total(book, "派送费") == 0)


def test_a_renamed_folder_is_followed(following, cases_dir):
    book, _ = following
    (cases_dir / "manuals").rename(cases_dir / "handbooks")
    assert wait_for(lambda: book.document("SC-001")["path"] == "handbooks/SC-001.md")
    assert total(book, "转办") >= 1


def test_a_burst_of_300_files_is_one_refresh(book, cases_dir):
    watcher = Watcher(book, interval=0.2, debounce=1.0, max_delay=10.0)  # a loaded machine writes slowly
    watcher.start()
    try:
        assert wait_for(lambda: watcher.mode == "events", 2)
        for number in range(1, 301):
            (cases_dir / "cases" / f"WG-2026-{number:03d}.md").write_text(new_case(number), encoding="utf-8")
        assert wait_for(lambda: total(book, "上楼费") == 300, 20)
        time.sleep(1.1)  # a second refresh, if the burst were split, would have run by now
        assert watcher.updates == 1
    finally:
        watcher.stop()
        watcher.join(5)


def test_a_refresh_that_meets_a_running_index_retries(book, cases_dir, tmp_path):
    watcher = Watcher(book, interval=0.2, debounce=0.2, retry=0.2)
    watcher.start()
    try:
        with IndexLock(tmp_path / "index"):  # what a `casebook index` in a terminal holds
            (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1), encoding="utf-8")
            assert wait_for(lambda: watcher.busy_retries >= 2), "the refresh never met the lock"
            assert total(book, "上楼费") == 0
        assert wait_for(lambda: total(book, "上楼费") == 1), "the refresh was not retried"
        assert watcher.failures == 0
    finally:
        watcher.stop()
        watcher.join(5)


def test_the_polling_fallback_follows_the_tree(book, cases_dir):
    watcher = Watcher(book, interval=0.1, debounce=0.1, events=False)
    watcher.start()
    try:
        assert watcher.mode == "poll"
        (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1), encoding="utf-8")
        (cases_dir / "cases" / "WG-2025-001.md").unlink()
        assert wait_for(lambda: ids(book, "派送费") == {"WG-2026-001"})
        (cases_dir / "manuals").rename(cases_dir / "handbooks")
        assert wait_for(lambda: book.document("SC-001")["path"] == "handbooks/SC-001.md")
    finally:
        watcher.stop()
        watcher.join(5)


def make_chain(top, depth: int) -> None:
    """Make top/d/d/... `depth` folders deep (past PATH_MAX: each step relative to the last)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            deeper = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = deeper
    finally:
        os.close(fd)


def remove_chain(top) -> None:
    """Remove a top/d/d/... chain of any depth from the bottom up, each step relative to the last."""
    fd, depth = os.open(top, os.O_RDONLY), 0
    while os.path.isdir(f"/proc/self/fd/{fd}/d"):
        deeper = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, depth = deeper, depth + 1
    for name in os.listdir(fd):
        os.unlink(name, dir_fd=fd)
    for _ in range(depth):
        parent = os.open("..", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        os.rmdir("d", dir_fd=parent)
        fd = parent
    os.close(fd)


# watchdog 7.1's inotify reader thread dies with RecursionError on a folder ~1,000 levels deep;
# the watcher notices and polls instead, which is what this test checks.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_deeply_nested_folder_does_not_stop_the_watcher(book, cases_dir):
    watcher = Watcher(book, interval=0.2, debounce=0.3, health=0.5)
    watcher.start()
    assert wait_for(lambda: watcher.mode == "events", 2)
    try:
        make_chain(cases_dir, 1100)
        (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1), encoding="utf-8")
        assert wait_for(lambda: total(book, "上楼费") == 1, 15), "the watcher stopped following the tree"
        assert watcher.is_alive()
    finally:
        watcher.stop()
        watcher.join(5)
        remove_chain(cases_dir)


def test_the_new_index_is_warmed_after_each_refresh_and_a_failing_warm_stops_nothing(book, cases_dir):
    warmed: list[str] = []

    def warm():
        warmed.append(book.searcher().search(SearchRequest(q="雨伞")).hits[0].id if total(book, "雨伞") else "")
        if len(warmed) == 1:
            raise RuntimeError("warming failed")  # the watcher logs it and goes on

    watcher = Watcher(book, interval=0.2, debounce=0.2, after_refresh=warm)
    watcher.start()
    try:
        path = cases_dir / "cases" / "SJ-2019-001.md"
        path.write_text(path.read_text(encoding="utf-8").replace("三次爽约", "三次爽约，雨伞也丢了"), encoding="utf-8")
        assert wait_for(lambda: len(warmed) == 1), "no warm-up after the refresh"
        assert warmed == ["SJ-2019-001"]  # it ran on the new index
        (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1), encoding="utf-8")
        assert wait_for(lambda: len(warmed) == 2), "a failed warm-up stopped the watcher"
        assert watcher.failures == 0
    finally:
        watcher.stop()
        watcher.join(5)


def test_churn_under_git_never_reaches_the_watcher(book, cases_dir):
    # A `git gc` deletes and writes thousands of objects: none of it may cost the server.
    objects = cases_dir / ".git" / "objects" / "ab"
    objects.mkdir(parents=True)
    watcher = Watcher(book, interval=0.2, debounce=0.3)
    watcher.start()
    try:
        assert wait_for(lambda: watcher.mode == "events", 2)
        for n in range(300):
            (objects / f"{n:038d}").write_bytes(b"x")
        for path in objects.iterdir():
            path.unlink()
        time.sleep(0.5)
        assert watcher.events == 0
        (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1, "搬运费"), encoding="utf-8")
        assert wait_for(lambda: total(book, "搬运费") == 1), "a real change was not seen"
    finally:
        watcher.stop()
        watcher.join(5)


def test_a_new_folder_and_the_case_saved_into_it_are_followed(following, cases_dir):
    book, _ = following
    folder = cases_dir / "cases" / "新建" / "子目录"
    folder.mkdir(parents=True)
    (folder / "WG-2026-002.md").write_text(new_case(2, "包装费"), encoding="utf-8")
    assert wait_for(lambda: total(book, "包装费") == 1), "a case in a new folder was not indexed"
    (folder / "WG-2026-003.md").write_text(new_case(3, "打包费"), encoding="utf-8")  # the folder is watched now
    assert wait_for(lambda: total(book, "打包费") == 1), "a later case in the new folder was not indexed"


def test_a_folder_renamed_or_removed_leaves_the_watcher_on_file_events(following, cases_dir):
    # Each folder has a watch of its own: one that goes must not read as the events stopping.
    book, watcher = following
    assert wait_for(lambda: watcher.mode == "events", 2)
    (cases_dir / "manuals").rename(cases_dir / "handbooks")
    assert wait_for(lambda: book.document("SC-001")["path"] == "handbooks/SC-001.md")
    for path in (cases_dir / "handbooks").iterdir():
        path.unlink()
    (cases_dir / "handbooks").rmdir()
    assert wait_for(lambda: "SC-001" not in ids(book, "SC-001")), "the removed folder's manual stayed"
    (cases_dir / "cases" / "WG-2026-001.md").write_text(new_case(1, "搬运费"), encoding="utf-8")
    assert wait_for(lambda: total(book, "搬运费") == 1)
    assert watcher.mode == "events"


def test_a_folder_made_while_its_new_parent_is_being_watched_is_watched_too(following, cases_dir, monkeypatch):
    # `cp -r` or a checkout still writing: a sub-folder appears between the new folder's watch
    # and its listing. It must be watched, not left to the slow look at folder times.
    book, watcher = following
    assert wait_for(lambda: watcher.mode == "events", 2)
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("新建"):
            (Path(path) / "迟到").mkdir(exist_ok=True)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (cases_dir / "cases" / "新建").mkdir()
    assert wait_for(lambda: "cases/新建/迟到" in watcher._folders.watches, 3)
    monkeypatch.setattr(os, "scandir", real_scandir)
    (cases_dir / "cases" / "新建" / "迟到" / "WG-2026-004.md").write_text(new_case(4, "装卸费"), encoding="utf-8")
    assert wait_for(lambda: total(book, "装卸费") == 1)
