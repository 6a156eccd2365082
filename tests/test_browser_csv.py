"""CSV written in the browser (favourites) is as safe in a spreadsheet as the server's export."""

from __future__ import annotations

import csv
import io
import json

from .test_browser import _fresh, browser, page, server  # noqa: F401 (fixtures)

FAVOURITE = {
    "cases": [
        {"id": "TD-2023-001", "title": '=HYPERLINK("http://x.example","点我")', "meta": "@SUM(1+1)", "added": "-1+2"},
        {"id": "SH-2020-001", "title": "-12.5", "meta": "\t=1+1", "added": "2026-01-01"},
    ],
    "searches": [],
}


def test_favourites_csv_neutralises_formula_cells(page, server):  # noqa: F811 (fixtures)
    _fresh(page, server + "/favourites")
    page.evaluate(f"localStorage.setItem('casebook.favourites', {json.dumps(json.dumps(FAVOURITE))})")
    page.reload()
    with page.expect_download() as info:
        page.locator("#favourites").get_by_role("button", name="导出 CSV").click()
    with open(info.value.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[1][:4] == ["TD-2023-001", '\'=HYPERLINK("http://x.example","点我")', "'@SUM(1+1)", "'-1+2"]
    assert rows[2][:3] == ["SH-2020-001", "-12.5", "'\t=1+1"]
    assert page.problems == []
