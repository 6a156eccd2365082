"""The precedent summary: how the strongly matching cases ended and what was paid.

It rests on the strong matches only (cases holding most of the query's words, or enough of
a pasted paragraph's key terms), so it describes precedents, not everything that shares one
word. Compensation (赔偿, 部分赔偿, 补偿) and refunds of fees (退还运费) are summed apart: a
returned postage is not a measure of what a loss was worth.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPENSATION = ("赔偿", "部分赔偿", "补偿")
REFUNDS = ("退还运费",)
MIN_FOR_STATISTICS = 3  # below this, amounts are listed, not summarised


@dataclass(frozen=True)
class Amounts:
    """Amounts paid in a set of cases: how many, their median and range, or each one when few."""

    count: int
    median: float | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[float, ...] = ()  # every amount, when fewer than MIN_FOR_STATISTICS

    def to_dict(self) -> dict:
        return {
            "count": self.count,
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "values": list(self.values),
        }


@dataclass(frozen=True)
class Precedent:
    """Outcome counts and amounts over the cases a result's strong matches hold."""

    cases: int
    outcomes: tuple[tuple[str, int], ...]  # in the taxonomy's order
    compensation: Amounts
    refunds: Amounts

    def to_dict(self) -> dict:
        return {
            "cases": self.cases,
            "outcomes": dict(self.outcomes),
            "compensation": self.compensation.to_dict(),
            "refunds": self.refunds.to_dict(),
        }


def amounts(values: list[float], stats) -> Amounts:
    """Return Amounts from every value (when few) or from precomputed statistics."""
    if stats.count < MIN_FOR_STATISTICS:
        return Amounts(stats.count, values=tuple(sorted(values)))
    return Amounts(stats.count, stats.median, stats.low, stats.high)


def summarise(docsets, strong: int, matching: int) -> Precedent | None:
    """Return outcome counts and amounts over the strongly matching cases (or, when only
    manuals match strongly, over every matching case); None when no case matched."""
    kind = docsets.term("kind", "case")
    cases = strong & kind or matching & kind
    count = cases.bit_count()
    if not count:
        return None
    outcomes = docsets.counts(cases, "outcome")
    summaries = []
    for group in (COMPENSATION, REFUNDS):
        paid = cases & docsets.any_of("outcome", group)
        stats = docsets.amount_stats(paid)
        summaries.append(amounts(docsets.amounts(paid) if stats.count < MIN_FOR_STATISTICS else [], stats))
    return Precedent(count, tuple(outcomes.items()), *summaries)
