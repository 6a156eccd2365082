"""Search views: the result page, its CSV export and its JSON twin, one result rendered three ways."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import quote as urlquote

from flask import Response, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from casebook.search.results import SearchRequest
from casebook.web.api import case_path, result_json
from casebook.web.context import book, bp, search_log
from casebook.web.precedent import summary
from casebook.web.state import (
    PER_PAGE_CHOICES,
    SORT_LABELS,
    TYPE_LABELS,
    active_filters,
    describe,
    effective_sort,
    facet_values,
    page_links,
    request_from_args,
    state_args,
    url_for_args,
    with_args,
)

EXPORT_LIMIT = 1000


def _run_search(args: MultiDict, per_page: int = 10):
    """Run the search an URL asks for (loosened once if it found nothing, unless `strict`).

    Returns the request, the result, and the URL parameters of the result shown: the
    loosened search's when it was loosened, so facets, pages and exports describe it.
    """
    casebook = book()
    search_request = request_from_args(args, casebook.taxonomy, per_page)
    result = casebook.search(search_request, relax=not args.get("strict"))
    shown = MultiDict(relaxation_args(args, result.relaxed)) if result.relaxed else args
    return search_request, result, shown


def relaxation_args(args: MultiDict, relaxation) -> list[tuple[str, str]]:
    """Return the parameters of the search a relaxation describes."""
    items = [(k, v) for k, v in state_args(args).items(multi=True)]
    if relaxation.kind == "drop_filter":
        [(name, value)] = relaxation.filters.items()
        if name in ("year", "amount"):
            dropped = ("year_from", "year_to") if name == "year" else ("amount_min", "amount_max")
            return [(k, v) for k, v in items if k not in dropped]
        return [(k, v) for k, v in items if not (k == name and v == value)]
    return [(k, v) for k, v in items if k != "q"] + [("q", relaxation.q)]


def _view(args: MultiDict, result, search_id: int | None = None) -> dict:
    """Return what the search template needs, with every URL ready."""
    taxonomy = book().taxonomy
    base = url_for_args("", state_args(args))
    hits = []
    for position, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
        link = [("from", base.lstrip("?")), ("pos", str(position))]
        if search_id:
            link.append(("sid", str(search_id)))
        href = url_for_args(case_path(hit.id), link)
        hits.append(
            {
                "hit": hit,
                "href": href + (f"#{hit.anchor}" if hit.anchor else ""),
                "snippet": Markup(hit.snippet),
                "sections": [(s.title, f"{href}#{s.anchor}") for s in hit.sections],
            }
        )
    categories = {t.name: t.description for t in taxonomy.categories}
    outcomes = {t.name: t.description for t in taxonomy.outcomes}
    return {
        "result": result,
        "hits": hits,
        "description": describe(result, args),
        "filters": active_filters(args),
        "facets": {
            "category": facet_values(
                args, "category", taxonomy.choices("categories"), result.facets["category"], categories
            ),
            "outcome": facet_values(args, "outcome", taxonomy.choices("outcomes"), result.facets["outcome"], outcomes),
            **{
                name: facet_values(
                    args,
                    name,
                    tuple(dict.fromkeys([*result.facets.get(name, {}), *args.getlist(name)])),
                    result.facets.get(name, {}),
                )
                for name in ("province", "channel", "insured")
            },
        },
        "types": [
            (
                value,
                label,
                value in args.getlist("type"),
                with_args(args, type=None if value in args.getlist("type") else value),
                result.facets.get("type", {}).get(value, 0),
            )
            for value, label in TYPE_LABELS.items()
        ],
        "services": taxonomy.choices("services"),
        "selected_services": args.getlist("service"),
        "sorts": [
            (
                value,
                label,
                effective_sort(result) == value,
                with_args(args, sort=value if value != "relevance" else None),
            )
            for value, label in SORT_LABELS.items()
            if value != "relevance" or result.request.q.strip() or result.request.within.strip()
        ],
        "per_pages": [
            (n, n == result.per_page, with_args(args, per_page=str(n) if n != 10 else None)) for n in PER_PAGE_CHOICES
        ],
        "beyond_last": result.page > result.pages,
        "last_page_url": with_args(args, page=str(result.pages) if result.pages > 1 else None),
        "pages": page_links(args, result),
        "prev_url": with_args(args, page=str(result.page - 1) if result.page > 2 else None)
        if result.page > 1
        else None,
        "next_url": with_args(args, page=str(result.page + 1)) if result.page < result.pages else None,
        "precedent": summary(result, taxonomy.choices("outcomes"), args),
        "json_url": with_args(args, "/api/search", drop=()),
        "csv_url": with_args(args, "/export.csv"),
        "clear_within_url": with_args(args, within=None),
    }


@bp.route("/")
def search_page():
    args = request.args
    search_request, result, shown = _run_search(args)
    log = search_log()
    search_id = None
    if log and (search_request.q or search_request.within) and search_request.page == 1:
        search_id = log.record_search(
            search_request.q + (" | " + search_request.within if search_request.within else ""),
            {k: v for k, v in search_request.filters.items() if v},
            result.total,
        )
    context = _view(shown, result, search_id)
    if result.relaxed:
        context["relaxed"] = {
            "label": result.relaxed.label,
            "count": result.total,
            "undo_url": with_args(args, strict="1"),
        }
    context["suggestions"] = [
        {"label": s.label, "count": s.count, "url": url_for_args("/", relaxation_args(args, s))}
        for s in result.suggestions
    ]
    context["spelling"] = [
        {"label": s.label, "count": s.count, "url": url_for_args("/", relaxation_args(args, s))}
        for s in result.spelling
    ]
    # A waybill or phone number is never in a case (the privacy guard keeps it out): say why.
    context["ignored_numbers"] = any(sum(c.isdigit() for c in word) >= 7 for word in result.ignored)
    context["q"] = args.get("q", "")
    context["within"] = args.get("within", "")
    context["year_from"] = args.get("year_from", "")
    context["year_to"] = args.get("year_to", "")
    context["amount_min"] = args.get("amount_min", "")
    context["amount_max"] = args.get("amount_max", "")
    # The top box starts a new search: it keeps the filters and the order, never "search within".
    context["state_hidden"] = [
        (k, v) for k, v in state_args(args).items(multi=True) if k not in ("q", "within", "strict")
    ]
    context["autofocus"] = not args
    context["saved_url"] = url_for_args("/", state_args(args))
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
    base_url = casebook.settings.base_url  # never the Host header, which a client chooses
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "编号",
            "标题",
            "类型",
            "章节",
            "类别",
            "处理结果",
            "结案日期",
            "地区",
            "金额（元）",
            "摘要",
            "法律依据",
            "链接",
        ]
    )
    records: dict[str, dict] = {}
    for hit in rows[:EXPORT_LIMIT]:
        if hit.id not in records:
            records[hit.id] = casebook.document(hit.id)
        record = records[hit.id]
        writer.writerow(
            neutralise(cell)
            for cell in [
                hit.id,
                hit.title,
                TYPE_LABELS.get(hit.type, hit.type),
                hit.section or "",
                hit.category or "",
                hit.outcome or "",
                hit.date or "",
                hit.region or "",
                "" if hit.amount is None else f"{hit.amount:g}",
                str(record.get("summary") or ""),
                "；".join(str(b) for b in record.get("legal_basis") or []),
                base_url + case_path(hit.id, hit.anchor),
            ]
        )
    # A BOM lets Excel on Windows open the UTF-8 file with the right characters.
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": export_disposition(search_request.q, "csv")},
    )


def export_disposition(query: str, suffix: str) -> str:
    """Return an attachment header naming the file after the query and today's date."""
    words = re.sub(r"[^\w\u4e00-\u9fff]+", "_", query).strip("_")[:40]
    day = dt.date.today().isoformat()
    name = f"申诉案例库-{words + '-' if words else ''}{day}.{suffix}"
    return f"attachment; filename=casebook-{day}.{suffix}; filename*=UTF-8''{urlquote(name)}"


# OWASP's CSV injection rule: a spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(cell: str) -> str:
    """Return a CSV cell that Excel and WPS show as text, never run as a formula."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


@bp.route("/api/search")
def api_search():
    _, result, _ = _run_search(request.args)
    return jsonify(result_json(result))
