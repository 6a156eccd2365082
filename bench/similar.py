"""Measure similar cases (类案) on judged pairs: precision@5 and nDCG@5, against a text-only baseline.

Run from the repository root:

    .venv/bin/python bench/similar.py [--cases DIR] [--pairs FILE]

bench/similar.yaml lists source cases and, for each, the other cases a handler would want as
precedents (2: same rule or situation, 1: related), judged from the case files alone. In one run,
on the same index, it scores Casebook's similar cases (key terms, shared legal bases, category)
and Whoosh's own more-like-this on the case's title and facts (what Casebook used before).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
K = 5


def precision(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    """Return the share of the top k that is judged similar (grade 1 or 2)."""
    return sum(1 for case_id in ranked[:k] if judged.get(case_id, 0) > 0) / k


def ndcg(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    """Return nDCG@k of a ranking against graded judgments."""

    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))

    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    return dcg([judged.get(c, 0) for c in ranked[:k]]) / ideal if ideal else 0.0


def whoosh_more_like(searcher, case_id: str, k: int) -> list[str]:
    """Return Whoosh's more-like-this on the title and facts, as Casebook did before."""
    from whoosh.query import Term

    whoosh = searcher.searcher
    docnum = whoosh.document_number(key=case_id)
    stored = whoosh.stored_fields(docnum)
    text = f"{stored.get('title', '')}\n{stored.get('facts') or stored.get('content') or ''}"
    hits = whoosh.more_like(docnum, "text", text=text, top=k + 1, numterms=12, filter=Term("kind", "case"))
    return [hit["id"] for hit in hits if hit["id"] != case_id][:k]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description="Score similar cases on judged pairs (precision@5, nDCG@5).")
    parser.add_argument("--cases", type=Path, default=ROOT / "cases")
    parser.add_argument("--pairs", type=Path, default=Path(__file__).resolve().parent / "similar.yaml")
    args = parser.parse_args(argv)
    from casebook.config import Settings
    from casebook.service import Casebook

    sources = yaml.safe_load(args.pairs.read_text(encoding="utf-8"))["sources"]
    with tempfile.TemporaryDirectory(prefix="casebook-similar-") as tmp:
        book = Casebook(Settings(cases_dir=args.cases, index_dir=Path(tmp), search_log=False))
        book.update_index(full=True)
        searcher = book.searcher()
        systems = {
            "Casebook (key terms + legal bases + category)": lambda c: [r["id"] for r in searcher.similar(c, K)],
            "Whoosh more_like (title + facts)": lambda c: whoosh_more_like(searcher, c, K),
        }
        print(f"Similar cases on {len(sources)} judged source cases, k={K}\n")
        print(f"{'system':<48}{'P@5':>7}{'nDCG@5':>9}")
        for label, similar in systems.items():
            p, n = [], []
            for source in sources:
                ranked = similar(source["id"])
                p.append(precision(ranked, source["similar"]))
                n.append(ndcg(ranked, source["similar"]))
            print(f"{label:<48}{sum(p) / len(p):>7.3f}{sum(n) / len(n):>9.3f}")
        book.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
