"""The site through Flask's test client: pages, filters, the JSON API, errors and headers."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest

from casebook.config import Settings
from casebook.service import Casebook
from casebook.web import create_app

from .conftest import FIXTURES


def text_of(response) -> str:
    return response.get_data(as_text=True)


def hit_ids(html: str) -> list[str]:
    return re.findall(r'<span class="id">([A-Z]{2}-[\w-]+)</span>', html)


def test_search_page_lists_hits_with_facts_and_highlights(client):
    html = text_of(client.get("/?q=驿站"))
    assert hit_ids(html) == ["TD-2022-002"]
    assert "<mark>快递服务站</mark>" in html
    assert "同义词：驿站 → 快递服务站" in html
    assert "关键词“驿站”：共 1 条。" in html


def test_facet_values_carry_counts_and_toggle_links(client):
    html = text_of(client.get("/?q=同意"))
    toggle = re.search(
        r'<a href="([^"]+)" class="facet-value" title="[^"]*"><span class="box" aria-hidden="true"></span>投递服务 <span class="count">(\d+)</span>',
        html,
    )
    assert toggle and toggle.group(2) == "2"
    filtered = text_of(client.get(toggle.group(1).replace("&amp;", "&")))
    assert sorted(hit_ids(filtered)) == ["TD-2022-002", "TD-2023-001"]
    assert "类别为“投递服务”" in filtered
    # A link cannot be pressed (aria-pressed is for buttons): the chosen value says so in words.
    assert '<span class="sr-only">已选：</span>投递服务' in filtered


def test_multi_select_and_removable_filters(client):
    html = text_of(client.get("/?category=投递服务&category=损毁"))
    assert sorted(hit_ids(html)) == ["SH-2020-001", "TD-2022-002", "TD-2023-001"]
    remove = (
        re.search(r'<a class="chip" href="([^"]+)" aria-label="去掉 类别为“损毁”">', html)
        .group(1)
        .replace("&amp;", "&")
    )
    assert sorted(hit_ids(text_of(client.get(remove)))) == ["TD-2022-002", "TD-2023-001"]


def test_precedent_summary_counts_all_matches(client):
    html = text_of(client.get("/?type=case&per_page=2"))
    line = re.sub(r"<[^>]+>", "", re.search(r'<p class="precedent">(.*?)</p>', html).group(1))
    assert line == (
        "判例概览（共 8 件案例）：赔偿 2 · 部分赔偿 2 · 退还运费 1 · 道歉解释 2 · 申诉不成立 1；"
        "赔偿、补偿 4 件：中位数 205 元（45–3,000 元）；退还运费 1 件：10 元"
    )


def test_precedent_outcomes_link_to_the_filtered_search(client):
    html = client.get("/?q=丰巢").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)">(赔偿|部分赔偿|道歉解释|申诉不成立|退还运费) (\d+)</a>', html)
    assert links
    for url, outcome, _count in links:
        followed = text_of(client.get(url.replace("&amp;", "&")))
        assert f"处理结果为“{outcome}”" in followed and "共" in followed


def test_zero_results_show_the_best_relaxation_with_undo(client):
    html = text_of(client.get("/?q=%22虚假签收%22+保管费&category=其他"))
    assert "无完全匹配结果，已去掉筛选“其他”，显示 1 条。" in html
    assert hit_ids(html) == ["TD-2022-002"]
    undo = re.search(r'<a href="([^"]+)">撤销，查看原检索</a>', html).group(1).replace("&amp;", "&")
    strict = text_of(client.get(undo))
    assert hit_ids(strict) == [] and "没有找到匹配的案例" in strict
    # Every offered relaxation's count is what clicking it shows.
    for url, count in re.findall(r'<a href="([^"]+)">[^<]+（(\d+) 条）</a>', strict):
        followed = client.get(url.replace("&amp;", "&") + "&strict=1")
        assert f"共 {count} 条" in text_of(followed)


def test_search_within_results(client):
    html = text_of(client.get("/?q=同意&within=羽绒服"))
    assert hit_ids(html) == ["TD-2023-001"]
    assert "在结果中检索“羽绒服”（含同义词）" in html
    # The top box starts a new search: it keeps no hidden "search within" term.
    top = html[html.index('<form class="search"') : html.index("</form>")]
    assert 'name="within"' not in top


def test_sentence_joins_values_of_one_filter_with_or(client):
    html = text_of(client.get("/?category=投递服务&category=损毁"))
    assert "类别为“投递服务”或“损毁”：共 3 条" in html


def test_reversed_ranges_mean_the_same_span(client):
    assert hit_ids(text_of(client.get("/?year_from=2020&year_to=2019"))) == ["SH-2020-001", "SJ-2019-001"]
    html = text_of(client.get("/?amount_min=300&amount_max=100&sort=amount"))
    assert hit_ids(html) == ["TD-2023-001", "YW-2021-001"]
    assert "金额 100–300 元" in html and "按金额从高到低排序" in html


def test_browsing_says_it_lists_newest_first(client):
    html = text_of(client.get("/"))
    assert "按结案日期从新到旧排序" in html
    assert "<strong>日期：新→旧</strong>" in html and ">相关度<" not in html


def test_a_page_past_the_last_says_so(client):
    html = text_of(client.get("/?type=case&page=999"))
    assert "第 999 页超出范围：共 8 条，只有 1 页。" in html
    assert text_of(client.get("/?type=case&per_page=20")).count('class="hit"') == 8


def test_province_facet_and_amount_filter(client):
    html = text_of(client.get("/?province=浙江省"))
    assert hit_ids(html) == ["TD-2023-001"] and "省份为“浙江省”" in html
    assert re.search(r"河南省 <span class=\"count\">1</span>", html)
    assert hit_ids(text_of(client.get("/?amount_min=1000"))) == ["DS-2024-001"]


def test_year_type_sort_and_pages(client):
    assert hit_ids(text_of(client.get("/?year_from=2024&type=case"))) == ["WG-2025-001", "DS-2024-001"]
    page2 = text_of(client.get("/?type=case&sort=date&per_page=3&page=2"))
    assert hit_ids(page2) == ["QT-2022-001", "TD-2022-002", "YW-2021-001"]
    assert 'rel="prev"' in page2 and 'rel="next"' in page2


def test_manual_hits_link_to_their_section(client):
    html = text_of(client.get("/?q=不予受理+诉讼"))
    assert re.search(r'href="/cases/SC-001\?from=[^"]+#不予受理的情形"', html)


def test_csv_export_has_fixed_columns(client):
    response = client.get("/export.csv?q=快递柜")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text_of(response).lstrip("\ufeff"))))
    assert rows[0] == [
        "编号", "标题", "类型", "章节", "类别", "处理结果", "结案日期", "地区", "金额（元）", "摘要", "法律依据", "链接"
    ]  # fmt: skip
    assert {r[0] for r in rows[1:]} == {"QT-2022-001", "TD-2023-001"}
    td = next(r for r in rows if r[0] == "TD-2023-001")
    assert td[10] == "《快递市场管理办法》(2024) 第二十八条" and td[9]
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote("申诉案例库-快递柜-") in disposition and disposition.endswith(".csv")


def test_search_page_links_its_json_twin(client):
    html = text_of(client.get("/?q=快递柜&category=投递服务"))
    url = re.search(r'<a href="(/api/search\?[^"]+)">JSON</a>', html).group(1).replace("&amp;", "&")
    data = client.get(url).get_json()
    assert data["total"] == 1 and data["hits"][0]["id"] == "TD-2023-001"


def test_case_page_renders_fact_box_links_and_citation(client):
    html = text_of(client.get("/cases/TD-2023-001"))
    assert "<h1>未经同意投放智能快件箱后包裹丢失</h1>" in html
    assert "<dt>金额</dt><dd>260 元</dd>" in html
    assert (
        ">[TD-2023-001] 《未经同意投放智能快件箱后包裹丢失》，浙江省杭州市，2023-06-18 结案</p>" in html
    )  # wraps, never cut off
    assert 'href="/laws/%E3%80%8A' in html  # the legal basis links to its cited-by page
    assert '<a href="/cases/TD-2022-002">快递服务站代签后显示虚假签收</a>' in html  # related
    similar = re.search(r"<h2>相似案例</h2><ul>(.*?)</ul>", html, re.S).group(1)
    assert "TD-2023-001" not in similar and "/cases/" in similar


def test_case_opened_from_results_has_prev_next(client):
    html = text_of(client.get("/?type=case&sort=date"))
    second = re.findall(r'<h3><a href="([^"]+)">', html)[1].replace("&amp;", "&")
    page = text_of(client.get(second))
    assert "第 2 / 8 条" in page
    assert re.search(r'<a href="/cases/WG-2025-001\?[^"]*pos=1" rel="prev"', page)
    assert re.search(r'<a href="/cases/TD-2023-001\?[^"]*pos=3" rel="next"', page)


def test_manual_page_has_toc_and_stable_anchors(client):
    html = text_of(client.get("/cases/SC-001"))
    assert ">[SC-001] 《申诉受理与转办流程》，处理手册，2024-01-01</p>" in html
    assert '<a href="#不予受理的情形">不予受理的情形</a>' in html
    assert '<h2 id="不予受理的情形">不予受理的情形</h2>' in html


def test_cited_by_page(client):
    basis = "《快递市场管理办法》(2024) 第二十八条"
    html = text_of(client.get("/laws/" + quote(basis)))
    assert "TD-2023-001" in html and "共 1 件" in html
    index = text_of(client.get("/laws/"))
    assert "第二十八条" in index and "第四十七条" in index


def test_api_case_and_errors(client):
    data = client.get("/api/cases/TD-2023-001").get_json()
    assert data["id"] == "TD-2023-001" and data["amount"] == 260 and '<h2 id="基本案情">' in data["html"]
    missing = client.get("/api/cases/NOPE")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("page=abc", "page"),
        ("per_page=100000", "per_page"),
        ("category=不存在", "category"),
        ("sort=x", "sort"),
        ("year_from=2000000", "year_from"),
    ],
)
def test_api_bad_parameters_are_400_with_one_error_shape(client, query, param):
    response = client.get(f"/api/search?q=快递&{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == param and error["status"] == 400 and param in error["message"]


HOSTILE = [
    'q="unbalanced',
    "q=((快递",
    "q=快递+AND",
    "q=title:",
    "q=*",
    "q=" + "快" * 10000,
    "q=%00%1b%5b31m",
    "q=%F0%9F%98%80",
    "q=%ED%A0%80",
    "q=%FF%FE",
    "page=-1",
    "per_page=0",
    "year_to=abc",
    "category=",
    "q=a:b:c&within=%22",
    "pos=1&from=%25%25",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_parameters_never_500(client, query):
    for path in ("/", "/api/search", "/export.csv", "/cases/TD-2023-001"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_load_nothing_from_elsewhere_and_stay_small(client):
    for path in ("/?q=快递", "/cases/SC-001", "/cases/TD-2023-001"):
        html = text_of(client.get(path))
        assert not re.search(r'(src|href)="(https?:)?//', html), path
        assert "<script>" not in html and " style=" not in html and "onclick" not in html
    total = 0
    for path in ("/?q=快递", "/static/casebook.css", "/static/casebook.js"):
        with client.get(path) as response:  # static files stream: close them
            assert response.status_code == 200
            total += len(response.data)
    assert total < 100_000


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    book = Casebook(Settings(cases_dir=FIXTURES / "hostile", index_dir=tmp_path_factory.mktemp("hostile-index")))
    book.update_index()
    yield create_app(casebook=book, test_config={"TESTING": True}).test_client()
    book.close()


def test_hostile_content_renders_harmlessly(hostile_client):
    api_html = hostile_client.get("/api/cases/QT-2024-666").get_json()["html"]
    for html in [text_of(hostile_client.get(p)) for p in ("/cases/QT-2024-666", "/?q=脚本")] + [api_html]:
        assert "<script>" not in html and "<iframe" not in html and "<svg" not in html and "<img" not in html
        assert "onerror=" not in html.replace("onerror=alert(2)&gt;", "") or "&lt;img" in html
        assert 'href="javascript:' not in html and "formaction" not in html and "<style>" not in html
    page = text_of(hostile_client.get("/cases/QT-2024-666"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title is shown, escaped
    assert page.count("<tr>") > 300  # the huge table is kept, inside a scrolling block
    assert 'rel="noopener noreferrer nofollow"' in page


def test_search_log_records_zero_and_unclicked_queries(client, app):
    client.get("/?q=完全不存在的词语组合")
    client.get("/?q=完全不存在的词语组合")
    html = text_of(client.get("/?q=派送费"))
    sid = re.search(r"sid=(\d+)", html)
    assert sid
    client.get("/?q=陶瓷茶具")
    insights = text_of(client.get("/insights"))
    zero = insights.split("有结果但无人点开的检索")[0]
    assert "完全不存在的词语组合</a></td><td></td><td>2</td>" in zero
    client.get(f"/cases/WG-2025-001?sid={sid.group(1)}")
    unclicked = text_of(client.get("/insights")).split("有结果但无人点开的检索")[1]
    assert "陶瓷茶具" in unclicked and "派送费" not in unclicked


def test_search_log_scrubs_personal_data(client):
    client.get("/?q=13812345678+快递")
    assert "13812345678" not in text_of(client.get("/insights"))


def test_ignored_words_are_named(client):
    html = text_of(client.get("/?q=羽绒服+莫名其妙"))
    assert "案例库中没有出现“莫名其妙”，检索时已忽略。" in html
    assert hit_ids(html) == ["TD-2023-001"]


def test_an_index_rebuilt_elsewhere_is_picked_up_without_restart(cases_dir, tmp_path, monkeypatch):
    import casebook.service as service

    monkeypatch.setattr(service, "REFRESH_CHECK_SECONDS", 0.0)
    site_book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    site_book.update_index()
    client = create_app(casebook=site_book, test_config={"TESTING": True}).test_client()
    assert client.get("/api/cases/WG-2025-009").status_code == 404
    source = (cases_dir / "cases" / "WG-2025-001.md").read_text(encoding="utf-8")
    (cases_dir / "cases" / "WG-2025-009.md").write_text(source.replace("WG-2025-001", "WG-2025-009"), encoding="utf-8")
    shell = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))  # `casebook index --full` elsewhere
    shell.update_index(full=True)
    shell.close()
    assert client.get("/api/cases/WG-2025-009").status_code == 200
    site_book.close()


def test_search_log_can_be_switched_off(casebook, kb_dir):
    from dataclasses import replace

    quiet = Casebook(replace(casebook.settings, search_log=False))
    app = create_app(casebook=quiet, test_config={"TESTING": True})
    client = app.test_client()
    client.get("/?q=驿站")
    assert "casebook.searchlog" not in app.extensions
    assert "检索日志已关闭" in client.get("/insights").get_data(as_text=True)
    assert "sid=" not in client.get("/?q=驿站").get_data(as_text=True)
    quiet.close()


@pytest.mark.parametrize(
    ("articles", "expected"),
    [
        (["第三十条", "第二十七条", "第八条"], ["第八条", "第二十七条", "第三十条"]),
        (
            ["第一百零三条", "第十条", "第三十条之一", "第三十条"],
            ["第十条", "第三十条", "第三十条之一", "第一百零三条"],
        ),
    ],
)
def test_articles_sort_in_the_law_s_order(articles, expected):
    from casebook.content.legal import article_order

    assert sorted(articles, key=article_order) == expected


def test_a_law_without_an_article_lists_every_cited_article(client):
    html = text_of(client.get("/laws/" + quote("《邮政法》")))
    assert "《邮政法》(2015) 第四十七条" in html and "/cases/SH-2020-001" in html
    assert client.get("/laws/" + quote("《民法典》")).status_code == 404
    index = text_of(client.get("/laws/"))
    assert 'href="/laws/%E3%80%8A%E9%82%AE%E6%94%BF%E6%B3%95%E3%80%8B"' in index  # the law's own page


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/?page=abc", "页码 page：应为整数，收到的是“abc”"),
        ("/?category=nope", "类别 category：应为（"),
        ("/?amount_min=很多", "最低金额 amount_min：应为以元计的金额，例如 500，收到的是“很多”"),
        ("/?sort=x", "排序方式有误：收到的是“x”，应为以下之一："),
        ("/no/such/page", "没有这个页面。"),
        ("/cases/NOPE-1", "没有编号为“NOPE-1”的案例或手册。"),
        ("/packs/nope", "没有名为“nope”的培训包。"),
    ],
)
def test_error_pages_speak_chinese(client, path, expected):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert expected in text_of(response)


@pytest.mark.parametrize(
    ("typed", "label", "kind"),
    [
        ("td-2023", "TD-2023-001", "编号"),
        ("快递", "快递柜", "词语"),
        ("邮政法", "《邮政法》(2015) 第四十七条", "法规"),
        ("智能快件箱", "未经同意投放智能快件箱后包裹丢失", "标题"),
    ],
)
def test_suggestions_come_from_the_index(client, typed, label, kind):
    found = client.get("/api/suggest?q=" + quote(typed)).get_json()["suggestions"]
    assert {"label": label, "kind": kind} in [{"label": s["label"], "kind": s["kind"]} for s in found]
    assert len(found) <= 8


def test_advanced_search_writes_the_query_syntax_url(client):
    response = client.get(
        "/advanced?go=1&title=丢失&facts=智能快件箱&exclude=驿站&province=浙江省&amount_min=100&year_from=2020&category="
    )
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith("/?q=")
    from urllib.parse import parse_qsl, urlsplit

    assert parse_qsl(urlsplit(target).query) == [
        ("q", "标题:丢失 案情:智能快件箱 -驿站"),
        ("province", "浙江省"),
        ("year_from", "2020"),
        ("amount_min", "100"),
    ]
    assert hit_ids(text_of(client.get(target))) == ["TD-2023-001"]
    form = text_of(client.get("/advanced"))
    assert "<option>浙江省</option>" in form and 'name="amount_max"' in form


def test_json_twin_is_readable_in_a_browser(client):
    response = client.get("/api/search?q=快递柜")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "快递柜" in response.get_data(as_text=True)  # not \u-escaped


def test_a_search_page_with_its_css_and_js_stays_under_100_kb(client):
    html = text_of(client.get("/?q=快递&per_page=50"))
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.rsplit("/", 1)[1] for a in assets} >= {"casebook.css", "casebook.js", "tray.js"}
    total = len(html.encode())
    for asset in assets:
        with client.get(asset) as response:  # static files are streamed: close them
            total += len(response.get_data())
    assert total < 100_000, total
    assert not re.search(r'(?:href|src|action)="(?:https?:)?//', html)  # nothing fetched from elsewhere


def test_channel_and_insured_are_filters_on_the_page(client):
    html = text_of(client.get("/?insured=否&channel=12305电话"))
    assert hit_ids(html) == ["TD-2023-001"]
    assert "申诉渠道为“12305电话”，保价为“否”：共 1 条" in html
    assert client.get("/?insured=也许").status_code == 400
    form = text_of(client.get("/advanced"))
    assert "<option>12305电话</option>" in form and 'name="insured"' in form


def test_long_facets_show_six_values_and_fold_the_rest(shipped):
    client = create_app(casebook=shipped, test_config={"TESTING": True}).test_client()

    def provinces(html: str) -> tuple[str, str]:
        section = html[html.index("<h2>省份</h2>") : html.index("<h2>申诉渠道</h2>")]
        shown, _, folded = section.partition('<details class="more-values"')
        return shown, folded

    shown, folded = provinces(text_of(client.get("/")))
    assert shown.count('class="facet-value') == 6 and "其余" in folded and not folded.startswith(" open")
    hidden = re.findall(r'</span>([^<]+) <span class="count">', folded)[0].strip()
    _, folded = provinces(text_of(client.get("/?province=" + quote(hidden))))
    assert folded.startswith(" open>")  # a chosen value among the folded ones keeps its list open


def test_a_waybill_number_is_set_aside_and_explained(client):
    html = text_of(client.get("/?q=SF1234567890123"))
    assert "案例库中没有出现“SF1234567890123”" in html and "运单号、电话号码等个人信息在案例中均已隐去" in html
    assert "运单号、电话号码" not in text_of(client.get("/?q=莫名其妙"))
