"""Hostile or careless content: alias bombs, control characters and broken YAML end in one message line."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casebook.content.loader import load_file, parse_case
from casebook.content.taxonomy import load_taxonomy
from casebook.packs.library import open_library
from casebook.packs.pack import load_pack

from .conftest import FIXTURES

BAD = FIXTURES / "bad"
CASE = """\
---
id: YW-2024-100
title: 快件延误三天未送达
category: 延误
outcome: 道歉解释
date: 2024-05-01
---

## 基本案情

用户反映快件延误。

## 处理过程

企业核实后致歉。

## 处理结果

用户接受道歉。

## 案例评析

延误应当及时告知。
"""


@pytest.fixture(scope="module")
def taxonomy(kb_dir):
    return load_taxonomy(kb_dir)


def _limit_memory() -> None:
    # Should the bomb go off after all, the child dies at 1 GB instead of taking the machine.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_check(cases_dir: Path) -> subprocess.CompletedProcess:
    """Run `casebook check` in a child process, bounded in time and memory."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("casebook")), "--cases", str(cases_dir), "check"],
        cwd=cases_dir.parent,
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=_limit_memory,
        env={**os.environ, "CASEBOOK_SEARCH_LOG": "0"},
    )


def test_alias_bomb_in_a_case_and_a_pack_is_refused_at_once(cases_dir):
    shutil.copy(BAD / "alias-bomb.md", cases_dir / "YW-2024-999.md")
    (cases_dir.parent / "packs").mkdir()
    shutil.copy(BAD / "alias-bomb-pack.yaml", cases_dir.parent / "packs" / "bomb.yaml")
    done = run_check(cases_dir)
    assert done.returncode == 1, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    alias = "YAML alias '*a' is not allowed here: write the value out in full"
    assert f"cases/YW-2024-999.md:8:8: {alias}" in lines
    assert f"packs/bomb.yaml:3:8: {alias}" in lines


def test_brackets_nested_100000_deep_are_refused_not_a_crash(cases_dir):
    # 200 KB of `[` once crashed the C composer (segmentation fault) in check, index and the site.
    depth = 100_000
    bomb = CASE.replace("date: 2024-05-01\n", f"date: 2024-05-01\ntags: {'[' * depth}{']' * depth}\n")
    (cases_dir / "YW-2024-100.md").write_text(bomb, encoding="utf-8")
    (cases_dir.parent / "packs").mkdir()
    (cases_dir.parent / "packs" / "deep.yaml").write_text(
        f"title: 培训\ncases:\n  - id: TD-2023-001\n    questions: {'[' * depth}{']' * depth}\n", encoding="utf-8"
    )
    done = run_check(cases_dir)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    nested = "YAML nested more than 20 levels deep: lists and fields need two or three"
    assert f"cases/YW-2024-100.md:7:26: {nested}" in lines
    assert f"packs/deep.yaml:4:33: {nested}" in lines


def test_alias_bomb_is_refused_in_process(taxonomy):
    # The in-process path the site and `index` take: parse_case, then a repr-free message.
    case, problems = load_file(BAD / "alias-bomb.md", taxonomy, shown="b.md")
    assert case is None
    assert [str(p) for p in problems] == ["b.md:8:8: YAML alias '*a' is not allowed here: write the value out in full"]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "tags: &t [延误]\nrelated: *t\n",
            "x.md:8:10: YAML alias '*t' is not allowed here: write the value out in full",
        ),
        ("tags: [1, !!int 'x']\n", "x.md:7:11: YAML error: 'x' cannot be read as !!int: remove the tag"),
        ("tags: !!timestamp '昨天'\n", "x.md:7:7: YAML error: '昨天' cannot be read as !!timestamp: remove the tag"),
        ("extra: 1\n---\nmore: 2\n", None),  # a second `---` ends the front matter: no YAML error at all
    ],
)
def test_yaml_errors_are_one_line_at_the_value(front, expected, taxonomy):
    raw = CASE.replace("date: 2024-05-01\n", "date: 2024-05-01\n" + front).encode()
    _, problems = parse_case(raw, "x.md", taxonomy)
    errors = [str(p) for p in problems if p.is_error]
    assert all("\n" not in e for e in errors)
    if expected is not None:
        assert errors == [expected]


def test_a_character_yaml_refuses_is_one_line_at_its_place():
    # Readers that parse YAML without the control-character check first (laws, packs' callers)
    # once got PyYAML's two-line message ending in '<unicode string>, position 3'.
    from casebook.content.frontmatter import SplitError, parse

    with pytest.raises(SplitError) as caught:
        parse("title: 培训\nnotes: 响\x07铃\n", 1)
    assert (caught.value.line, caught.value.col, str(caught.value)) == (
        2,
        9,
        "YAML error: unacceptable character U+0007",
    )


@pytest.mark.parametrize(
    ("where", "char", "expected"),
    [
        ("body", "\x07", "x.md:11:5: control character U+0007 (BEL) is not allowed"),
        ("title", "\x1b", "x.md:3:10: control character U+001B (ESC) is not allowed"),
        ("body", "\x00", "x.md:11:5: control character U+0000 (NUL) is not allowed"),
        ("body", "\x0c", "x.md:11:5: control character U+000C (FF) is not allowed"),
        ("body", "\x7f", "x.md:11:5: control character U+007F (DEL) is not allowed"),
        ("body", "\x85", "x.md:11:5: control character U+0085 (NEL) is not allowed"),
        ("body", "\u2028", "x.md:11:5: control character U+2028 (LINE SEPARATOR) is not allowed"),
    ],
)
def test_control_characters_are_errors_at_their_line_and_column(where, char, expected, taxonomy):
    text = (
        CASE.replace("用户反映", "用户反映" + char, 1)
        if where == "body"
        else CASE.replace("快件延误三天", "快件" + char)
    )
    case, problems = parse_case(text.encode(), "x.md", taxonomy)
    assert case is None
    assert [str(p) for p in problems] == [f"{expected}: delete it (only tab and line breaks may appear)"]


def test_tab_and_line_breaks_are_fine(taxonomy):
    case, problems = parse_case(CASE.replace("用户反映", "\t用户反映").replace("\n", "\r\n").encode(), "x.md", taxonomy)
    assert case is not None and problems == []


def test_a_file_full_of_control_characters_gets_a_bounded_report(taxonomy):
    _, problems = parse_case(CASE.replace("用户反映", "\x07" * 500).encode(), "x.md", taxonomy)
    assert len(problems) == 11
    assert str(problems[-1]) == "x.md:11:11: 490 more control characters from here on"


def test_control_characters_in_a_pack_name_line_and_column(cases_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    packs = Path("packs")
    packs.mkdir()
    (packs / "p.yaml").write_text(
        "title: 培训\ncases:\n  - id: TD-2023-001\n    notes: 先讲\x07规则\n", encoding="utf-8"
    )
    pack, problems = load_pack(packs / "p.yaml", {"TD-2023-001"})
    assert pack is None
    assert [str(p) for p in problems] == [
        "packs/p.yaml:4:14: control character U+0007 (BEL) is not allowed: delete it (only tab and line breaks may appear)"
    ]


def test_a_bell_in_a_case_body_cannot_crash_pack_build(cases_dir, runner):
    from casebook.cli.main import cli

    case = cases_dir / "cases" / "TD-2023-001.md"
    case.write_text(
        case.read_text(encoding="utf-8").replace("## 基本案情\n", "## 基本案情\n\n响铃\x07字符\n", 1), "utf-8"
    )
    packs = cases_dir.parent / "packs"
    packs.mkdir()
    (packs / "p.yaml").write_text("title: 培训\ncases: [TD-2023-001, TD-2022-002]\n", encoding="utf-8")
    result = runner.invoke(cli, ["--cases", str(cases_dir), "check"])
    assert result.exit_code == 1
    assert "control character U+0007 (BEL) is not allowed" in result.output
    result = runner.invoke(cli, ["--cases", str(cases_dir), "pack", "build", str(packs / "p.yaml")])
    # The case with the bell is refused like any invalid case, so the pack names it: no traceback.
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "no case has the id 'TD-2023-001'" in result.output


def test_docx_drops_what_xml_cannot_hold(cases_dir):
    from casebook.config import Settings
    from casebook.packs.library import render, tray_pack
    from casebook.service import Casebook

    library = open_library(Casebook(Settings(cases_dir=cases_dir, index_dir=cases_dir.parent / "ix")))
    pack = tray_pack(["TD-2023-001"], "培训\x07包\x1b", "学员\x00", "简介\x0b", library.known_ids)
    data, mimetype, _ = render(library, pack, "trainer", "docx")
    assert data[:2] == b"PK" and "wordprocessingml" in mimetype


# --- size limits --------------------------------------------------------------------------


def padded_case(size: int) -> bytes:
    """Return a valid case file of at least `size` bytes (a long 基本案情)."""
    line = "用户反映快件延误，多次催问未果。\n"  # 48 bytes
    return CASE.replace("用户反映快件延误。\n", line * (size // len(line.encode()) + 1)).encode()


def test_a_large_case_is_a_warning_and_a_huge_one_is_refused_unread(cases_dir, runner):
    from casebook.cli.main import cli

    (cases_dir / "YW-2024-100.md").write_bytes(padded_case(300 * 1024))
    huge = padded_case(3 * 1024 * 1024).replace(b"YW-2024-100", b"YW-2024-101")
    (cases_dir / "YW-2024-101.md").write_bytes(huge)
    result = runner.invoke(cli, ["--cases", str(cases_dir), "check"])
    lines = result.output.splitlines()
    big, refused = (next(line for line in lines if name in line) for name in ("YW-2024-100", "YW-2024-101"))
    assert big.endswith(
        "YW-2024-100.md:1:1: warning: file is 300.3 KB, above the 200 KB a case should need"
        " (setting case_warn_bytes); trim pasted text or split it"
    )
    assert refused.endswith(
        "YW-2024-101.md:1:1: file is 3 MB, above the 2 MB limit (setting case_max_bytes):"
        " it is not read; split it into several cases or manuals"
    )
    assert result.exit_code == 1


def test_size_limits_are_settings(cases_dir, runner, monkeypatch):
    from casebook.cli.main import cli

    (cases_dir / "YW-2024-100.md").write_bytes(padded_case(3000))
    monkeypatch.setenv("CASEBOOK_CASE_WARN_BYTES", "1000")
    monkeypatch.setenv("CASEBOOK_CASE_MAX_BYTES", "2000")
    result = runner.invoke(cli, ["--cases", str(cases_dir), "check"])
    assert "YW-2024-100.md:1:1: file is 3.2 KB, above the 2 KB limit (setting case_max_bytes)" in result.output
    monkeypatch.setenv("CASEBOOK_CASE_MAX_BYTES", "lots")
    result = runner.invoke(cli, ["--cases", str(cases_dir), "check"])
    assert "CASEBOOK_CASE_MAX_BYTES: expected a whole number but received: 'lots'" in result.output


def test_index_skips_a_case_above_the_limit(cases_dir, tmp_path):
    from casebook.config import Settings
    from casebook.service import Casebook

    (cases_dir / "YW-2024-101.md").write_bytes(padded_case(3 * 1024 * 1024).replace(b"100", b"101"))
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix"))
    try:
        report = book.update_index()
    finally:
        book.close()
    assert any(p.endswith("YW-2024-101.md") for p in report.skipped)
    assert any("above the 2 MB limit" in str(p) for p in report.problems)


def test_index_follows_the_size_setting_and_rebuilds_when_it_changes(cases_dir, tmp_path):
    from casebook.config import Settings
    from casebook.service import Casebook

    (cases_dir / "YW-2024-100.md").write_bytes(padded_case(3000))
    small = Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix", case_warn_bytes=1000, case_max_bytes=2000)
    book = Casebook(small)
    try:
        report = book.update_index()
        assert [p for p in report.skipped if p.endswith("YW-2024-100.md")]
    finally:
        book.close()
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix"))
    try:
        report = book.update_index()
        assert report.reason == "case_max_bytes changed" and not report.skipped
    finally:
        book.close()


def test_a_huge_pack_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("packs").mkdir()
    notes = "讲解要点。" * 200_000  # 3 MB of trainer notes
    Path("packs/p.yaml").write_text(f"title: 培训\ncases:\n  - id: TD-2023-001\n    notes: {notes}\n", "utf-8")
    pack, problems = load_pack(Path("packs/p.yaml"), {"TD-2023-001"})
    assert pack is None
    assert [str(p) for p in problems] == [
        "packs/p.yaml:1:1: file is 2.9 MB, above the 2 MB limit (setting case_max_bytes):"
        " it is not read; split it into several packs"
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a sparse file and an address-space limit")
def test_index_refuses_a_case_of_gigabytes_without_reading_it(cases_dir, tmp_path):
    def build(index: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", "from casebook.cli.main import main; main()", "--cases", str(cases_dir)]
            + ["--index", str(tmp_path / index), "index"],
            capture_output=True,
            text=True,
            timeout=120,
            # 1.5 GB of address space: reading the file whole would fail with MemoryError
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20)),
        )

    assert build("ix").returncode == 0  # an index to update
    with open(cases_dir / "cases" / "HUGE.md", "wb") as handle:
        handle.truncate(3 * 2**30)  # 3 GB that take no disk
    for index in ("ix", "fresh"):  # an update, then a full build
        done = build(index)
        assert done.returncode == 0, done.stderr[-500:]
        assert "HUGE.md:1:1: file is 3072 MB, above the 2 MB limit (setting case_max_bytes)" in done.stderr
        assert "1 skipped with errors" in done.stdout


def test_a_case_removed_while_an_index_run_reads_is_no_error(cases_dir, tmp_path, monkeypatch):
    from casebook.config import Settings
    from casebook.index import build, update
    from casebook.service import Casebook

    def removing(function, rel):
        def listed_then_removed(*args, **kwargs):
            result = function(*args, **kwargs)
            (cases_dir / rel).unlink()  # as a `git pull` in progress would
            return result

        return listed_then_removed

    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix"))
    monkeypatch.setattr(build, "scan_tree", removing(build.scan_tree, "cases/WG-2025-001.md"))
    report = book.update_index()
    assert (report.added, report.skipped, report.problems) == (8, [], [])
    monkeypatch.undo()
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补记。\n", encoding="utf-8")
    monkeypatch.setattr(update, "_look", removing(update._look, "cases/SJ-2019-001.md"))
    report = book.update_index()
    assert (report.updated, report.removed, report.unchanged, report.skipped) == (0, 1, 7, [])
    book.close()


def test_check_leaves_out_a_case_removed_while_it_reads(cases_dir, monkeypatch, runner):
    from casebook.cli.main import cli
    from casebook.content import loader

    listed = loader.scan_tree

    def listed_then_removed(*args, **kwargs):
        result = listed(*args, **kwargs)
        (cases_dir / "cases" / "WG-2025-001.md").unlink()
        return result

    monkeypatch.setattr(loader, "scan_tree", listed_then_removed)
    result = runner.invoke(cli, ["--cases", str(cases_dir), "check"])
    assert result.exit_code == 0 and result.output.strip().endswith(", 0 errors, 0 warnings"), result.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a sparse file and an address-space limit")
def test_a_case_that_grows_to_gigabytes_after_the_listing_is_refused_unread(cases_dir, tmp_path):
    script = """
import sys
from pathlib import Path
from casebook.config import Settings
from casebook.index import update
from casebook.service import Casebook

cases, index = Path(sys.argv[1]), Path(sys.argv[2])
book = Casebook(Settings(cases_dir=cases, index_dir=index))
book.update_index()
path = cases / "cases" / "SJ-2019-001.md"
path.write_text(path.read_text(encoding="utf-8") + "\\n补记。\\n", encoding="utf-8")
look = update._look

def listed_then_grown(*args, **kwargs):
    result = look(*args, **kwargs)
    with open(path, "r+b") as handle:
        handle.truncate(3 * 2**30)  # 3 GB that take no disk, written after the listing
    return result

update._look = listed_then_grown
report = book.update_index()
print(report.skipped, [str(p) for p in report.problems])
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(cases_dir), str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        timeout=120,
        # 1.5 GB of address space: reading the file whole would fail with MemoryError
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20)),
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "SJ-2019-001.md:1:1: file is 3072 MB, above the 2 MB limit (setting case_max_bytes)" in done.stdout
