"""Training packs as the CLI and the site use them: find, load, build, compare."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from casebook.content.model import Case
from casebook.errors import Problem
from casebook.packs.docx import docx_bytes, write_docx
from casebook.packs.entries import PackEntry
from casebook.packs.handout import (
    EDITIONS,
    compose_handout,
    environment,
    manifest_path,
    output_name,
    read_manifest,
    render_html,
)
from casebook.packs.offline import offline_html
from casebook.packs.pack import Pack, find_packs, load_pack, packs_dir_for
from casebook.packs.versions import StatusLine, case_versions, pack_status

BUILD_DIR = "build"  # under packs/: where `pack build` writes by default


@dataclass
class Library:
    """The loaded cases of a knowledge base, with their versions, for building packs."""

    cases: dict[str, Case]
    versions: dict[str, str]
    cases_dir: Path
    packs_dir: Path

    @property
    def known_ids(self) -> set[str]:
        return set(self.cases)


def open_library(casebook) -> Library:
    """Load every valid case and its version (git commit or content hash)."""
    loaded = casebook.load()
    cases = {case.id: case for case in loaded.cases if case.type == "case"}
    return Library(
        cases, case_versions(cases.values(), casebook.cases_dir), casebook.cases_dir, packs_dir_for(casebook.cases_dir)
    )


def list_packs(library: Library) -> list[tuple[Path, Pack | None, list[Problem]]]:
    """Return every pack file with the pack (None if invalid) and its problems."""
    if not library.packs_dir.is_dir():
        return []
    return [(path, *load_pack(path, library.known_ids)) for path in find_packs(library.packs_dir)]


def find_pack(library: Library, stem: str) -> tuple[Pack | None, list[Problem]]:
    """Return the pack whose file name (without suffix) is `stem`, or None and why: its errors,
    or no problems at all when there is no such file."""
    for path, pack, problems in list_packs(library):
        if path.stem == stem:
            return pack, problems
    return None, []


def build_handouts(pack: Pack, cases: Mapping[str, Case], out_dir: Path, versions: Mapping[str, str]) -> list[Path]:
    """Write both editions as HTML and DOCX, and the manifest; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    written: list[Path] = []
    fingerprint = ""
    for edition in EDITIONS:
        handout = compose_handout(pack, cases, versions, edition)
        fingerprint = handout.fingerprint
        html_path = out_dir / output_name(pack, edition, ".html")
        html_path.write_bytes(render_html(handout, env).encode("utf-8"))
        docx_path = out_dir / output_name(pack, edition, ".docx")
        write_docx(handout, docx_path)
        written += [html_path, docx_path]
    manifest = {
        "pack": pack.stem,
        "title": pack.title,
        "fingerprint": fingerprint,
        "cases": [{"id": case_id, "version": versions[case_id]} for case_id in pack.ids],
        "files": [p.name for p in written],
    }
    path = manifest_path(pack, out_dir)
    path.write_bytes((json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return [*written, path]


def build(library: Library, pack: Pack, out_dir: Path) -> list[Path]:
    """Write both handouts (HTML and DOCX), the offline pack and the manifest to `out_dir`."""
    written = build_handouts(pack, library.cases, out_dir, library.versions)
    offline = out_dir / f"{pack.stem}-离线版.html"
    offline.write_bytes(offline_html(pack, library.cases, library.versions).encode("utf-8"))
    return [*written, offline]


def status(library: Library, pack: Pack, out_dir: Path) -> list[StatusLine] | None:
    """Return which cases changed since the pack was built in `out_dir` (None if never built)."""
    path = manifest_path(pack, out_dir)
    if not path.is_file():
        return None
    built = read_manifest(path).versions
    return pack_status(pack, built, library.versions, library.cases_dir, library.cases)


def render(library: Library, pack: Pack, edition_key: str, fmt: str) -> tuple[bytes, str, str]:
    """Return one edition of a pack in memory as (bytes, mimetype, file name); writes nothing."""
    if fmt == "offline":
        return (
            offline_html(pack, library.cases, library.versions).encode("utf-8"),
            "text/html",
            f"{pack.stem}-离线版.html",
        )
    edition = next(e for e in EDITIONS if e.key == edition_key)
    handout = compose_handout(pack, library.cases, library.versions, edition)
    if fmt == "docx":
        mimetype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return docx_bytes(handout), mimetype, f"{pack.stem}-{edition.label}.docx"
    return render_html(handout).encode("utf-8"), "text/html", f"{pack.stem}-{edition.label}.html"


def tray_pack(
    ids: list[str], title: str, audience: str, intro: str, known: set[str], details: dict | None = None
) -> Pack:
    """Return a pack made from the site's tray (cases chosen in the browser); `details` maps an id
    to its (trainee title, notes, questions)."""
    details = details or {}
    entries = tuple(PackEntry(case_id, *details.get(case_id, ())) for case_id in dict.fromkeys(ids) if case_id in known)
    return Pack(
        title=title.strip() or "培训包",
        entries=entries,
        path="(tray)",
        stem="training-pack",
        audience=audience.strip(),
        intro=intro.strip(),
    )
