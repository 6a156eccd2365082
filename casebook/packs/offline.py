"""The offline pack: one self-contained HTML file with a pack's cases and a search box.

No server and no external resource: the page carries its styles, its script and a small
character map that folds traditional to simplified script for the characters of this pack
(and the traditional forms of its simplified ones), so a search for 快遞 finds 快递.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from casebook.content.model import Case
from casebook.index.analysis import normalise
from casebook.packs.handout import TRAINER, Edition, Handout, compose_handout, environment, inline_asset
from casebook.packs.pack import Pack


def build_offline(
    pack: Pack,
    cases: Mapping[str, Case],
    out_path: Path,
    versions: Mapping[str, str],
    edition: Edition = TRAINER,
) -> Path:
    """Write the pack as one searchable HTML file (the trainer's version unless told); return its path."""
    html = offline_html(pack, cases, versions, edition)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(html.encode("utf-8"))
    return out_path


def offline_html(pack: Pack, cases: Mapping[str, Case], versions: Mapping[str, str], edition: Edition = TRAINER) -> str:
    """Return the pack as one searchable, self-contained HTML page."""
    handout = compose_handout(pack, cases, versions, edition)
    env = environment()
    return env.get_template("offline.html").render(
        h=handout,
        css=inline_asset(env, "handout.css"),
        offline_css=inline_asset(env, "offline.css"),
        js=inline_asset(env, "offline.js"),
        fold_map=_json_for_script(fold_map(_texts(handout))),
    )


def fold_map(text: str) -> dict[str, str]:
    """Map each non-ASCII character of the text, and the traditional form of each simplified
    one, to its normalised form, where those differ."""
    import opencc

    to_traditional = opencc.OpenCC("s2t.json")
    out: dict[str, str] = {}
    for char in sorted(set(text)):
        if char.isascii():
            continue
        folded = normalise(char)
        if len(folded) != 1:
            continue
        if folded != char:
            out[char] = folded
        traditional = to_traditional.convert(folded)
        if len(traditional) == 1 and traditional != folded and normalise(traditional) == folded:
            out[traditional] = folded
    return dict(sorted(out.items()))


def _texts(handout: Handout) -> str:
    """Return all the text a reader could search in the handout."""
    pieces = [handout.title, str(handout.intro)]
    for case in handout.cases:
        pieces += [case.title, case.summary, str(case.notes), *case.questions]
        pieces += [f"{fact.label}{fact.value}" for fact in case.facts]
        pieces += [f"{part.title}{part.html}" for part in case.parts]
    return "".join(pieces)


def _json_for_script(data: dict) -> Markup:
    """Return JSON safe inside a <script> element (no '<' can close it)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
