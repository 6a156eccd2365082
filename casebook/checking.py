"""`casebook check`: every validation over the whole knowledge base, collected into one report."""

from __future__ import annotations

from dataclasses import dataclass, field

from casebook.content.privacy import count_exemptions, privacy_problems
from casebook.content.statutes import load_statutes
from casebook.content.text import read_text
from casebook.content.tree import scan_tree
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
    check_privacy(casebook, report)
    known = {case.id for case in loaded.cases if case.type == "case"}
    packs, pack_problems = check_packs(packs_dir_for(casebook.cases_dir), known, casebook.size_limits)
    report.files += packs
    report.problems.extend(pack_problems)
    _, statute_problems, statute_files = load_statutes(casebook.cases_dir)
    report.files += statute_files
    report.problems.extend(statute_problems)
    report.problems.sort(key=lambda p: (p.path, p.line, p.col))
    return report


def check_privacy(casebook, report: CheckReport) -> None:
    """Add a problem for each piece of personal data in any text file of the knowledge base."""
    # Every file, not only cases: a note or a spreadsheet export left in cases/ is published
    # with the repository just the same. Files too large for a case are refused unread anyway.
    root = casebook.cases_dir
    for path in scan_tree(root, casebook.settings.max_depth, suffix="").paths(root):
        text = read_text(path, casebook.size_limits.max_bytes)
        if text is not None:
            report.exemptions += count_exemptions(text)
            report.problems.extend(privacy_problems(text, display_path(path)))
