"""Search behaviour, pinned with Chinese examples on the fixture knowledge base."""

from __future__ import annotations

import pytest

from casebook.errors import QueryError
from casebook.search.concepts import min_should_match
from casebook.search.results import SearchRequest
from casebook.web.api import result_json


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def search(casebook, q="", relax=False, **kwargs):
    return casebook.search(SearchRequest(q=q, **kwargs), relax=relax)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("快递 延误", "YW-2021-001"),  # simplified query finds the traditional text
        ("生鮮", "YW-2021-001"),
        ("驿站", "TD-2022-002"),  # synonym: the case says 快递服务站
        ("丰巢", "TD-2023-001"),  # synonym: the case says 智能快件箱
        ("签收", "TD-2022-002"),  # partial word of 虚假签收
        ("EMS", "SH-2020-001"),  # the case writes full-width ＥＭＳ
        ("ＥＭＳ", "SH-2020-001"),
        ("第四十七条", "SH-2020-001"),  # article references are indexed whole
        ("上门取件", "SJ-2019-001"),
        ("显示签收 没收到", "TD-2022-002"),
        ("丰巢 没同意 丢了", "TD-2023-001"),
    ],
)
def test_query_finds_case_in_top_three(casebook, query, expected):
    assert expected in ids(search(casebook, query))[:3]


def test_traditional_query_finds_traditional_and_simplified_text(casebook):
    found = ids(search(casebook, "快遞"))
    assert "YW-2021-001" in found  # written 快遞
    assert "TD-2023-001" in found  # written 快递


def test_partial_word_finds_the_longer_word_and_ranks_it_below_the_whole_word(casebook):
    result = search(casebook, "快递柜")
    assert {"QT-2022-001", "TD-2023-001"} <= set(ids(result))
    whole = search(casebook, "虚假签收").hits[0]
    partial = [h for h in search(casebook, "虚假").hits if h.id == whole.id][0]
    assert partial.score < whole.score  # 虚假 only inside 虚假签收 counts less than the word itself


def test_quoted_phrase_is_exact(casebook):
    assert ids(search(casebook, '"虚假签收"')) == ["TD-2022-002"]
    assert ids(search(casebook, '"郑女士 保管费"')) == []  # both words occur in QT-2022-001, not adjacent
    assert ids(search(casebook, '"同意投柜"')) == ["QT-2022-001"]


def test_more_matching_words_rank_higher_but_fewer_still_match(casebook):
    result = search(casebook, "智能快件箱 同意 丢失 羽绒服")
    assert ids(result)[0] == "TD-2023-001"
    assert result.total > result.strong >= 1  # documents with one of the words are still listed, below
    assert min_should_match(4) == 3


@pytest.mark.parametrize(("count", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (8, 6)])
def test_min_should_match(count, needed):
    assert min_should_match(count) == needed


def test_excluded_word(casebook):
    with_all = set(ids(search(casebook, "同意")))
    without = set(ids(search(casebook, "同意 -虚假签收")))
    assert "TD-2022-002" in with_all and "TD-2022-002" not in without


def test_scoped_search(casebook):
    assert set(ids(search(casebook, "结果:道歉"))) == {"SJ-2019-001", "TD-2022-002"}
    scoped = set(ids(search(casebook, "标题:派送费")))
    assert scoped == {"WG-2025-001"}
    assert "TD-2023-001" in ids(search(casebook, "案情:羽绒服"))
    assert ids(search(casebook, "评析:羽绒服")) == []


def test_filters_and_facet_counts(casebook):
    everything = search(casebook, "")
    assert everything.total == 9  # 8 cases + 1 manual (its 3 sections fold into one row)
    assert everything.facets["type"] == {"case": 8, "manual": 1}
    assert everything.facets["category"]["投递服务"] == 2
    assert sum(everything.facets["outcome"].values()) == 8
    filtered = search(casebook, "", categories=("投递服务",))
    assert ids(filtered) == ["TD-2023-001", "TD-2022-002"]  # no query: newest first
    # The category facet ignores its own filter; the outcome facet honours it.
    assert filtered.facets["category"]["损毁"] == 1
    assert filtered.facets["outcome"] == {"赔偿": 1, "道歉解释": 1}
    two = search(casebook, "", categories=("投递服务", "损毁"), outcomes=("赔偿",))
    assert ids(two) == ["TD-2023-001"]


def test_type_service_and_year_filters(casebook):
    assert {h.type for h in search(casebook, "受理", types=("manual",)).hits} == {"manual"}
    assert ids(search(casebook, "", services=("邮政服务",))) == ["SH-2020-001"]
    assert ids(search(casebook, "", types=("case",), year_from=2024)) == ["WG-2025-001", "DS-2024-001"]
    assert ids(search(casebook, "", year_from=2019, year_to=2019)) == ["SJ-2019-001"]


def test_sort_by_date_and_pages(casebook):
    first = search(casebook, "", types=("case",), sort="date", per_page=3)
    second = search(casebook, "", types=("case",), sort="date", per_page=3, page=2)
    assert first.total == 8 and first.pages == 3
    dates = [h.date for h in first.hits + second.hits]
    assert dates == sorted(dates, reverse=True)
    assert not set(ids(first)) & set(ids(second))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("amount", ["DS-2024-001", "TD-2023-001", "YW-2021-001", "SH-2020-001", "WG-2025-001"]),
        ("amount_asc", ["WG-2025-001", "SH-2020-001", "YW-2021-001", "TD-2023-001", "DS-2024-001"]),
        ("date_asc", ["SJ-2019-001", "SH-2020-001", "YW-2021-001", "TD-2022-002", "QT-2022-001"]),
    ],
)
def test_sort_both_ways_by_date_and_amount(casebook, sort, expected):
    result = search(casebook, "", types=("case",), sort=sort, per_page=5)
    assert ids(result) == expected
    # Cases without an amount come after those with one, newest first.
    rest = search(casebook, "", types=("case",), sort=sort, per_page=5, page=2)
    assert len(ids(result) + ids(rest)) == len(set(ids(result) + ids(rest))) == 8


def test_amount_range_and_province_facet(casebook):
    result = search(casebook, "", amount_min=40, amount_max=260)
    assert sorted(ids(result)) == ["SH-2020-001", "TD-2023-001", "YW-2021-001"]
    assert ids(search(casebook, "", amount_min=1000)) == ["DS-2024-001"]
    assert search(casebook, "", types=("case",)).facets["province"]["浙江省"] == 1
    chosen = search(casebook, "", provinces=("浙江省",))
    assert ids(chosen) == ["TD-2023-001"]
    assert chosen.facets["province"]["河南省"] == 1  # a facet's counts ignore its own filter


def test_dropping_an_amount_range_is_offered(casebook):
    result = search(casebook, "丰巢", amount_min=100000)
    assert result.total == 0
    assert any(s.filters == {"amount": True} and s.count >= 1 for s in result.suggestions)
    relaxed = search(casebook, "丰巢", amount_min=100000, relax=True)
    assert relaxed.relaxed.filters == {"amount": True} and relaxed.total >= 1


def test_manual_hits_point_to_their_section(casebook):
    hit = search(casebook, "不予受理 诉讼").hits[0]
    assert hit.id == "SC-001" and hit.section == "不予受理的情形"
    assert result_json(search(casebook, "不予受理 诉讼"))["hits"][0]["url"] == "/cases/SC-001#不予受理的情形"


def test_a_manual_is_one_row_with_its_other_matching_sections(casebook):
    result = search(casebook, "受理")
    rows = ids(result)
    assert rows.count("SC-001") == 1
    manual = next(h for h in result.hits if h.id == "SC-001")
    assert manual.section and manual.sections  # the best section, then links to the others
    assert manual.section not in [s.title for s in manual.sections]


def test_date_sort_puts_cases_before_manuals(casebook):
    result = search(casebook, "受理 快递", sort="date", per_page=50)
    types = [h.type for h in result.hits]
    assert "manual" in types and types == sorted(types)  # case < manual: every case first
    dates = [h.date for h in result.hits if h.type == "case"]
    assert dates == sorted(dates, reverse=True)


def test_snippet_marks_whole_words_and_escapes(casebook):
    hit = search(casebook, "虚假签收").hits[0]
    assert "<mark>虚假签收</mark>" in hit.snippet
    assert "【虚假签收】" in hit.text_snippet
    traditional = search(casebook, "快递 延误").hits[0]
    assert "<mark>快遞</mark>" in traditional.snippet or "<mark>延誤</mark>" in traditional.snippet


@pytest.mark.parametrize(
    ("query", "kind", "matched"),
    [
        ("驿站", "synonym", "快递服务站"),
        ("虚假", "partial", "虚假签收"),
        ("延误", "traditional", "延誤"),
    ],
)
def test_hits_say_why_they_matched(casebook, query, kind, matched):
    reasons = [r for hit in search(casebook, query).hits for r in hit.reasons]
    assert any(r.kind == kind and r.matched == matched for r in reasons), reasons


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "((快递",
        "快递 AND",
        "OR",
        "title:",
        "标题:",
        "*",
        "?",
        "快递~2",
        "[a TO",
        "x" * 10000,
        "快递\x00\x1b[31m",
        "😀📦",
        "\ud800",
        "-",
        '""',
        "：：",
        "NOT NOT",
        "a:b:c",
        "%s%n",
    ],
)
def test_hostile_queries_never_raise(casebook, query):
    result = search(casebook, query)
    assert result.total >= 0


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 1000}, "per_page"),
        ({"sort": "x"}, "sort"),
        ({"year_from": 20}, "year_from"),
        ({"amount_min": -5}, "amount_min"),
    ],
)
def test_bad_parameters_raise_query_error(casebook, kwargs, param):
    with pytest.raises(QueryError) as info:
        search(casebook, "快递", **kwargs)
    assert info.value.param == param


def test_no_results_suggest_relaxations_with_true_counts(casebook):
    result = search(casebook, '"虚假签收" 保管费', categories=("其他",))
    assert result.total == 0
    by_kind = {s.kind: s for s in result.suggestions}
    assert by_kind["drop_filter"].label == "去掉筛选“其他”"
    assert by_kind["drop_filter"].count == search(casebook, '"虚假签收" 保管费').total
    assert by_kind["drop_word"].count == search(casebook, by_kind["drop_word"].q, categories=("其他",)).total


def test_relaxed_result_is_what_the_api_returns(casebook, client):
    shown = search(casebook, '"虚假签收" 保管费', categories=("其他",), relax=True)
    assert shown.total > 0 and shown.relaxed is not None
    data = client.get("/api/search", query_string={"q": '"虚假签收" 保管费', "category": "其他"}).get_json()
    assert data["relaxed"]["kind"] == shown.relaxed.kind and data["relaxed"]["label"] == shown.relaxed.label
    assert [h["id"] for h in data["hits"]] == ids(shown) and data["total"] == shown.total
    strict = client.get("/api/search", query_string={"q": '"虚假签收" 保管费', "category": "其他", "strict": "1"})
    assert strict.get_json()["total"] == 0 and "relaxed" not in strict.get_json()


def test_json_shape(casebook):
    data = result_json(search(casebook, "快递柜"))
    assert set(data) >= {"query", "total", "page", "per_page", "hits", "facets"}
    assert set(data["hits"][0]) >= {
        "id",
        "title",
        "type",
        "category",
        "outcome",
        "date",
        "region",
        "score",
        "snippet",
        "url",
    }
    assert set(data["facets"]) == {"category", "outcome", "province", "channel", "insured", "type"}


def test_precedent_amounts_cover_all_matches_and_keep_refunds_apart(casebook):
    result = search(casebook, "", types=("case",), per_page=1)
    precedent = result.precedent
    assert precedent.cases == 8 and sum(dict(precedent.outcomes).values()) == 8
    refunds = precedent.refunds
    assert refunds.count == 1 and refunds.values == (10.0,)  # a refunded fee is not compensation
    paid = precedent.compensation
    assert paid.count == 4 and paid.values == () and paid.low < paid.median < paid.high
    two = search(casebook, "", categories=("投递服务", "丢失短少")).precedent.compensation
    assert two.count == 2 and two.median is None and two.values == (260.0, 3000.0)  # fewer than 3: listed


def test_unknown_word_suggests_a_close_vocabulary_word(casebook):
    result = search(casebook, "驿战", relax=True)  # a typo for 驿站
    assert result.total == 0 and result.relaxed is None  # suggested, never applied
    assert [(s.label, s.q) for s in result.spelling] == [("您要找的是不是“驿站”", "驿站")]
    assert result.spelling[0].count == search(casebook, "驿站").total


@pytest.mark.parametrize("query", ["SF1234567890123", "13912345678"])
def test_a_number_no_case_holds_is_set_aside_not_respelled(casebook, query):
    result = search(casebook, f"{query} 丢失", relax=True)
    assert result.ignored == [query] and result.spelling == [] and result.total > 0
    alone = search(casebook, query, relax=True)
    assert alone.total == 0 and alone.spelling == [] and alone.relaxed is None


def test_words_no_case_contains_do_not_veto_the_others(casebook):
    result = search(casebook, "羽绒服 智能快件箱 莫名其妙")
    assert ids(result)[0] == "TD-2023-001"
    assert result.ignored == ["莫名其妙"]
    assert result_json(result)["ignored"] == ["莫名其妙"]


def test_a_negation_fused_onto_a_word_is_retried_without_it(casebook):
    result = search(casebook, "预约 没验视")  # jieba makes 没验视 one word, which no case contains
    assert ids(result) == ["SJ-2019-001"] and result.ignored == []


def test_threads_share_the_searcher_safely(casebook):
    import threading

    queries = ["快递柜", "驿站", "虚假签收", "丰巢 没同意 丢了", "受理", "快遞 延誤", "EMS", ""] * 6
    expected = {q: (search(casebook, q).total, ids(search(casebook, q))) for q in set(queries)}
    failures = []

    def run(chunk):
        try:
            for q in chunk:
                result = search(casebook, q)
                if (result.total, ids(result)) != expected[q]:
                    failures.append(q)
                casebook.document("TD-2023-001")
        except Exception as exc:  # noqa: BLE001 - the test reports any error from a thread
            failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(queries[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_type_facet_counts_ignore_their_own_filter(casebook):
    everything = search(casebook, "受理")
    cases_only = search(casebook, "受理", types=("case",))
    assert cases_only.facets["type"] == everything.facets["type"]
    assert everything.facets["type"]["manual"] == 1 and all(h.type == "case" for h in cases_only.hits)


def test_channel_and_insured_filters_with_counts(casebook):
    assert ids(search(casebook, "", channels=("12305电话",))) == ["TD-2023-001"]
    assert sorted(ids(search(casebook, "", insured=("否",)))) == ["SH-2020-001", "TD-2023-001"]
    facets = search(casebook, "", types=("case",)).facets
    assert facets["insured"] == {"否": 2, "是": 1} and facets["channel"]["12305电话"] == 1
