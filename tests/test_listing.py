"""Listing the tree at 100,000 files: stats shared between processes, folders compared by digest."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from casebook.config import Settings
from casebook.content import filestats, forked
from casebook.content.tree import scan_tree
from casebook.index.generations import current_generation
from casebook.index.manifest import MANIFEST, Manifest
from casebook.search.searcher import SearchRequest
from casebook.service import Casebook

needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or forked._cores() < 2, reason="fork, two cores")


@pytest.fixture
def forks(monkeypatch) -> list:
    """Count the children started; let them start though the suite's search-log thread idles meanwhile."""
    started = []
    start = forked._start
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)  # that thread takes no lock a child needs
    monkeypatch.setattr(forked, "_start", lambda *args: started.append(1) or start(*args))
    return started


def pids(items: list) -> list:
    return [os.getpid() for _ in items]


@needs_fork
def test_work_is_shared_with_a_forked_process_and_comes_back_in_order(forks):
    items = list(range(40))
    assert forked.map_shared(lambda share: [i * i for i in share], items, 2) == [i * i for i in items]
    assert len(set(forked.map_shared(pids, items, 2))) == 2


@needs_fork
def test_a_failing_child_has_its_share_computed_here(forks):
    parent = os.getpid()

    def work(share):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return [i + 1 for i in share]

    assert forked.map_shared(work, list(range(10)), 2) == list(range(1, 11)) and forks


def test_with_threads_running_nothing_is_forked():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert set(forked.map_shared(pids, list(range(40)), 2)) == {os.getpid()}
    finally:
        stop.set()
        thread.join(5)


def make_tree(root):
    """A tree with what the walk must sort out: hidden names, links in and out, a folder named like a case."""
    for folder in ("a", "b/c", "odd.md"):
        (root / folder).mkdir(parents=True)
        for i in range(30):
            (root / folder / f"{i:02d}.md").write_text("x" * i, encoding="utf-8")
    (root / "a" / "notes.txt").write_text("not a case", encoding="utf-8")
    (root / "a" / ".draft.md").write_text("hidden", encoding="utf-8")
    (root / "b" / "inside.md").symlink_to(root / "a" / "03.md")
    outside = root.parent / "outside.md"
    outside.write_text("secret", encoding="utf-8")
    (root / "b" / "leak.md").symlink_to(outside)
    (root / "b" / "away").symlink_to(root.parent, target_is_directory=True)
    (root / "b" / "again").symlink_to(root / "a", target_is_directory=True)


@needs_fork
def test_the_listing_is_the_same_whether_shared_or_not(tmp_path, monkeypatch, forks):
    root = tmp_path / "kb"
    make_tree(root)
    monkeypatch.setattr(filestats, "PARALLEL_FROM", 10**9)
    alone = scan_tree(root)
    monkeypatch.setattr(filestats, "_STAT_IN_FOLDER", False)  # as on Windows: every name by its path
    assert scan_tree(root).folders == alone.folders
    monkeypatch.setattr(filestats, "_STAT_IN_FOLDER", True)
    monkeypatch.setattr(filestats, "PARALLEL_FROM", 1)
    monkeypatch.setattr(filestats, "STAT_CHUNK", 7)
    assert not forks
    shared = scan_tree(root)
    assert forks and shared.folders == alone.folders
    assert [str(p) for p in shared.problems] == [str(p) for p in alone.problems]
    files = alone.stats()
    assert len(files) == 91 and "odd.md/29.md" in files and "b/inside.md" in files
    assert files["b/inside.md"][1] == 3  # the linked file's own size
    assert "a/notes.txt" not in files and "a/.draft.md" not in files and "b/leak.md" not in files
    assert not any(rel.startswith(("b/away/", "b/again/")) for rel in files)  # links to folders: never walked
    assert any("leads outside the knowledge base" in str(p) for p in alone.problems)
    assert all(f.names == sorted(f.names) for f in alone.folders.values())


def book_for(cases_dir, tmp_path) -> Casebook:
    return Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))


def found(book: Casebook, q: str) -> int:
    return book.search(SearchRequest(q=q)).total


def test_a_folder_whose_digest_matches_is_not_compared_file_by_file(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    again = book.update_index()
    assert (again.looked, again.compared, again.unchanged) == (9, 0, 9)
    path = cases_dir / "manuals" / "SC-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记：复核后维持原处理。\n", encoding="utf-8")
    report = book.update_index()
    assert (report.updated, report.compared) == (1, 1)  # the manual's folder only, not the eight cases
    assert found(book, "维持原处理") == 1
    book.close()


def test_a_file_rewritten_in_place_is_found_though_no_folder_time_changed(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    folder = cases_dir / "cases"
    path = folder / "SJ-2019-001.md"
    before = folder.stat()
    text = path.read_text(encoding="utf-8")
    assert "三次爽约" in text and found(book, "霹雳蟠桃") == 0
    with open(path, "r+b") as handle:  # in place, same size: as nano or VS Code save
        handle.write(text.replace("三次爽约", "霹雳蟠桃").encode("utf-8"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = book.update_index()
    assert (report.updated, report.compared) == (1, 8)
    assert found(book, "霹雳蟠桃") == 1
    book.close()


def test_a_file_put_back_with_its_old_time_after_an_indexed_edit_is_found(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    old, old_stat = path.read_bytes(), path.stat()
    path.write_bytes(old.replace("三次爽约".encode(), "琉璃蟠桃".encode()))
    book.update_index(changed=["cases/SJ-2019-001.md"])  # the watcher's way
    assert found(book, "琉璃蟠桃") == 1
    path.write_bytes(old)  # a restore that keeps times (cp -p, rsync -t)
    os.utime(path, ns=(old_stat.st_atime_ns, old_stat.st_mtime_ns))
    report = book.update_index()
    assert report.updated == 1 and found(book, "琉璃蟠桃") == 0
    book.close()


def test_a_broken_file_is_reported_on_every_run_and_never_makes_a_rebuild(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    (cases_dir / "cases" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    copy = (cases_dir / "cases" / "SJ-2019-001.md").read_text(encoding="utf-8")
    (cases_dir / "cases" / "zz-copy.md").write_text(copy, encoding="utf-8")  # a duplicate id
    for _ in range(3):
        report = book.update_index()
        assert not report.full, report.reason  # an update that indexed nothing still commits
        assert sorted(Path(p).name for p in report.skipped) == ["broken.md", "zz-copy.md"]
    book.close()


def test_a_case_dated_in_the_future_is_not_read_again_and_again(cases_dir, tmp_path, monkeypatch):
    from casebook.index.manifest import Manifest as Written

    future = time.time_ns() + 365 * 86400 * 10**9  # an archive from a machine whose clock was ahead
    os.utime(cases_dir / "cases" / "SJ-2019-001.md", ns=(future, future))
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    writes = []
    write = Written.write
    monkeypatch.setattr(Written, "write", lambda self, *a, **k: (writes.append(1), write(self, *a, **k))[1])
    for _ in range(3):
        assert book.update_index().compared == 0
    assert writes == []  # nothing changed: nothing written
    book.close()


def test_a_manifest_held_by_another_program_is_busy_not_damaged(cases_dir, tmp_path, monkeypatch):
    from casebook.index import manifest as manifest_module
    from casebook.index.lock import IndexBusyError

    monkeypatch.setattr(manifest_module, "BUSY_SECONDS", 0.2)
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    reader = sqlite3.connect(current_generation(tmp_path / "index") / MANIFEST, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM files").fetchall()  # a shell left in a read transaction
    try:
        with pytest.raises(IndexBusyError, match="in use by another program"):
            book.update_index()
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    report = book.update_index()
    assert not report.full and report.updated == 1
    book.close()


def test_a_folder_removed_whole_takes_its_files_out(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    (cases_dir / "manuals").rename(tmp_path / "parked")
    report = book.update_index()
    assert (report.removed, report.unchanged) == (1, 8)
    book.close()


def test_a_manifest_from_before_folder_digests_is_compared_once(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    with sqlite3.connect(current_generation(tmp_path / "index") / MANIFEST) as db:
        db.execute("DROP TABLE folders")
    first = book.update_index()
    assert (first.full, first.compared, first.unchanged) == (False, 9, 9)
    assert book.update_index().compared == 0
    book.close()


def test_shares_are_cut_by_weight_not_by_count():
    shares = forked._split([("big", 9000), ("small", 10), ("small", 10), ("big", 9000)], 2, lambda item: item[1])
    assert [sum(w for _, w in share) for share in shares] == [9010, 9010]


def test_an_old_manifest_first_written_by_a_named_update_gets_every_folder_digest(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    with sqlite3.connect(current_generation(tmp_path / "index") / MANIFEST) as db:
        db.execute("DROP TABLE folders")
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    book.update_index(changed=["cases/SJ-2019-001.md"])  # the watcher's way, or git's
    (cases_dir / "manuals").rename(tmp_path / "parked")
    report = book.update_index()
    assert (report.removed, report.unchanged) == (1, 8)
    book.close()


def run_script(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run Python code in a process of its own (signals, fork, zombies), bounded in time."""
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60)


SMALL_TREE = """
import sys
from pathlib import Path
import casebook.content.tree as tree
import casebook.content.filestats as filestats
filestats.PARALLEL_FROM = 1  # share the stat calls even on this small tree
root = Path(sys.argv[1])
for d in "abcd":
    (root / d).mkdir(parents=True)
    for i in range(50):
        (root / d / f"{i}.md").write_text("x")
"""


@needs_fork
def test_a_signal_reaching_a_new_child_never_runs_the_callers_code(tmp_path):
    script = (
        SMALL_TREE
        + """
import functools, hashlib, os, signal
parent = os.getpid()
signal.signal(signal.SIGALRM, signal.default_int_handler)  # stands for Ctrl-C reaching the child
# In the new child, while Python finishes the fork, a signal arrives and C code runs on.
os.register_at_fork(after_in_child=functools.partial(signal.setitimer, signal.ITIMER_REAL, 1e-6))
os.register_at_fork(after_in_child=functools.partial(hashlib.pbkdf2_hmac, "sha256", b"k", b"s", 200_000))
try:
    print(len(tree.scan_tree(root).stats()), flush=True)
except KeyboardInterrupt:
    pass
if os.getpid() != parent:
    print("child ran the caller's code", flush=True)
"""
    )
    done = run_script(script, str(tmp_path / "kb"))
    assert done.stdout.split() == ["200"], done.stdout + done.stderr[-300:]


@needs_fork
def test_with_sigchld_ignored_the_listing_uses_what_the_child_sent(tmp_path):
    script = (
        "import signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
        + SMALL_TREE
        + """
print(len(tree.scan_tree(root).stats()))
"""
    )
    done = run_script(script, str(tmp_path / "kb"))
    assert done.returncode == 0 and done.stdout.strip() == "200", done.stderr[-300:]


@pytest.mark.skipif(not sys.platform.startswith("linux") or forked._cores() < 2, reason="fork, /proc")
def test_children_are_reaped_when_the_parents_own_share_fails():
    script = """
import os, time
from casebook.content.forked import map_shared
parent = os.getpid()
def work(share):
    if os.getpid() == parent:
        raise KeyboardInterrupt  # Ctrl-C while the parent takes its own share
    return [x * 2 for x in share]
fds = len(os.listdir("/proc/self/fd"))
try:
    map_shared(work, list(range(100)), 2)
except KeyboardInterrupt:
    pass
try:
    left = os.waitpid(-1, os.WNOHANG)[0]
except ChildProcessError:
    left = 0
print("left" if left else "reaped", len(os.listdir("/proc/self/fd")) - fds)
"""
    done = run_script(script)
    assert done.stdout.split() == ["reaped", "0"], done.stdout + done.stderr[-300:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="names of any bytes")
def test_a_name_that_is_not_utf8_is_reported_and_the_rest_indexed(cases_dir, tmp_path, runner):
    from casebook.cli.main import cli

    text = (cases_dir / "cases" / "SJ-2019-001.md").read_text(encoding="utf-8").replace("SJ-2019-001", "SJ-2019-009")
    with open(os.fsencode(cases_dir / "cases") + b"/bad\xff.md", "wb") as handle:
        handle.write(text.encode("utf-8"))
    args = ["--cases", str(cases_dir), "--index", str(tmp_path / "index")]
    for command in ("index", "check"):
        result = runner.invoke(cli, [*args, command])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "cases/bad\\xff.md:1:1: name is not valid UTF-8; not read (rename it)" in result.output
    assert "9 added" in runner.invoke(cli, [*args, "index", "--full"]).output


def test_a_file_dated_past_2262_is_indexed_and_edits_to_it_are_found(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("三次爽约", "霹雳蟠桃"), encoding="utf-8")
    os.utime(path, (1e10, 1e10))  # the year 2286: more nanoseconds than SQLite's integers hold
    assert path.stat().st_mtime_ns > 2**63
    assert book.update_index().updated == 1 and found(book, "霹雳蟠桃") == 1
    assert book.update_index().updated == 0
    book.close()


def test_a_folder_whose_path_is_too_long_for_the_system_is_reported(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 × 251 characters: past PATH_MAX, made one folder at a time
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    listing = scan_tree(root)
    assert any("folder cannot be read" in str(p) for p in listing.problems), listing.problems


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="names of any bytes")
def test_a_watcher_event_for_a_name_that_is_not_utf8_stops_nothing(cases_dir, tmp_path):
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    with open(os.fsencode(cases_dir / "cases") + b"/bad\xff.md", "wb") as handle:
        handle.write((cases_dir / "cases" / "SJ-2019-001.md").read_bytes())
    path = cases_dir / "manuals" / "SC-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记：复核后维持原处理。\n", encoding="utf-8")
    report = book.update_index(changed=[os.fsdecode(b"cases/bad\xff.md"), "manuals/SC-001.md"])
    assert report.updated == 1 and found(book, "维持原处理") == 1
    book.close()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or forked._cores() < 2, reason="CPU affinity, two cores")
def test_a_process_allowed_one_core_forks_nothing():
    script = """
import os
from casebook.content.forked import map_shared
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # as in a container given one core
print(len(set(map_shared(lambda share: [os.getpid() for _ in share], list(range(40)), 2))))
"""
    done = run_script(script)
    assert done.stdout.strip() == "1", done.stdout + done.stderr[-300:]


def settle(root) -> None:
    """Date every file of a tree long ago (a fresh clone's files are minutes old, not 'racy' ones)."""
    old = time.time_ns() - 3600 * 10**9
    for path in root.rglob("*"):
        os.utime(path, ns=(old, old))


def test_a_rewrite_in_the_same_tick_as_the_run_that_read_the_file_is_found(cases_dir, tmp_path, monkeypatch):
    from casebook.index import update

    monkeypatch.setattr(update, "RACY_NS", 60 * 10**9)  # a tick no pause of a busy machine outlasts
    settle(cases_dir)
    book = book_for(cases_dir, tmp_path)
    book.update_index()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n补记。\n", encoding="utf-8")  # saved just now, indexed at once
    assert book.update_index().updated == 1
    indexed = path.stat()
    path.write_text(text.replace("三次爽约", "霹雳蟠桃") + "\n补记。\n", encoding="utf-8")  # same size
    os.utime(path, ns=(indexed.st_atime_ns, indexed.st_mtime_ns))  # and, on a coarse clock, the same time
    assert path.stat().st_size == indexed.st_size
    report = book.update_index()
    assert report.updated == 1 and found(book, "霹雳蟠桃") == 1
    old = time.time_ns() - 600 * 10**9
    os.utime(path, ns=(old, old))  # long before the next run: read once more, then trusted
    assert book.update_index().compared == 8
    assert book.update_index().compared == 0
    book.close()


def test_in_a_git_work_tree_a_file_read_too_soon_is_read_again_and_then_trusted(tmp_path, monkeypatch):
    import shutil

    from casebook.index import update

    from .test_following import FIXTURES, git

    monkeypatch.setattr(update, "RACY_NS", 60 * 10**9)
    shutil.copytree(FIXTURES / "kb", tmp_path / "cases")
    settle(tmp_path / "cases")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Start")
    book = Casebook(Settings(cases_dir=tmp_path / "cases", index_dir=tmp_path / "index"))
    book.update_index()
    path = tmp_path / "cases" / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    git(tmp_path, "commit", "-qam", "Edit")
    assert book.update_index().updated == 1

    def racy() -> list:
        with Manifest(current_generation(tmp_path / "index")) as manifest:
            return manifest.meta("racy")

    assert racy() == ["cases/SJ-2019-001.md"]
    old = time.time_ns() - 600 * 10**9
    os.utime(path, ns=(old, old))
    report = book.update_index()
    assert (report.looked, report.updated) == (1, 0) and racy() == []
    book.close()
