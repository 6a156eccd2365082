"""`casebook new`: templates with the next free id, which `check` reads back as intended."""

from __future__ import annotations

from datetime import date

import pytest

from casebook.checking import check_all
from casebook.config import Settings
from casebook.content.frontmatter import parse, split
from casebook.content.model import CASE_SECTIONS, FIELDS
from casebook.content.scaffold import FIELD_HINTS, find_placeholders, new_case
from casebook.content.taxonomy import Taxonomy, Term, load_taxonomy
from casebook.errors import ConfigError
from casebook.service import Casebook

TODAY = date(2026, 3, 5)
OUTCOMES = "赔偿, 部分赔偿, 补偿, 退还运费, 道歉解释, 申诉不成立, 调解不成, 不予受理"


@pytest.fixture
def taxonomy(cases_dir):
    return load_taxonomy(cases_dir)


def check_lines(cases_dir, tmp_path) -> list[str]:
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    return [str(p) for p in check_all(book).problems]


def test_new_case_gets_the_first_id_of_its_series_in_its_folder(cases_dir, taxonomy):
    path = new_case(cases_dir, taxonomy, "延误", "快件中转滞留十天，企业退还运费", today=TODAY)
    assert path == cases_dir / "delay" / "YW-2026-001.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\nid: YW-2026-001  # 必填：")
    assert "\ntitle: 快件中转滞留十天，企业退还运费  # 必填：" in text
    assert (
        "\ncategory: 延误  # 必填：一级类别，取值：延误、丢失短少、损毁、投递服务、收寄服务、违规收费、代收货款、其他"
        in text
    )
    assert "\ndate: 2026-03-05  # 必填：" in text


def test_numbers_continue_after_file_names_and_id_lines_in_the_same_code_and_year(cases_dir, taxonomy):
    (cases_dir / "delay").mkdir()
    (cases_dir / "delay" / "YW-2026-004.md").write_text("no front matter at all\n", encoding="utf-8")
    (cases_dir / "renamed-by-hand.md").write_text("---\nid: 'YW-2026-007'  # moved\ntitle: x\n---\n", encoding="utf-8")
    (cases_dir / "YW-2025-030.md").write_text("---\nid: YW-2025-030\n---\n", encoding="utf-8")
    (cases_dir / "body-mention.md").write_text("---\nid: QT-2026-001\n---\nid: YW-2026-050\n", encoding="utf-8")
    assert new_case(cases_dir, taxonomy, "延误", today=TODAY).name == "YW-2026-008.md"
    assert new_case(cases_dir, taxonomy, "延误", today=TODAY).name == "YW-2026-009.md"
    assert new_case(cases_dir, taxonomy, "延误", today=date(2025, 1, 1)).name == "YW-2025-031.md"
    assert new_case(cases_dir, taxonomy, "其他", today=TODAY).name == "QT-2026-002.md"


def test_a_fresh_case_has_exactly_one_error_at_the_outcome_and_no_warnings(cases_dir, taxonomy, tmp_path):
    path = new_case(cases_dir, taxonomy, "延误", today=TODAY)
    lines = check_lines(cases_dir, tmp_path)
    assert len(lines) == 1
    assert lines[0].endswith(
        f"delay/YW-2026-001.md:8:10: outcome: expected one of ({OUTCOMES}) but received: '（请选择处理结果）'"
    )
    assert path.read_text(encoding="utf-8").splitlines()[7].startswith("outcome: （请选择处理结果）")


def test_a_case_with_its_outcome_chosen_passes_check_cleanly(cases_dir, taxonomy, tmp_path):
    path = new_case(cases_dir, taxonomy, "投递服务", "快递员未经同意将快件放入快递柜", today=TODAY)
    path.write_text(path.read_text(encoding="utf-8").replace("（请选择处理结果）", "道歉解释"), encoding="utf-8")
    assert check_lines(cases_dir, tmp_path) == []


def test_every_field_is_written_in_declaration_order_with_a_comment(cases_dir, taxonomy):
    text = new_case(cases_dir, taxonomy, "损毁", today=TODAY).read_text(encoding="utf-8")
    parts = split(text)
    mapping = parse(parts.yaml_text, parts.yaml_line)
    assert list(mapping.data) == [spec.name for spec in FIELDS]
    for line in parts.yaml_text.splitlines():
        assert "  # 必填：" in line or "  # 可选：" in line
    assert [k for k, v in mapping.data.items() if v is not None] == [
        "id",
        "title",
        "type",
        "category",
        "outcome",
        "date",
    ]
    assert "\nservice:  # 可选：业务类型，取值：快递服务、邮政服务\n" in text


def test_body_has_the_four_sections_each_with_a_prompt(cases_dir, taxonomy):
    text = new_case(cases_dir, taxonomy, "损毁", today=TODAY).read_text(encoding="utf-8")
    body = split(text).body
    headings = [line[3:] for line in body.splitlines() if line.startswith("## ")]
    assert headings == list(CASE_SECTIONS)
    prompts = [line for line in body.splitlines() if line.startswith("（请填写：")]
    assert len(prompts) == 4


def test_placeholders_are_marked_and_can_be_found(cases_dir, taxonomy):
    text = new_case(cases_dir, taxonomy, "损毁", today=TODAY).read_text(encoding="utf-8")
    found = find_placeholders(text)
    assert found[:2] == [(3, 8, "（请填写标题）"), (8, 10, "（请选择处理结果）")]
    assert len(found) == 6  # title, outcome and one prompt per section
    assert find_placeholders("（请填写标题）".join(["a", "b"])) == [(1, 2, "（请填写标题）")]


@pytest.mark.parametrize(
    "title",
    ["丰巢: 未经同意 #1", "'引号'开头的标题", "yes", "2024-03-01", "  多余   空白\n换行  "],
)
def test_any_title_is_written_as_valid_yaml_and_read_back_unchanged(cases_dir, taxonomy, title):
    text = new_case(cases_dir, taxonomy, "其他", title, today=TODAY).read_text(encoding="utf-8")
    parts = split(text)
    assert parse(parts.yaml_text, parts.yaml_line).data["title"] == " ".join(title.split())


@pytest.mark.parametrize("given", ["延误", "YW", "yw", "delay", " 延误 "])
def test_a_category_is_found_by_name_code_or_folder(cases_dir, taxonomy, given):
    assert new_case(cases_dir, taxonomy, given, today=TODAY).parent.name == "delay"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "延迟",
            "category: expected one of (延误, 丢失短少, 损毁, 投递服务, 收寄服务, 违规收费, 代收货款, 其他) but received: '延迟'; did you mean '延误'?",
        ),
        ("丢失", "but received: '丢失'; did you mean '丢失短少'?"),
        (
            None,
            "a new case needs a category: one of (延误, 丢失短少, 损毁, 投递服务, 收寄服务, 违规收费, 代收货款, 其他)",
        ),
        ("", "a new case needs a category"),
    ],
)
def test_a_missing_or_unknown_category_is_a_clear_error(cases_dir, taxonomy, given, message):
    with pytest.raises(ConfigError) as caught:
        new_case(cases_dir, taxonomy, given, today=TODAY)
    assert message in str(caught.value)
    assert not (cases_dir / "delay").exists()


def test_a_category_without_a_code_cannot_start_cases(cases_dir):
    taxonomy = Taxonomy((Term("延误", dir="delay"),), (Term("赔偿"),), ("快递服务",))
    with pytest.raises(ConfigError, match="category '延误' has no 'code' in taxonomy.yaml"):
        new_case(cases_dir, taxonomy, "延误", today=TODAY)


def test_a_new_manual_gets_the_next_number_and_passes_check(cases_dir, taxonomy, tmp_path):
    path = new_case(cases_dir, taxonomy, None, "赔偿金额计算", manual=True, today=TODAY)
    assert path == cases_dir / "manuals" / "SC-002.md"
    text = path.read_text(encoding="utf-8")
    parts = split(text)
    data = parse(parts.yaml_text, parts.yaml_line).data
    assert (data["id"], data["title"], data["type"], data["date"]) == ("SC-002", "赔偿金额计算", "manual", "2026-03-05")
    assert sum(line.startswith("## ") for line in parts.body.splitlines()) == 3
    assert check_lines(cases_dir, tmp_path) == []
    assert new_case(cases_dir, taxonomy, None, manual=True, today=TODAY).name == "SC-003.md"


def test_a_manual_takes_no_category(cases_dir, taxonomy):
    with pytest.raises(ConfigError, match="a manual has no category"):
        new_case(cases_dir, taxonomy, "延误", manual=True, today=TODAY)


def test_every_field_has_a_chinese_hint():
    assert set(FIELD_HINTS) == {spec.name for spec in FIELDS}
