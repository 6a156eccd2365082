"""Incremental updates: re-index the files that changed, remove the ones that went.

The manifest is asked only about the files in question: when the caller cannot say what
changed, the whole tree is listed and only the folders whose digest differs from the manifest's
are compared file by file; otherwise only the files and folders a watcher (or git) reported.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from casebook.content.loader import read_limited
from casebook.content.text import DEFAULT_LIMITS, SizeLimits
from casebook.content.tree import FileStat, admissible_dir, admissible_file, is_text, scan_tree
from casebook.errors import display_path
from casebook.git import WorkingState, changed_between
from casebook.index.generations import segment_files
from casebook.index.indexing import IndexReport, digest, entry_for, index_file
from casebook.index.manifest import Entry, Manifest


class _Owners:
    """Which file holds each case id: the manifest, plus this run's changes."""

    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        self.added: dict[str, str] = {}
        self.gone: set[str] = set()  # files whose old entry this run removed

    def get(self, case_id: str) -> str | None:
        if case_id in self.added:
            return self.added[case_id]
        rel = self.manifest.owner(case_id)
        return None if rel is None or rel in self.gone else rel

    def __contains__(self, case_id: str) -> bool:
        return self.get(case_id) is not None

    def __getitem__(self, case_id: str) -> str | None:
        return self.get(case_id)

    def __setitem__(self, case_id: str, rel: str) -> None:
        self.added[case_id] = rel


@dataclass
class _Look:
    """The files in question now, what the manifest knows of the same scope, and what was refused."""

    files: dict[str, FileStat] = field(default_factory=dict)
    known: dict[str, FileStat] = field(default_factory=dict)
    problems: list = field(default_factory=list)
    looked: int = 0  # files whose stat was taken
    digests_missing: bool = False  # a manifest written before folder digests: write, to add them


def _look(cases_dir: Path, manifest: Manifest, changed, max_depth: int, racy: set[str]) -> _Look:
    """Look at the files that may have changed: all of them (changed=None), or those named."""
    named = None if changed is None else {str(c).strip("/") for c in changed}
    if named is None or "" in named:
        return _look_everywhere(cases_dir, manifest, max_depth, {rel.rpartition("/")[0] for rel in racy})
    look = _Look()
    for rel in sorted(named):
        if not is_text(rel):
            continue  # a name of stray bytes: never indexed; the whole tree's walk reports it
        if admissible_file(cases_dir, rel, max_depth):
            try:
                info = os.stat(cases_dir / rel)
                look.files[rel] = (info.st_mtime_ns, info.st_size)
            except OSError:
                pass  # removed since the event: the manifest entry below goes
        elif admissible_dir(cases_dir, rel, max_depth):
            sub = scan_tree(cases_dir, max_depth, under=rel)
            look.files.update(sub.stats())
            look.problems.extend(sub.problems)
        entry = manifest.entry(rel)
        if entry is not None:
            look.known[rel] = (entry.mtime_ns, entry.size)
        look.known.update(manifest.stats(under=rel))
    look.looked = len(look.files)
    return look


def _look_everywhere(cases_dir: Path, manifest: Manifest, max_depth: int, forced: set[str]) -> _Look:
    """List the whole tree; compare file by file only the folders whose digest differs (or `forced`)."""
    # Every file's stat is still taken: a file rewritten in place changes no folder's time,
    # so a folder cannot be skipped on its time alone. What the digests save is loading and
    # comparing 100,000 manifest entries when nothing (or one folder) changed.
    listing = scan_tree(cases_dir, max_depth)
    look = _Look(problems=listing.problems, looked=sum(len(f.names) for f in listing.folders.values()))
    stored = manifest.folder_digests()
    if stored is None:
        look.files, look.known, look.digests_missing = listing.stats(), manifest.stats(), True
        return look
    for rel_dir, folder in listing.folders.items():
        if (folder.names or rel_dir in stored) and (rel_dir in forced or stored.get(rel_dir) != folder.digest()):
            look.files.update(folder.stats(rel_dir))
            look.known.update(manifest.folder_stats(rel_dir))
    for rel_dir in stored.keys() - listing.folders.keys():
        look.known.update(manifest.folder_stats(rel_dir))  # gone, or no longer read: its files go
    return look


RACY_NS = 2_000_000_000  # the coarsest file times in use (FAT: 2 s; many systems: a clock tick)


def racily_clean(entries: list[Entry], started: int) -> set[str]:
    """Return the files whose time could still change without the time showing it.

    A file read by a run that began less than one timestamp tick after the file's time may be
    written again within that same tick, at the same size: its stat would not show the change.
    Such files are read again by the next run (as git does with "racily clean" entries). A time
    in the future (an archive from a skewed clock) hides nothing: a write sets the time to now.
    """
    finished = time.time_ns()
    return {e.rel for e in entries if started - RACY_NS < e.mtime_ns <= finished + RACY_NS}


GIT_HINTS = 5000  # more files than this changed or dirty: one listing of the tree is cheaper


def git_record(state: WorkingState | None) -> dict:
    """Return the manifest's record of the git state an index run looked at everything in."""
    if state is None:
        return {"git": None}
    return {"git": {"head": state.head, "dirty": sorted(state.dirty) if len(state.dirty) <= GIT_HINTS else None}}


def _git_hints(cases_dir: Path, manifest: Manifest, state: WorkingState | None) -> list[str] | None:
    """Return what may have changed since the last full look, from git; None when git cannot say.

    A file differs from what was indexed only if a commit since then touched it, or it is
    dirty now, or it was dirty then (and may have been put back since).
    """
    since = manifest.meta("git")
    if state is None or not since or since.get("dirty") is None:
        return None
    paths = set(state.dirty) | set(since["dirty"])
    if since["head"] != state.head:
        between = changed_between(cases_dir, since["head"], state.head)
        if between is None:
            return None  # history rewritten past the indexed commit
        paths |= between
    return sorted(paths) if len(paths) <= GIT_HINTS and "" not in paths else None


def update_generation(
    cases_dir: Path,
    generation: Path,
    taxonomy,
    report: IndexReport,
    progress,
    changed,
    max_depth: int,
    state: WorkingState | None = None,
    limits: SizeLimits = DEFAULT_LIMITS,
) -> None:
    """Apply the changes of the cases directory to a kept generation, counting them in `report`.

    `changed` names the paths that may have changed (a watcher's events); without it, git
    says (`state`, when the tree is a work tree), or every file is looked at.
    """
    from whoosh import index as whoosh_index

    with Manifest(generation) as manifest:
        started = time.time_ns()  # before any stat is taken: see racily_clean
        complete = changed is None  # this run accounts for every file: it may record the git state
        racy = set(manifest.meta("racy", []))
        if complete:
            changed = _git_hints(cases_dir, manifest, state)
            if changed is not None:
                changed = sorted(set(changed) | racy)  # git cannot vouch for what it saw after our read
        look = _look(cases_dir, manifest, changed, max_depth, racy)
        files, known = look.files, look.known
        report.looked, report.compared = look.looked, len(files)
        report.problems.extend(look.problems)
        owners = _Owners(manifest)
        upserts: list[Entry] = []
        removals = sorted(set(known) - set(files))
        candidates = sorted(rel for rel, stat in files.items() if stat != known.get(rel) or rel in racy)
        documents = manifest.meta("documents")
        # Nothing to write: the index need not even be opened (the run's start saw that it opens).
        ix = whoosh_index.open_dir(str(generation)) if removals or candidates or documents is None else None
        writer = None
        verified: list[Entry] = []  # files read this run and indexed as they are now

        def take_out(rel: str) -> None:
            nonlocal writer
            writer = writer or ix.writer(limitmb=64)
            writer.delete_by_term("path", rel)
            owners.gone.add(rel)

        try:
            for rel in removals:
                take_out(rel)
                report.removed += 1
            for count, rel in enumerate(candidates, start=1):
                old = manifest.entry(rel)
                try:
                    raw = read_limited(cases_dir / rel, files[rel][1], limits, display_path(cases_dir / rel))
                except FileNotFoundError:  # removed since the listing (a pull in progress)
                    if old:
                        take_out(rel)
                        removals.append(rel)
                        report.removed += 1
                    continue
                if old and isinstance(raw, bytes) and digest(raw) == old.digest:
                    entry = entry_for(old.id, rel, old.digest, files[rel])
                    if entry != old:
                        upserts.append(entry)  # touched, not changed
                    verified.append(entry)
                    continue
                if old:
                    take_out(rel)
                writer = writer or ix.writer(limitmb=64)
                entry = index_file(writer, cases_dir, rel, files[rel], taxonomy, owners, report, raw, limits)
                if entry:
                    upserts.append(entry)
                    verified.append(entry)
                    report.updated += bool(old)
                    report.added += not old
                elif old:
                    removals.append(rel)
                    report.removed += 1
                if progress:
                    progress(count, len(candidates))
            committed = writer is not None  # even with nothing added: a commit writes a new table of contents
            if writer is not None:
                manifest.begin_write()
                writer.commit()
                writer = None
            report.documents = ix.doc_count() if ix is not None else documents
            meta = {"segments": segment_files(generation)} if committed else {}
            if report.documents != documents:
                meta["documents"] = report.documents
            still_racy = racily_clean(verified, started) | (racy - set(candidates) - set(removals))
            if still_racy != racy:
                meta["racy"] = sorted(still_racy)
            if complete and manifest.meta("git") != git_record(state)["git"]:
                meta.update(git_record(state))
            if meta or look.digests_missing:  # a manifest without digests gets them at its first write
                manifest.write(upserts, removals, meta)
            report.unchanged = manifest.count() - report.added - report.updated
        finally:
            if writer is not None:
                writer.cancel()
            if ix is not None:
                ix.close()
