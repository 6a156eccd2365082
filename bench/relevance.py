"""Measure search quality on judged queries: Casebook against two stock baselines.

Run from the repository root:

    .venv/bin/python bench/relevance.py [--cases DIR] [--queries FILE] [--per-query] [--json]

In one run, on the same files, the cases are indexed in temporary directories by:

- Casebook itself (rjieba, and jieba as the selectable fallback segmenter), searched as the
  CLI and the API search (a search that finds nothing is loosened once, as the site shows it);
- SQLite FTS5 over jieba-segmented text (search mode), the query's words OR-ed, ranked by bm25;
- stock Whoosh with jieba's bundled `ChineseAnalyzer`, the query's words as an OR group;
- stock Whoosh with jieba's `ChineseAnalyzer` and the default query parser (AND);
- SQLite FTS5 with the `trigram` tokenizer (LIKE for words under three characters).

Judged sets on the shipped cases: bench/queries.yaml (the development set, written with the
code), bench/colloquial.yaml (the public's own words, a development set too) and
bench/blind.yaml (written by someone who read only the case files and the product brief,
never the search code or its results; `--queries bench/blind.yaml`). bench/unseen/ holds two
knowledge bases with their own judged queries (`--cases bench/unseen/b/cases --queries
bench/unseen/b/queries.yaml`); see bench/unseen/README.md. Each system returns its
top k (10) per query; the script prints mean nDCG@k and recall@k per system (recall over
documents graded 1 or 2), per kind of query when the set names kinds, how many queries found
nothing, and how many top-k lists hold a document twice. Keys are case ids, or `ID#anchor` for
a manual section; a set whose keys never name a section is scored per document (a manual's
sections count as the manual, once, where it first appears).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sqlite3
import sys
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT / "cases"
DEFAULT_QUERIES = Path(__file__).resolve().parent / "queries.yaml"
K = 10
GRADES = (0, 1, 2)


@dataclass(frozen=True)
class Query:
    """One judged query: what was typed, its filters, and the grade of each judged document."""

    q: str
    kind: str = ""
    categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    judgments: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        filters = [
            f"{name}={'|'.join(values)}"
            for name, values in (("category", self.categories), ("outcome", self.outcomes))
            if values
        ]
        return " ".join([self.q, *(f"[{f}]" for f in filters)])


@dataclass(frozen=True)
class Document:
    """What the baselines index: one case, or one section of a manual."""

    key: str
    title: str
    body: str
    category: str | None = None
    outcome: str | None = None


Search = Callable[[Query], list[str]]
# A system: (cases dir, private work dir, documents, k) -> its search function and a close function.
Builder = Callable[[Path, Path, list[Document], int], tuple[Search, Callable[[], None]]]


# --- the judged queries and the documents -----------------------------------------------------


def load_queries(path: Path) -> list[Query]:
    """Read the judged queries; raise ValueError naming the first malformed entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for number, entry in enumerate(data.get("queries") or [], start=1):
        where = f"{path}: query {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("q"), str) or not entry["q"].strip():
            raise ValueError(f"{where}: expected a mapping with a non-empty 'q'")
        judgments = entry.get("judgments")
        if not isinstance(judgments, dict) or not judgments:
            raise ValueError(f"{where} ({entry['q']}): expected a non-empty 'judgments' mapping")
        for name in ("category", "outcome"):
            values = entry.get(name, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{where} ({entry['q']}): {name}: expected a list of names but received: {values!r}")
        out.append(
            Query(
                q=entry["q"],
                kind=str(entry.get("kind", "")),
                categories=tuple(entry.get("category", [])),
                outcomes=tuple(entry.get("outcome", [])),
                judgments={str(key): grade for key, grade in judgments.items()},
            )
        )
    return out


def load_documents(cases_dir: Path) -> list[Document]:
    """Load the cases as Casebook reads them: one document per case and per manual section."""
    from casebook.content.loader import load_tree
    from casebook.content.taxonomy import load_taxonomy

    result = load_tree(cases_dir, load_taxonomy(cases_dir))
    docs = []
    for case in result.cases:
        if case.type == "manual":
            for section in case.sections:
                docs.append(Document(f"{case.id}#{section.anchor}", f"{case.title} {section.title}", section.text))
            continue
        # body = all the text of the case: the front-matter words a reader sees, then the body.
        front = [case.subcategory or "", case.summary or "", " ".join(case.tags), " ".join(case.legal_basis)]
        body = "\n".join([*(part for part in front if part), case.body])
        docs.append(Document(case.id, case.title, body, case.category, case.outcome))
    return docs


def unknown_keys(queries: list[Query], documents: list[Document]) -> list[str]:
    """Return one line per judged key that names no document, and per grade outside 0-2."""
    keys = {doc.key for doc in documents} | {doc.key.partition("#")[0] for doc in documents}
    problems = []
    for query in queries:
        for key, grade in query.judgments.items():
            if key not in keys:
                problems.append(f"{query.label}: unknown document key '{key}'")
            if type(grade) is not int or grade not in GRADES:
                problems.append(f"{query.label}: {key}: expected a grade in {GRADES} but received: {grade!r}")
    return problems


# --- metrics -------------------------------------------------------------------------------------


def by_document(ranked: list[str]) -> list[str]:
    """Return a ranking with manual sections counted as their manual, once, where first ranked."""
    return list(dict.fromkeys(key.partition("#")[0] for key in ranked))


def per_document(queries: list[Query]) -> list[Query]:
    """Return the queries with sections' grades given to their manual (the best grade of its sections)."""
    out = []
    for query in queries:
        judgments: dict[str, int] = {}
        for key, grade in query.judgments.items():
            doc = key.partition("#")[0]
            judgments[doc] = max(grade, judgments.get(doc, 0))
        out.append(Query(query.q, query.kind, query.categories, query.outcomes, judgments))
    return out


def section_level(queries: list[Query]) -> bool:
    """Say whether a judged set grades manual sections (else whole documents)."""
    return any("#" in key for q in queries for key in q.judgments)


def dcg(grades: list[int]) -> float:
    """Return the discounted cumulative gain of grades in rank order (gain 2^g - 1)."""
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def ndcg_at_k(ranked: list[str], judgments: dict[str, int], k: int = K) -> float:
    """Return nDCG@k of a ranked list of keys against graded judgments (0.0 if none is relevant)."""
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judgments.get(key, 0) for key in ranked[:k]]) / ideal


def recall_at_k(ranked: list[str], judgments: dict[str, int], k: int = K) -> float:
    """Return the share of documents graded 1 or more that appear in the top k."""
    relevant = {key for key, grade in judgments.items() if grade >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


# --- the systems ---------------------------------------------------------------------------------


def quiet_jieba() -> None:
    """Import jieba without its noise: pkg_resources warnings, the open idf.txt, DEBUG logging."""
    with warnings.catch_warnings():
        # jieba 0.42.1 imports pkg_resources (a deprecation warning with setuptools 70-81), and
        # importing jieba.analyse leaves its idf.txt open (a ResourceWarning).
        warnings.simplefilter("ignore")
        import jieba
        import jieba.analyse  # noqa: F401

    jieba.setLogLevel(logging.WARNING)


def casebook_system(segmenter: str) -> Builder:
    """Return a builder for Casebook with the given segmenter, searched as the site searches."""

    def build(cases_dir: Path, workdir: Path, documents: list[Document], k: int):
        from casebook.config import Settings
        from casebook.search.results import SearchRequest
        from casebook.service import Casebook

        if segmenter == "jieba":
            quiet_jieba()
        book = Casebook(Settings(cases_dir=cases_dir, index_dir=workdir, segmenter=segmenter, search_log=False))
        report = book.update_index(full=True)
        if report.skipped:
            print(f"casebook ({segmenter}): skipped {len(report.skipped)} invalid files", file=sys.stderr)

        def search(query: Query) -> list[str]:
            request = SearchRequest(q=query.q, categories=query.categories, outcomes=query.outcomes, per_page=k)
            return [f"{hit.id}#{hit.anchor}" if hit.anchor else hit.id for hit in book.search(request).hits]

        return search, book.close

    return build


def whoosh_jieba_or_system(cases_dir: Path, workdir: Path, documents: list[Document], k: int):
    """Stock Whoosh: jieba's ChineseAnalyzer on title and body, the query's words as an OR group."""
    return whoosh_jieba_system(cases_dir, workdir, documents, k, grouped=True)


def whoosh_jieba_system(cases_dir: Path, workdir: Path, documents: list[Document], k: int, grouped: bool = False):
    """Stock Whoosh: jieba's ChineseAnalyzer on title and body, the default parser (AND)."""
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser, OrGroup
    from whoosh.query import And, Or, Term

    quiet_jieba()
    from jieba.analyse import ChineseAnalyzer

    schema = Schema(
        key=ID(stored=True, unique=True),
        category=ID,
        outcome=ID,
        title=TEXT(analyzer=ChineseAnalyzer()),
        body=TEXT(analyzer=ChineseAnalyzer()),
    )
    ix = whoosh_index.create_in(str(workdir), schema)
    writer = ix.writer()
    for doc in documents:
        fields = {"key": doc.key, "title": doc.title, "body": doc.body}
        fields.update({name: value for name, value in (("category", doc.category), ("outcome", doc.outcome)) if value})
        writer.add_document(**fields)
    writer.commit()
    searcher = ix.searcher()
    parser = (
        MultifieldParser(["title", "body"], schema, group=OrGroup)
        if grouped
        else MultifieldParser(["title", "body"], schema)
    )

    def search(query: Query) -> list[str]:
        filters = [
            Or([Term(name, v) for v in values])
            for name, values in (("category", query.categories), ("outcome", query.outcomes))
            if values
        ]
        results = searcher.search(parser.parse(query.q), filter=And(filters) if filters else None, limit=k)
        return [hit["key"] for hit in results]

    def close() -> None:
        searcher.close()
        ix.close()

    return search, close


def fts5_trigram_system(cases_dir: Path, workdir: Path, documents: list[Document], k: int):
    """SQLite FTS5 trigram: words of 3+ characters as MATCH terms (bm25), shorter ones as LIKE."""
    con = sqlite3.connect(workdir / "fts5.sqlite")
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5("
        "key UNINDEXED, category UNINDEXED, outcome UNINDEXED, title, body, tokenize='trigram')"
    )
    con.executemany(
        "INSERT INTO docs (key, category, outcome, title, body) VALUES (?, ?, ?, ?, ?)",
        [(d.key, d.category, d.outcome, d.title, d.body) for d in documents],
    )
    con.commit()

    def search(query: Query) -> list[str]:
        words = query.q.split()
        matched = [w for w in words if len(w) >= 3]
        where, params = [], []
        if matched:
            where.append("docs MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in matched))
        for word in words:
            if len(word) < 3:
                pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                where.append("(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')")
                params.extend([pattern, pattern])
        for name, values in (("category", query.categories), ("outcome", query.outcomes)):
            if values:
                where.append(f"{name} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        order = "bm25(docs), rowid" if matched else "rowid"
        sql = f"SELECT key FROM docs WHERE {' AND '.join(where) or '1'} ORDER BY {order} LIMIT ?"
        return [row[0] for row in con.execute(sql, [*params, k])]

    return search, con.close


def fts5_jieba_system(cases_dir: Path, workdir: Path, documents: list[Document], k: int):
    """SQLite FTS5 over jieba search-mode words (space-joined), the query's words OR-ed, bm25."""
    quiet_jieba()
    import jieba

    def words(text: str) -> list[str]:
        folded = unicodedata.normalize("NFKC", text).lower()
        return [w for w in jieba.cut_for_search(folded) if w.strip() and any(c.isalnum() for c in w)]

    con = sqlite3.connect(workdir / "fts5.sqlite")
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5("
        "key UNINDEXED, category UNINDEXED, outcome UNINDEXED, title, body, tokenize='unicode61')"
    )
    con.executemany(
        "INSERT INTO docs (key, category, outcome, title, body) VALUES (?, ?, ?, ?, ?)",
        [(d.key, d.category, d.outcome, " ".join(words(d.title)), " ".join(words(d.body))) for d in documents],
    )
    con.commit()

    def search(query: Query) -> list[str]:
        terms = list(dict.fromkeys(words(query.q)))
        if not terms:
            return []
        where = ["docs MATCH ?"]
        params: list = [" OR ".join('"' + w.replace('"', '""') + '"' for w in terms)]
        for name, values in (("category", query.categories), ("outcome", query.outcomes)):
            if values:
                where.append(f"{name} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        sql = f"SELECT key FROM docs WHERE {' AND '.join(where)} ORDER BY bm25(docs), rowid LIMIT ?"
        return [row[0] for row in con.execute(sql, [*params, k])]

    return search, con.close


SYSTEMS: dict[str, tuple[str, Builder]] = {
    "casebook": ("Casebook (rjieba)", casebook_system("rjieba")),
    "casebook-jieba": ("Casebook (jieba)", casebook_system("jieba")),
    "fts5-jieba": ("SQLite FTS5 + jieba, OR, bm25", fts5_jieba_system),
    "whoosh-jieba-or": ("Whoosh + ChineseAnalyzer, OR", whoosh_jieba_or_system),
    "whoosh-jieba": ("Whoosh + ChineseAnalyzer, AND", whoosh_jieba_system),
    "fts5-trigram": ("SQLite FTS5 trigram", fts5_trigram_system),
}


# --- running and reporting -----------------------------------------------------------------------


@dataclass
class SystemRun:
    """One system's results: per-query rankings and scores, and how long it took."""

    name: str
    label: str
    build_seconds: float
    query_ms: float
    rankings: list[list[str]]
    ndcg: list[float]
    recall: list[float]
    duplicates: int = 0  # top-k lists that hold one document twice

    @property
    def empty(self) -> int:
        return sum(1 for r in self.rankings if not r)

    @property
    def mean_ndcg(self) -> float:
        return sum(self.ndcg) / len(self.ndcg) if self.ndcg else 0.0

    @property
    def mean_recall(self) -> float:
        return sum(self.recall) / len(self.recall) if self.recall else 0.0


def evaluate(
    cases_dir: Path,
    documents: list[Document],
    queries: list[Query],
    k: int = K,
    systems: tuple[str, ...] = tuple(SYSTEMS),
) -> list[SystemRun]:
    """Index the cases with every system in a temporary directory and score each on the queries."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="casebook-relevance-") as tmp:
        for name in systems:
            label, build = SYSTEMS[name]
            workdir = Path(tmp) / name
            workdir.mkdir()
            started = time.perf_counter()
            search, close = build(cases_dir, workdir, documents, k)
            built = time.perf_counter() - started
            try:
                started = time.perf_counter()
                rankings = [search(query) for query in queries]
                per_query = (time.perf_counter() - started) * 1000 / max(1, len(queries))
            finally:
                close()
            duplicates = sum(1 for r in rankings if len(by_document(r)) < len(r))
            if not section_level(queries):
                rankings = [by_document(r) for r in rankings]
            runs.append(
                SystemRun(
                    name=name,
                    label=label,
                    build_seconds=built,
                    query_ms=per_query,
                    rankings=rankings,
                    ndcg=[ndcg_at_k(r, q.judgments, k) for r, q in zip(rankings, queries)],
                    recall=[recall_at_k(r, q.judgments, k) for r, q in zip(rankings, queries)],
                    duplicates=duplicates,
                )
            )
    return runs


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _clip(text: str, width: int) -> str:
    out = ""
    for char in text:
        if _width(out + char) > width - 1:
            return out + "…"
        out += char
    return out


def format_summary(runs: list[SystemRun], queries: list[Query], documents: int, k: int) -> str:
    """Return the table of mean scores per system."""
    lines = [
        f"Relevance on {len(queries)} judged queries over {documents} documents (cases and manual sections), k={k}, "
        + ("scored per section" if section_level(queries) else "scored per document"),
        "",
        f"{'system':<34}{'nDCG@' + str(k):>9}{'recall@' + str(k):>11}{'empty':>7}{'dup':>5}{'build s':>9}{'ms/query':>10}",
    ]
    for run in runs:
        lines.append(
            f"{run.label:<34}{run.mean_ndcg:>9.3f}{run.mean_recall:>11.3f}{run.empty:>7}{run.duplicates:>5}"
            f"{run.build_seconds:>9.2f}{run.query_ms:>10.1f}"
        )
    kinds = list(dict.fromkeys(q.kind for q in queries if q.kind))
    if kinds:
        lines += [
            "",
            "nDCG@k by kind of query:",
            f"{'kind':<14}{'n':>4}" + "".join(f"{run.name[:15]:>17}" for run in runs),
        ]
        for kind in kinds:
            index = [i for i, q in enumerate(queries) if q.kind == kind]
            cells = "".join(f"{sum(run.ndcg[i] for i in index) / len(index):>17.3f}" for run in runs)
            lines.append(f"{kind:<14}{len(index):>4}" + cells)
    return "\n".join(lines)


def format_per_query(runs: list[SystemRun], queries: list[Query], k: int) -> str:
    """Return one line per query: nDCG@k and recall@k of each system."""
    width = 36
    head = _pad("query", width) + "".join(f"{run.name[:16]:>18}" for run in runs)
    lines = [head, _pad("", width) + "".join(f"{'nDCG  recall':>18}" for _ in runs)]
    for index, query in enumerate(queries):
        cells = "".join(f"{run.ndcg[index]:>12.2f}{run.recall[index]:>6.2f}" for run in runs)
        lines.append(_pad(_clip(query.label, width), width) + cells)
    return "\n".join(lines)


def summary_json(runs: list[SystemRun], queries: list[Query], documents: int, k: int, per_query: bool) -> dict:
    """Return the JSON summary: mean scores per system, and every query's scores on request."""
    out = {
        "k": k,
        "queries": len(queries),
        "documents": documents,
        "systems": [
            {
                "name": run.name,
                "label": run.label,
                f"ndcg@{k}": round(run.mean_ndcg, 4),
                f"recall@{k}": round(run.mean_recall, 4),
                "build_seconds": round(run.build_seconds, 3),
                "query_ms": round(run.query_ms, 2),
            }
            for run in runs
        ],
    }
    if per_query:
        out["per_query"] = [
            {
                "q": query.q,
                "category": list(query.categories),
                "outcome": list(query.outcomes),
                "systems": {
                    run.name: {"ndcg": round(run.ndcg[i], 4), "recall": round(run.recall[i], 4), "top": run.rankings[i]}
                    for run in runs
                },
            }
            for i, query in enumerate(queries)
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Score Casebook and two baselines on judged queries (nDCG@k, recall@k)."
    )
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="case tree to index (default: cases/)")
    parser.add_argument(
        "--queries", type=Path, default=DEFAULT_QUERIES, help="judged queries (default: bench/queries.yaml)"
    )
    parser.add_argument("--k", type=int, default=K, help="cut-off rank (default: 10)")
    parser.add_argument("--system", action="append", choices=tuple(SYSTEMS), help="run only this system (repeatable)")
    parser.add_argument("--per-query", action="store_true", help="also print every query's scores")
    parser.add_argument(
        "--per-document", action="store_true", help="score whole documents (a section's grade goes to its manual)"
    )
    parser.add_argument("--json", action="store_true", help="end with a one-line JSON summary")
    args = parser.parse_args(argv)
    if not 1 <= args.k <= 100:
        parser.error(f"--k: expected 1 to 100 but received: {args.k}")

    if not (args.cases / "taxonomy.yaml").is_file():
        print(f"error: --cases: expected a case tree with taxonomy.yaml but received: {args.cases}", file=sys.stderr)
        return 2
    try:
        queries = load_queries(args.queries)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    documents = load_documents(args.cases)
    problems = unknown_keys(queries, documents)
    for problem in problems:
        print(f"{args.queries}: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problems in the judgments", file=sys.stderr)
        return 2

    if args.per_document:
        queries = per_document(queries)
    runs = evaluate(args.cases, documents, queries, args.k, tuple(args.system or SYSTEMS))
    print(format_summary(runs, queries, len(documents), args.k))
    if args.per_query:
        print()
        print(format_per_query(runs, queries, args.k))
    if args.json:
        print(json.dumps(summary_json(runs, queries, len(documents), args.k, args.per_query), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a script from a checkout: find the casebook package
    raise SystemExit(main())
