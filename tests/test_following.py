"""The site follows the repository: new commits show up, with their history, without a restart."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from casebook.cli.main import cli
from casebook.config import Settings
from casebook.index.watcher import Watcher
from casebook.service import Casebook
from casebook.web import create_app

from .conftest import FIXTURES

GIT_ENV = {
    "GIT_AUTHOR_NAME": "编辑甲",
    "GIT_AUTHOR_EMAIL": "a@example.invalid",
    "GIT_COMMITTER_NAME": "编辑甲",
    "GIT_COMMITTER_EMAIL": "a@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    shutil.copytree(FIXTURES / "kb", tmp_path / "cases")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "Start the knowledge base")
    return tmp_path


NEW_CASE = (
    (FIXTURES / "kb" / "cases" / "WG-2025-001.md")
    .read_text(encoding="utf-8")
    .replace("WG-2025-001", "WG-2025-002")
    .replace("送货上门额外收取派送费", "驿站要求另付上楼费")
)


def test_new_then_check_round_trip(repo, runner):
    result = runner.invoke(
        cli, ["--cases", str(repo / "cases"), "new", "--category", "违规收费", "--title", "驿站加收上楼费"], obj={}
    )
    path = Path(result.output.strip())
    assert path.name == "WG-2026-001.md" or path.parent.name == "charges"
    check = runner.invoke(cli, ["--cases", str(repo / "cases"), "check"], obj={})
    assert check.exit_code == 1
    assert check.output.strip().splitlines()[-1] == "11 files, 1 errors, 0 warnings"
    path.write_text(path.read_text(encoding="utf-8").replace("（请选择处理结果）", "退还运费"), encoding="utf-8")
    assert runner.invoke(cli, ["--cases", str(repo / "cases"), "check"], obj={}).exit_code == 0


def test_watcher_indexes_a_commit_and_the_site_shows_its_history(repo, tmp_path):
    book = Casebook(Settings(cases_dir=repo / "cases", index_dir=tmp_path / "index"))
    book.update_index()
    client = create_app(casebook=book, test_config={"TESTING": True}).test_client()
    watcher = Watcher(book, interval=0.1)
    assert client.get("/cases/WG-2025-002").status_code == 404
    (repo / "cases" / "cases" / "WG-2025-002.md").write_text(NEW_CASE, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Add the 上楼费 case")
    assert watcher.check_once() and not watcher.check_once()
    page = client.get("/cases/WG-2025-002").get_data(as_text=True)
    commit = git(repo, "log", "-1", "--format=%h").strip()
    assert (
        f'提交 <code>{commit}</code>（<q class="verbatim" title="提交说明，原文照录">Add the 上楼费 case</q>）' in page
    )
    recent = client.get("/recent").get_data(as_text=True)
    assert recent.index("WG-2025-002") < recent.index("WG-2025-001")
    assert "<td>新增</td>" in recent and commit in recent
    book.close()


def test_without_git_the_site_works_and_recent_uses_file_times(tmp_path):
    shutil.copytree(FIXTURES / "kb", tmp_path / "cases")
    book = Casebook(Settings(cases_dir=tmp_path / "cases", index_dir=tmp_path / "index"))
    client = create_app(casebook=book, test_config={"TESTING": True}).test_client()
    page = client.get("/cases/TD-2023-001").get_data(as_text=True)
    assert "最后修改" not in page
    assert "按文件修改时间" in client.get("/recent").get_data(as_text=True)
    book.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_served_site_shows_a_case_committed_after_it_started(repo, tmp_path):
    port = _free_port()
    casebook = Path(sys.executable).with_name("casebook")
    server = subprocess.Popen(
        [
            str(casebook),
            "--cases",
            str(repo / "cases"),
            "--index",
            str(tmp_path / "index"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while _get(base + "/api/search?q=x") != 200:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        assert _get(base + "/api/cases/WG-2025-002") == 404
        (repo / "cases" / "cases" / "WG-2025-002.md").write_text(NEW_CASE, encoding="utf-8")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "Add a case while the site runs")
        deadline = time.monotonic() + 15
        while _get(base + "/api/cases/WG-2025-002") != 200:
            assert time.monotonic() < deadline, "the new case never appeared"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
