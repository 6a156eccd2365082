"""`casebook pack`: list, build and compare training packs."""

from __future__ import annotations

from pathlib import Path

import click

from casebook.cli.context import open_casebook
from casebook.errors import CasebookError, display_path


@click.group("pack")
def pack() -> None:
    """Training packs (packs/*.yaml): list, build handouts, see what changed."""


def _library(ctx: click.Context):
    from casebook.packs.library import open_library

    return open_library(open_casebook(ctx))


def _load(library, path: Path):
    from casebook.packs.pack import load_pack

    loaded, problems = load_pack(path, library.known_ids)
    for problem in problems:
        click.echo(str(problem), err=True)
    if loaded is None:
        raise click.ClickException(f"{display_path(path)}: the pack has errors")
    return loaded


@pack.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the packs with their titles and case counts."""
    from casebook.packs.library import list_packs

    packs = list_packs(_library(ctx))
    for path, loaded, problems in packs:
        if loaded is None:
            click.echo(f"{display_path(path)}: invalid ({len([p for p in problems if p.is_error])} errors)")
        else:
            click.echo(f"{display_path(path)}: {loaded.title} — {len(loaded.entries)} cases")
    click.echo(f"{len(packs)} packs")


@pack.command("build")
@click.argument("pack_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: packs/build)."
)
@click.pass_context
def build_command(ctx: click.Context, pack_file: Path, out_dir: Path | None) -> None:
    """Write the trainee and trainer handouts (HTML, DOCX) and the offline pack."""
    from casebook.packs.library import BUILD_DIR, build

    library = _library(ctx)
    loaded = _load(library, pack_file)
    out_dir = out_dir or library.packs_dir / BUILD_DIR
    try:
        written = build(library, loaded, out_dir)
    except CasebookError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(display_path(path))


@pack.command("status")
@click.argument("pack_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the pack was built (default: packs/build).",
)
@click.option("--diff/--no-diff", default=True, show_default=True, help="Show what changed in each case.")
@click.pass_context
def status_command(ctx: click.Context, pack_file: Path, out_dir: Path | None, diff: bool) -> None:
    """Say which cases changed since the pack's handouts were built; exit 1 if any did."""
    from casebook.packs.library import BUILD_DIR, status

    library = _library(ctx)
    loaded = _load(library, pack_file)
    lines = status(library, loaded, out_dir or library.packs_dir / BUILD_DIR)
    if lines is None:
        raise click.ClickException(f"{display_path(pack_file)}: not built yet; run `casebook pack build` first")
    changed = 0
    for line in lines:
        click.echo(
            f"{line.id}: {line.state}"
            + (f" ({line.built} -> {line.current})" if line.state == "changed" else "")
            + (f" {line.note}" if line.note else "")
        )
        if line.state != "unchanged":
            changed += 1
            if diff and line.diff:
                click.echo(line.diff.rstrip("\n"))
    click.echo(f"{changed} of {len(lines)} cases changed since the build")
    if changed:
        ctx.exit(1)
