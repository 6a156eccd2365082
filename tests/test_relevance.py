"""The relevance benchmark: its judged queries match the shipped cases, and its metrics are right."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

from casebook.content.loader import load_tree
from casebook.content.taxonomy import load_taxonomy

ROOT = Path(__file__).parent.parent
CASES = ROOT / "cases"
BENCH = ROOT / "bench" / "relevance.py"
QUERIES = ROOT / "bench" / "queries.yaml"


@pytest.fixture(scope="module")
def relevance():
    """bench/relevance.py, imported from its path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_relevance", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def shipped():
    """The shipped cases and manuals, loaded as `casebook check` loads them."""
    result = load_tree(CASES, load_taxonomy(CASES))
    assert result.errors == []
    return result.cases


def shipped_keys(cases) -> set[str]:
    keys = set()
    for case in cases:
        if case.type == "manual":
            keys.update(f"{case.id}#{section.anchor}" for section in case.sections)
        else:
            keys.add(case.id)
    return keys


def test_queries_judge_only_shipped_documents(relevance, shipped):
    queries = relevance.load_queries(QUERIES)
    keys = shipped_keys(shipped)
    assert len(queries) >= 30
    unknown = [(q.q, key) for q in queries for key in q.judgments if key not in keys]
    assert unknown == []
    bad = [
        (q.q, key, grade)
        for q in queries
        for key, grade in q.judgments.items()
        if type(grade) is not int or grade not in (0, 1, 2)
    ]
    assert bad == []
    assert [q.q for q in queries if not any(grade >= 1 for grade in q.judgments.values())] == []


def test_filtered_queries_judge_only_documents_their_filters_let_through(relevance, shipped):
    taxonomy = load_taxonomy(CASES)
    by_id = {case.id: case for case in shipped}
    for query in relevance.load_queries(QUERIES):
        assert set(query.categories) <= set(taxonomy.choices("categories")), query.q
        assert set(query.outcomes) <= set(taxonomy.choices("outcomes")), query.q
        if not (query.categories or query.outcomes):
            continue
        for key in query.judgments:
            case = by_id.get(key)  # manual sections have no category or outcome
            assert case is not None, (query.q, key)
            assert not query.categories or case.category in query.categories, (query.q, key)
            assert not query.outcomes or case.outcome in query.outcomes, (query.q, key)


@pytest.mark.parametrize("name", ["queries.yaml", "blind.yaml", "colloquial.yaml"])
def test_every_judged_set_on_the_shipped_cases_names_shipped_documents(relevance, name):
    documents = relevance.load_documents(CASES)
    assert relevance.unknown_keys(relevance.load_queries(ROOT / "bench" / name), documents) == []


def test_bench_checker_agrees_with_the_shipped_documents(relevance):
    documents = relevance.load_documents(CASES)
    assert relevance.unknown_keys(relevance.load_queries(QUERIES), documents) == []
    wrong = relevance.Query("快递柜", judgments={"TD-2021-001": 2, "SC-003#没有这一节": 1, "SH-2019-001": 3})
    assert relevance.unknown_keys([wrong], documents) == [
        "快递柜: unknown document key 'SC-003#没有这一节'",
        "快递柜: SH-2019-001: expected a grade in (0, 1, 2) but received: 3",
    ]


def test_ndcg_and_recall_on_a_hand_made_ranking(relevance):
    judgments = {"a": 2, "b": 1, "c": 1, "d": 0}
    ranked = ["b", "x", "a"]
    # gains 2^g - 1 at ranks 1..3: 1/log2(2) + 0 + 3/log2(4) = 2.5; ideal order a, b, c, d
    ideal = 3 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert relevance.ndcg_at_k(ranked, judgments) == pytest.approx(2.5 / ideal)
    assert relevance.ndcg_at_k(ranked, judgments) == pytest.approx(0.6052, abs=1e-4)
    assert relevance.recall_at_k(ranked, judgments) == pytest.approx(2 / 3)
    assert relevance.ndcg_at_k(["a", "b", "c"], judgments) == pytest.approx(1.0)
    assert relevance.ndcg_at_k(["a", "c", "b"], judgments) == pytest.approx(1.0)  # equal grades tie
    assert relevance.recall_at_k(["d", "a", "b", "c"], judgments) == 1.0


def test_metrics_stop_at_k_and_handle_nothing_relevant(relevance):
    judgments = {"a": 2, "b": 1}
    late = [f"x{i}" for i in range(10)] + ["a", "b"]
    assert relevance.ndcg_at_k(late, judgments) == 0.0
    assert relevance.recall_at_k(late, judgments) == 0.0
    assert relevance.recall_at_k(["b", "a"], judgments, k=1) == 0.5
    assert relevance.ndcg_at_k(["b", "a"], judgments, k=1) == pytest.approx(1 / 3)
    assert relevance.ndcg_at_k(["a"], {"a": 0}) == 0.0
    assert relevance.recall_at_k(["a"], {"a": 0}) == 0.0


def test_malformed_queries_file_names_the_query(relevance, tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text(
        "queries:\n  - q: 丢件\n    judgments: {DS-2019-001: 2}\n  - q: 驿站\n    category: 投递服务\n    judgments: {WG-2024-001: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ValueError, match=r"query 2 \(驿站\): category: expected a list of names but received: '投递服务'"
    ):
        relevance.load_queries(path)


@pytest.mark.parametrize("folder", sorted(p.name for p in (ROOT / "bench" / "unseen").iterdir() if p.is_dir()))
def test_an_unseen_set_is_a_valid_knowledge_base_judged_as_handlers_search(relevance, folder):
    base = ROOT / "bench" / "unseen" / folder
    loaded = load_tree(base / "cases", load_taxonomy(base / "cases"))
    assert loaded.errors == [] and len(loaded.cases) >= 70
    queries = relevance.load_queries(base / "queries.yaml")
    assert relevance.unknown_keys(queries, relevance.load_documents(base / "cases")) == []
    kinds = [q.kind for q in queries]
    assert len(queries) >= 40
    assert kinds.count("paragraph") >= 10 and kinds.count("colloquial") >= 10
    assert kinds.count("id") + kinds.count("legal") >= 4
    assert all(2 in q.judgments.values() for q in queries)
