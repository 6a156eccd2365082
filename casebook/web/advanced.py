"""Advanced search (高级检索) and the favourites page.

The advanced form writes the same URL the query syntax does (`标题:丢失 案情:快递柜`, filters as
parameters), so every advanced search is an ordinary, shareable result link.
"""

from __future__ import annotations

from flask import redirect, render_template, request
from werkzeug.datastructures import MultiDict

from casebook.web.context import book, bp
from casebook.web.state import url_for_args

# Form field -> the scope its words are searched in (None: anywhere).
SCOPED_FIELDS = (
    ("all", None, "全文"),
    ("title", "标题", "标题"),
    ("facts", "案情", "基本案情"),
    ("result", "结果", "处理结果"),
)
PASSED = (
    "category",
    "outcome",
    "province",
    "channel",
    "insured",
    "service",
    "type",
    "year_from",
    "year_to",
    "amount_min",
    "amount_max",
    "sort",
)


def query_from_form(form: MultiDict) -> str:
    """Return the query-syntax text for the advanced form's word fields."""
    parts = []
    for name, scope, _ in SCOPED_FIELDS:
        for word in form.get(name, "").split():
            negated = word.startswith("-") and len(word) > 1
            word = word[1:] if negated else word
            parts.append(("-" if negated else "") + (f"{scope}:" if scope else "") + word)
    parts.extend(form.get("legal", "").split())  # a cited rule is searched as words, as typed
    for word in form.get("exclude", "").split():
        parts.append("-" + word.lstrip("-"))
    return " ".join(parts)


def advanced_url(form: MultiDict) -> str:
    """Return the result-page URL the advanced form asks for."""
    items = [("q", query_from_form(form))]
    items.extend((k, v.strip()) for k in PASSED for v in form.getlist(k) if v.strip())
    return url_for_args("/", items)


@bp.route("/advanced")
def advanced_page():
    if request.args.get("go"):
        return redirect(advanced_url(request.args), code=303)
    casebook = book()
    taxonomy = casebook.taxonomy
    docsets = casebook.searcher().docsets
    return render_template(
        "advanced.html",
        fields=SCOPED_FIELDS,
        categories=taxonomy.choices("categories"),
        outcomes=taxonomy.choices("outcomes"),
        services=taxonomy.choices("services"),
        provinces=docsets.values("province"),
        channels=docsets.values("channel"),
    )


@bp.route("/favourites")
def favourites_page():
    return render_template("favourites.html")
