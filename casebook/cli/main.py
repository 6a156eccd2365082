"""The `casebook` command: thin click wrappers over the library."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from casebook.cli.context import open_casebook
from casebook.errors import CasebookError, ContentError, QueryError
from casebook.search.results import MAX_PER_PAGE, SORTS, SearchRequest


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--cases", "cases_dir", type=click.Path(path_type=Path), help="Case tree (default: ./cases, or $CASEBOOK_CASES)."
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    help="Index folder (default: .casebook-index beside the cases, or $CASEBOOK_INDEX).",
)
@click.version_option(package_name="casebook")
@click.pass_context
def cli(ctx: click.Context, cases_dir: Path | None, index_dir: Path | None) -> None:
    """Casebook (申诉案例库): validate, index and search complaint cases and manuals."""
    ctx.ensure_object(dict)
    ctx.obj["options"] = {"cases_dir": cases_dir, "index_dir": index_dir}


@cli.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_context
def check(ctx: click.Context, strict: bool) -> None:
    """Validate every case, manual, pack and data file; print path:line:col: message."""
    from casebook.checking import check_all

    report = check_all(open_casebook(ctx))
    for problem in report.problems:
        click.echo(str(problem))
    errors, warnings = len(report.errors), len(report.warnings)
    click.echo(f"{report.files} files, {errors} errors, {warnings} warnings" + report.extra)
    if errors or (strict and warnings):
        ctx.exit(1)


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating changed files.")
@click.option("--strict", is_flag=True, help="Exit 1 if any file was skipped or has warnings.")
@click.pass_context
def index(ctx: click.Context, full: bool, strict: bool) -> None:
    """Build or update the search index; invalid files are reported and skipped."""
    casebook = open_casebook(ctx)
    progress = _progress_bar() if sys.stderr.isatty() else None
    try:
        report = casebook.update_index(full=full, progress=progress)
    except CasebookError as exc:  # bad taxonomy, or another index holding the lock
        raise click.ClickException(str(exc)) from None
    if progress:
        click.echo("", err=True)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(report.summary())
    if strict and (report.skipped or report.problems):
        ctx.exit(1)


def _progress_bar():
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", nl=False, err=True)

    return show


@cli.command()
@click.argument("query")
@click.option("--category", multiple=True, help="Keep this category (repeat for several).")
@click.option("--outcome", multiple=True, help="Keep this outcome (repeat for several).")
@click.option("--type", "types", multiple=True, type=click.Choice(["case", "manual"]), help="case or manual.")
@click.option("--service", multiple=True, help="快递服务 or 邮政服务.")
@click.option("--year-from", type=int, help="Earliest year closed.")
@click.option("--year-to", type=int, help="Latest year closed.")
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default="relevance",
    show_default=True,
    help="date and amount: largest first; date_asc and amount_asc: smallest first.",
)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, MAX_PER_PAGE), default=10, show_default=True, help="Hits per page.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (one line per query with '-').")
@click.pass_context
def search(ctx, query, category, outcome, types, service, year_from, year_to, sort, page, limit, as_json):
    """Search the cases; QUERY '-' reads one query per line from standard input."""
    casebook = open_casebook(ctx)
    queries = (line.rstrip("\r\n") for line in sys.stdin) if query == "-" else [query]
    for text in queries:
        request = SearchRequest(
            q=text,
            categories=category,
            outcomes=outcome,
            types=types,
            services=service,
            year_from=year_from,
            year_to=year_to,
            sort=sort,
            page=page,
            per_page=limit,
        )
        try:
            result = casebook.search(request)
        except QueryError as exc:
            raise click.BadParameter(str(exc)) from None
        if as_json:
            from casebook.web.api import result_json  # the site's JSON shape; Flask only for --json

            click.echo(json.dumps(result_json(result), ensure_ascii=False))
        else:
            _print_result(result)


def _print_result(result) -> None:
    if result.relaxed:
        click.echo(f"无完全匹配结果，已{result.relaxed.label}")
    click.echo(f"{result.total} 条结果" + (f"：{result.query}" if result.query else ""))
    if result.key_terms:
        click.echo("关键词：" + "、".join(result.key_terms))
    if result.ignored:
        click.echo("已忽略（案例库中没有）：" + "、".join(result.ignored))
    for number, hit in enumerate(result.hits, start=(result.page - 1) * result.per_page + 1):
        facts = " · ".join(x for x in (hit.category, hit.outcome, hit.date, hit.region) if x)
        click.echo(f"{number:>3}. [{hit.id}] {hit.title}" + (f" §{hit.section}" if hit.section else ""))
        click.echo(f"     {facts}  ({hit.score:.2f})")
        click.echo(f"     {hit.text_snippet}")
        if hit.reasons:
            click.echo("     " + "；".join(r.label() for r in hit.reasons))
    for relaxation in result.suggestions + result.spelling:
        click.echo(f"建议：{relaxation.label}（{relaxation.count} 条）")


@cli.command()
@click.argument("text")
@click.option("--query", "as_query", is_flag=True, help="Segment as a query (no sub-words).")
@click.pass_context
def analyze(ctx: click.Context, text: str, as_query: bool) -> None:
    """Show the tokens a text becomes; * marks user-dictionary words."""
    from casebook.index.analysis import get_segmenter, normalise

    casebook = open_casebook(ctx)
    vocabulary = casebook.vocabulary
    userwords = {normalise(w) for w, _ in vocabulary.words}
    segmenter = get_segmenter(casebook.settings.segmenter, vocabulary.words)
    normalised = normalise(text)
    if normalised != text:
        click.echo(f"normalised: {normalised}")
    for word in segmenter.words(normalised, search=not as_query):
        marks = ("*" if word.text in userwords else "") + (" (sub-word)" if word.sub else "")
        synonyms = vocabulary.synonyms(word.text)
        extra = f"  = {' '.join(synonyms)}" if synonyms else ""
        click.echo(f"{word.pos:>4} {word.start:>4}-{word.end:<4} {word.text}{marks}{extra}")


@cli.command("new")
@click.option("--category", help="Category name (延误), id code (YW) or folder (delay).")
@click.option("--title", help="The case title; a marked placeholder if left out.")
@click.option("--manual", is_flag=True, help="Write a handling manual instead of a case.")
@click.pass_context
def new(ctx: click.Context, category: str | None, title: str | None, manual: bool) -> None:
    """Write a new case from the template with the next free id; print its path."""
    from casebook.content.scaffold import new_case
    from casebook.errors import ConfigError

    casebook = open_casebook(ctx)
    try:
        path = new_case(casebook.cases_dir, casebook.taxonomy, category, title=title, manual=manual)
    except (ConfigError, ContentError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(display(path))


@cli.command("install-hook")
@click.option("--force", is_flag=True, help="Replace a pre-commit hook Casebook did not write.")
@click.pass_context
def install_hook_command(ctx: click.Context, force: bool) -> None:
    """Install a git pre-commit hook that runs `casebook check` on staged cases and packs."""
    from casebook.cli.hooks import install_hook
    from casebook.errors import ConfigError

    casebook = open_casebook(ctx)
    command = sys.argv[0] if Path(sys.argv[0]).name.startswith("casebook") else "casebook"
    try:
        hook = install_hook(casebook.cases_dir, command, force=force, cases_dir=casebook.cases_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"installed {hook}")


def display(path: Path) -> str:
    from casebook.errors import display_path

    return display_path(path)


@cli.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for the whole network)."
)
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option("--watch/--no-watch", default=True, show_default=True, help="Refresh the index when case files change.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, watch: bool) -> None:
    """Refresh the index, then serve the site with waitress (Linux and Windows)."""
    import logging

    import waitress

    from casebook.cli.serving import accept_raw_utf8_uris, quiet_waitress, raise_open_file_limit, waitress_options
    from casebook.index.watcher import Watcher
    from casebook.web import create_app

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    quiet_waitress()
    accept_raw_utf8_uris()
    casebook = open_casebook(ctx)
    report = _first_update(casebook)  # also looks at the kept index; a damaged one is rebuilt
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(report.summary(), err=True)

    def warm() -> None:  # load the dictionary and the index's arrays before the next visitor
        casebook.searcher().search(SearchRequest(q="快递"))

    warm()
    app = create_app(casebook=casebook)
    if watch:
        Watcher(casebook, after_refresh=warm).start()
    click.echo(f"serving on http://{host}:{port}/", err=True)
    raise_open_file_limit(casebook.settings)
    options = waitress_options(casebook.settings)
    waitress.serve(app, host=host, port=port, threads=threads, ident="casebook", **options)


def _first_update(casebook):
    """Update the index before serving; wait (saying so) while another index run holds the lock."""
    from casebook.index.lock import IndexBusyError

    told = False
    while True:
        try:
            return casebook.update_index()
        except IndexBusyError as exc:
            if not told:
                click.echo(f"{exc}; waiting for it", err=True)
                told = True
            time.sleep(1)
        except CasebookError as exc:
            raise click.ClickException(str(exc)) from None


def _register() -> None:
    from casebook.cli.pack import pack

    cli.add_command(pack)


_register()


def main() -> None:
    """Run the command line; an error Casebook raises on purpose is one line and exit status 1."""
    try:
        cli(obj={})
    except CasebookError as exc:  # e.g. a knowledge base with no taxonomy.yaml: say so, no traceback
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
