"""The one place that runs git: what it knows about the case files, and a runner for the rest.

`run` serves the pack versions and the hook installer; `file_history` and `recent_changes`
run one `git log` over a directory and read its output as a stream, stopping
(and ending git) as soon as they have their answer. Paths are posix and relative to the
directory asked about, so passing the cases dir gives keys such as `delay/YW-2021-001.md`.
Outside a git work tree, in a repository without commits, or without git, they return an
empty answer and never raise: history is a nicety the site can do without.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

# Record and field separators that cannot occur in a hash, a date, a name or a subject line.
_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = f"--format={_RECORD}%h{_FIELD}%cI{_FIELD}%an{_FIELD}%s"

# Settings a user's git config could change that would alter the output we parse.
_GIT = ("git", "-c", "core.quotepath=off", "-c", "log.showSignature=false", "-c", "diff.renames=true")
_REPOSITORY_VARIABLES = frozenset(
    (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    )
)


@dataclass(frozen=True)
class Commit:
    """One commit: short hash, committer date (ISO 8601), author name and subject line."""

    hash: str
    date: str
    author: str
    subject: str

    @property
    def day(self) -> str:
        """Return the date part, YYYY-MM-DD."""
        return self.date[:10]


@dataclass(frozen=True)
class Change:
    """A case file's latest change: its path under the cases dir, how it changed, and the commit."""

    path: str
    status: str  # "added" or "modified"
    commit: Commit


def file_history(repo_dir: Path, paths: list[Path]) -> dict[str, Commit]:
    """Return the last commit that changed each file, keyed by its posix path relative to repo_dir."""
    # repo_dir is any directory in a work tree. Paths are absolute or relative to the working
    # directory, as anywhere else; files outside repo_dir, or never committed, are left out.
    repo_dir = Path(repo_dir)
    wanted = {key for key in (_relative(repo_dir, Path(p)) for p in paths) if key not in (None, ".")}
    found: dict[str, Commit] = {}
    if not wanted:
        return found
    with closing(_log(repo_dir, "--name-only")) as log:
        for commit, entries in log:
            for name in entries:
                if name in wanted and name not in found:
                    found[name] = commit
            if len(found) == len(wanted):
                break
    return found


def recent_changes(repo_dir: Path, cases_dir: Path, limit: int = 20) -> list[Change]:
    """Return the most recently added or modified case files, newest first, each file once."""
    # Each file appears at its latest change: "added" if that change created it (a copy too),
    # else "modified" (a rename too). Files no longer in the cases dir are left out.
    repo_dir, cases_dir = Path(repo_dir), Path(cases_dir)
    if limit <= 0 or _relative(repo_dir, cases_dir) is None:
        return []
    changes: list[Change] = []
    seen: set[str] = set()
    with closing(_log(cases_dir, "--name-status")) as log:
        for commit, entries in log:
            for status, name in _statuses(entries):
                if name in seen or not name.endswith(".md"):
                    continue
                seen.add(name)
                if status == "D" or not (cases_dir / name).is_file():
                    continue
                changes.append(Change(name, "added" if status in ("A", "C") else "modified", commit))
                if len(changes) == limit:
                    return changes
    return changes


def run(directory: Path, *args: str) -> str | None:
    """Run a git command in directory; return its output, or None if git is missing or it fails."""
    try:
        done = subprocess.run(
            _command(directory, *args),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            encoding="utf-8",
            errors="surrogateescape",  # file names that are not UTF-8 come back as they are on disk
            env=_environment(),
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def available() -> bool:
    """Say whether a git command can be found."""
    return shutil.which("git") is not None


def work_tree_root(directory: Path) -> Path | None:
    """Return the top of the git work tree holding `directory`, or None."""
    out = run(directory, "rev-parse", "--show-toplevel")
    return Path(out.strip()).resolve() if out else None


def _command(directory: Path, *args: str) -> list[str]:
    return [*_GIT, "-C", str(directory), *args]


def _environment() -> dict[str, str]:
    """Return the environment for git without the variables that pin it to another repository."""
    # Inside a git hook GIT_DIR and friends point at the hook's repository, often relatively.
    return {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}


def _relative(base: Path, path: Path) -> str | None:
    """Return path relative to base as posix text ('.' for base itself), or None if outside."""
    # Both are resolved, so a relative path means relative to the working directory.
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except (OSError, ValueError):
        return None


def _statuses(entries: list[str]) -> Iterator[tuple[str, str]]:
    """Yield (status letter, path) from `--name-status -z` fields; renames and copies name two paths."""
    fields = iter(entries)
    for status in fields:
        if status[:1] in ("R", "C"):
            next(fields, None)  # the old path
        name = next(fields, None)
        if name is not None:
            yield status[:1], name


def _log(directory: Path, names: str) -> Iterator[tuple[Commit, list[str]]]:
    """Yield each commit touching directory, newest first, with its file fields (relative paths)."""
    # Nothing is raised: a missing git, a directory outside a work tree or a repository without
    # commits all end the stream quietly.
    command = _command(directory, "log", "--no-color", _FORMAT, names, "-z", "--relative", "--", ".")
    try:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=_environment()
        )
    except OSError:
        return
    with proc:
        try:
            yield from _records(proc.stdout)
        finally:
            if proc.poll() is None:
                proc.kill()  # the caller stopped early; the rest of the history is not needed


def _records(stream) -> Iterator[tuple[Commit, list[str]]]:
    """Parse `git log -z` output: each record is a header, then NUL-separated file fields."""
    buffer = b""
    while chunk := stream.read1(65536):
        # Split bytes, not text: a chunk may end inside a multi-byte character.
        *complete, buffer = (buffer + chunk).split(_RECORD.encode())
        for record in complete:
            parsed = _record(record.decode("utf-8", errors="replace"))
            if parsed:
                yield parsed
    parsed = _record(buffer.decode("utf-8", errors="replace"))
    if parsed:
        yield parsed


def _record(record: str) -> tuple[Commit, list[str]] | None:
    """Turn one record of the log into a commit and its file fields."""
    if not record.strip("\0\n"):
        return None
    header, _, rest = record.partition("\0")
    parts = header.split(_FIELD)
    if len(parts) != 4:
        return None
    entries = [e for e in rest.lstrip("\n").split("\0") if e]
    return Commit(hash=parts[0], date=parts[1], author=parts[2], subject=parts[3]), entries


@dataclass(frozen=True)
class WorkingState:
    """Where a work tree stands: its HEAD, and the files under a directory that differ from it."""

    head: str
    dirty: frozenset[str]  # relative to the directory: modified, added, deleted, untracked, ignored


def working_state(directory: Path) -> WorkingState | None:
    """Return HEAD and the dirty files under `directory` (git's own stat cache), or None outside git."""
    found = run(directory, "rev-parse", "--show-prefix", "HEAD")
    if found is None:
        return None
    lines = found.split("\n")
    prefix, head = (lines[0], lines[1]) if len(lines) > 1 else ("", lines[0])
    status = run(
        directory,
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--ignored=matching",
        "--no-renames",
        "--",
        ".",
    )
    if status is None:
        return None
    # Porcelain paths are relative to the repository's top, whatever the working directory. An
    # ignored folder is named once ("dir/"): the update then lists that folder itself.
    dirty = set()
    for path in (entry[3:] for entry in status.split("\0") if len(entry) > 3):
        if path.startswith(prefix):
            dirty.add(path[len(prefix) :].rstrip("/"))
        elif prefix.startswith(path):
            dirty.add("")  # the directory itself is untracked or ignored: git knows nothing inside
    return WorkingState(head.strip(), frozenset(dirty))


def changed_between(directory: Path, old: str, new: str) -> set[str] | None:
    """Return the files under `directory` that differ between two commits, or None if git cannot say."""
    found = run(directory, "diff", "--name-only", "-z", "--no-renames", "--relative", old, new, "--", ".")
    return None if found is None else {p for p in found.split("\0") if p}
