"""The search site: one blueprint, rendering the same result objects as HTML, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from .config import Settings, settings_from_env
from .errors import NotFoundError, QueryError
from .loader import split_sections
from .precedent import summarise
from .rendering import citation, parse_legal_basis, render_markdown
from .search import SearchRequest
from .searchlog import SearchLog
from .service import Casebook
from .web_packs import packs
from .webstate import (
    SORT_LABELS,
    TYPE_LABELS,
    active_filters,
    describe,
    facet_values,
    page_links,
    request_from_args,
    state_args,
    url_for_args,
    with_args,
)

ROOT = Path(__file__).resolve().parent.parent
EXPORT_LIMIT = 1000
bp = Blueprint("site", __name__)


def book() -> Casebook:
    return current_app.extensions["casebook"]


def search_log() -> SearchLog | None:
    return current_app.extensions.get("casebook.searchlog")


def wants_json() -> bool:
    return request.path.startswith("/api/")


# -- search ---------------------------------------------------------------------------------


def _run_search(args: MultiDict, per_page: int = 10):
    """Run the search an URL asks for, relaxing it once if it found nothing."""
    casebook = book()
    search_request = request_from_args(args, casebook.taxonomy, per_page)
    result = casebook.search(search_request)
    relaxed = None
    if result.total == 0 and result.suggestions and not args.get("strict") and not wants_json():
        best = result.suggestions[0]
        relaxed_args = MultiDict(relaxation_args(args, best))
        relaxed = (best, casebook.search(request_from_args(relaxed_args, casebook.taxonomy, per_page)), relaxed_args)
    return search_request, result, relaxed


def relaxation_args(args: MultiDict, relaxation) -> list[tuple[str, str]]:
    """Return the parameters of the search a relaxation describes."""
    items = [(k, v) for k, v in state_args(args).items(multi=True)]
    if relaxation.kind == "drop_filter":
        [(name, value)] = relaxation.filters.items()
        if name == "year":
            return [(k, v) for k, v in items if k not in ("year_from", "year_to")]
        return [(k, v) for k, v in items if not (k == name and v == value)]
    if relaxation.kind in ("drop_word", "spelling"):
        return [(k, v) for k, v in items if k != "q"] + [("q", relaxation.q)]
    return [(k, v) for k, v in items if k != "match"] + [("match", "any")]


def _view(args: MultiDict, result, search_id: int | None = None) -> dict:
    """Return what the search template needs, with every URL ready."""
    taxonomy = book().taxonomy
    base = url_for_args("", state_args(args))
    hits = []
    for position, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
        link = [("from", base.lstrip("?")), ("pos", str(position))]
        if search_id:
            link.append(("sid", str(search_id)))
        path, _, anchor = hit.url.partition("#")
        hits.append({"hit": hit, "href": url_for_args(path, link) + (f"#{anchor}" if anchor else ""), "snippet": Markup(hit.snippet)})
    categories = {t.name: t.description for t in taxonomy.categories}
    outcomes = {t.name: t.description for t in taxonomy.outcomes}
    return {
        "result": result,
        "hits": hits,
        "description": describe(result, args),
        "filters": active_filters(args),
        "facets": {
            "category": facet_values(args, "category", taxonomy.choices("categories"), result.facets["category"], categories),
            "outcome": facet_values(args, "outcome", taxonomy.choices("outcomes"), result.facets["outcome"], outcomes),
        },
        "types": [(value, label, value in args.getlist("type"), with_args(args, type=None if value in args.getlist("type") else value)) for value, label in TYPE_LABELS.items()],
        "services": taxonomy.choices("services"),
        "selected_services": args.getlist("service"),
        "sorts": [(value, label, result.request.sort == value, with_args(args, sort=value if value != "relevance" else None)) for value, label in SORT_LABELS.items()],
        "pages": page_links(args, result),
        "prev_url": with_args(args, page=str(result.page - 1) if result.page > 2 else None) if result.page > 1 else None,
        "next_url": with_args(args, page=str(result.page + 1)) if result.page < result.pages else None,
        "precedent": summarise(result, taxonomy.choices("outcomes")),
        "json_url": with_args(args, "/api/search", drop=()),
        "csv_url": with_args(args, "/export.csv"),
        "clear_within_url": with_args(args, within=None),
    }


@bp.route("/")
def search_page():
    args = request.args
    search_request, result, relaxed = _run_search(args)
    log = search_log()
    search_id = None
    if log and (search_request.q or search_request.within) and search_request.page == 1:
        search_id = log.record_search(search_request.q + (" | " + search_request.within if search_request.within else ""), {k: v for k, v in search_request.filters.items() if v}, result.total)
    context = _view(args, result, search_id)
    if relaxed:
        relaxation, relaxed_result, relaxed_args = relaxed
        context["relaxed"] = {
            "label": relaxation.label,
            "count": relaxed_result.total,
            "undo_url": with_args(args, strict="1"),
            "view": _view(relaxed_args, relaxed_result, search_id),
        }
    context["suggestions"] = [
        {"label": s.label, "count": s.count, "url": url_for_args("/", relaxation_args(args, s))}
        for s in result.suggestions
        if not relaxed or s is not relaxed[0]
    ]
    context["q"] = args.get("q", "")
    context["within"] = args.get("within", "")
    context["year_from"] = args.get("year_from", "")
    context["year_to"] = args.get("year_to", "")
    context["state_hidden"] = [(k, v) for k, v in state_args(args).items(multi=True) if k not in ("q", "within", "strict")]
    return render_template("search.html", **context)


@bp.route("/export.csv")
def export_csv():
    args = MultiDict(state_args(request.args))
    args["per_page"] = "100"
    casebook = book()
    search_request = request_from_args(args, casebook.taxonomy, 100)
    rows, page = [], 1
    while len(rows) < EXPORT_LIMIT:
        result = casebook.search(SearchRequest(**{**search_request.__dict__, "page": page}))
        rows.extend(result.hits)
        if page >= result.pages:
            break
        page += 1
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["编号", "标题", "类型", "章节", "类别", "处理结果", "结案日期", "地区", "金额（元）", "链接"])
    for hit in rows[:EXPORT_LIMIT]:
        writer.writerow([
            hit.id, hit.title, TYPE_LABELS.get(hit.type, hit.type), hit.section or "", hit.category or "", hit.outcome or "",
            hit.date or "", hit.region or "", "" if hit.amount is None else f"{hit.amount:g}", request.host_url.rstrip("/") + hit.url,
        ])
    # A BOM lets Excel on Windows open the UTF-8 file with the right characters.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=casebook-results.csv"})


# -- cases ----------------------------------------------------------------------------------


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
        "bases": [(b, url_for("site.law_page", basis=b.text)) for b in bases],
        "related": related,
        "similar": casebook.searcher().similar(case_id),
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
    log = search_log()
    if log and request.args.get("sid", "").isdigit():
        log.record_click(int(request.args["sid"]), case_id)
    return render_template("case.html", **context)


def _neighbours(origin: str, pos: str) -> dict | None:
    """Return previous/next links and the back link for a case opened from a result list."""
    if not pos.isdigit() or int(pos) < 1:
        return None
    position = int(pos)
    args = MultiDict(parse_qsl(origin, keep_blank_values=False))
    casebook = book()
    try:
        base = request_from_args(args, casebook.taxonomy)
    except QueryError:
        return None
    links = {"back": url_for_args("/", [*args.items(multi=True), *([("page", str((position - 1) // base.per_page + 1))] if position > base.per_page else [])]), "position": position}
    for name, target in (("prev", position - 1), ("next", position + 1)):
        if target < 1:
            continue
        result = casebook.search(SearchRequest(**{**base.__dict__, "page": target, "per_page": 1}))
        if target <= result.total and result.hits:
            hit = result.hits[0]
            path, _, anchor = hit.url.partition("#")
            links[name] = {"title": hit.title, "href": url_for_args(path, [("from", origin), ("pos", str(target))]) + (f"#{anchor}" if anchor else "")}
        links["total"] = result.total
    return links


@bp.route("/laws/")
def laws_index():
    grouped: dict[str, list[tuple[str, int, str]]] = {}
    for basis, count in book().searcher().legal_bases():
        parsed = parse_legal_basis(basis)
        grouped.setdefault(parsed.key, []).append((parsed.article or basis, count, url_for("site.law_page", basis=basis)))
    return render_template("laws.html", grouped=sorted(grouped.items()))


@bp.route("/laws/<path:basis>")
def law_page(basis: str):
    hits = book().searcher().cited_by(basis)
    if not hits:
        abort(404, description=f"没有案例引用“{basis}”")
    return render_template("law.html", basis=parse_legal_basis(basis), hits=hits)


# -- editors --------------------------------------------------------------------------------


@bp.route("/recent")
def recent_page():
    return render_template("recent.html", changes=book().recent())



@bp.route("/insights")
def insights():
    log = search_log()
    zero, unclicked = log.report() if log else ([], [])
    link = lambda stat: url_for_args("/", [("q", stat.q), *[(k, v) for k, vs in json.loads(stat.filters).items() for v in vs]])
    return render_template("insights.html", enabled=log is not None, zero=[(s, link(s)) for s in zero], unclicked=[(s, link(s)) for s in unclicked])


# -- JSON API -------------------------------------------------------------------------------


@bp.route("/api/search")
def api_search():
    _, result, _ = _run_search(request.args)
    return jsonify(result.to_dict())


@bp.route("/api/cases/<case_id>")
def api_case(case_id: str):
    record = book().document(case_id)
    record["url"] = url_for("site.case_page", case_id=case_id)
    record["html"] = render_markdown(record.get("body", ""))
    return jsonify(record)


# -- errors and headers ---------------------------------------------------------------------


def _error(status: int, message: str, param: str | None = None):
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if param:
            body["error"]["param"] = param
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


@bp.app_errorhandler(QueryError)
def handle_query_error(exc: QueryError):
    return _error(400, str(exc), exc.param)


@bp.app_errorhandler(NotFoundError)
def handle_not_found(exc: NotFoundError):
    return _error(404, str(exc))


@bp.app_errorhandler(HTTPException)
def handle_http(exc: HTTPException):
    return _error(exc.code or 500, exc.description or exc.name)


@bp.app_errorhandler(Exception)
def handle_unexpected(exc: Exception):
    current_app.logger.exception("unexpected error on %s", request.full_path)
    return _error(500, "服务器内部错误，请稍后再试" if not wants_json() else "internal error")


CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


@bp.after_app_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# -- the application ------------------------------------------------------------------------


def make_app(settings: Settings | None = None, test_config: dict | None = None, casebook: Casebook | None = None) -> Flask:
    """Create the Flask application for a knowledge base (or for an open Casebook)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(JSON_AS_ASCII=False, SEND_FILE_MAX_AGE_DEFAULT=3600)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    if casebook is None:
        settings = settings or app.config.get("CASEBOOK_SETTINGS") or settings_from_env()
        casebook = Casebook(settings)
    app.extensions["casebook"] = casebook
    if casebook.settings.search_log:
        app.extensions["casebook.searchlog"] = SearchLog(casebook.settings.index_dir / "searchlog.sqlite")
    app.register_blueprint(bp)
    app.register_blueprint(packs)
    app.jinja_env.globals["nav"] = [("/", "案例检索"), ("/laws/", "法规索引"), ("/recent", "最近更新"), ("/packs/", "培训包"), ("/insights", "检索分析")]
    return app
