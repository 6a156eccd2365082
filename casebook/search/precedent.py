"""The precedent summary: how the matching cases ended and what was paid."""

from __future__ import annotations

from dataclasses import dataclass

from casebook.search.searcher import SearchResult


@dataclass(frozen=True)
class Precedent:
    """Outcome counts and amount statistics over all matching cases (not just one page)."""

    cases: int
    outcomes: tuple[tuple[str, int], ...]
    paid: int
    median: float | None
    low: float | None
    high: float | None

    def sentence(self) -> str:
        """Return e.g. 匹配 23 件：赔偿 12 · 补偿 5；赔偿金额中位数 300 元（50–2,000 元）."""
        text = f"匹配 {self.cases} 件"
        if self.outcomes:
            text += "：" + " · ".join(f"{name} {count}" for name, count in self.outcomes)
        if self.median is not None:
            text += f"；{self.paid} 件涉及金额，中位数 {_yuan(self.median)} 元"
            if self.low != self.high:
                text += f"（{_yuan(self.low)}–{_yuan(self.high)} 元）"
        return text


def summarise(result: SearchResult, order: tuple[str, ...]) -> Precedent | None:
    """Return the precedent summary of a result, or None when no case matched."""
    cases = sum(result.outcomes.values())
    if not cases:
        return None
    outcomes = tuple((name, result.outcomes[name]) for name in order if result.outcomes.get(name))
    paid = result.paid
    return Precedent(cases, outcomes, paid.count, paid.median, paid.low, paid.high)


def _yuan(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
