"""Index runs under faults: a second caller, a killed build, a damaged index, odd trees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casebook.cli.main import cli
from casebook.config import Settings
from casebook.index.generations import CURRENT, current_generation
from casebook.index.lock import IndexLock
from casebook.search.searcher import SearchRequest
from casebook.service import Casebook

from .test_watching import make_chain, new_case, remove_chain

CASEBOOK = str(Path(sys.executable).with_name("casebook"))


def run_cli(runner, cases_dir, index_dir, *args):
    return runner.invoke(cli, ["--cases", str(cases_dir), "--index", str(index_dir), *args], obj={})


def test_a_second_index_run_is_told_who_holds_the_lock(runner, cases_dir, tmp_path):
    index_dir = tmp_path / "index"
    with IndexLock(index_dir):
        result = run_cli(runner, cases_dir, index_dir, "index")
    assert result.exit_code == 1
    assert f"another index is running, pid {os.getpid()}" in result.output
    assert "Traceback" not in result.output
    assert run_cli(runner, cases_dir, index_dir, "index").exit_code == 0  # the lock went with its holder


def test_two_concurrent_full_builds_leave_one_good_index(cases_dir, tmp_path):
    command = [CASEBOOK, "--cases", str(cases_dir), "--index", str(tmp_path / "index"), "index", "--full"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=60), *run.communicate()) for run in runs]
    for code, _out, err in results:
        assert code == 0 or (code == 1 and "another index is running, pid" in err), err
        assert "Traceback" not in err
    assert any(code == 0 for code, _, _ in results)
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    assert book.update_index().full is False  # the kept index is whole
    assert book.search(SearchRequest(q="快递柜")).total == 2
    assert [p.name for p in (tmp_path / "index").glob("gen-*")] == [current_generation(tmp_path / "index").name]
    book.close()


def _descendants(pid: int) -> set[int]:
    """Return the pids of every process whose ancestry leads to `pid` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_full_build_leaves_no_workers(cases_dir, tmp_path, signum):
    for number in range(1, 201):  # enough work that the workers are busy when the parent dies
        (cases_dir / "cases" / f"WG-2026-{number:03d}.md").write_text(new_case(number), encoding="utf-8")
    env = dict(os.environ, CASEBOOK_INDEX_PROCS="2")
    command = [CASEBOOK, "--cases", str(cases_dir), "--index", str(tmp_path / "index"), "index", "--full"]
    build = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while len(workers) < 2:
        assert build.poll() is None and time.monotonic() < deadline, "the build never started its workers"
        workers = _descendants(build.pid)
        time.sleep(0.05)
    build.send_signal(signum)
    build.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers outlived their parent: {sorted(workers)}"
        time.sleep(0.1)
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    report = book.update_index()  # the next run cleans up after the killed one
    assert report.full and list((tmp_path / "index").glob("gen-*")) == [current_generation(tmp_path / "index")]
    book.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {
    "truncated manifest": (lambda g: _truncate(g / "manifest.sqlite"), "manifest unreadable"),
    "empty table of contents": (lambda g: next(g.glob("*.toc")).write_bytes(b""), ".toc has 0 bytes"),
    "truncated postings": (lambda g: _truncate(next(g.glob("*.pst"))), ".pst has"),
    "truncated terms": (lambda g: _truncate(next(g.glob("*.trm"))), ".trm has"),
    "missing segment file": (lambda g: next(g.glob("*._stored.col")).unlink(), "is missing"),
    "garbage in CURRENT": (
        lambda g: (g.parent / CURRENT).write_bytes(b"\xff\xfe\x00gen"),
        "does not name a generation",
    ),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_index_is_reported_then_rebuilt(runner, cases_dir, tmp_path, kind):
    index_dir = tmp_path / "index"
    assert run_cli(runner, cases_dir, index_dir, "index").exit_code == 0
    damage, message = DAMAGE[kind]
    damage(current_generation(index_dir))
    result = run_cli(runner, cases_dir, index_dir, "index")
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "full build (index damaged: " in result.output and message in result.output
    search = run_cli(runner, cases_dir, index_dir, "search", "快递柜")
    assert search.exit_code == 0 and search.output.startswith("2 条结果")
    assert "index update: 0 added" in run_cli(runner, cases_dir, index_dir, "index").output


def test_abandoned_generations_are_removed_by_the_next_run(cases_dir, tmp_path):
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    book.update_index()
    abandoned = tmp_path / "index" / "gen-1"
    abandoned.mkdir()
    (abandoned / "MAIN_x.pst").write_bytes(b"\0" * 1000)
    report = book.update_index()
    assert not report.full and report.cleaned == ["gen-1"] and not abandoned.exists()
    assert "removed 1 abandoned generation folders" in report.summary()
    book.close()


def test_a_deeply_nested_tree_is_reported_not_crashed_on(runner, cases_dir, tmp_path):
    make_chain(cases_dir, 2100)
    try:
        check = run_cli(runner, cases_dir, tmp_path / "index", "check")
        assert check.exit_code == 1 and "Traceback" not in check.output
        assert "folder nested more than 32 levels deep; not read (setting: CASEBOOK_MAX_DEPTH)" in check.output
        index = run_cli(runner, cases_dir, tmp_path / "index", "index")
        assert index.exit_code == 0 and "folder nested more than 32 levels deep" in index.output
        assert "9 added" in index.output
    finally:
        remove_chain(cases_dir)


def test_a_symlink_leading_outside_the_tree_is_refused(runner, cases_dir, tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "WG-2026-001.md").write_text(new_case(1, "机密内容"), encoding="utf-8")
    (cases_dir / "cases" / "linked.md").symlink_to(outside / "WG-2026-001.md")
    (cases_dir / "elsewhere").symlink_to(outside, target_is_directory=True)
    check = run_cli(runner, cases_dir, tmp_path / "index", "check")
    assert check.exit_code == 1
    assert "cases/linked.md:1:1: symbolic link leads outside the knowledge base" in check.output
    assert "elsewhere:1:1: symbolic link leads outside the knowledge base" in check.output
    index = run_cli(runner, cases_dir, tmp_path / "index", "index")
    assert "symbolic link leads outside the knowledge base" in index.output and "9 added" in index.output
    search = run_cli(runner, cases_dir, tmp_path / "index", "search", "机密内容")
    assert search.output.startswith("0 条结果")


def test_serve_checks_the_kept_index_at_start_and_rebuilds_a_damaged_one(cases_dir, tmp_path):
    import socket
    import urllib.request

    index_dir = tmp_path / "index"
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir))
    book.update_index()
    book.close()
    _truncate(next(current_generation(index_dir).glob("*.pst")))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [CASEBOOK, "--cases", str(cases_dir), "--index", str(index_dir), "serve", "--port", str(port)]
    server = subprocess.Popen(command + ["--no-watch"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while not lines or not lines[-1].startswith("serving on"):
            assert server.poll() is None and time.monotonic() < deadline, "".join(lines)
            lines.append(server.stderr.readline())
        assert any("full build (index damaged: segment file" in line for line in lines), lines
        url = f"http://127.0.0.1:{port}/api/search?q=%E5%BF%AB%E9%80%92%E6%9F%9C"
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def test_a_manifest_not_written_since_it_last_read_whole_is_not_read_whole_again(cases_dir, tmp_path, monkeypatch):
    from casebook.index import generations
    from casebook.index.manifest import Manifest

    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    book.update_index()
    manifest = current_generation(tmp_path / "index") / "manifest.sqlite"
    settled = manifest.stat().st_mtime_ns - 10 * 10**9
    os.utime(manifest, ns=(settled, settled))  # written long enough ago for its time to be final
    checks = []
    monkeypatch.setattr(Manifest, "check", lambda self: checks.append(1))
    book.update_index()
    assert checks == [1] and (manifest.parent / generations.CHECKED).is_file()
    book.update_index()
    assert checks == [1]  # unchanged since: not read whole
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    book.update_index()  # writes the manifest
    book.update_index()
    assert checks == [1, 1]
    book.close()


def test_damage_met_during_an_update_rebuilds_the_index(runner, cases_dir, tmp_path, monkeypatch):
    from casebook.index.manifest import Manifest, ManifestError

    index_dir = tmp_path / "index"
    assert run_cli(runner, cases_dir, index_dir, "index").exit_code == 0
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")

    damaged = current_generation(index_dir) / "manifest.sqlite"
    folder_stats = Manifest.folder_stats

    def malformed(self, rel_dir):
        if self.path == damaged:  # pages of the kept manifest the start did not read
            raise ManifestError(f"{self.path}: database disk image is malformed")
        return folder_stats(self, rel_dir)

    monkeypatch.setattr(Manifest, "folder_stats", malformed)
    result = run_cli(runner, cases_dir, index_dir, "index")
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "full build (index damaged: " in result.output and "malformed" in result.output
    monkeypatch.undo()
    assert "index update: 0 added, 0 updated" in run_cli(runner, cases_dir, index_dir, "index").output
