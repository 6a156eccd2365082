"""`casebook check`: every validation over the whole knowledge base, collected into one report."""

from __future__ import annotations

from dataclasses import dataclass, field

from casebook.content.privacy import count_exemptions, scan_text
from casebook.content.text import TextError, decode
from casebook.content.tree import find_files
from casebook.errors import ContentError, Problem, ProblemList, display_path
from casebook.packs.pack import check_packs, packs_dir_for


@dataclass
class CheckReport(ProblemList):
    """All problems found, with the file count and any extra summary text."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    exemptions: int = 0

    @property
    def extra(self) -> str:
        return f"; {self.exemptions} reviewed privacy exceptions in force" if self.exemptions else ""


def check_all(casebook) -> CheckReport:
    """Validate the taxonomy, the vocabulary, every case and manual, and their privacy."""
    report = CheckReport()
    try:
        casebook.taxonomy  # noqa: B018 (loading it is the check)
    except ContentError as exc:
        report.problems.extend(exc.problems)
        report.files = 1
        return report
    report.problems.extend(casebook.vocabulary.problems)
    loaded = casebook.load()
    report.files = loaded.files + 1
    report.problems.extend(loaded.problems)
    for path in find_files(casebook.cases_dir, casebook.settings.max_depth):
        if path.stat().st_size <= casebook.size_limits.max_bytes:  # larger ones are refused unread
            report.problems.extend(check_privacy(path, report))
    known = {case.id for case in loaded.cases if case.type == "case"}
    packs, pack_problems = check_packs(packs_dir_for(casebook.cases_dir), known)
    report.files += packs
    report.problems.extend(pack_problems)
    report.problems.sort(key=lambda p: (p.path, p.line, p.col))
    return report


def check_privacy(path, report: CheckReport) -> list[Problem]:
    """Return a problem for each piece of unmasked personal data in a file."""
    try:
        text = decode(path.read_bytes())
    except TextError:
        return []  # already reported as not UTF-8
    report.exemptions += count_exemptions(text)
    shown = display_path(path)
    return [Problem(shown, f.line, f.col, f"privacy: {f.message}") for f in scan_text(text)]
