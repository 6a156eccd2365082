"""Build and update the index: fresh builds are swapped in whole, updates touch only what changed.

Every run holds the index lock (lock.py), removes abandoned generations and looks at the kept
index before trusting it (generations.py); a damaged index is rebuilt, with the reason in the
summary. An update reads the manifest (manifest.py) only for the files in question: all of them
when the caller cannot say what changed, or the paths a watcher reported.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from casebook.content.identity import duplicate_id, later_duplicates
from casebook.content.taxonomy import Taxonomy
from casebook.content.text import DEFAULT_LIMITS, SizeLimits
from casebook.content.tree import MAX_DEPTH, scan_tree
from casebook.content.vocabulary import Vocabulary
from casebook.git import working_state
from casebook.index.analysis import CaseTokenizer
from casebook.index.generations import (
    clean_abandoned,
    current_generation,
    damage,
    new_generation,
    pointer_problem,
    segment_files,
    swap,
)
from casebook.index.indexing import IndexReport, index_file
from casebook.index.lock import IndexLock
from casebook.index.manifest import Entry, Manifest, ManifestError
from casebook.index.schema import SCHEMA_VERSION, build_schema
from casebook.index.update import git_record, racily_clean, update_generation

PARALLEL_FROM = 2000  # below this many files a second process costs more than it saves


def update_index(
    cases_dir: Path,
    index_dir: Path,
    taxonomy: Taxonomy,
    vocabulary: Vocabulary,
    segmenter: str,
    taxonomy_digest: str = "",
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
    changed: Iterable[str] | None = None,
    max_depth: int = MAX_DEPTH,
    limits: SizeLimits = DEFAULT_LIMITS,
) -> IndexReport:
    """Bring the index up to date with the cases directory; rebuild when it cannot be updated.

    `changed` names the files or folders (relative to the cases directory) that may have
    changed; without it every file is looked at. Raise IndexBusyError while another run holds
    the index lock.
    """
    started = time.perf_counter()
    stamp = {
        "schema_version": SCHEMA_VERSION,
        "segmenter": segmenter,
        "vocabulary": vocabulary.digest,
        "taxonomy": taxonomy_digest,
        "case_max_bytes": limits.max_bytes,  # a changed limit rebuilds: files it refused may now fit
    }
    report = IndexReport()
    with IndexLock(index_dir):
        # Before anything is read, so that a change made during this run is seen by the next.
        state = working_state(cases_dir) if changed is None else None
        report.cleaned = clean_abandoned(index_dir) if index_dir.is_dir() else []
        generation = current_generation(index_dir)
        if full:
            report.reason = "requested"
        elif generation is None:
            problem = pointer_problem(index_dir)
            report.reason = f"index damaged: {problem}" if problem else "no index yet"
        elif problem := damage(generation):
            report.reason = f"index damaged: {problem}"
        else:
            with Manifest(generation) as manifest:
                kept = manifest.stamp()
            differ = [k for k in stamp if kept.get(k) != stamp[k]]
            report.reason = f"{', '.join(differ)} changed" if differ else ""
        tokenizer = CaseTokenizer(segmenter, vocabulary.words, vocabulary.groups)
        if report.reason:
            report.full = True
            _build(cases_dir, index_dir, taxonomy, tokenizer, dict(stamp), report, progress, max_depth, state, limits)
        else:
            try:
                update_generation(cases_dir, generation, taxonomy, report, progress, changed, max_depth, state, limits)
            except ManifestError as exc:  # damage met on the way (the start looks at what it can cheaply)
                report = IndexReport(full=True, reason=f"index damaged: {exc}", cleaned=report.cleaned)
                _build(
                    cases_dir, index_dir, taxonomy, tokenizer, dict(stamp), report, progress, max_depth, state, limits
                )
    report.seconds = time.perf_counter() - started
    return report


def _build(cases_dir, index_dir, taxonomy, tokenizer, stamp, report, progress, max_depth, state, limits) -> None:
    generation = new_generation(index_dir)
    started = time.time_ns()
    listing = scan_tree(cases_dir, max_depth)
    report.problems.extend(listing.problems)
    files = sorted(listing.stats().items())
    procs = _processes(len(files))
    try:
        if procs == 1:
            parts = [build_part(cases_dir, generation, files, taxonomy, tokenizer, progress, limits)]
        else:
            from casebook.index.workers import combine, run_parts  # multiprocessing: full builds only

            # Each process reads, validates and indexes its share of the files into an index
            # of its own; their segments are then listed in one table of contents. Nothing
            # is pickled per document and nothing is merged: every core works all the way.
            dirs = [generation / f"part-{i}" for i in range(procs)]
            parts = run_parts(
                build_part,
                [(cases_dir, dirs[i], files[i::procs], taxonomy, tokenizer, None, limits) for i in range(procs)],
            )
            combine(generation, build_schema(tokenizer), dirs)
        entries: dict[str, Entry] = {}
        for part in parts:
            entries.update(part.entries)
            report.problems.extend(part.problems)
            report.skipped.extend(part.skipped)
        _drop_duplicates(generation, entries, report)
        report.added = len(entries)
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(str(generation))
        report.documents = ix.doc_count()
        ix.close()
        with Manifest(generation, create=True) as manifest:
            meta = {"stamp": stamp, "segments": segment_files(generation), "documents": report.documents}
            meta.update(git_record(state))
            meta["racy"] = sorted(racily_clean(list(entries.values()), started))
            manifest.write(list(entries.values()), [], meta)  # every folder is touched
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    swap(index_dir, generation)


@dataclass
class _Part:
    """What one build process indexed: manifest entries, problems and skipped files."""

    entries: dict
    problems: list
    skipped: list


def _processes(files: int) -> int:
    """Return how many processes a full build of this many files should use."""
    chosen = int(os.environ.get("CASEBOOK_INDEX_PROCS", "0"))  # set: always that many
    if chosen > 0:
        return chosen
    return min(os.cpu_count() or 1, 4) if files >= PARALLEL_FROM else 1


def build_part(
    cases_dir: Path,
    target: Path,
    files: list,
    taxonomy: Taxonomy,
    tokenizer: CaseTokenizer,
    progress=None,
    limits: SizeLimits = DEFAULT_LIMITS,
) -> _Part:
    """Index some files into a new index at `target` (in a worker process for large trees)."""
    from whoosh import index as whoosh_index

    target.mkdir(exist_ok=True)
    ix = whoosh_index.create_in(str(target), build_schema(tokenizer))
    report = IndexReport()
    entries: dict[str, Entry] = {}
    seen_ids: dict[str, str] = {}
    # 1 GB per process keeps 10,000 cases' postings in memory: spilling them to sorted runs
    # on disk took half the build time (measured at 20,000 cases: 57 s against 32 s).
    # Plain (not compound) segment files: Whoosh reads a compound segment's parts into
    # memory on every open (122 MB at 20,000 cases), while plain files are only mapped.
    writer = ix.writer(limitmb=int(os.environ.get("CASEBOOK_INDEX_LIMITMB", "1024")), compound=False)
    try:
        for count, (rel, stat) in enumerate(files, start=1):
            entry = index_file(writer, cases_dir, rel, stat, taxonomy, seen_ids, report, limits=limits)
            if entry:
                entries[rel] = entry
            if progress:
                progress(count, len(files))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    return _Part(entries, report.problems, report.skipped)


def _drop_duplicates(generation: Path, entries: dict[str, Entry], report: IndexReport) -> None:
    """Keep the first file (in path order) of each id that files indexed apart both used."""
    dropped = []
    for rel, owner in later_duplicates(sorted(entries), lambda rel: entries[rel].id):
        dropped.append(rel)
        report.problems.append(duplicate_id(rel, 1, entries[rel].id, owner))
        report.skipped.append(rel)
    if not dropped:
        return
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    writer = ix.writer()
    for rel in dropped:
        writer.delete_by_term("path", rel)
        del entries[rel]
    writer.commit(merge=False)
    ix.close()
