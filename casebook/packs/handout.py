"""Printable handouts of a training pack: a trainee and a trainer version, as HTML and DOCX.

One data object per edition (`Handout`), rendered twice: by the Jinja templates in
`packs/templates/` into self-contained, print-ready HTML, and by `packs/docx.py` into Word.
The same pack at the same case versions always gives byte-identical files: nothing depends on
the clock, and the only date is the pack's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from casebook.content.markdown import render_markdown
from casebook.content.model import FIELDS_BY_NAME, Case
from casebook.errors import NotFoundError
from casebook.packs.pack import Pack, pack_fingerprint

TEMPLATE_PACKAGE = "casebook.packs"
TEMPLATE_DIR = "templates"
MANIFEST_SUFFIX = ".manifest.json"

FACTS = ("category", "subcategory", "service", "region", "date", "channel", "insured")


@dataclass(frozen=True)
class Edition:
    """Which parts of each case a version of the handout shows."""

    key: str
    label: str
    facts: tuple[str, ...]
    hidden_sections: tuple[str, ...]
    full: bool  # the summary, the trainer's notes and the cases' own titles


TRAINEE = Edition("trainee", "学员版", FACTS, ("处理结果", "案例评析"), full=False)
TRAINER = Edition("trainer", "讲师版", FACTS + ("outcome", "amount", "legal_basis"), (), full=True)
EDITIONS = (TRAINEE, TRAINER)


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    wide: bool = False  # takes a whole row of the fact box


@dataclass(frozen=True)
class Part:
    """A body section, rendered: heading and sanitised HTML."""

    title: str
    html: Markup


@dataclass(frozen=True)
class HandoutCase:
    """One case as a handout shows it."""

    number: int
    id: str
    anchor: str
    title: str
    trainee_title: str  # in the trainer's version: the title trainees see, when the pack gives one
    type: str
    facts: tuple[Fact, ...]
    summary: str
    notes: Markup
    parts: tuple[Part, ...]
    questions: tuple[str, ...]
    version: str


@dataclass(frozen=True)
class Handout:
    """One edition of a pack, ready to render."""

    stem: str
    title: str
    audience: str
    date: str | None
    intro: Markup
    edition: Edition
    cases: tuple[HandoutCase, ...]
    fingerprint: str
    stamp: str  # YYYY-MM-DD standing for "when": the pack's date, else its newest case's


@dataclass(frozen=True)
class Manifest:
    """What a build recorded: the pack's fingerprint and the version of each case."""

    stem: str
    fingerprint: str
    versions: dict[str, str]
    files: tuple[str, ...]


def printable(text: str) -> Markup:
    """Render Markdown for a handout: sanitised as on the site, but with no link or URL."""
    return Markup(render_markdown(text, links=False))


def compose_handout(pack: Pack, cases: Mapping[str, Case], versions: Mapping[str, str], edition: Edition) -> Handout:
    """Collect what one edition of the pack shows; raise NotFoundError for unknown cases."""
    missing = [i for i in pack.ids if i not in cases]
    if missing:
        raise NotFoundError(f"{pack.path}: no case has the id {', '.join(missing)}")
    unversioned = [i for i in pack.ids if i not in versions]
    if unversioned:
        raise NotFoundError(f"{pack.path}: no version given for {', '.join(unversioned)}")
    fingerprint = pack_fingerprint(pack, dict(versions))
    shown = []
    for number, entry in enumerate(pack.entries, start=1):
        case = cases[entry.id]
        shown.append(
            HandoutCase(
                number=number,
                id=case.id,
                anchor=f"case-{number}",
                title=case.title if edition.full or not entry.title else entry.title,
                trainee_title=entry.title if edition.full else "",
                type=case.type,
                facts=tuple(_facts(case, edition)),
                summary=(case.summary or "") if edition.full else "",
                notes=printable(entry.notes) if edition.full and entry.notes else Markup(""),
                parts=tuple(
                    Part(s.title, printable(s.text))
                    for s in case.sections
                    if not (case.type == "case" and s.title in edition.hidden_sections)
                ),
                questions=entry.questions,
                version=versions[entry.id],
            )
        )
    dates = [cases[i].date for i in pack.ids if cases[i].date]
    return Handout(
        stem=pack.stem,
        title=pack.title,
        audience=pack.audience,
        date=pack.date,
        intro=printable(pack.intro) if pack.intro else Markup(""),
        edition=edition,
        cases=tuple(shown),
        fingerprint=fingerprint,
        stamp=pack.date or max(dates, default="2000-01-01"),
    )


def _facts(case: Case, edition: Edition) -> list[Fact]:
    facts = []
    for name in edition.facts:
        value = getattr(case, name)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif isinstance(value, float):
            text = str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")
        elif isinstance(value, list):
            text = "；".join(value)
        else:
            text = str(value)
        facts.append(Fact(FIELDS_BY_NAME[name].label, text, wide=isinstance(value, list)))
    return facts


def environment() -> jinja2.Environment:
    """Return the Jinja environment over the handout templates, autoescaping everything."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def inline_asset(env: jinja2.Environment, name: str) -> Markup:
    """Return a stylesheet or script to inline; our own files, so safe as they are."""
    source = env.loader.get_source(env, name)[0]
    return Markup(source)


def render_html(handout: Handout, env: jinja2.Environment | None = None) -> str:
    """Render one edition as a self-contained HTML page."""
    env = env or environment()
    return env.get_template("handout.html").render(h=handout, css=inline_asset(env, "handout.css"))


def output_name(pack: Pack, edition: Edition, suffix: str) -> str:
    return f"{pack.stem}-{edition.label}{suffix}"


def manifest_path(pack: Pack, out_dir: Path) -> Path:
    """Return where a build of the pack records its versions."""
    return out_dir / f"{pack.stem}{MANIFEST_SUFFIX}"


def read_manifest(path: Path) -> Manifest:
    """Read a build's manifest; raise NotFoundError if the pack was never built there."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no manifest; build the pack first")
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(
        stem=data["pack"],
        fingerprint=data["fingerprint"],
        versions={c["id"]: c["version"] for c in data["cases"]},
        files=tuple(data.get("files", [])),
    )
