"""Statute texts that editors keep beside the cases, one YAML file per law and edition.

    # cases/laws/快递暂行条例-2018.yaml
    law: 快递暂行条例
    edition: 2018
    source: 中国政府网公布的文本（editors name where each text was copied from）
    illustration: false          # true: a made-up text that only shows the mechanism
    articles:
      - article: 第二十七条
        text: ……

The site shows an article's text on its law page and beside the case that cites it; a text
marked as an illustration is always shown as one, never as the law.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from casebook.content.frontmatter import SplitError, parse
from casebook.content.text import TextError, decode, find_bad_characters, replace_bad_characters
from casebook.content.values import check_text, describe
from casebook.errors import Problem, display_path

LAWS_DIR = "laws"
FIELDS = {
    "law": "the law's name without 《》, e.g. 快递暂行条例",
    "edition": "the edition's year, e.g. 2018",
    "source": "where the texts were copied from, e.g. 中国政府网 2018-03-02 公布的文本",
    "illustration": "true when the texts are made-up examples, not the law's words",
    "articles": "a list of entries such as '- article: 第二十七条' with 'text: ...'",
}
_ARTICLE = re.compile(r"^第[零〇一二两三四五六七八九十百千0-9]+条(之[一二三四五六七八九十]+)?$")


@dataclass(frozen=True)
class Statute:
    """One law's edition, with the texts of some of its articles."""

    law: str
    edition: str
    source: str
    illustration: bool
    articles: dict[str, str] = field(default_factory=dict)
    path: str = ""


def load_statutes(cases_dir: Path) -> tuple[dict[tuple[str, str], Statute], list[Problem], int]:
    """Read every file in cases/laws/; return the statutes by (law, edition), problems, file count."""
    folder = cases_dir / LAWS_DIR
    paths = sorted(p for p in folder.glob("*.y*ml") if p.is_file()) if folder.is_dir() else []
    statutes: dict[tuple[str, str], Statute] = {}
    problems: list[Problem] = []
    for path in paths:
        statute, found = read_statute(path)
        problems.extend(found)
        if statute is None:
            continue
        key = (statute.law, statute.edition)
        if key in statutes:
            problems.append(Problem(statute.path, 1, 1, f"law: 《{key[0]}》({key[1]}) is also in {statutes[key].path}"))
            continue
        statutes[key] = statute
    return statutes, problems, len(paths)


def read_statute(path: Path) -> tuple[Statute | None, list[Problem]]:
    """Read and validate one statute file; return it (None on any error) and its problems."""
    shown = display_path(path)
    problems: list[Problem] = []

    def problem(where: tuple[int, int], message: str) -> None:
        problems.append(Problem(shown, where[0], where[1], message))

    try:
        text = decode(path.read_bytes())
        # As in cases and packs: no control characters (and line numbers that stay true).
        problems.extend(Problem(shown, c.line, c.col, c.message) for c in find_bad_characters(text))
        mapping = parse(replace_bad_characters(text), 1)
    except (SplitError, TextError) as exc:
        return None, [*problems, Problem(shown, exc.line, exc.col, str(exc))]
    data = mapping.data
    for name in data:
        if name not in FIELDS:
            problem(
                mapping.key_marks.get(str(name), (1, 1)),
                f"{name}: unknown field; expected one of ({', '.join(FIELDS)})",
            )
    for name in ("law", "source"):
        message = check_text(data.get(name), required=True) if name in data else "required field is missing"
        if message:
            problem(mapping.value_marks.get(name, (1, 1)), f"{name}: {message} ({FIELDS[name]})")
    edition = data.get("edition")
    if edition is not None and not re.fullmatch(r"(19|20)\d\d", str(edition)):
        problem(
            mapping.value_marks["edition"], f"edition: expected a year such as 2018 but received {describe(edition)}"
        )
    illustration = data.get("illustration", False)
    if not isinstance(illustration, bool):
        problem(
            mapping.value_marks["illustration"],
            f"illustration: expected true or false but received {describe(illustration)}",
        )
    articles = _articles(data.get("articles"), mapping, problem)
    if problems:
        return None, problems
    statute = Statute(
        law=str(data["law"]).strip().strip("《》"),
        edition=str(edition or ""),
        source=str(data["source"]).strip(),
        illustration=illustration,
        articles=articles,
        path=shown,
    )
    return statute, problems


def _articles(items, mapping, problem) -> dict[str, str]:
    """Check the `articles` list; return article -> text."""
    if "articles" not in mapping.data:
        problem((1, 1), f"articles: required field is missing ({FIELDS['articles']})")
        return {}
    if not isinstance(items, list) or not items:
        problem(
            mapping.value_marks["articles"], f"articles: expected {FIELDS['articles']} but received {describe(items)}"
        )
        return {}
    nodes = _item_nodes(mapping.node)
    out: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        node = nodes[number - 1] if number <= len(nodes) else None
        where = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        label = f"articles[{number}]"
        if not isinstance(item, dict):
            problem(where, f"{label}: expected 'article: 第二十七条' and 'text: ...' but received {describe(item)}")
            continue
        article, text = str(item.get("article") or "").strip(), item.get("text")
        if not _ARTICLE.match(article):
            problem(
                where,
                f"{label}.article: expected an article such as 第二十七条 but received {describe(item.get('article'))}",
            )
        elif article in out:
            problem(where, f"{label}.article: {article} is given twice")
        message = check_text(text, required=True)
        if message:
            problem(where, f"{label}.text: {message}")
        elif _ARTICLE.match(article):
            out[article] = str(text).strip()
    return out


def _item_nodes(root) -> list:
    """Return the YAML nodes of the `articles` list's items, for their line numbers."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "articles" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []
