"""What git says about case files: each file's last commit, and the recent changes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from casebook.git import Change, Commit, file_history, recent_changes

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _isolated(git_env):
    """Every test here runs git without the user's configuration."""


def git(repo: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    return done.stdout.strip()


def commit(repo: Path, message: str, when: str, author: str = "测试编辑") -> str:
    """Commit everything at a fixed time; return the short hash."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, GIT_AUTHOR_NAME=author, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    return git(repo, "rev-parse", "--short", "HEAD")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_each_file_gets_the_last_commit_that_changed_it(repo):
    cases = repo / "cases"
    a = write(cases / "delay" / "YW-2024-001.md", "一\n")
    b = write(cases / "loss" / "DS-2024-001.md", "一\n")
    first = commit(repo, "Add two cases", "2024-01-02T09:00:00+08:00")
    write(a, "二\n")
    second = commit(repo, "Correct the delay case", "2024-02-03T10:30:00+08:00", author="王编辑")
    write(repo / "README.md", "说明\n")
    commit(repo, "Touch nothing under cases", "2024-03-04T11:00:00+08:00")
    untracked = write(cases / "other" / "QT-2024-001.md", "新\n")

    history = file_history(cases, [a, b, untracked])

    assert history == {
        "delay/YW-2024-001.md": Commit(second, "2024-02-03T10:30:00+08:00", "王编辑", "Correct the delay case"),
        "loss/DS-2024-001.md": Commit(first, "2024-01-02T09:00:00+08:00", "测试编辑", "Add two cases"),
    }
    assert history["delay/YW-2024-001.md"].day == "2024-02-03"


def test_keys_follow_repo_dir_and_chinese_names_are_not_escaped(repo, monkeypatch):
    path = write(repo / "cases" / "手册" / "申诉受理.md", "一\n")
    commit(repo, "Add a manual", "2024-01-02T09:00:00+08:00")
    assert list(file_history(repo, [path])) == ["cases/手册/申诉受理.md"]
    monkeypatch.chdir(repo)
    assert list(file_history(repo / "cases", [Path("cases/手册/申诉受理.md")])) == ["手册/申诉受理.md"]


def test_one_git_process_serves_every_file(repo, tmp_path, monkeypatch):
    paths = [write(repo / "cases" / f"QT-2024-{n:03d}.md", f"{n}\n") for n in range(1, 31)]
    commit(repo, "Add thirty cases", "2024-01-02T09:00:00+08:00")
    log = tmp_path / "calls.log"
    shim = write(tmp_path / "bin" / "git", f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{shutil.which("git")}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")

    assert len(file_history(repo / "cases", paths)) == 30
    calls = log.read_text(encoding="utf-8").rstrip("\n").split("\n")  # not splitlines: \x1e is in the format
    assert len(calls) == 1 and " log " in calls[0]


def test_no_git_history_means_an_empty_answer(repo, tmp_path, monkeypatch):
    outside = write(tmp_path / "plain" / "cases" / "a.md", "一\n")
    assert file_history(outside.parent, [outside]) == {}
    assert recent_changes(outside.parent.parent, outside.parent) == []
    unborn = write(repo / "cases" / "a.md", "一\n")  # a repository without commits
    assert file_history(repo, [unborn]) == {}
    assert recent_changes(repo, repo / "cases") == []
    assert file_history(tmp_path / "missing", [tmp_path / "missing" / "a.md"]) == {}


def test_a_missing_git_means_an_empty_answer(repo, monkeypatch):
    path = write(repo / "cases" / "a.md", "一\n")
    commit(repo, "Add", "2024-01-02T09:00:00+08:00")
    monkeypatch.setenv("PATH", "")
    assert file_history(repo, [path]) == {}
    assert recent_changes(repo, repo / "cases") == []


def test_recent_changes_lists_each_case_file_once_newest_first(repo):
    cases = repo / "cases"
    write(cases / "delay" / "YW-2024-001.md", "一\n")
    write(cases / "loss" / "DS-2024-001.md", "一\n")
    write(cases / "other" / "QT-2024-001.md", "将被删除\n")
    write(cases / "taxonomy.yaml", "categories: []\n")
    first = commit(repo, "Start the case tree", "2024-01-02T09:00:00+08:00")
    write(cases / "delay" / "YW-2024-001.md", "二\n")
    write(cases / "damage" / "SH-2024-001.md", "新\n")
    second = commit(repo, "Add a damage case, correct a delay case", "2024-02-03T10:00:00+08:00", author="李编辑")
    (cases / "other" / "QT-2024-001.md").unlink()
    write(cases / "taxonomy.yaml", "categories: [延误]\n")
    commit(repo, "Withdraw a case", "2024-03-04T11:00:00+08:00")

    changes = recent_changes(repo, cases)

    assert [(c.path, c.status, c.commit.hash) for c in changes] == [
        ("damage/SH-2024-001.md", "added", second),
        ("delay/YW-2024-001.md", "modified", second),
        ("loss/DS-2024-001.md", "added", first),
    ]
    assert changes[0].commit == Commit(
        second, "2024-02-03T10:00:00+08:00", "李编辑", "Add a damage case, correct a delay case"
    )
    assert recent_changes(repo, cases, limit=2) == changes[:2]
    assert recent_changes(repo, cases, limit=0) == []


def test_a_moved_case_is_modified_under_its_new_path(repo):
    cases = repo / "cases"
    write(cases / "YW-2024-001.md", "一段足够长的案情，让 git 认出这是同一个文件。\n" * 5)
    commit(repo, "Add", "2024-01-02T09:00:00+08:00")
    (cases / "delay").mkdir()
    git(repo, "mv", "cases/YW-2024-001.md", "cases/delay/YW-2024-001.md")
    moved = commit(repo, "Move into its category folder", "2024-02-03T10:00:00+08:00")
    assert recent_changes(repo, cases) == [
        Change(
            "delay/YW-2024-001.md",
            "modified",
            Commit(moved, "2024-02-03T10:00:00+08:00", "测试编辑", "Move into its category folder"),
        )
    ]


def test_cases_outside_the_repository_dir_give_no_changes(repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert recent_changes(repo, elsewhere) == []
