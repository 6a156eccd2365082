"""Domain exceptions and the problem record that validation collects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a content file, printed as `path:line:col: message`."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        label = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}:{self.col}: {label}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class ProblemList:
    """Mixin for reports that carry `problems`: splits them into errors and warnings."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


class CasebookError(Exception):
    """Base of every error Casebook raises on purpose."""


class ContentError(CasebookError):
    """A content file is unusable; carries the problems that make it so."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(CasebookError):
    """A setting or data file (taxonomy, vocabulary) is missing or invalid."""


class QueryError(CasebookError):
    """A search request carries a parameter that cannot be honoured."""

    def __init__(self, message: str, param: str | None = None):
        self.param = param
        super().__init__(message)


class NotFoundError(CasebookError):
    """A case or manual id that does not exist."""


def display_path(path: Path, root: Path | None = None) -> str:
    """Return `path` relative to the working directory when possible, for messages."""
    for base in (Path.cwd(), root):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()
