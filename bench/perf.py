"""Measure Casebook's speed on a generated knowledge base of N cases, against its targets.

Run from the repository root (one heavy benchmark at a time: the machine has 2 cores):

    .venv/bin/python bench/perf.py --n 20000 [--seed 1] [--skip-http] [--json out.json]
    .venv/bin/python bench/perf.py --n 20000 --only search,http   # a subset of the steps

The tree of N cases (bench/generate.py) is cached under bench/out/kb-n<N>-s<seed>/ and reused
while the generator and the sample cases are unchanged. In one run, on that tree:

1. full build: `casebook index --full` as a child process (wall time, docs/s, peak RSS, CPU
   use of every core sampled from /proc/stat, index size);
2. search through the Python API (facets, ten highlighted snippets), warm, over a fixed mix of
   queries, and the same Whoosh queries through bare `searcher.search(limit=10)` as the floor;
3. HTTP: `casebook serve` under concurrent keep-alive clients (requests/s, p95, errors, RSS);
4. incremental updates: `casebook index` after no change, one changed file, 100 added files,
   beside the former tree walk (rglob + stat) and JSON manifest parse on the same tree;
4b. idle: `casebook serve` left alone for 30 s with the watcher on and off (CPU share of a
   core), and the time from saving an edited case to finding it through HTTP;
5. the segmentation floor: jieba and rjieba alone over the same text on one core;
6. the stock baseline: Whoosh + jieba's ChineseAnalyzer with the default writer.

It prints a table with each figure's target and PASS/FAIL, and a JSON summary (--json FILE
writes it to a file as well).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import follow  # noqa: E402
import generate  # noqa: E402
import measure  # noqa: E402

STEPS = ("build", "search", "http", "updates", "idle", "floor", "baseline")
TARGETS = {
    "build_speedup": 2.0,  # full build at least 2x faster than the stock baseline
    "update_one_s": 1.5,  # one changed file, whole process
    "search_p95_ms": 15.0,
    "paragraph_p95_ms": 40.0,
    "search_floor_ratio": 3.0,  # search p95 at most 3x the bare Whoosh p95
    "http_rps": 150.0,
    "http_errors": 0,
    "http_rss_mb": 400.0,
    "idle_core_share": 0.02,  # idle `casebook serve`, watcher on, CPU over 30 s
    "edit_searchable_s": 2.0,  # an edited case found through the running server
    "one_over_build": 0.01,  # `index` after one changed file, against the full build of the same run
    "noop_100k_s": 0.5,  # `index` after no change, at 100,000 cases
    "watch_http_loss": 0.05,  # throughput with the watcher on, against --no-watch
}


def casebook_cmd() -> list[str]:
    """Return the command that runs the casebook CLI of this interpreter's environment."""
    script = Path(sys.executable).parent / "casebook"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from casebook.cli.main import main; main()"]


# -- the tree ---------------------------------------------------------------------------------


def _stamp(n: int, seed: int) -> dict:
    digest = hashlib.sha1((BENCH / "generate.py").read_bytes())
    for path in sorted(generate.DEFAULT_SOURCE.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(generate.DEFAULT_SOURCE).as_posix().encode() + path.read_bytes())
    return {"n": n, "seed": seed, "source": digest.hexdigest()}


def prepare_tree(n: int, seed: int, regenerate: bool, samples) -> tuple[Path, dict]:
    """Return the cached tree for (n, seed), generating it when missing or stale."""
    base = OUT / f"kb-n{n}-s{seed}"
    marker = base / "generated.json"
    stamp = _stamp(n, seed)
    if not regenerate and marker.is_file():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("stamp") == stamp:
            return base, dict(saved["summary"], reused=True)
    summary = generate.write_tree(base / "cases", n, seed, samples=samples)
    marker.write_text(json.dumps({"stamp": stamp, "summary": summary}, ensure_ascii=False), encoding="utf-8")
    return base, dict(summary, reused=False)


# -- the query mix -----------------------------------------------------------------------------


def query_mix(samples, cases_dir: Path, seed: int, count: int) -> list[dict]:
    """Return `count` queries of 1-4 words from the corpus vocabulary and the synonym groups;
    every second one filtered by category, outcome or both."""
    from casebook.content.vocabulary import load_vocabulary
    from casebook.index.analysis import STOPWORDS, get_segmenter, normalise

    vocabulary = load_vocabulary(cases_dir)
    segmenter = get_segmenter("rjieba", vocabulary.words)
    counts: Counter = Counter()
    for case in samples.cases:
        text = "\n".join([case.title, case.summary or "", *(s.text for s in case.sections)])
        for word in segmenter.words(normalise(text), search=False):
            if len(word.text) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", word.text) and word.text not in STOPWORDS:
                counts[word.text] += 1
    words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 2]
    common = words[:300]
    synonyms = [w for group in vocabulary.groups for w in group]
    categories = [t.name for t in samples.taxonomy.categories]
    outcomes = [t.name for t in samples.taxonomy.outcomes]
    rng = random.Random(seed)
    mix = []
    for number in range(count):
        size = rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0]
        terms: list[str] = []
        while len(terms) < size:
            draw = rng.random()
            word = rng.choice(synonyms if draw < 0.25 else common if draw < 0.6 else words)
            if word not in terms:
                terms.append(word)
        item = {"q": " ".join(terms), "categories": [], "outcomes": []}
        if number % 2:
            kind = rng.choice(("category", "outcome", "both"))
            if kind in ("category", "both"):
                item["categories"] = [rng.choice(categories)]
            if kind in ("outcome", "both"):
                item["outcomes"] = [rng.choice(outcomes)]
        mix.append(item)
    return mix


FILLER_OPENINGS = ("我", "我家", "我上周", "前几天我")
FILLER_ENDINGS = ("，到现在也没人管，太气人了。", "，他们就是推来推去，我要求给个说法。", "，结果客服一直说等等。")


def paragraph_mix(samples, seed: int, count: int) -> list[dict]:
    """Return `count` pasted-complaint queries (40-160 characters): a stretch of a sample case's
    facts between a complainant's opening and ending, as a handler pastes them."""
    rng = random.Random(seed + 7)
    facts = [s.text for case in samples.cases for s in case.sections if s.title == "基本案情" and len(s.text) > 80]
    mix = []
    for _ in range(count):
        text = rng.choice(facts).replace("\n", "")
        start = rng.randrange(0, max(1, len(text) - 120))
        body = text[start : start + rng.randint(30, 120)]
        mix.append(
            {"q": rng.choice(FILLER_OPENINGS) + body + rng.choice(FILLER_ENDINGS), "categories": [], "outcomes": []}
        )
    return mix


# -- the measurements --------------------------------------------------------------------------


def measure_build(cases_dir: Path, index_dir: Path, n: int) -> dict:
    """Build the index from scratch in a child process; return time, memory, CPU and size."""
    shutil.rmtree(index_dir, ignore_errors=True)
    run = measure.run_timed(
        [*casebook_cmd(), "--cases", str(cases_dir), "--index", str(index_dir), "index", "--full"], sample_cpu=True
    )
    documents = re.search(r"(\d+) documents in", run["stdout"])
    return {
        **run,
        "cases": n,
        "documents": int(documents.group(1)) if documents else None,
        "cases_per_s": round(n / run["wall_s"], 1),
        "index_mb": round(measure.dir_size(index_dir) / 1e6, 1),
    }


def bare_query(searcher, request):
    """Return the floor's query: stock Whoosh terms for the request's words (and their synonym
    groups), OR-ed over the weighted text fields. Casebook never runs it."""
    from whoosh.query import Every, Or, Term

    from casebook.index.schema import TEXT_FIELDS

    parts = []
    for concept in searcher.plan(request).concepts:
        for name, weight in TEXT_FIELDS.items():
            parts.extend(Term(name, term, boost=weight) for term in concept.index_terms)
    return Or(parts) if parts else Every()


def measure_search(cases_dir: Path, index_dir: Path, mix: list[dict], paragraphs: list[dict] = ()) -> dict:
    """Time the query mix through Casebook.search and through bare Whoosh; both warm. Pasted
    paragraphs are timed apart, through Casebook only."""
    from whoosh.query import And, Not, Or, Term

    from casebook.config import Settings
    from casebook.search.results import SearchRequest
    from casebook.service import Casebook

    def facet_filter(request) -> And:
        """Return a plain Whoosh filter for the request's facets (built here, not by casebook)."""
        parts = [Not(Term("kind", "manual"))]
        parts += [Or([Term("category", v) for v in request.categories])] if request.categories else []
        parts += [Or([Term("outcome", v) for v in request.outcomes])] if request.outcomes else []
        return And(parts)

    book = Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir, search_log=False))
    requests = [SearchRequest(q=m["q"], categories=tuple(m["categories"]), outcomes=tuple(m["outcomes"])) for m in mix]
    for request in requests:  # warm: dictionary, OpenCC, Whoosh caches, the OS page cache
        book.search(request)
    gc.collect()
    api, totals, zero = [], [], 0
    for request in requests:
        started = time.perf_counter()
        result = book.search(request)
        api.append(time.perf_counter() - started)
        totals.append(result.total)
        zero += result.total == 0
    searcher = book.searcher()
    prepared = [(bare_query(searcher, r), facet_filter(r)) for r in requests]
    pasted = [SearchRequest(q=m["q"]) for m in paragraphs]
    for request in pasted:
        book.search(request)
    pasted_times = []
    for request in pasted:
        started = time.perf_counter()
        book.search(request)
        pasted_times.append(time.perf_counter() - started)
    whoosh_searcher = searcher.searcher
    # The floor as specified: the same query objects, top 10, nothing else. The filtered
    # variant adds the request's facet filter (which always excludes whole manuals).
    variants: dict[str, list[float]] = {"bare": [], "bare_filtered": []}
    for _ in range(2):  # the first round warms
        for name in variants:
            variants[name].clear()
        gc.collect()
        for query, _facet_filter in prepared:
            started = time.perf_counter()
            whoosh_searcher.search(query, limit=10)
            variants["bare"].append(time.perf_counter() - started)
        for query, facet_filter in prepared:
            started = time.perf_counter()
            whoosh_searcher.search(query, filter=facet_filter, limit=10)
            variants["bare_filtered"].append(time.perf_counter() - started)
    book.close()
    api_summary, bare_summary = measure.latency_summary(api), measure.latency_summary(variants["bare"])
    by_words: dict[int, list[float]] = {}
    for request, seconds in zip(requests, api):
        by_words.setdefault(len(request.q.split()), []).append(seconds)
    return {
        "queries": len(requests),
        "api": api_summary,
        "bare": bare_summary,
        "bare_filtered": measure.latency_summary(variants["bare_filtered"]),
        "paragraphs": measure.latency_summary(pasted_times) if pasted_times else None,
        "p95_ratio": round(api_summary["p95_ms"] / max(bare_summary["p95_ms"], 1e-6), 3),
        "p50_ratio": round(api_summary["p50_ms"] / max(bare_summary["p50_ms"], 1e-6), 3),
        "zero_hit_queries": zero,
        "median_total": sorted(totals)[len(totals) // 2],
        "api_p95_by_word_count": {
            k: round(measure.percentile([s * 1000 for s in v], 95), 2) for k, v in sorted(by_words.items())
        },
    }


def page_paths(mix: list[dict]) -> list[str]:
    """Return the search-page URL of each query in the mix."""
    return [
        "/?"
        + urlencode(
            [("q", m["q"])] + [("category", c) for c in m["categories"]] + [("outcome", o) for o in m["outcomes"]]
        )
        for m in mix
    ]


def _cpu_per_request(rounds: list[dict]) -> float:
    return round(sum(r["cpu_s"] for r in rounds) * 1000 / max(sum(r["requests"] for r in rounds), 1), 2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_http(
    cases_dir: Path, index_dir: Path, mix: list[dict], clients: int, seconds: float, logdir: Path, watch: bool = False
) -> dict:
    """Serve the tree with `casebook serve` and load it with keep-alive clients; then stop it."""
    import http.client

    port = _free_port()
    log = (logdir / "serve.log").open("w", encoding="utf-8")
    cmd = [
        *casebook_cmd(),
        "--cases",
        str(cases_dir),
        "--index",
        str(index_dir),
        "serve",
        "--port",
        str(port),
        "--watch" if watch else "--no-watch",
    ]
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=measure.clean_env())
    try:
        started = time.perf_counter()
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"server exited {server.returncode}; see {logdir / 'serve.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    break
            except OSError:
                pass
            if time.perf_counter() - started > 300:
                raise RuntimeError("server did not answer within 300 s")
            time.sleep(0.2)
        ready = time.perf_counter() - started
        paths = page_paths(mix)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path in paths[:: max(1, len(paths) // 20)]:  # a short warm-up, untimed
            conn.request("GET", path)
            conn.getresponse().read()
        conn.close()
        rss_before = measure.proc_memory(server.pid).get("VmRSS", 0.0)
        client_cpu = time.process_time()
        load = measure.http_load(port, paths, clients, seconds, server.pid)
        client_cpu = time.process_time() - client_cpu
    finally:
        follow.stop_server(server)
        log.close()
    ok = len(load.latencies)
    return {
        "clients": clients,
        "seconds": round(load.elapsed, 1),
        "start_to_ready_s": round(ready, 2),
        "requests": ok + load.errors,
        "rps": round(ok / load.elapsed, 1),
        "latency": measure.latency_summary(load.latencies),
        "errors": load.errors,
        "error_examples": load.error_examples,
        "server_cpu_s": round(load.server_cpu_s, 1),
        "server_cores_used": round(load.server_cpu_s / load.elapsed, 2),
        "server_cpu_ms_per_request": round(load.server_cpu_s * 1000 / max(ok, 1), 2),
        "client_cpu_s": round(client_cpu, 1),  # this process's client threads share the 2 cores
        "rss_before_load_mb": round(rss_before, 1),
        "rss_peak_sampled_mb": round(load.rss_peak_mb, 1),
        "rss_hwm_mb": round(load.hwm_mb, 1),
        # mmap'd index files count in RssFile once per mapping (each thread's searcher maps them)
        "memory_at_end_mb": load.end_memory,
    }


def _index_run(cases_dir: Path, index_dir: Path, expect: str | None = None) -> dict:
    run = measure.run_timed([*casebook_cmd(), "--cases", str(cases_dir), "--index", str(index_dir), "index"])
    counts = re.search(r"(\d+) added, (\d+) updated, (\d+) removed", run["stdout"])
    run["changes"] = dict(zip(("added", "updated", "removed"), map(int, counts.groups()))) if counts else {}
    if expect and expect not in run["stdout"]:
        raise RuntimeError(f"expected '{expect}' in: {run['stdout']}")
    return {k: run[k] for k in ("wall_s", "user_s", "sys_s", "max_rss_mb", "changes", "stdout")}


def measure_updates(cases_dir: Path, index_dir: Path, samples, n: int, seed: int, repeats: int = 3) -> dict:
    """Time `casebook index` (whole process) after no change, 1 changed file and 100 new files;
    then put the tree back as generated."""
    noop = [_index_run(cases_dir, index_dir, "0 added, 0 updated") for _ in range(repeats)]
    files = sorted((cases_dir / samples.taxonomy.categories[0].dir).glob("*.md"))
    target = files[len(files) // 2]
    original = target.read_bytes()
    extras = generate.extra_cases(samples, seed, n, 100)
    one, hundred, revert = [], None, None
    try:
        for attempt in range(repeats):
            target.write_bytes(original + f"\n补充说明：第{attempt + 1}次修订，补记企业回访情况。\n".encode("utf-8"))
            one.append(_index_run(cases_dir, index_dir, "0 added, 1 updated"))
        for rel, text in extras:
            (cases_dir / rel).write_text(text, encoding="utf-8")
        hundred = _index_run(cases_dir, index_dir, "100 added, 0 updated")
    finally:
        for rel, _ in extras:
            (cases_dir / rel).unlink(missing_ok=True)
        target.write_bytes(original)
        revert = _index_run(cases_dir, index_dir)
    walls = sorted(r["wall_s"] for r in one)
    return {
        "no_change": {
            "runs_s": [r["wall_s"] for r in noop],
            "median_s": sorted(r["wall_s"] for r in noop)[len(noop) // 2],
        },
        "one_file": {
            "runs_s": [r["wall_s"] for r in one],
            "median_s": walls[len(walls) // 2],
            "max_s": walls[-1],
            "max_rss_mb": max(r["max_rss_mb"] for r in one),
        },
        "hundred_files": hundred,
        "revert_100_removed_1_changed": revert,
        "changed_file": target.relative_to(cases_dir).as_posix(),
        "former": {"walk": follow.former_walk(cases_dir), "manifest": follow.former_manifest(index_dir)},
    }


def load_documents(cases_dir: Path) -> tuple[list[str], list[dict]]:
    """Return the text Casebook tokenizes (its text fields, per index document) and one stock
    baseline document per file."""
    from casebook.content.loader import load_file
    from casebook.content.taxonomy import load_taxonomy
    from casebook.content.tree import find_files
    from casebook.index.documents import to_documents
    from casebook.index.schema import TEXT_FIELDS

    taxonomy = load_taxonomy(cases_dir)
    texts, stock = [], []
    for path in find_files(cases_dir):
        case, _ = load_file(path, taxonomy)
        if case is None:
            continue
        for doc in to_documents(case):
            texts.append("\n".join(doc[name] for name in TEXT_FIELDS if doc.get(name)))
        record = {"id": case.id, "title": case.title, "body": case.body}
        record.update({k: v for k, v in (("category", case.category), ("outcome", case.outcome)) if v})
        if case.date:
            record["date"] = dt.datetime.fromisoformat(case.date)
        stock.append(record)
    return texts, stock


def _spread(items: list, size: int) -> list:
    """Return about `size` items evenly spread over the list (files are grouped by category)."""
    if len(items) <= size:
        return list(items)
    return [items[i * len(items) // size] for i in range(size)]


def _quiet_jieba():
    with warnings.catch_warnings():
        # jieba 0.42.1 imports pkg_resources; jieba.analyse leaves its idf.txt open.
        warnings.simplefilter("ignore")
        import jieba
        import jieba.analyse  # noqa: F401
    jieba.setLogLevel(logging.WARNING)
    return jieba


def measure_floor(texts: list[str], sample_size: int) -> dict:
    """Time jieba and rjieba alone over the indexed text, on one core (jieba on a sample)."""
    import rjieba

    jieba = _quiet_jieba()
    total_chars = sum(map(len, texts))
    started = time.perf_counter()
    jieba.initialize()
    jieba_init = time.perf_counter() - started
    sample = _spread(texts, sample_size)
    sample_chars = sum(map(len, sample))
    scale = total_chars / sample_chars
    out = {
        "documents": len(texts),
        "chars": total_chars,
        "mb_utf8": round(sum(len(t.encode("utf-8")) for t in texts) / 1e6, 1),
        "jieba_init_s": round(jieba_init, 2),
        "jieba_sample_documents": len(sample),
        "jieba_sample_chars": sample_chars,
    }
    for name, run in (
        ("jieba_lcut", lambda t: jieba.lcut(t)),
        ("jieba_tokenize_search", lambda t: list(jieba.tokenize(t, mode="search"))),
    ):
        started = time.perf_counter()
        for text in sample:
            run(text)
        measured = time.perf_counter() - started
        out[name] = {
            "sample_s": round(measured, 2),
            "estimated_s": round(measured * scale, 1),
            "extrapolated": len(sample) < len(texts),
        }
    engine = rjieba.Jieba()  # stock dictionary only: the module's own engine may hold our user words
    engine.cut("预热")
    for name, run in (
        ("rjieba_cut", engine.cut),
        ("rjieba_tokenize_search", lambda t: engine.tokenize(t, "search", True)),
    ):
        started = time.perf_counter()
        for text in texts:
            run(text)
        out[name] = {"s": round(time.perf_counter() - started, 2)}
    return out


def measure_baseline(stock: list[dict], workdir: Path, sample_size: int, limit_s: float) -> dict:
    """Build stock Whoosh + jieba ChineseAnalyzer (default writer) on a sample, then on all
    documents when that is estimated to take under `limit_s`."""
    _quiet_jieba().initialize()
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import DATETIME, ID, TEXT, Schema

    def build(docs: list[dict]) -> dict:
        folder = workdir / "stock-index"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        analyzer = ChineseAnalyzer()
        schema = Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(stored=True, analyzer=analyzer),
            body=TEXT(stored=True, analyzer=analyzer),
            category=ID(stored=True),
            outcome=ID(stored=True),
            date=DATETIME(stored=True, sortable=True),
        )
        started = time.perf_counter()
        ix = whoosh_index.create_in(str(folder), schema)
        writer = ix.writer()
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()
        seconds = time.perf_counter() - started
        size = measure.dir_size(folder)
        ix.close()
        shutil.rmtree(folder, ignore_errors=True)
        return {
            "documents": len(docs),
            "s": round(seconds, 2),
            "docs_per_s": round(len(docs) / seconds, 1),
            "index_mb": round(size / 1e6, 1),
        }

    sample = _spread(stock, sample_size)
    out = {"sample": build(sample), "documents": len(stock)}
    estimate = out["sample"]["s"] * len(stock) / len(sample)
    out["linear_estimate_s"] = round(estimate, 1)
    if len(sample) == len(stock):
        out["full"] = out["sample"]
    elif estimate <= limit_s:
        out["full"] = build(stock)
    out["build_s"] = out["full"]["s"] if "full" in out else out["linear_estimate_s"]
    out["extrapolated"] = "full" not in out
    return out


# -- the report --------------------------------------------------------------------------------


def verdicts(summary: dict) -> list[tuple[str, str, str, str]]:
    """Return (figure, value, target, PASS/FAIL/info) rows for the table."""
    rows = []

    def row(name, value, target="", passed=None):
        rows.append((name, value, target, "" if passed is None else ("PASS" if passed else "FAIL")))

    build = summary.get("build")
    if build:
        row("full build (whole process)", f"{build['wall_s']:.1f} s, {build['cases_per_s']:.0f} cases/s")
        row("  peak RSS / CPU per wall", f"{build['max_rss_mb']:.0f} MB / {build['cpu_per_wall']:.2f} cores")
        cpu = build.get("machine_cpu", {})
        if cpu.get("samples"):
            row(
                "  machine cores busy (mean)",
                " / ".join(f"{b:.0%}" for b in cpu["mean_busy_per_core"])
                + f"; all cores >=80% in {cpu['all_cores_busy_share']:.0%} of samples",
            )
        row("  index size", f"{build['index_mb']:.1f} MB")
    baseline = summary.get("baseline")
    if baseline and build:
        label = "extrapolated from " + str(baseline["sample"]["documents"]) if baseline["extrapolated"] else "measured"
        row("stock Whoosh+jieba build", f"{baseline['build_s']:.1f} s ({label})")
        speedup = baseline["build_s"] / build["wall_s"]
        summary["ratios"]["build_speedup"] = round(speedup, 2)
        row(
            "  speed-up over stock",
            f"{speedup:.2f}x",
            f">= {TARGETS['build_speedup']:.0f}x",
            speedup >= TARGETS["build_speedup"],
        )
    floor = summary.get("floor")
    if floor and build:
        for key, label in (("jieba_lcut", "jieba.lcut"), ("jieba_tokenize_search", "jieba.tokenize(search)")):
            estimate = floor[key]["estimated_s"]
            note = f"(est. from {floor['jieba_sample_documents']} docs)" if floor[key]["extrapolated"] else "(measured)"
            row(f"floor: {label}, 1 core", f"{estimate:.1f} s {note}; build = {build['wall_s'] / estimate:.2f}x this")
        row(
            "floor: rjieba cut / tokenize(search)",
            f"{floor['rjieba_cut']['s']:.1f} s / {floor['rjieba_tokenize_search']['s']:.1f} s; build = {build['wall_s'] / floor['rjieba_tokenize_search']['s']:.1f}x tokenize",
        )
        summary["ratios"]["build_over_jieba_floor"] = round(build["wall_s"] / floor["jieba_lcut"]["estimated_s"], 2)
        summary["ratios"]["build_over_rjieba_floor"] = round(build["wall_s"] / floor["rjieba_tokenize_search"]["s"], 1)
    updates = summary.get("updates")
    if updates:
        row("update, no change", f"{updates['no_change']['median_s']:.2f} s (median)")
        one = updates["one_file"]
        row(
            "update, 1 file changed",
            f"{one['median_s']:.2f} s (median of {len(one['runs_s'])}, max {one['max_s']:.2f})",
            f"< {TARGETS['update_one_s']} s",
            one["median_s"] < TARGETS["update_one_s"],
        )
        row("update, 100 files added", f"{updates['hundred_files']['wall_s']:.2f} s")
    search = summary.get("search")
    if search:
        api, bare = search["api"], search["bare"]
        row(
            "search API p50/p95/p99",
            f"{api['p50_ms']:.1f} / {api['p95_ms']:.1f} / {api['p99_ms']:.1f} ms",
            f"p95 < {TARGETS['search_p95_ms']:.0f} ms",
            api["p95_ms"] < TARGETS["search_p95_ms"],
        )
        pasted = search.get("paragraphs")
        if pasted:
            row(
                "search API, pasted paragraphs",
                f"{pasted['p50_ms']:.1f} / {pasted['p95_ms']:.1f} / {pasted['p99_ms']:.1f} ms",
                f"p95 < {TARGETS['paragraph_p95_ms']:.0f} ms",
                pasted["p95_ms"] < TARGETS["paragraph_p95_ms"],
            )
        row(
            "bare Whoosh p50/p95/p99",
            f"{bare['p50_ms']:.1f} / {bare['p95_ms']:.1f} / {bare['p99_ms']:.1f} ms (same query, top 10, no filter)",
        )
        filtered = search["bare_filtered"]
        row(
            "  with the facet filter",
            f"{filtered['p50_ms']:.1f} / {filtered['p95_ms']:.1f} / {filtered['p99_ms']:.1f} ms",
        )
        row(
            "  API / bare at p95",
            f"{search['p95_ratio']:.2f}x (p50 {search['p50_ratio']:.2f}x)",
            f"<= {TARGETS['search_floor_ratio']:.0f}x",
            search["p95_ratio"] <= TARGETS["search_floor_ratio"],
        )
    http = summary.get("http")
    if http:
        row(
            f"HTTP {http['clients']} clients, {http['seconds']:.0f} s",
            f"{http['rps']:.1f} req/s",
            f">= {TARGETS['http_rps']:.0f} req/s",
            http["rps"] >= TARGETS["http_rps"],
        )
        row("  HTTP p50/p95", f"{http['latency']['p50_ms']:.0f} / {http['latency']['p95_ms']:.0f} ms")
        if "server_cores_used" in http:
            row(
                "  server CPU",
                f"{http['server_cores_used']:.2f} cores, {http['server_cpu_ms_per_request']:.1f} ms per request",
            )
        row("  HTTP errors", str(http["errors"]), "0", http["errors"] == TARGETS["http_errors"])
        rss = max(http["rss_peak_sampled_mb"], http["rss_hwm_mb"])
        row(
            "  server RSS peak",
            f"{rss:.0f} MB (sampled {http['rss_peak_sampled_mb']:.0f}, VmHWM {http['rss_hwm_mb']:.0f})",
            f"< {TARGETS['http_rss_mb']:.0f} MB",
            rss < TARGETS["http_rss_mb"],
        )
    for name, value, target, passed in follow.rows(summary, TARGETS):
        row(name, value, target, passed)
    return rows


def format_table(rows: list[tuple[str, str, str, str]]) -> str:
    """Return the rows as an aligned text table."""
    headers = ("figure", "value", "target", "")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="cases in the generated tree (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="generator and query-mix seed (default 1)")
    parser.add_argument("--regenerate", action="store_true", help="write the tree again even if cached")
    parser.add_argument("--queries", type=int, default=200, help="queries in the mix (default 200)")
    parser.add_argument("--only", help=f"comma-separated steps to run, of: {','.join(STEPS)} (default: all)")
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP load test")
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the stock Whoosh+jieba build")
    parser.add_argument("--http-seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--git", action="store_true", help="make the tree a git work tree first (index asks git)")
    parser.add_argument("--idle-seconds", type=float, default=30.0, help="how long the idle server is watched")
    parser.add_argument("--floor-sample", type=int, default=2000, help="documents jieba segments for the floor")
    parser.add_argument("--baseline-sample", type=int, default=2000, help="documents in the stock baseline sample")
    parser.add_argument(
        "--baseline-limit",
        type=float,
        default=240.0,
        help="run the stock baseline on all documents if estimated under this many seconds",
    )
    parser.add_argument(
        "--http-rounds", type=int, default=4, help="alternate runs per mode, watcher off/on (default 4)"
    )
    parser.add_argument("--http-round-seconds", type=float, default=10.0, help="seconds per alternate run (default 10)")
    parser.add_argument("--json", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    steps = set(STEPS) if not args.only else {s.strip() for s in args.only.split(",")}
    if steps - set(STEPS):
        parser.error(f"--only: expected some of {','.join(STEPS)} but received: {args.only}")
    steps -= {"http"} if args.skip_http else set()
    steps -= {"baseline"} if args.skip_baseline else set()

    def step(text: str) -> None:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        summary.setdefault("loadavg_before", {})[text.split(" ")[0]] = load
        print(f"[{time.strftime('%H:%M:%S')}] {text} (load average {load})", file=sys.stderr, flush=True)

    summary: dict = {"n": args.n, "seed": args.seed, "machine": measure.machine(), "targets": TARGETS, "ratios": {}}
    samples = generate.load_samples()
    step(f"tree of {args.n} cases (seed {args.seed})")
    base, summary["tree"] = prepare_tree(args.n, args.seed, args.regenerate, samples)
    cases_dir, index_dir = base / "cases", base / "index"
    if args.git:
        step("git init + commit of the tree")
        summary["git"] = follow.make_git(cases_dir)
    else:
        summary["git"] = {"parked": follow.park_git(cases_dir)}  # measure the listed tree, as labelled
    # An installed Casebook has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE set would compile every module on every `casebook index`.
    compileall.compile_dir(ROOT / "casebook", quiet=1)
    if "build" in steps:
        step(f"full build -> {index_dir}")
        summary["build"] = measure_build(cases_dir, index_dir, args.n)
    else:
        step(f"index update, untimed -> {index_dir}")
        measure.run_timed([*casebook_cmd(), "--cases", str(cases_dir), "--index", str(index_dir), "index"])
    mix = query_mix(samples, cases_dir, args.seed, args.queries)
    (base / "queries.json").write_text(json.dumps(mix, ensure_ascii=False, indent=1), encoding="utf-8")
    if "search" in steps:
        step(f"query mix ({args.queries}) through the API and bare Whoosh")
        summary["search"] = measure_search(cases_dir, index_dir, mix, paragraph_mix(samples, args.seed, 50))
    if "http" in steps:
        step(f"HTTP: {args.clients} clients for {args.http_seconds:.0f} s")
        summary["http"] = measure_http(cases_dir, index_dir, mix, args.clients, args.http_seconds, base)
        # The comparison alternates short runs with the watcher off and on (off-on, on-off, ...):
        # two long runs one after the other differ by whatever else the machine did meanwhile.
        step(f"HTTP, watcher off and on alternately: {args.http_rounds} rounds of {args.http_round_seconds:.0f} s each")
        rounds = {False: [], True: []}
        for index in range(args.http_rounds):
            for watch in (False, True) if index % 2 == 0 else (True, False):
                run = measure_http(cases_dir, index_dir, mix, args.clients, args.http_round_seconds, base, watch)
                rounds[watch].append(
                    {
                        "requests": run["requests"] - run["errors"],
                        "seconds": run["seconds"],
                        "cpu_s": run["server_cpu_s"],
                    }
                )
        summary["http_watch"] = {
            "rounds": rounds[True],
            "rounds_no_watch": rounds[False],
            "rps": round(sum(r["requests"] for r in rounds[True]) / sum(r["seconds"] for r in rounds[True]), 1),
            "rps_no_watch": round(
                sum(r["requests"] for r in rounds[False]) / sum(r["seconds"] for r in rounds[False]), 1
            ),
            # Throughput also moves with the load clients, which share the two cores; the
            # server's own CPU per request says what the watcher costs the server.
            "cpu_ms_per_request": _cpu_per_request(rounds[True]),
            "cpu_ms_per_request_no_watch": _cpu_per_request(rounds[False]),
        }
    if "updates" in steps:
        step("incremental updates")
        summary["updates"] = measure_updates(cases_dir, index_dir, samples, args.n, args.seed)
    if "idle" in steps:
        step(f"idle server for {args.idle_seconds:.0f} s, watcher on and off; edit latency")
        summary["idle"] = follow.measure_idle(casebook_cmd(), cases_dir, index_dir, base, args.idle_seconds)
        summary["idle"]["former"] = {"walk": follow.former_walk(cases_dir)}
    if "floor" in steps or "baseline" in steps:
        texts, stock = load_documents(cases_dir)
    if "floor" in steps:
        step("segmentation floor")
        summary["floor"] = measure_floor(texts, args.floor_sample)
    if "baseline" in steps:
        step("stock Whoosh + jieba ChineseAnalyzer baseline")
        summary["baseline"] = measure_baseline(stock, base, args.baseline_sample, args.baseline_limit)
    rows = verdicts(summary)
    summary["verdicts"] = {r[0].strip(): r[3] for r in rows if r[3]}
    text = json.dumps(summary, ensure_ascii=False, indent=1, default=str)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(format_table(rows))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
