"""The knowledge-base tree: which files count, walked without recursion and never outside the tree.

One walk serves `check`, `index` and the watcher, so they agree on what the knowledge base is:
Markdown files under the cases directory, hidden names (`.git`, editors' temp files) left out,
symbolic links that lead outside the tree refused (their text would be published), and
directories nested deeper than a limit not read (a 2,000-level tree once exhausted Python's
recursion and the path length limit).

The walk keeps each folder's files apart, in name order, with the two numbers an index update
compares (modification time, size), so that an update can compare a whole folder at once by a
digest (`Folder.digest`) instead of comparing 100,000 files one by one.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import os
import stat as st
from dataclasses import dataclass, field
from pathlib import Path

from casebook.content import filestats
from casebook.errors import Problem, display_path

MAX_DEPTH = 32  # directories below the cases directory; real trees use two or three
SUFFIX = ".md"

FileStat = tuple[int, int]  # (st_mtime_ns, st_size): what says a file may have changed


@dataclass
class Folder:
    """The listed files of one folder: their names in order, modification times and sizes."""

    names: list[str] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def sort(self) -> None:
        """Put the files in name order, as the digest wants them."""
        if self.names != sorted(self.names):
            order = sorted(range(len(self.names)), key=self.names.__getitem__)
            self.names = [self.names[i] for i in order]
            self.mtimes = [self.mtimes[i] for i in order]
            self.sizes = [self.sizes[i] for i in order]

    def digest(self) -> bytes:
        """Return what is equal for two listings of the folder exactly when no file differs."""
        return folder_digest(self.names, self.mtimes, self.sizes)

    def stats(self, rel_dir: str) -> dict[str, FileStat]:
        """Return the files as relative path -> (mtime_ns, size)."""
        prefix = f"{rel_dir}/" if rel_dir else ""
        return {prefix + name: pair for name, pair in zip(self.names, zip(self.mtimes, self.sizes))}


def folder_digest(names: list[str], mtimes: list[int], sizes: list[int]) -> bytes:
    """Digest a folder's files given in name order (the walk and the index manifest both call this)."""
    # marshal version 2 writes no back-references, so equal lists always give equal bytes.
    return hashlib.blake2b(marshal.dumps((names, mtimes, sizes), 2), digest_size=16).digest()


@dataclass
class Listing:
    """The files of a tree, folder by folder (relative POSIX path of the folder), and what was refused."""

    folders: dict[str, Folder] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def stats(self) -> dict[str, FileStat]:
        """Return every file as relative path -> (mtime_ns, size)."""
        files: dict[str, FileStat] = {}
        for rel_dir, folder in self.folders.items():
            files.update(folder.stats(rel_dir))
        return files

    def paths(self, root: Path) -> list[Path]:
        """Return the files as paths under `root`, in a stable order."""
        return [root / rel for rel in sorted(self.stats())]


def scan_tree(root: Path, max_depth: int = MAX_DEPTH, under: str = "", suffix: str = SUFFIX) -> Listing:
    """List the files under `root` (or its sub-folder `under`) with their modification time and size."""
    start = under.strip("/")
    walk = _Walk(root, max_depth, suffix)
    if start and not admissible_dir(root, start, max_depth):
        return walk.listing
    # Level by level, without recursion: list the names of this level's folders, then take the
    # stat of every name at once (which says file, folder or link), which finds the next level.
    level = [(start, start.count("/") + 1 if start else 0)]
    while level:
        level = walk.level(level)
    return walk.listing


class _Walk:
    """One walk of a tree: the listing it fills."""

    def __init__(self, root: Path, max_depth: int, suffix: str):
        self.root, self.max_depth, self.suffix = root, max_depth, suffix
        self.real_root = os.path.realpath(root)
        self.listing = Listing()

    def level(self, folders: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """List some folders; return their sub-folders, with their depth."""
        shares, depths = [], {}
        for rel_dir, depth in folders:
            try:
                names = self._readable(rel_dir, _visible(os.listdir(self._path(rel_dir))))
            except (FileNotFoundError, NotADirectoryError):
                continue  # vanished or replaced since it was listed; the next look sees it
            except OSError as exc:  # unreadable, or a path too long: its cases would silently go
                self.listing.problems.append(_unreadable(self.root, rel_dir, exc))
                continue
            self.listing.folders[rel_dir], depths[rel_dir] = Folder(), depth
            shares.extend(filestats.shares(rel_dir, names))
        below, linked = [], set()
        for (rel_dir, _), (names, mtimes, sizes, others) in zip(shares, filestats.take(self.root, self.suffix, shares)):
            folder, prefix = self.listing.folders[rel_dir], f"{rel_dir}/" if rel_dir else ""
            folder.names.extend(names)
            folder.mtimes.extend(mtimes)
            folder.sizes.extend(sizes)
            for name, mode in others:  # folders and links: few
                if st.S_ISLNK(mode):  # never walked through: a linked folder inside is reached by its own path
                    if self._follow(folder, prefix, name):
                        linked.add(rel_dir)
                elif depths[rel_dir] + 1 > self.max_depth:
                    self.listing.problems.append(_too_deep(self.root, prefix + name, self.max_depth))
                else:
                    below.append((prefix + name, depths[rel_dir] + 1))
        for rel_dir in linked:
            self.listing.folders[rel_dir].sort()  # a linked file was put last
        return below

    def _readable(self, rel_dir: str, names: list[str]) -> list[str]:
        """Return the names that are text; report those that are not (bytes that are not UTF-8)."""
        try:
            "".join(names).encode("utf-8")  # one call per folder; a name of stray bytes fails it
            return names
        except UnicodeEncodeError:
            pass
        kept = []
        for name in names:
            if is_text(name):
                kept.append(name)
            else:
                shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                message = "name is not valid UTF-8; not read (rename it)"
                self.listing.problems.append(
                    Problem(f"{display_path(Path(self._path(rel_dir)))}/{shown}", 1, 1, message)
                )
        return kept

    def _follow(self, folder: Folder, prefix: str, name: str) -> bool:
        """Add the file a link leads to, when it may be read (a linked folder is walked by its own path)."""
        path = self._path(prefix + name)
        if not _link_stays_inside(path, self.real_root, self.listing, self.root) or not name.endswith(self.suffix):
            return False
        try:
            info = os.stat(path)
        except OSError:
            return False
        if not st.S_ISREG(info.st_mode):
            return False
        folder.names.append(name)
        folder.mtimes.append(info.st_mtime_ns)
        folder.sizes.append(info.st_size)
        return True

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else str(self.root)


def _visible(names: list[str]) -> list[str]:
    """Return the names in order, without hidden ones (which sort together: no test per name)."""
    names.sort()
    first, end = bisect.bisect_left(names, "."), bisect.bisect_left(names, "/")
    return names[:first] + names[end:] if end > first else names


def find_files(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Return every Markdown file of the knowledge base under `root`, in a stable order."""
    return scan_tree(root, max_depth).paths(root)


def admissible_file(root: Path, rel: str, max_depth: int = MAX_DEPTH) -> bool:
    """Say whether a relative path names a file the walk would list (used for reported changes)."""
    parts = rel.split("/")
    if not rel.endswith(SUFFIX) or len(parts) - 1 > max_depth or any(p.startswith(".") or not p for p in parts):
        return False
    if not is_text(rel):
        return False  # the walk reports it
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
    if len(parts) > max_depth or any(p.startswith(".") or not p for p in parts) or not is_text(rel):
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


def is_text(name: str) -> bool:
    """Say whether a name can be written as UTF-8 (a file name of stray bytes cannot)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _unreadable(root: Path, rel_dir: str, exc: OSError) -> Problem:
    shown = display_path(Path(root) / rel_dir)
    return Problem(shown, 1, 1, f"folder cannot be read ({exc.strerror or exc}); its files are not read")


def _too_deep(root: Path, rel: str, max_depth: int) -> Problem:
    shown = display_path(Path(root) / rel)
    message = f"folder nested more than {max_depth} levels deep; not read (setting: CASEBOOK_MAX_DEPTH)"
    return Problem(shown, 1, 1, message)
