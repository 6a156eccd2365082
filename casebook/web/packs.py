"""Training packs on the site: the pack list, a pack's page and handouts, and the tray's build.

Handouts are built in memory on each request; nothing is written on the server.
"""

from __future__ import annotations

import re
from urllib.parse import quote as urlquote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from casebook.errors import QueryError

packs = Blueprint("packs", __name__)


def book():
    return current_app.extensions["casebook"]


def library():
    """Return the loaded cases for packs, reloaded when the index changes."""
    from casebook.packs.library import open_library

    casebook = book()
    key = casebook.index_version()
    cached = current_app.extensions.get("casebook.library")
    if cached is None or cached[0] != key:
        cached = (key, open_library(casebook))
        current_app.extensions["casebook.library"] = cached
    return cached[1]


FORMATS = {"html": "html", "docx": "docx"}


def _downloads(stem: str) -> list[tuple[str, str]]:
    links = [
        (f"{label} {fmt.upper()}", url_for("packs.pack_file", stem=stem, edition=key, fmt=fmt))
        for key, label in (("trainee", "学员版"), ("trainer", "讲师版"))
        for fmt in FORMATS
    ]
    return links + [
        ("离线版（可检索，单个 HTML）", url_for("packs.pack_file", stem=stem, edition="trainer", fmt="offline"))
    ]


@packs.route("/packs/")
def packs_page():
    from casebook.packs.library import list_packs

    rows = [
        (path, pack, [p for p in problems if p.is_error], _downloads(path.stem))
        for path, pack, problems in list_packs(library())
    ]
    return render_template("packs.html", rows=rows)


@packs.route("/packs/<stem>")
def pack_page(stem: str):
    from casebook.packs.library import BUILD_DIR, find_pack, status

    lib = library()
    pack, problems = find_pack(lib, stem)
    if pack is None:
        abort(404, description=_missing(stem, problems))
    lines = status(lib, pack, lib.packs_dir / BUILD_DIR)
    outcomes = book().taxonomy.choices("outcomes")
    entries = [
        (entry, lib.cases.get(entry.id), _giveaway(entry, lib.cases.get(entry.id), outcomes)) for entry in pack.entries
    ]
    return render_template("pack.html", pack=pack, entries=entries, status=lines, downloads=_downloads(stem))


@packs.route("/packs/<stem>/<edition>.<fmt>")
def pack_file(stem: str, edition: str, fmt: str):
    from casebook.packs.library import find_pack

    if edition not in ("trainee", "trainer") or fmt not in ("html", "docx", "offline"):
        abort(404)
    lib = library()
    pack, problems = find_pack(lib, stem)
    if pack is None:
        abort(404, description=_missing(stem, problems))
    return _send_pack(lib, pack, edition, fmt)


def _missing(stem: str, problems) -> str:
    """Say why a pack cannot be shown: it has errors, or there is no such pack."""
    if any(p.is_error for p in problems):
        return f"培训包“{stem}”有错误，请用 casebook check 查看。"
    return f"没有名为“{stem}”的培训包。"


@packs.route("/packs/tray", methods=["POST"])
def pack_from_tray():
    """Build handouts from the browser's tray, in memory: nothing is written on the server."""
    from casebook.packs.library import tray_pack

    lib = library()
    ids = [i for i in request.form.getlist("id") if i]
    if not ids or len(ids) > 200:
        raise QueryError("id：请选择 1 到 200 个案例", "id")
    unknown = [i for i in ids if i not in lib.cases]
    if unknown:
        raise QueryError(f"id：没有编号为“{unknown[0][:40]}”的案例", "id")
    edition, fmt = request.form.get("edition", "trainer"), request.form.get("format", "html")
    if edition not in ("trainee", "trainer") or fmt not in ("html", "docx", "offline"):
        raise QueryError("format：应为 html、docx 或 offline，edition 应为 trainee 或 trainer", "format")
    for name, limit in TRAY_TEXT_LIMITS.items():
        _check_text(name, request.form.get(name, ""), limit)
    pack = tray_pack(
        ids,
        request.form.get("title", ""),
        request.form.get("audience", ""),
        request.form.get("intro", ""),
        lib.known_ids,
        _tray_details(ids),
    )
    return _send_pack(lib, pack, edition, fmt)


# Characters a handout cannot carry: DOCX (XML 1.0) refuses C0 controls other than tab and
# newline, and C1 controls and lone surrogates are never meant text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
TRAY_TEXT_LIMITS = {"title": 200, "audience": 200, "intro": 5000}


def _check_text(name: str, value: str, limit: int) -> None:
    """Raise QueryError when a tray field is too long or holds characters a handout cannot carry."""
    if len(value) > limit:
        raise QueryError(f"{name}：最多 {limit} 个字符，收到 {len(value)} 个", name)
    bad = _CONTROL.search(value)
    if bad:
        raise QueryError(f"{name}：第 {bad.start() + 1} 个字符是控制字符（U+{ord(bad[0]):04X}），请删除后再试", name)


def _giveaway(entry, case, outcomes) -> str:
    """Return the outcome the trainee version's title names (its own or, lacking one, the case's)."""
    title = entry.title or (case.title if case else "")
    return next((o for o in sorted(outcomes, key=len, reverse=True) if o in title), "")


def _tray_details(ids: list[str]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Return each case's trainee title, notes and questions as the tray posted them (aligned with
    the ids; an older tray posts none)."""
    titles, notes, questions = (request.form.getlist(f"entry_{name}") for name in ("title", "notes", "questions"))
    if not len(titles) == len(notes) == len(questions) == len(ids):
        return {}
    for name, values, limit in (
        ("entry_title", titles, 200),
        ("entry_notes", notes, 2000),
        ("entry_questions", questions, 5000),
    ):
        for value in values:
            _check_text(name, value, limit)
    return {
        case_id: (
            title.strip(),
            note.strip(),
            tuple(line.strip() for line in asked.splitlines() if line.strip())[:20],
        )
        for case_id, title, note, asked in zip(ids, titles, notes, questions)
    }


def _send_pack(lib, pack, edition: str, fmt: str) -> Response:
    from casebook.packs.library import render

    data, mimetype, name = render(lib, pack, edition, fmt)
    disposition = "attachment" if fmt == "docx" else "inline"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{urlquote(name)}"
    # Handouts carry their own inline styles and (offline) script: a CSP of their own.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    )
    return response
