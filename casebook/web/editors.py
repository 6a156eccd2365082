"""Editors' pages: recent changes and the search-log insights."""

from __future__ import annotations

import json

from flask import current_app, render_template

from casebook.web.context import book, bp, search_log
from casebook.web.searchlog import SearchLogUnavailable
from casebook.web.state import FILTER_LABELS, TYPE_LABELS, url_for_args


@bp.route("/recent")
def recent_page():
    return render_template("recent.html", changes=book().recent())


@bp.route("/insights")
def insights():
    log = search_log()
    unavailable = None
    try:
        zero, unclicked = log.report() if log else ([], [])
    except SearchLogUnavailable as exc:
        current_app.logger.warning("search log %s cannot be read: %s", log.path, exc)
        zero, unclicked, unavailable = [], [], True

    def link(stat) -> str:
        return url_for_args("/", [("q", stat.q), *[(k, v) for k, vs in json.loads(stat.filters).items() for v in vs]])

    def label(stat) -> str:
        """Say the filters in words: 类别：延误、损毁；省份：浙江省."""
        names = dict(FILTER_LABELS)
        return "；".join(
            f"{names.get(k, k)}：{'、'.join(TYPE_LABELS.get(v, v) for v in vs)}"
            for k, vs in json.loads(stat.filters).items()
            if vs
        )

    return render_template(
        "insights.html",
        enabled=log is not None,
        unavailable=unavailable,
        lost=log.lost if log else 0,
        zero=[(s, link(s), label(s)) for s in zero],
        unclicked=[(s, link(s), label(s)) for s in unclicked],
    )
