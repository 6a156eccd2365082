"""Case, manual and law pages, and the case JSON."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import abort, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from casebook.content.legal import article_order, parse_legal_basis
from casebook.content.loader import split_sections
from casebook.content.markdown import render_markdown
from casebook.content.statutes import LAWS_DIR, Statute, load_statutes
from casebook.errors import NotFoundError, QueryError
from casebook.search.searcher import SearchRequest
from casebook.web.api import case_path
from casebook.web.context import book, bp, search_log
from casebook.web.limits import whole_number
from casebook.web.rendering import citation
from casebook.web.state import (
    request_from_args,
    url_for_args,
)


def statutes() -> dict[tuple[str, str], Statute]:
    """Return the statute texts of cases/laws/, reread when a file there changes."""
    folder = book().cases_dir / LAWS_DIR
    files = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    key = tuple((p.name, p.stat().st_mtime_ns) for p in files)
    cached = current_app.extensions.get("casebook.statutes")
    if cached is None or cached[0] != key:
        cached = (key, load_statutes(book().cases_dir)[0])  # invalid files are left out; check says why
        current_app.extensions["casebook.statutes"] = cached
    return cached[1]


def statute_text(basis) -> tuple[str, Statute] | None:
    """Return an article's text and its statute, when the knowledge base holds it."""
    found = statutes()
    statute = found.get((basis.law, basis.edition)) or (found.get((basis.law, "")) if not basis.edition else None)
    if statute is None or basis.article not in statute.articles:
        return None
    return statute.articles[basis.article], statute


def _case_context(case_id: str) -> dict:
    casebook = book()
    record = casebook.document(case_id)
    bases = [parse_legal_basis(text) for text in record.get("legal_basis", [])]
    related = []
    for other in record.get("related", []):
        try:
            related.append(casebook.document(other))
        except NotFoundError:
            continue
    sections = []
    if record.get("type") == "manual":
        sections = split_sections(record.get("body", ""))  # the index's splitter: anchors agree
    return {
        "record": record,
        "body": Markup(render_markdown(record.get("body", ""))),
        "bases": [(b, url_for("site.law_page", basis=b.text), statute_text(b)) for b in bases],
        "related": related,
        "similar": [dict(r, url=case_path(r["id"])) for r in casebook.searcher().similar(case_id)],
        "citation": citation(record),
        "sections": sections,
        "tag_urls": [(tag, url_for_args("/", [("q", f'标签:"{tag}"')])) for tag in record.get("tags", [])],
        "category_url": url_for_args("/", [("category", record["category"])]) if record.get("category") else None,
        "outcome_url": url_for_args("/", [("outcome", record["outcome"])]) if record.get("outcome") else None,
    }


@bp.route("/cases/<case_id>")
def case_page(case_id: str):
    context = _case_context(case_id)
    context["history"] = book().last_commit(context["record"]["path"])
    origin = request.args.get("from")
    context["navigation"] = _neighbours(origin, request.args.get("pos", "")) if origin is not None else None
    context["highlight"] = _highlight_words(origin, context["record"]) if origin else []
    log = search_log()
    search_id = whole_number(request.args.get("sid", ""))
    if log and search_id is not None:
        log.record_click(search_id, case_id)
    return render_template("case.html", **context)


def _highlight_words(origin: str, record: dict) -> list[str]:
    """Return the words of a case that the search it was opened from matched, for marking."""
    args = MultiDict(parse_qsl(origin, keep_blank_values=False))
    try:
        base = request_from_args(args, book().taxonomy)
    except QueryError:
        return []
    text = "\n".join(str(record.get(k) or "") for k in ("title", "summary", "body"))
    return book().matched_words(base, text)[:40]


def _neighbours(origin: str, pos: str) -> dict | None:
    """Return previous/next links and the back link for a case opened from a result list."""
    position = whole_number(pos)
    if position is None or position < 1:
        return None
    args = MultiDict(parse_qsl(origin, keep_blank_values=False))
    casebook = book()
    try:
        base = request_from_args(args, casebook.taxonomy)
    except QueryError:
        return None
    links = {
        "back": url_for_args(
            "/",
            [
                *args.items(multi=True),
                *([("page", str((position - 1) // base.per_page + 1))] if position > base.per_page else []),
            ],
        ),
        "position": position,
    }
    for name, target in (("prev", position - 1), ("next", position + 1)):
        if target < 1:
            continue
        result = casebook.search(SearchRequest(**{**base.__dict__, "page": target, "per_page": 1}))
        if target <= result.total and result.hits:
            hit = result.hits[0]
            links[name] = {
                "title": hit.title,
                "href": url_for_args(case_path(hit.id), [("from", origin), ("pos", str(target))])
                + (f"#{hit.anchor}" if hit.anchor else ""),
            }
        links["total"] = result.total
    # A position past the end was not made by a result list: show no "第 N / M 条".
    return links if position <= links.get("total", 0) else None


def _with_urls(records: list[dict]) -> list[dict]:
    """Return brief records with the URL of each case page."""
    return [dict(r, url=case_path(r["id"])) for r in records]


@bp.route("/laws/")
def laws_index():
    grouped: dict[str, list[tuple[str, int, str]]] = {}
    for basis, count in book().searcher().legal_bases():
        parsed = parse_legal_basis(basis)
        grouped.setdefault(parsed.key, []).append(
            (parsed.article or basis, count, url_for("site.law_page", basis=basis))
        )
    laws = [
        (
            law,
            url_for("site.law_page", basis=f"《{law.split('(')[0]}》"),
            sorted(rows, key=lambda r: article_order(r[0])),
        )
        for law, rows in sorted(grouped.items())
    ]
    return render_template("laws.html", grouped=laws)


@bp.route("/laws/<path:basis>")
def law_page(basis: str):
    searcher = book().searcher()
    hits = _with_urls(searcher.cited_by(basis))
    parsed = parse_legal_basis(basis)
    articles = []
    if not hits and not parsed.article:
        # A law without an article (《邮政法》, 《快递暂行条例》(2018)): every article cited.
        for text, _ in searcher.legal_bases():
            other = parse_legal_basis(text)
            if other.law == parsed.law and (not parsed.edition or other.edition == parsed.edition):
                cited = _with_urls(searcher.cited_by(text))
                articles.append((other, url_for("site.law_page", basis=text), cited, statute_text(other)))
        articles.sort(key=lambda a: (a[0].edition, article_order(a[0].article)))
    if not hits and not articles:
        abort(404, description=f"没有案例或手册引用“{basis}”。可在法规索引中查看已引用的条款。")
    return render_template("law.html", basis=parsed, hits=hits, articles=articles, statute=statute_text(parsed))


@bp.route("/api/cases/<case_id>")
def api_case(case_id: str):
    record = book().document(case_id)
    record["url"] = url_for("site.case_page", case_id=case_id)
    record["html"] = render_markdown(record.get("body", ""))
    return jsonify(record)
