"""Validation: every bad input gets one exact `path:line:col: message` line."""

from __future__ import annotations

import pytest

from casebook.content.loader import load_file, load_tree, parse_case
from casebook.content.taxonomy import load_taxonomy
from casebook.content.vocabulary import load_vocabulary
from casebook.errors import ContentError

from .conftest import FIXTURES

BAD = FIXTURES / "bad"


@pytest.fixture(scope="module")
def taxonomy(kb_dir):
    return load_taxonomy(kb_dir)


def errors_of(name: str, taxonomy) -> list[str]:
    case, problems = load_file(BAD / name, taxonomy, shown=name)
    assert case is None
    return [str(p) for p in problems if p.is_error]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty-file.md", ["empty-file.md:1:1: empty file: expected YAML front matter between '---' lines"]),
        ("no-front-matter.md", ["no-front-matter.md:1:1: no front matter: the file must start with a '---' line"]),
        (
            "unterminated-front-matter.md",
            ["unterminated-front-matter.md:4:1: unterminated front matter: no closing '---' line"],
        ),
        (
            "yaml-syntax-error.md",
            [
                "yaml-syntax-error.md:5:9: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence that starts on line 4"
            ],
        ),
        (
            "wrong-types.md",
            [
                "wrong-types.md:6:7: date: not a real date: '2023-02-30'",
                "wrong-types.md:7:9: amount: expected a number of yuan (e.g. 260 or 99.5) but received text: '三百元'",
                "wrong-types.md:8:10: insured: expected true or false but received text: '是'",
                "wrong-types.md:9:7: tags: expected a list such as [智能快件箱, 丢失] but received text: '破损'",
            ],
        ),
        (
            "unknown-values.md",
            [
                "unknown-values.md:4:11: category: expected one of (延误, 丢失短少, 损毁, 投递服务, 收寄服务, 违规收费, 代收货款, 其他) but received: '延迟'; did you mean '延误'?",
                "unknown-values.md:5:10: outcome: expected one of (赔偿, 部分赔偿, 补偿, 退还运费, 道歉解释, 申诉不成立, 调解不成, 不予受理) but received: '赔了'; did you mean '赔偿'?",
            ],
        ),
        (
            "missing-required.md",
            [
                "missing-required.md:1:1: category: required field is missing (one of the taxonomy's categories)",
                "missing-required.md:1:1: outcome: required field is missing (one of the taxonomy's outcomes)",
                "missing-required.md:1:1: date: required field is missing (YYYY-MM-DD, when the appeal was closed)",
            ],
        ),
        (
            "manual-without-sections.md",
            ["manual-without-sections.md:6:1: manual has no sections: split it into '## ' sections"],
        ),
        (
            "bad-id.md",
            ["bad-id.md:2:5: id: expected letters, digits and dashes (e.g. TD-2023-004) but received: 'TD 2023/001'"],
        ),
    ],
)
def test_bad_file_reports_exact_lines(name, expected, taxonomy):
    assert errors_of(name, taxonomy) == expected


def test_unknown_field_is_a_warning_with_its_line(taxonomy):
    _, problems = load_file(BAD / "unknown-values.md", taxonomy, shown="u.md")
    warnings = [str(p) for p in problems if not p.is_error]
    assert "u.md:7:1: warning: reviewer: unknown field" in warnings


GOOD = """---
id: TD-2024-009
title: 测试案例
category: 投递服务
outcome: 赔偿
date: 2024-02-03
tags: [快递柜]
---

## 基本案情

包裹放进快递柜。

## 处理过程

申诉。

## 处理结果

赔偿。

## 案例评析

评析。
"""


def test_bom_and_crlf_are_accepted_with_the_same_lines(taxonomy):
    raw = ("\ufeff" + GOOD.replace("outcome: 赔偿", "outcome: 赔了")).replace("\n", "\r\n").encode("utf-8")
    case, problems = parse_case(raw, "bom.md", taxonomy)
    assert case is None
    assert str(problems[0]).startswith("bom.md:5:10: outcome: expected one of")
    case, problems = parse_case(("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8"), "ok.md", taxonomy)
    assert case is not None and problems == []
    assert case.date == "2024-02-03" and case.section_text("基本案情") == "包裹放进快递柜。"


def test_gbk_file_is_named_as_such(taxonomy):
    raw = GOOD.encode("gb18030")
    case, problems = parse_case(raw, "gbk.md", taxonomy)
    assert case is None
    assert len(problems) == 1
    message = str(problems[0])
    assert message.startswith("gbk.md:3:8: file is not UTF-8 (byte 0x")
    assert "GBK" in message and "re-save it as UTF-8" in message


def test_yaml_booleans_and_numbers_in_text_fields_are_reported(taxonomy):
    raw = GOOD.replace("title: 测试案例", "title: no").encode()
    _, problems = parse_case(raw, "t.md", taxonomy)
    assert (
        str(problems[0])
        == "t.md:3:8: title: expected text but received a true/false value: false (quote it to make it text)"
    )


def test_list_items_are_checked_one_by_one(taxonomy):
    raw = GOOD.replace("tags: [快递柜]", "tags:\n  - 快递柜\n  - {a: 1}\n  - 12305\nrelated: [ok-1, 'bad id']").encode()
    _, problems = parse_case(raw, "l.md", taxonomy)
    assert [str(p) for p in problems if p.is_error] == [
        "l.md:9:5: tags: expected text items but received a mapping",
        "l.md:11:17: related: not a valid case id: 'bad id'",
    ]


def test_duplicate_ids_name_both_files_and_keep_the_first(cases_dir, taxonomy):
    original = (cases_dir / "cases" / "TD-2023-001.md").read_text(encoding="utf-8")
    (cases_dir / "cases" / "ZZ-copy.md").write_text(original, encoding="utf-8")
    result = load_tree(cases_dir, taxonomy)
    duplicates = [str(p) for p in result.problems if "duplicate id" in p.message]
    assert len(duplicates) == 2
    assert any(d.endswith("ZZ-copy.md") and "TD-2023-001.md:2:1" in d for d in duplicates) or all(
        "also used in" in d for d in duplicates
    )
    assert sum(c.id == "TD-2023-001" for c in result.cases) == 1
    kept = next(c for c in result.cases if c.id == "TD-2023-001")
    assert kept.path.endswith("TD-2023-001.md")


def test_related_ids_must_exist(cases_dir, taxonomy):
    path = cases_dir / "cases" / "TD-2022-002.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("related: [TD-2023-001]", "related: [TD-2023-011]"), encoding="utf-8"
    )
    result = load_tree(cases_dir, taxonomy)
    messages = [p.message for p in result.errors]
    assert messages == ["related: no case has the id 'TD-2023-011'; did you mean 'TD-2023-001'?"]
    assert result.errors[0].line == 12


def test_one_broken_file_does_not_stop_the_others(cases_dir, taxonomy):
    (cases_dir / "cases" / "broken.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    result = load_tree(cases_dir, taxonomy)
    assert result.files == 10
    assert len(result.cases) == 9
    assert [p.path.endswith("broken.md") for p in result.errors] == [True]


def test_fixture_knowledge_base_is_clean(kb_dir, taxonomy):
    result = load_tree(kb_dir, taxonomy)
    assert result.problems == []
    manual = next(c for c in result.cases if c.type == "manual")
    assert [s.title for s in manual.sections] == ["受理条件", "不予受理的情形", "转办时限"]
    assert manual.sections[1].anchor == "不予受理的情形"


def test_taxonomy_problems_have_lines(tmp_path):
    (tmp_path / "taxonomy.yaml").write_text(
        "categories:\n  - name: 延误\n  - name: 延误\noutcomes: 赔偿\n", encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        load_taxonomy(tmp_path)
    lines = [str(p).split("/")[-1] for p in info.value.problems]
    assert lines == [
        "taxonomy.yaml:4:1: outcomes: expected a non-empty list",
        "taxonomy.yaml:3:5: categories: duplicate name '延误'",
    ] or sorted(lines) == sorted(
        [
            "taxonomy.yaml:4:1: outcomes: expected a non-empty list",
            "taxonomy.yaml:3:5: categories: duplicate name '延误'",
        ]
    )


def test_vocabulary_problems_have_lines(tmp_path):
    (tmp_path / "vocabulary").mkdir()
    (tmp_path / "vocabulary" / "userdict.txt").write_text("# c\n快递柜 2000\n丰巢 many\n", encoding="utf-8")
    (tmp_path / "vocabulary" / "synonyms.txt").write_text("驿站 快递服务站\n孤单\n代收点 驿站\n", encoding="utf-8")
    vocabulary = load_vocabulary(tmp_path)
    assert [str(p).split("/")[-1] for p in vocabulary.problems] == [
        "userdict.txt:3:1: frequency: expected a number but received: 'many'",
        "synonyms.txt:2:1: synonym group needs two or more words, received: '孤单'",
        "synonyms.txt:3:1: warning: synonym '驿站' is already in the group on line 1; merge the groups",
    ]
    assert vocabulary.words == (("快递柜", 2000),)
    assert vocabulary.synonyms("驿站") == ("快递服务站", "代收点")
