"""Hostile sizes and characters get a small, quick answer: 400 with a Chinese message, never 500."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import replace
from urllib.parse import quote

import pytest

from casebook.config import Settings, settings_from_env
from casebook.errors import ConfigError
from casebook.service import Casebook
from casebook.web import create_app
from casebook.web.search import neutralise

from .conftest import ROOT


def error_of(response) -> dict:
    return response.get_json()["error"]


FORMER_500S = [
    ("/cases/TD-2023-001?sid=" + "1" * 5000, "sid"),
    ("/cases/TD-2023-001?from=q%3D%E5%BF%AB%E9%80%92&pos=" + "1" * 5000, "pos"),
    ("/cases/TD-2023-001?from=" + quote("q=快递&page=" + "9" * 5000) + "&pos=1", "page"),
    ("/?page=" + "9" * 5000, "page"),
    ("/api/search?year_from=" + "9" * 5000, "year_from"),
]


@pytest.mark.parametrize("url, param", FORMER_500S)
def test_numbers_with_too_many_digits_are_400_naming_the_parameter(client, url, param):
    response = client.get(url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"{param}：数字最多 15 位" in page
    assert len(page) < 20_000


def test_json_error_for_too_many_digits_names_the_parameter(client):
    error = error_of(client.get("/api/search?per_page=" + "1" * 40))
    assert error == {"status": 400, "message": "per_page：数字最多 15 位，收到 40 位", "param": "per_page"}


def test_a_position_past_the_end_of_the_list_shows_no_position(client):
    html = client.get("/cases/TD-2023-001?from=q%3D%E5%BF%AB%E9%80%92&pos=999999999999999").get_data(as_text=True)
    assert "999999999999999" not in html and "第 " not in html
    near = client.get("/cases/TD-2023-001?from=q%3D%E5%BF%AB%E9%80%92&pos=1").get_data(as_text=True)
    assert "第 1 / " in near


@pytest.mark.parametrize("sid", ["²", "١٢", "-5", "0", "281474976710656"])
def test_odd_search_ids_are_ignored(client, sid):
    assert client.get(f"/cases/TD-2023-001?sid={quote(sid)}").status_code == 200


def test_two_thousand_repeated_values_get_a_small_page_quickly(client):
    url = "/?q=a&" + "&".join(f"province=p{i}" for i in range(2000))
    started = time.monotonic()
    response = client.get(url)
    assert time.monotonic() - started < 5  # was 39 s and 74 MB
    assert response.status_code == 400 and len(response.data) < 20_000
    assert "参数过多：一次最多 100 个参数，收到 2001 个" in response.get_data(as_text=True)


def test_too_many_distinct_values_of_one_parameter_are_400(client):
    url = "/api/search?q=a&" + "&".join(f"province=p{i}" for i in range(41))
    assert error_of(client.get(url)) == {
        "status": 400,
        "message": "province：最多可选 40 个不同的值，收到 41 个",
        "param": "province",
    }
    assert client.get("/api/search?q=a&" + "&".join(f"province=p{i}" for i in range(40))).status_code == 200


def test_a_very_long_query_gets_a_small_answer(client):
    response = client.get("/?q=" + "快递" * 20000)
    assert response.status_code == 400 and len(response.data) < 20_000  # was a 14 MB page
    assert "最多 1000 个字符，收到 40000 个" in response.get_data(as_text=True)
    long_but_allowed = client.get("/?q=" + "快递 " * 300)
    assert long_but_allowed.status_code == 200 and len(long_but_allowed.data) < 500_000


def test_repeated_identical_values_are_linked_once(client):
    once = client.get("/?q=快递&category=损毁").get_data(as_text=True)
    repeated = client.get("/?q=快递&" + "&".join(["category=损毁"] * 60)).get_data(as_text=True)
    assert repeated.count("损毁") == once.count("损毁")  # was one chip per copy, each linking all copies
    assert len(repeated) < len(once) + 3000


def test_limits_are_settings(casebook):
    strict = Casebook(replace(casebook.settings, max_params=3, max_values=1, max_digits=2))
    client = create_app(casebook=strict, test_config={"TESTING": True}).test_client()
    assert client.get("/api/search?q=a&page=1&sort=date").status_code == 200
    assert error_of(client.get("/api/search?q=a&page=1&sort=date&match=any"))["message"].startswith("参数过多")
    assert error_of(client.get("/api/search?category=延误&category=损毁"))["param"] == "category"
    assert error_of(client.get("/api/search?page=100"))["param"] == "page"
    strict.close()


def test_limit_settings_are_read_from_the_environment(monkeypatch, kb_dir):
    monkeypatch.setenv("CASEBOOK_MAX_VALUES", "7")
    monkeypatch.setenv("CASEBOOK_BASE_URL", "https://casebook.example/")
    settings = settings_from_env(cases_dir=kb_dir).validated()
    assert settings.max_values == 7 and settings.base_url == "https://casebook.example"
    monkeypatch.setenv("CASEBOOK_MAX_VALUES", "many")
    with pytest.raises(ConfigError, match="CASEBOOK_MAX_VALUES: expected a whole number but received: 'many'"):
        settings_from_env(cases_dir=kb_dir)
    with pytest.raises(ConfigError, match="base_url"):
        Settings(cases_dir=kb_dir, base_url="casebook.example").validated()


@pytest.mark.parametrize("field", ["title", "audience", "intro"])
@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_tray_refuses_control_characters_with_a_message(client, field, fmt):
    data = {"id": "TD-2023-001", "format": fmt, field: "培训\x07包"}
    response = client.post("/packs/tray", data=data)
    assert response.status_code == 400  # the DOCX was a 500
    assert f"{field}：第 3 个字符是控制字符（U+0007），请删除后再试" in response.get_data(as_text=True)


def test_tray_refuses_control_characters_in_a_case_note(client):
    data = {"id": "TD-2023-001", "format": "docx", "entry_title": "", "entry_notes": "注意\x1b", "entry_questions": ""}
    response = client.post("/packs/tray", data=data)
    assert response.status_code == 400
    assert "第 3 个字符是控制字符（U+001B）" in response.get_data(as_text=True)


def test_tray_keeps_tabs_and_newlines_in_the_intro(client):
    data = {"id": "TD-2023-001", "format": "docx", "title": "培训包", "intro": "第一段\n\t第二段\r\n"}
    assert client.post("/packs/tray", data=data).status_code == 200


def test_a_request_body_over_the_limit_is_413_in_chinese(casebook):
    small = Casebook(replace(casebook.settings, max_request_bytes=2000))
    client = create_app(casebook=small, test_config={"TESTING": True}).test_client()
    response = client.post("/packs/tray", data={"id": "TD-2023-001", "intro": "长" * 3000})
    assert response.status_code == 413
    assert "提交的内容过大：最多 2,000 字节" in response.get_data(as_text=True)
    assert client.post("/packs/tray", data={"id": "TD-2023-001", "intro": "短"}).status_code == 200
    small.close()


def test_one_limit_holds_for_multipart_fields_too(client):
    # Flask's own form-field limit (500 KB) would refuse this 600 KB field below the 1 MB body limit.
    fields = {"id": "TD-2023-001", "intro": "x" * 600_000}
    body = "".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
    data = (body + "--B--\r\n").encode()
    response = client.post("/packs/tray", data=data, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 400 and "intro：最多 5000 个字符" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ('=HYPERLINK("http://x.example","点我")', '\'=HYPERLINK("http://x.example","点我")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-12.5", "-12.5"),
        ("浙江省杭州市", "浙江省杭州市"),
        ("TD-2023-001", "TD-2023-001"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, expected):
    assert neutralise(cell) == expected


FORMULA_CASE = """---
id: WG-2025-002
title: "=HYPERLINK(\\"http://x.example\\",\\"派送费\\")"
category: 违规收费
outcome: 退还运费
date: 2025-02-01
region: "@SUM(1+1)"
---

## 基本案情

派送费。
"""


def test_csv_export_neutralises_formula_cells_and_ignores_the_host_header(cases_dir, tmp_path):
    (cases_dir / "cases" / "WG-2025-002.md").write_text(FORMULA_CASE, encoding="utf-8")
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index", base_url="https://casebook.example"))
    book.update_index()
    client = create_app(casebook=book, test_config={"TESTING": True}).test_client()
    response = client.get("/export.csv?q=派送费", headers={"Host": "evil.example"})
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    column = {name: i for i, name in enumerate(table[0])}
    rows = {r[0]: r for r in table[1:]}
    assert rows["WG-2025-002"][column["标题"]] == '\'=HYPERLINK("http://x.example","派送费")'
    assert rows["WG-2025-002"][column["地区"]] == "'@SUM(1+1)"
    assert rows["WG-2025-002"][column["链接"]] == "https://casebook.example/cases/WG-2025-002"
    assert "evil.example" not in response.get_data(as_text=True)
    book.close()


def test_csv_links_are_paths_when_no_base_url_is_set(client):
    response = client.get("/export.csv?q=快递柜", headers={"Host": "evil.example"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    link = rows[0].index("链接")
    assert {r[link] for r in rows[1:]} >= {"/cases/QT-2022-001", "/cases/TD-2023-001"}
    assert all(r[link].startswith("/cases/") for r in rows[1:])


def test_every_limit_is_documented_with_its_default():
    from casebook.config import LIMITS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in (*LIMITS, "base_url"):
        default = getattr(Settings(), name)
        row = f"| `CASEBOOK_{name.upper()}` | {default if default != '' else '(unset)'} |"
        assert row in readme, row
