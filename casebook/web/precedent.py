"""The precedent summary as the result page shows it: one sentence, each outcome a link."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from casebook.search.precedent import Amounts
from casebook.search.results import SearchResult
from casebook.web.state import with_args


@dataclass(frozen=True)
class PrecedentView:
    """What the template shows: the basis, outcome links, and the amounts in words."""

    basis: str  # e.g. 基于最相关的 12 件案例
    outcomes: tuple[tuple[str, int, str], ...]  # (outcome, count, url of the filtered search)
    amounts: tuple[str, ...]  # e.g. 赔偿、补偿 8 件：中位数 300 元（50–2,000 元）


def summary(result: SearchResult, order: tuple[str, ...], args: MultiDict) -> PrecedentView | None:
    """Return the precedent summary of a result for the page, or None when no case matched."""
    precedent = result.precedent
    if precedent is None:
        return None
    counts = dict(precedent.outcomes)
    outcomes = tuple((name, counts[name], with_args(args, outcome=name)) for name in order if counts.get(name))
    if result.mode == "browse":
        basis = f"共 {precedent.cases} 件案例"
    elif result.strong < result.total:
        basis = f"基于最相关的 {precedent.cases} 件案例"
    else:
        basis = f"基于 {precedent.cases} 件案例"
    amounts = []
    for label, paid in (("赔偿、补偿", precedent.compensation), ("退还运费", precedent.refunds)):
        if paid.count:
            amounts.append(f"{label} {paid.count} 件：{describe_amounts(paid)}")
    return PrecedentView(basis, outcomes, tuple(amounts))


def describe_amounts(paid: Amounts) -> str:
    """Return amounts in words: the median and range from three amounts up, else each amount."""
    if paid.values or paid.median is None:
        return "、".join(f"{yuan(v)} 元" for v in paid.values)
    text = f"中位数 {yuan(paid.median)} 元"
    if paid.low != paid.high:
        text += f"（{yuan(paid.low)}–{yuan(paid.high)} 元）"
    return text


def yuan(value: float) -> str:
    """Return an amount as 1,234 or 1,234.50."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
