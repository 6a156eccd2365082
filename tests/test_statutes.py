"""Statute texts in cases/laws/: validated by check, shown on law pages and beside citations."""

from __future__ import annotations

from urllib.parse import quote

from casebook.cli.main import cli
from casebook.config import Settings
from casebook.content.statutes import load_statutes
from casebook.service import Casebook
from casebook.web import create_app

GOOD = """law: 快递市场管理办法
edition: 2024
source: 示意文本，测试用
illustration: true
articles:
  - article: 第二十八条
    text: （示意）未经同意不得投放智能快件箱。
"""


def write_law(cases_dir, text, name="快递市场管理办法-2024.yaml"):
    folder = cases_dir / "laws"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_statute_file_is_read_by_law_and_edition(cases_dir):
    write_law(cases_dir, GOOD)
    statutes, problems, files = load_statutes(cases_dir)
    assert problems == [] and files == 1
    statute = statutes[("快递市场管理办法", "2024")]
    assert statute.illustration and statute.articles == {"第二十八条": "（示意）未经同意不得投放智能快件箱。"}


def test_check_reports_every_statute_problem_with_its_place(runner, cases_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(cases_dir.parent)
    write_law(
        cases_dir,
        "law: 邮政法\nedition: 15\nillustration: 是\narticles:\n  - article: 四十七\n    text: 示意\n  - article: 第一条\n",
        "邮政法.yaml",
    )
    result = runner.invoke(cli, ["--cases", str(cases_dir), "--index", str(tmp_path / "i"), "check"], obj={})
    assert result.exit_code == 1
    lines = [line.split("laws/", 1)[1] for line in result.output.splitlines() if "laws/" in line]
    assert lines == [
        "邮政法.yaml:1:1: source: required field is missing (where the texts were copied from, e.g. 中国政府网 2018-03-02 公布的文本)",
        "邮政法.yaml:2:10: edition: expected a year such as 2018 but received a number: 15",
        "邮政法.yaml:3:15: illustration: expected true or false but received text: '是'",
        "邮政法.yaml:5:5: articles[1].article: expected an article such as 第二十七条 but received text: '四十七'",
        "邮政法.yaml:7:5: articles[2].text: expected text but received an empty value",
    ]
    assert result.output.strip().splitlines()[-1].startswith("11 files, 5 errors")  # one more: the statute file


def test_law_and_case_pages_show_the_text_marked_as_an_illustration(cases_dir, tmp_path):
    write_law(cases_dir, GOOD)
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    try:
        client = create_app(casebook=book, test_config={"TESTING": True}).test_client()
        law = client.get("/laws/" + quote("《快递市场管理办法》(2024) 第二十八条")).get_data(as_text=True)
        assert "（示意）未经同意不得投放智能快件箱。" in law
        assert "示意文本：以下文字仅演示功能，并非法规原文，不能引用。" in law and "出处：示意文本，测试用" in law
        case = client.get("/cases/TD-2023-001").get_data(as_text=True)
        assert 'title="【示意文本，非法规原文】（示意）未经同意不得投放智能快件箱。"' in case
        assert "<summary>条文（示意，非原文）</summary>" in case
        other = client.get("/laws/" + quote("《邮政法》(2015) 第四十七条")).get_data(as_text=True)
        assert "案例库中没有这一条的条文" in other
    finally:
        book.close()


def test_the_shipped_samples_say_they_are_illustrations(shipped):
    statutes, problems, _ = load_statutes(shipped.cases_dir)
    assert problems == [] and statutes
    for statute in statutes.values():
        assert statute.illustration and "并非法规原文" in statute.source
        assert all(text.startswith("（示意）") for text in statute.articles.values())


def test_a_control_character_in_a_statute_is_an_error_at_its_place(cases_dir):
    write_law(cases_dir, GOOD.replace("不得投放", "不得\x07投放"))
    statutes, problems, _ = load_statutes(cases_dir)
    assert statutes == {}
    assert [str(p).split("laws/", 1)[1] for p in problems] == [
        "快递市场管理办法-2024.yaml:7:21: control character U+0007 (BEL) is not allowed:"
        " delete it (only tab and line breaks may appear)"
    ]
