"""The search log never blocks or breaks a page, forgets old rows, and stores no personal data."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace

import pytest

from casebook.service import Casebook
from casebook.web import create_app
from casebook.web.searchlog import SearchLog, scrub


@pytest.fixture
def site(casebook, tmp_path):
    """The fixture site with its own index folder for the search log."""
    import shutil

    index_dir = tmp_path / "index"
    shutil.copytree(casebook.settings.index_dir, index_dir, ignore=shutil.ignore_patterns("searchlog.sqlite*"))
    book = Casebook(replace(casebook.settings, index_dir=index_dir))
    app = create_app(casebook=book, test_config={"TESTING": True})
    yield app, index_dir
    book.close()


def _get_all(app, urls: list[str], seconds: float) -> list[int | None]:
    """Fetch urls in parallel threads; a request still running after `seconds` reads as None."""
    statuses: list[int | None] = [None] * len(urls)

    def fetch(i: int, url: str) -> None:
        statuses[i] = app.test_client().get(url).status_code

    threads = [threading.Thread(target=fetch, args=(i, url), daemon=True) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return statuses


def test_an_unwritable_log_never_blocks_a_page(site, caplog):
    app, index_dir = site
    (index_dir / "searchlog.sqlite").mkdir()  # SQLite cannot open a directory
    client = app.test_client()
    for q in ("快递柜", "派送费", "完全不存在的词语组合"):
        assert client.get(f"/?q={q}").status_code == 200
    # Eight concurrent /insights held every waitress thread for good; now each answers.
    assert _get_all(app, ["/insights"] * 8 + ["/?q=驿站"], seconds=5) == [200] * 9
    started = time.monotonic()
    assert client.get("/?q=丢失").status_code == 200
    assert time.monotonic() - started < 1
    html = client.get("/insights").get_data(as_text=True)
    assert "检索日志暂时无法读取" in html
    reports = [r for r in caplog.records if r.name == "casebook.searchlog"]
    assert len(reports) == 1 and "cannot be written" in reports[0].getMessage()  # said once, not per search
    assert app.extensions["casebook.searchlog"].lost >= 3


def test_insights_says_when_rows_were_lost(site):
    app, _ = site
    client = app.test_client()
    client.get("/?q=快递柜")
    assert "未能记入日志" not in client.get("/insights").get_data(as_text=True)
    app.extensions["casebook.searchlog"].lost = 4  # as after a spell of failed writes
    assert "有 4 条检索未能记入日志" in client.get("/insights").get_data(as_text=True)


def test_huge_search_ids_never_reach_the_log(site):
    app, _ = site
    client = app.test_client()
    assert client.get("/cases/TD-2023-001?sid=" + "9" * 15).status_code == 200
    assert client.get("/cases/TD-2023-001?sid=" + "1" * 31).status_code == 400
    log = app.extensions["casebook.searchlog"]
    assert log.flush() and log.lost == 0 and log.error is None


def test_personal_data_in_filters_and_queries_is_scrubbed(site):
    app, index_dir = site
    client = app.test_client()
    client.get("/?q=快递%0A138%0A1234%205678&province=13812345678&province=浙江省")
    client.get("/?q=丢失&province=" + "上海市徐汇区漕溪北路88号")
    app.extensions["casebook.searchlog"].flush()
    db = sqlite3.connect(index_dir / "searchlog.sqlite")
    rows = db.execute("SELECT q, filters FROM searches").fetchall()
    db.close()
    logged = json.dumps(rows, ensure_ascii=False)
    for secret in ("13812345678", "1234 5678", "漕溪北路88号"):
        assert secret not in logged
    assert "浙江省" in logged and "＊＊＊＊" in logged
    assert "13812345678" not in client.get("/insights").get_data(as_text=True)


def test_scrub_masks_a_number_broken_across_lines():
    assert scrub("电话 138\n1234\n5678 丢件") == "电话 ＊＊＊＊＊＊＊＊＊＊＊＊＊ 丢件"


DISGUISED = {
    "zero-width spaces": "138\u200b1234\u200b5678",
    "dots": "138.1234.5678",
    "en dashes": "138–1234–5678",
    "one by one": "1 3 8 1 2 3 4 5 6 7 8",
    "full-width": "１３８１２３４５６７８",
    "Arabic-Indic": "١٣٨١٢٣٤٥٦٧٨",
    "ID number": "11010519491231002X",
}


@pytest.mark.parametrize("number", DISGUISED.values(), ids=DISGUISED.keys())
def test_disguised_numbers_in_a_search_are_scrubbed(site, number):
    app, index_dir = site
    client = app.test_client()
    client.get("/", query_string={"q": f"快递 {number} 丢了", "province": f"浙江省{number}"})
    app.extensions["casebook.searchlog"].flush()
    db = sqlite3.connect(index_dir / "searchlog.sqlite")
    [(q, filters)] = db.execute("SELECT q, filters FROM searches").fetchall()
    db.close()
    assert q.startswith("快递 ＊") and q.endswith("＊ 丢了"), q
    assert not any(char.isdigit() for char in q + filters), (q, filters)
    assert "浙江省＊" in json.loads(filters)["province"][0]


def test_the_log_keeps_only_recent_rows_up_to_a_limit(tmp_path):
    path = tmp_path / "searchlog.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE searches (id INTEGER PRIMARY KEY, at REAL NOT NULL, q TEXT NOT NULL,"
        " filters TEXT NOT NULL, total INTEGER NOT NULL);"
        "CREATE TABLE clicks (search_id INTEGER NOT NULL, case_id TEXT NOT NULL, at REAL NOT NULL);"
    )
    old = time.time() - 3 * 7 * 86400
    db.execute("INSERT INTO searches VALUES (1, ?, '很久以前', '{}', 0)", (old,))
    db.execute("INSERT INTO clicks VALUES (1, 'TD-2023-001', ?)", (old,))
    db.commit()
    db.close()
    log = SearchLog(path, weeks=2, max_rows=5)
    for i in range(12):
        log.record_search(f"检索{i}", {}, i)
    assert log.flush()
    db = sqlite3.connect(path)
    queries = [q for (q,) in db.execute("SELECT q FROM searches ORDER BY at")]
    clicks = db.execute("SELECT COUNT(*) FROM clicks").fetchone()[0]
    db.close()
    assert "很久以前" not in queries and len(queries) <= 5 and "检索11" in queries
    assert clicks == 0


def test_a_full_queue_drops_rows_instead_of_waiting(tmp_path, monkeypatch, caplog):
    import casebook.web.searchlog as searchlog

    monkeypatch.setattr(searchlog, "QUEUE_SIZE", 2)
    log = SearchLog(tmp_path / "searchlog.sqlite")
    blocker = threading.Lock()
    blocker.acquire()
    log._writer = threading.Thread(target=blocker.acquire, daemon=True)  # a writer that is stuck
    log._writer.start()
    started = time.monotonic()
    for i in range(5):
        log.record_search(f"检索{i}", {}, 1)
    assert time.monotonic() - started < 1
    assert log.lost == 3
    assert [r.getMessage() for r in caplog.records if r.name == "casebook.searchlog"] == [
        f"search log {log.path} falls behind: rows beyond 2 waiting are dropped"
    ]
    assert not log.flush(timeout=0.1)  # /insights waits a moment at most
    blocker.release()
