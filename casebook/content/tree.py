"""The knowledge-base tree: which files count, walked without recursion and never outside the tree.

One walk serves `check`, `index` and the watcher, so they agree on what the knowledge base is:
Markdown files under the cases directory, hidden names (`.git`, editors' temp files) left out,
symbolic links that lead outside the tree refused (their text would be published), and
directories nested deeper than a limit not read (a 2,000-level tree once exhausted Python's
recursion and the path length limit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from casebook.errors import Problem, display_path

MAX_DEPTH = 32  # directories below the cases directory; real trees use two or three
SUFFIX = ".md"


@dataclass
class Listing:
    """The files of a tree (relative POSIX path -> stat) and what was refused on the way."""

    files: dict[str, os.stat_result] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def paths(self, root: Path) -> list[Path]:
        """Return the files as paths under `root`, in a stable order."""
        return [root / rel for rel in sorted(self.files)]


def scan_tree(root: Path, max_depth: int = MAX_DEPTH, under: str = "", suffix: str = SUFFIX) -> Listing:
    """List the files under `root` (or its sub-folder `under`), breadth first, with their stat."""
    listing = Listing()
    real_root = os.path.realpath(root)
    start = under.strip("/")
    if start and not admissible_dir(root, start, max_depth):
        return listing
    # An explicit stack: depth costs memory, not Python recursion.
    stack = [(start, start.count("/") + 1 if start else 0)]
    while stack:
        rel_dir, depth = stack.pop()
        folder = os.path.join(root, rel_dir) if rel_dir else str(root)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # vanished or unreadable since it was listed; the next look sees it
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_symlink() and not _link_stays_inside(entry.path, real_root, listing, root):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 > max_depth:
                        listing.problems.append(_too_deep(root, rel, max_depth))
                    else:
                        stack.append((rel, depth + 1))
                elif entry.name.endswith(suffix) and entry.is_file():
                    listing.files[rel] = entry.stat()
            except OSError:
                continue  # removed while we looked
    return listing


def find_files(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Return every Markdown file of the knowledge base under `root`, in a stable order."""
    return scan_tree(root, max_depth).paths(root)


def admissible_file(root: Path, rel: str, max_depth: int = MAX_DEPTH) -> bool:
    """Say whether a relative path names a file the walk would list (used for reported changes)."""
    parts = rel.split("/")
    if not rel.endswith(SUFFIX) or len(parts) - 1 > max_depth or any(p.startswith(".") or not p for p in parts):
        return False
    if not admissible_dir(root, "/".join(parts[:-1]), max_depth):
        return False
    path = os.path.join(root, rel)
    if os.path.islink(path) and not _inside(os.path.realpath(path), os.path.realpath(root)):
        return False
    return os.path.isfile(path)


def admissible_dir(root: Path, rel: str, max_depth: int = MAX_DEPTH) -> bool:
    """Say whether the walk would enter this relative folder (no hidden part, no link, not too deep)."""
    if not rel:
        return True
    parts = rel.split("/")
    if len(parts) > max_depth or any(p.startswith(".") or not p for p in parts):
        return False
    path = str(root)
    for part in parts:
        path = os.path.join(path, part)
        if os.path.islink(path):
            return False  # the walk never enters a linked folder: its files are reached by their own path
    return os.path.isdir(path)


def _link_stays_inside(path: str, real_root: str, listing: Listing, root: Path) -> bool:
    """Say whether a symbolic link may be read; a link leaving the tree is reported."""
    target = os.path.realpath(path)
    if _inside(target, real_root):
        # A linked folder inside the tree is walked by its real path; a linked file is read.
        return not os.path.isdir(target)
    if path.endswith(SUFFIX) or os.path.isdir(target):
        message = f"symbolic link leads outside the knowledge base (to {target}); not read"
        shown = f"{display_path(Path(path).parent)}/{os.path.basename(path)}"  # the link, not its target
        listing.problems.append(Problem(shown, 1, 1, message))
    return False


def _inside(target: str, real_root: str) -> bool:
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _too_deep(root: Path, rel: str, max_depth: int) -> Problem:
    shown = display_path(Path(root) / rel)
    message = f"folder nested more than {max_depth} levels deep; not read (setting: CASEBOOK_MAX_DEPTH)"
    return Problem(shown, 1, 1, message)
