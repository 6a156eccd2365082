"""Shared fixtures: a real index over the fixture knowledge base, built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from casebook.config import Settings
from casebook.service import Casebook

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def kb_dir() -> Path:
    """The fixture knowledge base (read-only: copy it with `cases_dir` to change it)."""
    return FIXTURES / "kb"


@pytest.fixture(scope="session")
def casebook(kb_dir, tmp_path_factory) -> Casebook:
    """A Casebook over the fixture knowledge base, with its index built once."""
    book = Casebook(Settings(cases_dir=kb_dir, index_dir=tmp_path_factory.mktemp("kb-index")))
    report = book.update_index()
    assert report.documents > 0 and not report.skipped
    yield book
    book.close()


@pytest.fixture(scope="session")
def shipped(tmp_path_factory) -> Casebook:
    """A Casebook over the shipped cases in cases/, indexed once."""
    book = Casebook(Settings(cases_dir=ROOT / "cases", index_dir=tmp_path_factory.mktemp("shipped-index")))
    book.update_index()
    yield book
    book.close()


@pytest.fixture
def cases_dir(kb_dir, tmp_path) -> Path:
    """A private, writable copy of the fixture knowledge base."""
    target = tmp_path / "cases"
    shutil.copytree(kb_dir, target)
    # An hour back, order kept: files written seconds ago (a fresh checkout) are read again by
    # the next index run ("racily clean"), which would change what the tests count.
    for path in target.rglob("*"):
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 3600 * 10**9))
    return target


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def app(casebook):
    """The site over the fixture knowledge base."""
    from casebook.web import create_app

    return create_app(casebook=casebook, test_config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def git_env(monkeypatch, tmp_path):
    """Keep the user's git configuration and any enclosing repository out; fix the identity."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "测试编辑")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "editor@example.org")
