"""Show where Casebook's time goes: the full build, a search, an incremental update.

Run from the repository root, after bench/perf.py has generated (and indexed) the tree:

    .venv/bin/python bench/hotspots.py build  --n 20000 [--seed 1] [--top 25] [--save FILE.prof]
    .venv/bin/python bench/hotspots.py search --n 20000
    .venv/bin/python bench/hotspots.py http   --n 20000
    .venv/bin/python bench/hotspots.py update --n 20000

Each mode prints two views of the same work:

- timings without cProfile's overhead: for the build, each stage run by itself (reading and
  validating every file, making index documents, tokenizing every text field) and the whole
  build, the rest being Whoosh; for a search, the inclusive time of every function that
  casebook.search, casebook.docsets and casebook.highlight define (wrapped at run time, so
  this follows the code as it changes) and of Whoosh's Searcher.search; for the search page,
  the Flask test client against Casebook.search alone, with the web modules and Jinja timed;
- cProfile of the whole operation: the cumulative time of Casebook's key functions (they nest,
  so they do not add up) and the top functions by own time.

The build may run in several processes; cProfile sees only its own, so the profiled build sets
CASEBOOK_INDEX_PROCS=1 (which casebook/index/build.py reads). The stage table shows both builds.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import inspect
import io
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import measure  # noqa: E402
import perf  # noqa: E402

# (file suffix, function) pairs whose cumulative time is shown, by mode.
KEY_FUNCTIONS = {
    "build": [
        ("casebook/index/build.py", "_build"),
        ("casebook/index/build.py", "_index_file"),
        ("casebook/content/loader.py", "load_file"),
        ("casebook/content/frontmatter.py", "parse"),
        ("casebook/content/loader.py", "_check_fields"),
        ("casebook/content/loader.py", "_sections"),
        ("casebook/index/documents.py", "to_documents"),
        ("whoosh/writing.py", "add_document"),
        ("casebook/index/analysis.py", "__call__"),
        ("casebook/index/analysis.py", "normalise"),
        ("casebook/index/analysis.py", "words"),
        ("casebook/index/analysis.py", "spans"),
        ("whoosh/writing.py", "commit"),
        ("whoosh/writing.py", "_flush_segment"),
        ("whoosh/writing.py", "_finalize_segment"),
        ("casebook/index/build.py", "_write_manifest"),
    ],
    "search": [
        ("casebook/search/searcher.py", "search"),
        ("casebook/search/planning.py", "plan"),
        ("casebook/search/searcher.py", "_match"),
        ("casebook/search/searcher.py", "filter_docs"),
        ("casebook/search/ranking.py", "score"),
        ("casebook/search/ranking.py", "fold"),
        ("casebook/search/searcher.py", "_order"),
        ("casebook/search/searcher.py", "_facets"),
        ("casebook/search/hits.py", "make"),
        ("casebook/search/snippets.py", "snippet_of"),
        ("casebook/search/highlight.py", "find_matches"),
        ("casebook/search/highlight.py", "best_snippet"),
        ("casebook/index/analysis.py", "words"),
        ("casebook/index/analysis.py", "normalise"),
        ("casebook/search/relaxing.py", "relaxations"),
        ("casebook/service.py", "searcher"),
    ],
    "http": [
        ("casebook/web/search.py", "search_page"),
        ("casebook/web/search.py", "_run_search"),
        ("casebook/web/search.py", "_view"),
        ("casebook/service.py", "search"),
        ("flask/templating.py", "render_template"),
        ("jinja2/environment.py", "render"),
        ("casebook/search/precedent.py", "summarise"),
        ("casebook/web/searchlog.py", "record_search"),
        ("werkzeug/test.py", "open"),
    ],
    "update": [
        ("casebook/index/build.py", "update_index"),
        ("casebook/index/build.py", "_update"),
        ("casebook/index/build.py", "_scan"),
        ("casebook/content/loader.py", "find_files"),
        ("casebook/index/build.py", "read_manifest"),
        ("whoosh/index.py", "open_dir"),
        ("casebook/index/build.py", "_index_file"),
        ("whoosh/writing.py", "commit"),
        ("casebook/index/build.py", "_write_manifest"),
        ("casebook/content/vocabulary.py", "load_vocabulary"),
        ("casebook/content/taxonomy.py", "load_taxonomy"),
    ],
}


def tree_and_index(n: int, seed: int) -> tuple[Path, Path]:
    """Return the cached tree's cases and index folders, building what is missing."""
    base, _ = perf.prepare_tree(n, seed, False, generate.load_samples())
    cases_dir, index_dir = base / "cases", base / "index"
    if not (index_dir / "CURRENT").is_file():
        measure.run_timed(
            [*perf.casebook_cmd(), "--cases", str(cases_dir), "--index", str(index_dir), "index", "--full"]
        )
    return cases_dir, index_dir


def profiled(fn) -> tuple[float, pstats.Stats]:
    """Run fn under cProfile; return its wall time (with profiler overhead) and the stats."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(fn)
    wall = time.perf_counter() - started
    return wall, pstats.Stats(profiler)


def report_profile(stats: pstats.Stats, mode: str, top: int, wall: float) -> str:
    """Return the key functions' cumulative times and the top functions by own time."""
    lines = [
        f"cProfile: {wall:.2f} s wall with the profiler on",
        "",
        "key functions (cumulative; nested, so they overlap):",
    ]
    raw = stats.stats  # (file, line, name) -> (primitive calls, calls, own, cumulative, callers)
    for suffix, name in KEY_FUNCTIONS[mode]:
        matches = [(k, v) for k, v in raw.items() if k[0].replace("\\", "/").endswith(suffix) and k[2] == name]
        if not matches:
            continue  # renamed or gone: the list names what existed when it was written
        calls = sum(v[1] for _, v in matches)
        cumulative = sum(v[3] for _, v in matches)
        lines.append(f"  {suffix}:{name:<24} {cumulative:8.2f} s  {cumulative / wall:6.1%}  {calls:>9} calls")
    lines.append("")
    lines.append(f"top {top} by own time:")
    buffer = io.StringIO()
    stats.stream = buffer
    stats.sort_stats("tottime").print_stats(top)
    body = buffer.getvalue()
    lines.append(body[body.find("   ncalls") :].rstrip())
    return "\n".join(lines)


# -- build -------------------------------------------------------------------------------------


def build_stages(cases_dir: Path, workdir: Path) -> dict:
    """Time the build's parts separately, without a profiler."""
    from casebook.config import Settings
    from casebook.content.loader import load_file
    from casebook.content.taxonomy import load_taxonomy
    from casebook.content.tree import find_files
    from casebook.content.vocabulary import load_vocabulary
    from casebook.index.analysis import CaseTokenizer, get_segmenter
    from casebook.index.documents import to_documents
    from casebook.index.schema import TEXT_FIELDS
    from casebook.service import Casebook

    out: dict[str, float] = {}
    started = time.perf_counter()
    taxonomy = load_taxonomy(cases_dir)
    vocabulary = load_vocabulary(cases_dir)
    paths = find_files(cases_dir)
    out["find files"] = time.perf_counter() - started

    started = time.perf_counter()
    raw = [p.read_bytes() for p in paths]
    out["read files (warm page cache)"] = time.perf_counter() - started
    del raw

    started = time.perf_counter()
    cases = [load_file(p, taxonomy)[0] for p in paths]
    out["read + parse YAML + validate (load_file)"] = time.perf_counter() - started

    started = time.perf_counter()
    docs = [doc for case in cases if case for doc in to_documents(case)]
    out["to_documents"] = time.perf_counter() - started

    tokenizer = CaseTokenizer("rjieba", vocabulary.words)
    get_segmenter("rjieba", tuple(tuple(w) for w in vocabulary.words)).words("预热")
    started = time.perf_counter()
    tokens = 0
    for doc in docs:
        for name in TEXT_FIELDS:
            if doc.get(name):
                for _ in tokenizer(doc[name], positions=True, chars=True):
                    tokens += 1
    out["tokenize every text field (CaseTokenizer: normalise + rjieba + positions)"] = time.perf_counter() - started
    out["tokens"] = tokens

    from casebook.index.analysis import normalise

    started = time.perf_counter()
    for doc in docs:
        for name in TEXT_FIELDS:
            if doc.get(name):
                normalise(doc[name])
    out["  of which normalise (NFKC fold + OpenCC)"] = time.perf_counter() - started

    segmenter = tokenizer.segmenter
    texts = [normalise(doc[name]) for doc in docs for name in TEXT_FIELDS if doc.get(name)]
    started = time.perf_counter()
    for text in texts:
        segmenter.spans(text, True)
    out["  of which rjieba tokenize(search) alone"] = time.perf_counter() - started
    del texts

    index_dir = workdir / "profile-index"
    for label, procs in (("as casebook chooses (may use several processes)", None), ("in one process", "1")):
        shutil.rmtree(index_dir, ignore_errors=True)
        book = Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir, search_log=False))
        with one_process(procs):
            started = time.perf_counter()
            book.update_index(full=True)
            out[f"whole build, {label}"] = time.perf_counter() - started
    shutil.rmtree(index_dir, ignore_errors=True)
    accounted = (
        out["read + parse YAML + validate (load_file)"]
        + out["to_documents"]
        + out["tokenize every text field (CaseTokenizer: normalise + rjieba + positions)"]
    )
    out["remainder of the one-process build: Whoosh indexing, posting sort/write, commit"] = (
        out["whole build, in one process"] - accounted
    )
    return out


class one_process:
    """Set CASEBOOK_INDEX_PROCS (which the indexer reads) for a block; None leaves it alone."""

    def __init__(self, procs: str | None):
        self.procs = procs
        self.saved = os.environ.get("CASEBOOK_INDEX_PROCS")

    def __enter__(self):
        if self.procs is not None:
            os.environ["CASEBOOK_INDEX_PROCS"] = self.procs

    def __exit__(self, *exc):
        if self.procs is not None:
            if self.saved is None:
                os.environ.pop("CASEBOOK_INDEX_PROCS", None)
            else:
                os.environ["CASEBOOK_INDEX_PROCS"] = self.saved


def profile_build(cases_dir: Path, index_dir: Path, workdir: Path, top: int, save: Path | None) -> None:
    from casebook.config import Settings
    from casebook.service import Casebook

    stages = build_stages(cases_dir, workdir)
    print_stages("build stages (no profiler)", stages)
    target = workdir / "profile-index"
    shutil.rmtree(target, ignore_errors=True)
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=target, search_log=False))
    with one_process("1"):  # cProfile sees only its own process
        wall, stats = profiled(lambda: book.update_index(full=True))
    shutil.rmtree(target, ignore_errors=True)
    print("cProfile of the build in one process (CASEBOOK_INDEX_PROCS=1):")
    finish(stats, "build", top, wall, save)


# -- search ------------------------------------------------------------------------------------


class Timers:
    """Inclusive wall time of instrumented functions (outermost call only when nested in itself)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._depth: dict[str, int] = {}
        self._undo: list = []

    def _record(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def wrap(self, name: str, fn):
        """Return fn timed under `name`; a generator is timed only while it computes its items."""
        timers = self

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args, **kwargs):
                spent = 0.0
                started = time.perf_counter()
                iterator = fn(*args, **kwargs)
                spent += time.perf_counter() - started
                try:
                    while True:
                        started = time.perf_counter()
                        try:
                            item = next(iterator)
                        except StopIteration:
                            return
                        finally:
                            spent += time.perf_counter() - started
                        yield item
                finally:
                    timers._record(name, spent)

            return generator

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            depth = timers._depth.get(name, 0)
            timers._depth[name] = depth + 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timers._depth[name] = depth
                if depth == 0:
                    timers._record(name, time.perf_counter() - started)

        return timed

    def instrument_class(self, cls, prefix: str, only: tuple[str, ...] = ()) -> None:
        """Time every plain method a class defines (or only the named ones)."""
        for attr, value in list(vars(cls).items()):
            if inspect.isfunction(value) and (attr in only if only else not attr.startswith("__")):
                setattr(cls, attr, self.wrap(f"{prefix}.{attr}", value))
                self._undo.append((cls, attr, value))

    def instrument_functions(self, home, users: tuple = ()) -> None:
        """Time the functions a module defines, also where other modules imported them by name."""
        for attr, value in list(vars(home).items()):
            if inspect.isfunction(value) and value.__module__ == home.__name__ and not attr.startswith("__"):
                wrapped = self.wrap(f"{home.__name__.split('.')[-1]}.{attr}", value)
                for module in (home, *users):
                    if getattr(module, attr, None) is value:
                        setattr(module, attr, wrapped)
                        self._undo.append((module, attr, value))

    def restore(self) -> None:
        for owner, attr, value in reversed(self._undo):
            setattr(owner, attr, value)
        self._undo.clear()


def search_timers(book, requests) -> tuple[Timers, float]:
    """Run the mix once with Casebook's search functions and Whoosh's searcher instrumented.

    Everything casebook.search, casebook.docsets (when present) and casebook.highlight define
    is timed, so this follows the search code as it changes.
    """
    import importlib

    from whoosh import searching

    timers = Timers()
    names = ("searcher", "planning", "ranking", "postings", "docsets", "hits", "snippets", "highlight", "relaxing")
    modules = [importlib.import_module(f"casebook.search.{name}") for name in names]
    for module in modules:
        for value in list(vars(module).values()):
            if inspect.isclass(value) and value.__module__ == module.__name__:
                timers.instrument_class(value, value.__name__)
        timers.instrument_functions(module, tuple(m for m in modules if m is not module))
    timers.instrument_class(
        searching.Searcher, "whoosh.Searcher", ("search", "search_with_collector", "docs_for_query", "stored_fields")
    )
    from casebook import service

    timers.instrument_class(service.Casebook, "Casebook", ("search", "searcher"))
    try:
        started = time.perf_counter()
        for request in requests:
            book.search(request)
        total = time.perf_counter() - started
    finally:
        timers.restore()
    return timers, total


def profile_search(
    cases_dir: Path, index_dir: Path, workdir: Path, top: int, save: Path | None, seed: int, count: int
) -> None:
    from casebook.config import Settings
    from casebook.search.searcher import SearchRequest
    from casebook.service import Casebook

    mix = perf.query_mix(generate.load_samples(), cases_dir, seed, count)
    requests = [SearchRequest(q=m["q"], categories=tuple(m["categories"]), outcomes=tuple(m["outcomes"])) for m in mix]
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir, search_log=False))
    for request in requests:
        book.search(request)
    plain = []
    for request in requests:
        started = time.perf_counter()
        book.search(request)
        plain.append(time.perf_counter() - started)
    ms = [v * 1000 for v in plain]
    print(
        f"Casebook.search over {len(requests)} queries, warm, no instrumentation: "
        f"p50 {measure.percentile(ms, 50):.1f} ms, p95 {measure.percentile(ms, 95):.1f} ms, mean {sum(ms) / len(ms):.1f} ms"
    )
    timers, total = search_timers(book, requests)
    print(
        f"\ninstrumented functions (inclusive wall time, nested ones overlap; {total:.2f} s in all, "
        f"{total / len(requests) * 1000:.1f} ms per search with the timers on):"
    )
    print(f"  {'function':<48} {'calls':>8} {'sum s':>8} {'ms/search':>10} {'share':>7}")
    for name in sorted(timers.seconds, key=lambda n: -timers.seconds[n]):
        seconds = timers.seconds[name]
        if seconds < 0.001 * total:
            continue
        print(
            f"  {name:<48} {timers.calls[name]:>8} {seconds:8.2f} {seconds / len(requests) * 1000:10.2f} {seconds / total:7.1%}"
        )
    print()
    wall, stats = profiled(lambda: [book.search(r) for r in requests])
    book.close()
    finish(stats, "search", top, wall, save)


# -- http ----------------------------------------------------------------------------------------


def profile_http(
    cases_dir: Path, index_dir: Path, workdir: Path, top: int, save: Path | None, seed: int, count: int
) -> None:
    """Time the search page in process (Flask test client, no waitress), against the API alone."""
    import importlib

    from casebook.config import Settings
    from casebook.search.searcher import SearchRequest
    from casebook.service import Casebook
    from casebook.web import create_app

    mix = perf.query_mix(generate.load_samples(), cases_dir, seed, count)
    paths = perf.page_paths(mix)
    requests = [SearchRequest(q=m["q"], categories=tuple(m["categories"]), outcomes=tuple(m["outcomes"])) for m in mix]
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir))  # search log on, as served
    client = create_app(casebook=book).test_client()
    for path in paths:  # warm
        assert client.get(path).status_code == 200, path
    for name, run in (
        ("Casebook.search (API only)", lambda i: book.search(requests[i])),
        ("GET / (Flask test client)", lambda i: client.get(paths[i])),
    ):
        wall, cpu = [], []
        for i in range(len(paths)):
            started, started_cpu = time.perf_counter(), time.process_time()
            run(i)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        print(
            f"{name:<28} wall p50 {measure.percentile(wall, 50):6.2f} ms  p95 {measure.percentile(wall, 95):6.2f} ms  "
            f"mean {sum(wall) / len(wall):6.2f} ms  CPU mean {sum(cpu) / len(cpu):6.2f} ms  ({len(paths)} requests)"
        )
    timers = Timers()
    names = (
        "casebook.web",
        "casebook.web.state",
        "casebook.search.precedent",
        "casebook.web.rendering",
        "casebook.web.searchlog",
        "casebook.search.searcher",
        "casebook.search.highlight",
        "casebook.search.docsets",
    )
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            pass
    for module in modules:
        for value in list(vars(module).values()):
            if inspect.isclass(value) and value.__module__ == module.__name__:
                timers.instrument_class(value, value.__name__)
        timers.instrument_functions(module, tuple(m for m in modules if m is not module))
    import flask.templating
    import jinja2

    timers.instrument_class(jinja2.Template, "jinja2.Template", ("render",))
    timers.instrument_functions(flask.templating, (importlib.import_module("casebook.web"),))
    client = create_app(casebook=book).test_client()
    try:
        started = time.perf_counter()
        for path in paths:
            client.get(path)
        total = time.perf_counter() - started
    finally:
        timers.restore()
    print(
        f"\ninstrumented functions per request (inclusive; nested ones overlap; {total / len(paths) * 1000:.2f} ms per request with timers on):"
    )
    print(f"  {'function':<48} {'calls':>8} {'ms/request':>10} {'share':>7}")
    for name in sorted(timers.seconds, key=lambda n: -timers.seconds[n]):
        seconds = timers.seconds[name]
        if seconds >= 0.005 * total:
            print(f"  {name:<48} {timers.calls[name]:>8} {seconds / len(paths) * 1000:10.2f} {seconds / total:7.1%}")
    print()
    wall, stats = profiled(lambda: [client.get(path) for path in paths])
    book.close()
    finish(stats, "http", top, wall, save)


# -- update ------------------------------------------------------------------------------------


def profile_update(cases_dir: Path, index_dir: Path, workdir: Path, top: int, save: Path | None) -> None:
    from casebook.config import Settings
    from casebook.service import Casebook

    files = sorted(p for p in cases_dir.rglob("*.md"))
    target = files[len(files) // 2]
    original = target.read_bytes()
    started = time.perf_counter()
    import casebook.cli  # noqa: F401  (what the command imports before it runs)
    import casebook.service  # noqa: F401

    imports = time.perf_counter() - started
    settings = Settings(cases_dir=cases_dir, index_dir=index_dir, search_log=False)
    before = Casebook(settings).update_index()  # untimed: an index of older code is rebuilt first
    if before.full:
        print(f"(the index was rebuilt first: {before.reason})")
    try:
        target.write_bytes(original + "\n补充说明：用于剖析的修订。\n".encode("utf-8"))
        book = Casebook(settings)
        wall, stats = profiled(lambda: book.update_index())
    finally:
        target.write_bytes(original)
        Casebook(Settings(cases_dir=cases_dir, index_dir=index_dir, search_log=False)).update_index()
    print(
        f"imports of casebook.cli + casebook.service in this process: {imports:.2f} s (see also python -X importtime)"
    )
    finish(stats, "update", top, wall, save)


def print_stages(title: str, stages: dict) -> None:
    print(title + ":")
    for name, value in stages.items():
        print(f"  {name:<80} {value:10.2f}" + (" s" if isinstance(value, float) else ""))
    print()


def finish(stats: pstats.Stats, mode: str, top: int, wall: float, save: Path | None) -> None:
    print(report_profile(stats, mode, top, wall))
    if save:
        stats.dump_stats(str(save))
        print(f"\nsaved {save} (open with: python -m pstats {save})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("build", "search", "http", "update"))
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="write the raw cProfile stats here")
    args = parser.parse_args(argv)
    cases_dir, index_dir = tree_and_index(args.n, args.seed)
    workdir = cases_dir.parent
    if args.mode == "build":
        profile_build(cases_dir, index_dir, workdir, args.top, args.save)
    elif args.mode == "search":
        profile_search(cases_dir, index_dir, workdir, args.top, args.save, args.seed, args.queries)
    elif args.mode == "http":
        profile_http(cases_dir, index_dir, workdir, args.top, args.save, args.seed, args.queries)
    else:
        profile_update(cases_dir, index_dir, workdir, args.top, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
