"""The editor's guide: it names every field, category, outcome and command, and its examples hold."""

from __future__ import annotations

import re

import pytest

from casebook.cli.main import cli
from casebook.content.loader import parse_case
from casebook.content.model import FIELDS
from casebook.content.privacy import count_exemptions, scan_text
from casebook.content.scaffold import OUTCOME_PLACEHOLDER, TITLE_PLACEHOLDER
from casebook.content.taxonomy import load_taxonomy

from .conftest import ROOT

GUIDE = ROOT / "docs" / "编辑指南.md"
COMMANDS = {"check", "index", "search", "analyze", "serve", "new", "install-hook", "pack"}


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "cases")


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


@pytest.mark.parametrize("name", [spec.name for spec in FIELDS])
def test_every_field_is_documented(guide, name):
    assert f"| `{name}` |" in guide


def test_every_category_and_outcome_is_documented(guide, taxonomy):
    missing = [t.name for t in taxonomy.categories + taxonomy.outcomes if f"| {t.name} |" not in guide]
    missing += [t.code for t in taxonomy.categories if f"| {t.code} |" not in guide]
    missing += [t.dir for t in taxonomy.categories if f"| {t.dir} |" not in guide]
    missing += [s for s in taxonomy.services if s not in guide]
    assert missing == []


def test_every_command_is_documented(guide):
    missing = sorted(name for name in COMMANDS | set(cli.commands) if f"`casebook {name}" not in guide)
    assert missing == []


def test_the_vocabulary_files_and_template_markers_are_explained(guide):
    for needed in (
        "userdict.txt",
        "`词 词频 词性`",
        "synonyms.txt",
        "<!-- privacy-ok:",
        TITLE_PLACEHOLDER,
        OUTCOME_PLACEHOLDER,
    ):
        assert needed in guide


def test_the_example_case_passes_check(guide, taxonomy):
    example = fenced_blocks(guide.split("## 完整示例", 1)[1], "markdown")[0]
    case, problems = parse_case(example.encode("utf-8"), "example.md", taxonomy)
    assert problems == []
    assert case is not None and [s.title for s in case.sections] == ["基本案情", "处理过程", "处理结果", "案例评析"]
    assert scan_text(example) == []


def test_the_quoted_check_message_is_the_real_one(guide, taxonomy):
    text = "---\nid: YW-2024-003\ntitle: 示例\ncategory: 延误\ndate: 2024-01-02\ntype: case\noutcome: 赔了\n---\n"
    _, problems = parse_case(text.encode("utf-8"), "cases/delay/YW-2024-003.md", taxonomy)
    assert str(problems[0]) in guide


def test_the_privacy_examples_behave_as_the_guide_says(guide):
    exception = next(line for line in guide.splitlines() if "<!-- privacy-ok:" in line and "中山路" in line)
    assert scan_text(exception) == [] and count_exemptions(exception) == 1
    assert scan_text(exception.split("<!--")[0]) != []  # without the marker it would be reported
    assert scan_text("用户王女士，手机138****5678，拨打12305、12345、11183申诉。") == []
    assert [f.kind for f in scan_text("收件人电话13812345678，张三丰先生")] == ["mobile", "name"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert "pytest" in command and "ruff check" in command
    assert command in readme
