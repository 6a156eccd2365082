"""Index generations: `CURRENT` names the live folder; a full build writes a new one and swaps.

A reader never sees a half-built index: the new generation is complete before `CURRENT` is
replaced atomically. The generation it replaced is named in `PREVIOUS` and kept for readers still
on it; every other `gen-*` folder (a killed build's, an older one) is removed by the next run that
holds the index lock. Before a kept index is updated, `damage` looks at it: a manifest that does
not read, a table of contents that does not open, a segment file missing or cut short.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from casebook.index.manifest import MANIFEST, Manifest, ManifestError

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
_NAME = re.compile(r"gen-\d{1,25}")


def _named(index_dir: Path, pointer: str) -> Path | None:
    """Return the generation a pointer file names, or None when it is missing or not a name."""
    try:
        raw = (index_dir / pointer).read_bytes()[:64]
    except OSError:
        return None
    name = raw.decode("ascii", errors="replace").strip()
    return index_dir / name if _NAME.fullmatch(name) else None


def current_generation(index_dir: Path) -> Path | None:
    """Return the live generation folder, or None when there is no usable index."""
    generation = _named(index_dir, CURRENT)
    return generation if generation is not None and (generation / MANIFEST).is_file() else None


def pointer_problem(index_dir: Path) -> str:
    """Explain why `CURRENT` names no usable generation ('' when there is no index at all)."""
    if not (index_dir / CURRENT).exists():
        return ""
    generation = _named(index_dir, CURRENT)
    if generation is None:
        return f"{index_dir / CURRENT} does not name a generation"
    return f"{generation / MANIFEST} is missing"


def new_generation(index_dir: Path) -> Path:
    """Create and return an empty generation folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    generation = index_dir / f"gen-{time.time_ns()}"
    generation.mkdir()
    return generation


def swap(index_dir: Path, generation: Path) -> None:
    """Point CURRENT at a complete generation; keep the one it replaces for readers still on it."""
    previous = current_generation(index_dir)
    _write_pointer(index_dir, PREVIOUS, previous.name if previous else "")
    _write_pointer(index_dir, CURRENT, generation.name)
    clean_abandoned(index_dir)


def clean_abandoned(index_dir: Path) -> list[str]:
    """Remove generation folders that neither CURRENT nor PREVIOUS names; return their names."""
    keep = {p.name for p in (_named(index_dir, CURRENT), _named(index_dir, PREVIOUS)) if p is not None}
    removed = []
    for old in index_dir.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


def _write_pointer(index_dir: Path, pointer: str, name: str) -> None:
    tmp = index_dir / (pointer + ".tmp")
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, index_dir / pointer)


def segment_files(generation: Path) -> dict[str, int]:
    """Return the Whoosh files of a generation (table of contents, segments) and their sizes."""
    found = [*generation.glob("MAIN_*"), *generation.glob("_MAIN_*.toc")]
    return {p.name: p.stat().st_size for p in found if p.name != "MAIN_WRITELOCK"}


CHECKED = "manifest.checked"  # the manifest's size, times and inode when it last read whole without fault
SETTLED_NS = 2_000_000_000  # a manifest written more recently than this may change within its time's tick


def damage(generation: Path) -> str:
    """Return what is wrong with a kept generation, or '' when it reads."""
    from whoosh import index as whoosh_index

    try:
        info = (generation / MANIFEST).stat()
        seen = f"{info.st_size} {info.st_mtime_ns} {info.st_ino} {info.st_ctime_ns}"
    except OSError:
        info = seen = None  # Manifest() below says what is wrong
    try:
        with Manifest(generation) as manifest:
            manifest.stamp()
            # Reading every page costs 0.02-0.03 s at 100,000 cases, on every run. A manifest that
            # has not been written since it last read whole is not read whole again: a write cut
            # short changes its size or time (or leaves a journal whose rollback does).
            unchanged = seen is not None and _read(generation / CHECKED) == seen
            if not unchanged:
                manifest.check()
            recorded = manifest.meta("segments", {})
    except (ManifestError, ValueError) as exc:
        return f"manifest unreadable: {exc}"
    for name, size in sorted(recorded.items()):
        try:
            found = (generation / name).stat().st_size
        except OSError:
            return f"segment file {generation / name} is missing"
        if found != size:
            return f"segment file {generation / name} has {found} bytes, {size} were written"
    try:
        ix = whoosh_index.open_dir(str(generation))
        ix.close()
    except Exception as exc:  # Whoosh raises anything from EOFError to TypeError on a bad TOC
        return f"index does not open: {type(exc).__name__}: {exc}"
    if not unchanged and info is not None and time.time_ns() - info.st_mtime_ns > SETTLED_NS:
        _write_checked(generation, seen)
    return ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, ValueError):
        return None


def _write_checked(generation: Path, seen: str) -> None:
    tmp = generation / f"{CHECKED}.tmp"
    try:
        tmp.write_text(seen, encoding="ascii")
        os.replace(tmp, generation / CHECKED)
    except OSError:
        pass  # the next run reads the manifest whole again
