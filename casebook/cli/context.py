"""What every command shares: the Casebook built once per invocation from the global options."""

from __future__ import annotations

import click

from casebook.config import settings_from_env
from casebook.errors import CasebookError


def open_casebook(ctx: click.Context):
    """Return the Casebook for this invocation, built once from the global options."""
    from casebook.service import Casebook  # not at import: `--help` need not load the index code

    if "casebook" not in ctx.obj:
        try:
            ctx.obj["casebook"] = Casebook(settings_from_env(**ctx.obj["options"]))
            ctx.find_root().call_on_close(ctx.obj["casebook"].close)
        except CasebookError as exc:
            raise click.ClickException(str(exc)) from None
    return ctx.obj["casebook"]
