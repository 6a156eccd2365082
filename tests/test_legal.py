"""Legal bases: parsed the way the cases cite them, article numbers both ways in Chinese numerals."""

from __future__ import annotations

import pytest

from casebook.content.legal import article_order, chinese_articles, chinese_number, chinese_numerals, parse_legal_basis


@pytest.mark.parametrize(
    ("value", "written"), [(1, "一"), (10, "十"), (25, "二十五"), (47, "四十七"), (105, "一百零五"), (110, "一百一十")]
)
def test_article_numbers_are_written_as_the_cases_write_them(value, written):
    assert chinese_numerals(value) == written
    assert chinese_number(written) == value


def test_writing_and_reading_numerals_agree_up_to_999():
    assert all(chinese_number(chinese_numerals(n)) == n for n in range(1, 1000))


def test_arabic_articles_become_the_cited_form_and_sort_by_number():
    assert chinese_articles("邮政法第47条 快递暂行条例 第 25 条") == "邮政法第四十七条 快递暂行条例 第二十五条"
    basis = parse_legal_basis("《快递市场管理办法》(2024) 第二十八条")
    assert (basis.law, basis.edition, basis.article) == ("快递市场管理办法", "2024", "第二十八条")
    assert sorted(["第三十条", "第二十七条", "第一百条"], key=article_order) == ["第二十七条", "第三十条", "第一百条"]
