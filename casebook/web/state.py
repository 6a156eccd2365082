"""The search state of the site: URL parameters in, a SearchRequest and ready-made links out.

Templates never build query strings: every facet value, filter description and page link
carries its URL from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from casebook.content.taxonomy import Taxonomy
from casebook.errors import QueryError
from casebook.search.results import FILTERS
from casebook.search.searcher import SearchRequest, SearchResult
from casebook.web.limits import whole_number

STATE_KEYS = (
    "q",
    "within",
    "category",
    "outcome",
    "type",
    "service",
    "province",
    "channel",
    "insured",
    "year_from",
    "year_to",
    "amount_min",
    "amount_max",
    "sort",
    "match",
    "strict",
    "per_page",
)
TYPE_LABELS = {"case": "案例", "manual": "手册"}
SORT_LABELS = {
    "relevance": "相关度",
    "date": "日期：新→旧",
    "date_asc": "日期：旧→新",
    "amount": "金额：高→低",
    "amount_asc": "金额：低→高",
}
SORT_PHRASES = {
    "date": "结案日期从新到旧",
    "date_asc": "结案日期从旧到新",
    "amount": "金额从高到低",
    "amount_asc": "金额从低到高",
}
PER_PAGE_CHOICES = (10, 20, 50)
FILTER_LABELS = (
    ("category", "类别"),
    ("outcome", "处理结果"),
    ("type", "类型"),
    ("service", "业务"),
    ("province", "省份"),
    ("channel", "申诉渠道"),
    ("insured", "保价"),
)


def _int(args: MultiDict, name: str, default: int | None) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    value = whole_number(raw.removeprefix("-"))
    if value is None:
        raise QueryError(f"{name}：应为整数，收到的是“{raw[:40]}”", name)
    return -value if raw.startswith("-") else value


def _amount(args: MultiDict, name: str) -> float | None:
    raw = args.get(name, "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise QueryError(f"{name}：应为以元计的金额，例如 500，收到的是“{raw[:40]}”", name) from None


def _ordered(low, high):
    """Return a range's ends in order: a reversed range means the same span, not nothing."""
    return (high, low) if low is not None and high is not None and low > high else (low, high)


def request_from_args(args: MultiDict, taxonomy: Taxonomy, per_page: int = 10) -> SearchRequest:
    """Read a SearchRequest from URL parameters; raise QueryError naming a bad parameter."""
    values = {}
    for name, attr in FILTERS.items():
        chosen = tuple(dict.fromkeys(v for v in args.getlist(name) if v.strip()))
        allowed = {
            "category": taxonomy.choices("categories"),
            "outcome": taxonomy.choices("outcomes"),
            "type": ("case", "manual"),
            "service": taxonomy.choices("services"),
            "insured": ("是", "否"),
        }.get(name)
        for value in chosen:
            if allowed is not None and value not in allowed:
                raise QueryError(f"{name}：应为（{'、'.join(allowed)}）之一，收到的是“{value[:40]}”", name)
        values[attr] = chosen
    year_from, year_to = _ordered(_int(args, "year_from", None), _int(args, "year_to", None))
    amount_min, amount_max = _ordered(_amount(args, "amount_min"), _amount(args, "amount_max"))
    request = SearchRequest(
        q=args.get("q", ""),
        within=args.get("within", ""),
        year_from=year_from,
        year_to=year_to,
        amount_min=amount_min,
        amount_max=amount_max,
        sort=args.get("sort", "relevance") or "relevance",
        match=args.get("match", "auto") or "auto",
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", per_page),
        **values,
    )
    return request.validated()


def state_args(args: MultiDict) -> MultiDict:
    """Return only the parameters that define a search (no page, no tracking), each pair once."""
    pairs = dict.fromkeys((k, v) for k, v in args.items(multi=True) if k in STATE_KEYS and v != "")
    return MultiDict(list(pairs))


def url_for_args(path: str, args: MultiDict | list) -> str:
    """Return `path` with the given parameters as its query string (as urlencode writes it)."""
    items = args.items(multi=True) if isinstance(args, MultiDict) else args
    query = "&".join(_encoded(str(k), str(v)) for k, v in items if v not in ("", None))
    return f"{path}?{query}" if query else path


@functools.lru_cache(maxsize=4096)
def _encoded(key: str, value: str) -> str:
    """Return one parameter as urlencode writes it: a results page links ~90 URLs of the same few."""
    return urlencode([(key, value)])


def with_args(args: MultiDict, path: str = "/", drop: tuple = ("page",), **changes) -> str:
    """Return a URL for the current state with some parameters replaced (None removes)."""
    new = MultiDict([(k, v) for k, v in state_args(args).items(multi=True) if k not in changes and k not in drop])
    for key, value in changes.items():
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            new.add(key, item)
    return url_for_args(path, new)


def toggled(args: MultiDict, name: str, value: str) -> str:
    """Return the URL that adds or removes one value of a multi-valued filter."""
    current = list(dict.fromkeys(args.getlist(name)))
    new = [v for v in current if v != value] if value in current else current + [value]
    return with_args(args, **{name: new})


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet as the page shows it."""

    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str
    description: str = ""


def facet_values(
    args: MultiDict, name: str, order: tuple[str, ...], counts: dict[str, int], descriptions: dict | None = None
) -> list[FacetValue]:
    """Return the facet values in taxonomy order, each with its count and toggle URL."""
    selected = set(args.getlist(name))
    out = []
    for value in order:
        count = counts.get(value, 0)
        if count or value in selected:
            out.append(
                FacetValue(
                    value,
                    value,
                    count,
                    value in selected,
                    toggled(args, name, value),
                    (descriptions or {}).get(value, ""),
                )
            )
    return out


@dataclass(frozen=True)
class ActiveFilter:
    """An active filter in the sentence that describes the search, with its removal link."""

    label: str
    remove_url: str


def _yuan(value: str) -> str:
    try:
        return f"{float(value):,g}"
    except ValueError:
        return value


def active_filters(args: MultiDict) -> list[ActiveFilter]:
    """Return the active filters, each removable on its own."""
    out = []
    for name, label in FILTER_LABELS:
        for value in dict.fromkeys(args.getlist(name)):
            shown = TYPE_LABELS.get(value, value)
            out.append(ActiveFilter(f"{label}为“{shown}”", toggled(args, name, value)))
    out.extend(_ranges(args))
    if args.get("within"):
        out.append(ActiveFilter(f"在结果中检索“{args.get('within')}”（含同义词）", with_args(args, within=None)))
    return out


def _ranges(args: MultiDict) -> list[ActiveFilter]:
    out = []
    low, high = _ordered_text(args.get("year_from", ""), args.get("year_to", ""))
    if low or high:
        text = f"{low}–{high} 年结案" if low and high else (f"{low} 年及以后结案" if low else f"{high} 年及以前结案")
        out.append(ActiveFilter(text, with_args(args, year_from=None, year_to=None)))
    low, high = _ordered_text(args.get("amount_min", ""), args.get("amount_max", ""))
    if low or high:
        if low and high:
            text = f"金额 {_yuan(low)}–{_yuan(high)} 元"
        else:
            text = f"金额不少于 {_yuan(low)} 元" if low else f"金额不超过 {_yuan(high)} 元"
        out.append(ActiveFilter(text, with_args(args, amount_min=None, amount_max=None)))
    return out


def _ordered_text(low: str, high: str) -> tuple[str, str]:
    try:
        return _ordered(low, high) if low and high and float(low) > float(high) else (low, high)
    except ValueError:
        return low, high


def describe(result: SearchResult, args: MultiDict) -> str:
    """Return one sentence describing the search, e.g. 关键词“快递柜”，类别为“投递服务”或“损毁”：共 3 条。"""
    parts = []
    if result.mode == "paragraph":
        quoted = result.query if len(result.query) <= 24 else result.query[:24] + "……"
        parts.append(f"长文本“{quoted}”")
    elif result.query:
        parts.append(f"关键词“{result.query}”")
    for name, label in FILTER_LABELS:
        values = [f"“{TYPE_LABELS.get(v, v)}”" for v in dict.fromkeys(args.getlist(name))]
        if values:
            parts.append(f"{label}为" + "或".join(values))  # values of one filter: any of them
    parts.extend(f.label for f in _ranges(args))
    if args.get("within"):
        parts.append(f"在结果中检索“{args.get('within')}”（含同义词）")
    head = "，".join(parts) if parts else "全部案例和手册"
    sort = effective_sort(result)
    order = f"，按{SORT_PHRASES[sort]}排序" if sort in SORT_PHRASES else ""
    return f"{head}：共 {result.total} 条{order}。"


def effective_sort(result: SearchResult) -> str:
    """Return the order the hits are really in: a search without words lists newest first."""
    request = result.request
    if request.sort == "relevance" and not (request.q.strip() or request.within.strip()):
        return "date"
    return request.sort


@dataclass(frozen=True)
class PageLink:
    number: int
    url: str
    current: bool


def page_links(args: MultiDict, result: SearchResult, path: str = "/") -> list[PageLink]:
    """Return links to the pages around the current one (at most nine)."""
    first = max(1, min(result.page - 4, result.pages - 8))
    last = min(result.pages, first + 8)
    return [
        PageLink(n, with_args(args, path, page=str(n) if n > 1 else None), n == result.page)
        for n in range(first, last + 1)
    ]
