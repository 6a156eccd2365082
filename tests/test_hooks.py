"""The pre-commit hook: real commits in a real repository, checked by the real `casebook`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from casebook.cli.hooks import HOOK_MARKER, install_hook
from casebook.content.scaffold import new_case
from casebook.content.taxonomy import load_taxonomy
from casebook.errors import ConfigError

CASEBOOK = Path(sys.executable).parent / "casebook"
CASE = "cases/cases/YW-2021-001.md"  # the fixture kb's `cases/` folder, inside the repository's cases/
BAD_LINE = f"{CASE}:7:10: outcome: expected one of (赔偿, 部分赔偿, 补偿, 退还运费, 道歉解释, 申诉不成立, 调解不成, 不予受理) but received: '赔了'; did you mean '赔偿'?"

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(not CASEBOOK.is_file(), reason="the casebook command is not installed beside this Python"),
    pytest.mark.skipif(os.name == "nt", reason="the test drives the hook through a POSIX shell"),
]


@pytest.fixture(autouse=True)
def _isolated(git_env):
    """Every test here runs git without the user's configuration."""


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, encoding="utf-8")


@pytest.fixture
def repo(tmp_path, kb_dir) -> Path:
    """A content repository: the fixture kb as cases/, with the hook installed and committed."""
    root = tmp_path / "content"
    shutil.copytree(kb_dir, root / "cases")
    (root / "README.md").write_text("案例库\n", encoding="utf-8")
    assert git(root, "init", "-q").returncode == 0
    install_hook(root, str(CASEBOOK))
    assert git(root, "add", "-A").returncode == 0
    first = git(root, "commit", "-q", "-m", "Start the case tree")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "10 files, 0 errors, 0 warnings" in first.stdout + first.stderr
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_bad_case_is_blocked_with_its_path_line_and_column(repo):
    edit(repo / CASE, "outcome: 部分赔偿", "outcome: 赔了")
    done = git(repo, "commit", "-a", "-m", "Break a case")
    assert done.returncode != 0
    output = (done.stdout + done.stderr).splitlines()
    assert BAD_LINE in output
    assert any(line.startswith("casebook pre-commit: commit blocked.") for line in output)
    assert git(repo, "log", "--format=%s").stdout.split("\n")[0] == "Start the case tree"


def test_a_good_change_goes_through(repo):
    edit(repo / CASE, "outcome: 部分赔偿", "outcome: 赔偿")
    done = git(repo, "commit", "-a", "-m", "Correct the outcome")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "Correct the outcome"


def test_the_staged_version_is_checked_not_the_working_copy(repo):
    path = repo / CASE
    edit(path, "outcome: 部分赔偿", "outcome: 赔了")
    git(repo, "add", CASE)
    edit(path, "outcome: 赔了", "outcome: 赔偿")  # fixed, but not staged
    blocked = git(repo, "commit", "-m", "Staged a bad outcome")
    assert blocked.returncode != 0 and BAD_LINE in blocked.stdout + blocked.stderr

    git(repo, "add", CASE)
    edit(path, "outcome: 赔偿", "outcome: 赔了")  # broken again, but not staged
    done = git(repo, "commit", "-m", "Staged a good outcome")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "outcome: 赔偿" in git(repo, "show", f"HEAD:{CASE}").stdout


def test_unredacted_personal_data_is_blocked(repo):
    edit(repo / CASE, "## 基本案情\n", "## 基本案情\n\n收件人电话13912345678。\n")
    done = git(repo, "commit", "-a", "-m", "Leak a phone number")
    assert done.returncode != 0
    assert f"{CASE}:" in done.stdout + done.stderr
    assert "privacy: unmasked mobile number '13912345678'; mask it as 139****5678" in done.stdout + done.stderr


def test_personal_data_in_trainer_notes_is_blocked(repo):
    # Trainer notes are printed in every handout; a number split by dots once passed.
    (repo / "packs").mkdir()
    (repo / "packs" / "p.yaml").write_text(
        "title: 培训\ncases:\n  - id: TD-2023-001\n    notes: 回访电话 139.1234.5678\n", encoding="utf-8"
    )
    git(repo, "add", "packs")
    done = git(repo, "commit", "-m", "Add a pack with a phone number in its notes")
    assert done.returncode != 0
    message = "privacy: unmasked mobile number '139.1234.5678'; mask it as 139****5678"
    assert f"packs/p.yaml:4:17: {message}" in (done.stdout + done.stderr).splitlines()


def test_a_case_fresh_from_the_template_is_held_back_until_its_outcome_is_chosen(repo):
    cases = repo / "cases"
    path = new_case(cases, load_taxonomy(cases), "延误", "快件中转滞留十天", today=date(2026, 3, 5))
    git(repo, "add", "-A")
    blocked = git(repo, "commit", "-m", "Start a case")
    assert blocked.returncode != 0
    assert "cases/delay/YW-2026-001.md:8:10: outcome: expected one of" in blocked.stdout + blocked.stderr
    edit(path, "（请选择处理结果）", "退还运费")
    git(repo, "add", "-A")
    done = git(repo, "commit", "-m", "Add a case")
    assert done.returncode == 0, done.stdout + done.stderr


def test_commits_outside_the_case_tree_are_not_checked(repo, tmp_path):
    fake = tmp_path / "bin" / "casebook"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    fake.chmod(0o755)
    install_hook(repo, str(fake))
    fake.unlink()  # Casebook uninstalled after the hook was written
    (repo / "README.md").write_text("案例库说明\n", encoding="utf-8")
    assert git(repo, "commit", "-a", "-m", "Edit the readme").returncode == 0

    edit(repo / CASE, "outcome: 部分赔偿", "outcome: 赔偿")
    blocked = git(repo, "commit", "-a", "-m", "Edit a case")
    assert blocked.returncode != 0
    assert f"casebook pre-commit: command not found: {fake.resolve().as_posix()}" in blocked.stderr


def test_the_hook_is_an_executable_posix_script(repo):
    hook = repo / ".git" / "hooks" / "pre-commit"
    text = hook.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n") and HOOK_MARKER in text
    assert hook.stat().st_mode & stat.S_IXUSR
    assert f"casebook={CASEBOOK.resolve().as_posix()}\n" in text


def test_a_foreign_hook_is_kept_unless_forced(tmp_path):
    root = tmp_path / "content"
    (root / "cases").mkdir(parents=True)
    git(root, "init", "-q")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho someone else's hook\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="was not written by Casebook; replace it with --force"):
        install_hook(root, str(CASEBOOK))
    assert "someone else's hook" in hook.read_text(encoding="utf-8")
    assert install_hook(root, str(CASEBOOK), force=True) == hook
    assert install_hook(root / "cases", str(CASEBOOK)) == hook  # its own hook is simply replaced


def test_the_hook_goes_where_git_looks_for_hooks(tmp_path):
    root = tmp_path / "content"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "core.hooksPath", "githooks")
    assert install_hook(root, str(CASEBOOK)) == (root / "githooks" / "pre-commit").resolve()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-repo", "not inside a git work tree"),
        ("no-command", "casebook command not found: 'no-such-casebook'"),
        ("cases-outside", "is not inside the git work tree"),
    ],
)
def test_install_problems_are_clear_errors(tmp_path, setup, message):
    root = tmp_path / "content"
    root.mkdir()
    if setup != "no-repo":
        git(root, "init", "-q")
    command = "no-such-casebook" if setup == "no-command" else str(CASEBOOK)
    cases = tmp_path / "elsewhere" if setup == "cases-outside" else None
    with pytest.raises(ConfigError, match=message):
        install_hook(root, command, cases_dir=cases)
