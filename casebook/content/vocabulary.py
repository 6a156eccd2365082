"""The editor-owned search vocabulary: the user dictionary and the synonym groups."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from casebook.content.text import TextError, decode, find_bad_characters, replace_bad_characters
from casebook.errors import Problem, display_path

VOCABULARY_DIR = "vocabulary"
USERDICT_NAME = "userdict.txt"
SYNONYMS_NAME = "synonyms.txt"
USERDICT_FILE = f"{VOCABULARY_DIR}/{USERDICT_NAME}"
SYNONYMS_FILE = f"{VOCABULARY_DIR}/{SYNONYMS_NAME}"


@dataclass(frozen=True)
class Vocabulary:
    """User words (kept whole by the segmenter) and synonym groups (expanded in queries)."""

    words: tuple[tuple[str, int | None], ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    problems: tuple[Problem, ...] = ()
    digest: str = ""
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def synonyms(self, word: str) -> tuple[str, ...]:
        """Return the other members of every group that contains `word`."""
        if not self._index:
            for group in self.groups:
                for member in group:
                    self._index.setdefault(member, [])
                    self._index[member].extend(m for m in group if m != member)
        return tuple(dict.fromkeys(self._index.get(word, ())))


def default_vocabulary_dir() -> Path:
    """Return the folder of the vocabulary Casebook ships (the shipped knowledge base's own):
    inside the package when installed from a wheel, under `cases/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "default_vocabulary"
    return packaged if packaged.is_dir() else package.parent / "cases" / "vocabulary"


def load_vocabulary(cases_dir: Path) -> Vocabulary:
    """Read the user dictionary and synonym files; a missing file means an empty list.

    A knowledge base with no `vocabulary/` folder at all uses the vocabulary Casebook ships
    (brands, the public's words), until its editors start their own.
    """
    folder = cases_dir / VOCABULARY_DIR
    if not folder.exists() and default_vocabulary_dir().is_dir():
        folder = default_vocabulary_dir()
    problems: list[Problem] = []
    hasher = hashlib.sha1()
    words: list[tuple[str, int | None]] = []
    for line_no, parts, shown in _lines(folder / USERDICT_NAME, hasher, problems):
        freq: int | None = None
        if len(parts) > 1:
            if parts[1].isdigit():
                freq = int(parts[1])
            else:
                problems.append(Problem(shown, line_no, 1, f"frequency: expected a number but received: '{parts[1]}'"))
                continue
        words.append((parts[0], freq))
    groups: list[tuple[str, ...]] = []
    first_line: dict[str, int] = {}
    for line_no, parts, shown in _lines(folder / SYNONYMS_NAME, hasher, problems):
        if len(parts) < 2:
            problems.append(
                Problem(shown, line_no, 1, f"synonym group needs two or more words, received: '{parts[0]}'")
            )
            continue
        for word in dict.fromkeys(parts):
            if word in first_line:
                # The index marks each word with one group; the later group's link is lost.
                problems.append(
                    Problem(
                        shown,
                        line_no,
                        1,
                        f"synonym '{word}' is already in the group on line {first_line[word]}; merge the groups",
                        "warning",
                    )
                )
            first_line.setdefault(word, line_no)
        groups.append(tuple(dict.fromkeys(parts)))
    return Vocabulary(tuple(words), tuple(groups), tuple(problems), hasher.hexdigest())


def _lines(path: Path, hasher, problems: list[Problem]):
    """Yield (line number, fields, shown path) for each non-comment line of a vocabulary file."""
    if not path.is_file():
        return
    shown = display_path(path)
    raw = path.read_bytes()
    hasher.update(raw)
    try:
        text = decode(raw)
    except TextError as exc:
        problems.append(Problem(shown, exc.line, exc.col, str(exc)))
        return
    bad = find_bad_characters(text)
    problems.extend(Problem(shown, c.line, c.col, c.message) for c in bad)
    if bad:
        text = replace_bad_characters(text)
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.split("#", 1)[0].replace(",", " ").replace("，", " ").strip()
        if content:
            yield number, content.split(), shown
