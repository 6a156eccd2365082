"""What an index run did, and indexing one file: shared by full builds and updates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from casebook.content.identity import duplicate_id
from casebook.content.loader import parse_case, read_limited
from casebook.content.text import DEFAULT_LIMITS
from casebook.content.tree import FileStat
from casebook.errors import Problem, display_path
from casebook.index.documents import to_documents
from casebook.index.manifest import Entry


@dataclass
class IndexReport:
    """What one `index` run did."""

    full: bool = False
    reason: str = ""
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    documents: int = 0
    seconds: float = 0.0
    looked: int = 0  # files whose stat an update took
    compared: int = 0  # of those, files compared one by one with the manifest (their folder's digest differed)
    cleaned: list[str] = field(default_factory=list)  # abandoned generation folders removed

    def summary(self) -> str:
        """Return the one-line summary printed after every run."""
        mode = f"full build ({self.reason})" if self.full else "update"
        cleaned = f"; removed {len(self.cleaned)} abandoned generation folders" if self.cleaned else ""
        return (
            f"index {mode}: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped with errors; "
            f"{self.documents} documents in {self.seconds:.2f}s{cleaned}"
        )


def index_file(
    writer, cases_dir, rel, stat, taxonomy, seen_ids, report, raw: bytes | Problem | None = None, limits=DEFAULT_LIMITS
) -> Entry | None:
    """Add one file's documents; return its manifest entry, or None when it was skipped (or went)."""
    path = cases_dir / rel
    shown = display_path(path)
    if raw is None:
        try:
            raw = read_limited(path, stat[1], limits, shown)
        except FileNotFoundError:
            return None  # removed while the index was being built: nothing to index, nothing wrong
    if isinstance(raw, Problem):
        case, problems = None, [raw]
    else:
        case, problems = parse_case(raw, shown, taxonomy, limits)
    if case is not None and case.id in seen_ids:
        problems.append(duplicate_id(shown, case.lines.get("id", 1), case.id, seen_ids[case.id]))
        case = None
    report.problems.extend(problems)
    if case is None:
        report.skipped.append(shown)
        return None
    case.path = rel  # stable across working directories; the manifest and deletes key on it
    for doc in to_documents(case):
        writer.add_document(**doc)
    seen_ids[case.id] = rel
    return entry_for(case.id, rel, case.digest, stat)


def entry_for(case_id: str, rel: str, digest: str, stat: FileStat) -> Entry:
    return Entry(rel, case_id, digest, *stat)


def digest(raw: bytes) -> str:
    return hashlib.sha1(raw).hexdigest()
