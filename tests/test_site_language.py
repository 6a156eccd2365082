"""Every page a user can reach speaks Chinese: no English sentence outside code and ids."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

# One URL per route, and the error pages users meet; a new route fails the coverage test below
# until it is listed here.
PAGES = {
    "/": ["/", "/?q=丰巢+丢失", "/?q=没有这个词zzz&category=其他", "/?type=case&page=999", "/?q=快递&within=丰巢"],
    "/advanced": ["/advanced"],
    "/favourites": ["/favourites"],
    "/cases/<case_id>": [
        "/cases/TD-2023-001",
        "/cases/SC-001",
        "/cases/TD-2023-001?from=q%3D快递柜&pos=1",
        "/cases/NOPE-1",
    ],
    "/laws/": ["/laws/"],
    "/laws/<path:basis>": ["/laws/" + quote("《邮政法》"), "/laws/" + quote("《民法典》第一条")],
    "/recent": ["/recent"],
    "/insights": ["/insights"],
    "/packs/": ["/packs/"],
    "/packs/<stem>": ["/packs/basics", "/packs/nope"],
    "/packs/<stem>/<edition>.<fmt>": [
        "/packs/basics/trainee.html",
        "/packs/basics/trainer.html",
        "/packs/nope/trainee.html",
    ],
}
NOT_PAGES = {
    "/static/<path:filename>",
    "/api/cases/<case_id>",
    "/api/search",
    "/api/suggest",
    "/export.csv",
    "/packs/tray",
}
ERRORS = [
    "/no/such/page",
    "/?page=abc",
    "/?category=nope",
    "/?sort=x",
    "/?year_from=12",
    "/?amount_min=很多",
    "/?per_page=1000",
    "/packs/basics/x.pdf",
]
# Three Latin words in a row read as an English sentence (a lone CSV, JSON, EMS or Word is fine).
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.:;'!?-]+[A-Za-z]+){2,}")


class VisibleText(HTMLParser):
    """Collect the text a reader sees, leaving out code, scripts, styles, ids and text quoted
    verbatim from elsewhere (an editor's commit subject)."""

    SKIP = {"code", "pre", "script", "style", "kbd", "samp"}

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr", "img", "input", "meta", "link", "wbr", "source"):
            return
        classes = (dict(attrs).get("class") or "").split()
        skipped = tag in self.SKIP or "id" in classes or "verbatim" in classes
        self.stack.append(skipped or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(parser.parts)


def english_in(html: str) -> list[str]:
    """Return the English sentences in a page's visible text."""
    return ENGLISH.findall(VisibleText.of(html))


def test_the_checker_catches_english():
    assert english_in("<p>The requested URL was not found on the server.</p>")
    assert english_in("<p>页码：expected a whole number</p>")
    assert not english_in("<p>导出 CSV · JSON，<code>casebook pack build packs/x.yaml</code></p>")
    assert not english_in('<p>编号 <span class="id">TD-2023-001</span></p>')


def test_every_route_is_listed(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == set(PAGES) | NOT_PAGES


@pytest.mark.parametrize("url", [u for urls in PAGES.values() for u in urls] + ERRORS)
def test_pages_have_no_english_sentences(client, url):
    response = client.get(url)
    assert response.status_code in (200, 400, 404), url
    assert response.mimetype == "text/html"
    assert english_in(response.get_data(as_text=True)) == []
