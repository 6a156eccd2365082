"""A git pre-commit hook that runs `casebook check` on the staged case tree.

The hook covers the case tree (default `cases/` at the top of the work tree) and `packs/`
beside it. The casebook command is resolved to an absolute path when the hook is installed,
so the hook also works from editors and git GUIs that do not share the shell's PATH. The
hook goes where git looks for hooks, honouring `core.hooksPath`. A pre-commit hook that
Casebook did not write is only replaced when forced.
"""

from __future__ import annotations

import shlex
import shutil
import stat
from pathlib import Path

from casebook import git
from casebook.errors import ConfigError

HOOK_MARKER = "# casebook pre-commit hook"

# The hook checks the index (what is being committed), not the working copy: it exports the
# staged files of the case tree and the packs to a temporary folder and checks them there.
# Hooks run at the top of the work tree, and GIT_INDEX_FILE points at the index being
# committed, also for `git commit -a` and `git commit PATH`.
_SCRIPT = """\
#!/bin/sh
{marker}: written by `casebook install-hook`; installing again replaces it.
# It checks the staged version of the case tree and the packs, and blocks the commit when
# `casebook check` reports an error. Skip it once with `git commit --no-verify`.

casebook={command}
cases={cases}
packs={packs}

changed=$(git diff --cached --name-only -- "$cases" "$packs") || exit 1
if [ -z "$changed" ]; then
    exit 0
fi

if ! command -v "$casebook" >/dev/null 2>&1; then
    echo "casebook pre-commit: command not found: $casebook" >&2
    echo "Install Casebook and run 'casebook install-hook --force' again, or commit with --no-verify." >&2
    exit 1
fi

tmp=$(mktemp -d "${{TMPDIR:-/tmp}}/casebook-hook.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

git ls-files -z -- "$cases" "$packs" | git checkout-index -z --stdin --prefix="$tmp/" || exit 1
mkdir -p "$tmp/$cases"

# Checked from inside the export, messages name files as the repository does: cases/...
cd "$tmp" || exit 1
"$casebook" --cases "$cases" --index "$tmp/.casebook-index" check >&2
status=$?
if [ "$status" -ne 0 ]; then
    echo "casebook pre-commit: commit blocked. The lines above refer to the staged files:" >&2
    echo "fix them, stage the fixes with 'git add', and commit again." >&2
    exit 1
fi
exit 0
"""


def install_hook(
    repo_dir: Path,
    casebook_command: str = "casebook",
    force: bool = False,
    cases_dir: Path | None = None,
) -> Path:
    """Write the pre-commit hook that checks the staged cases; return its path or raise ConfigError."""
    top, hooks_dir = _locate(Path(repo_dir))
    cases = _relative(top, Path(cases_dir) if cases_dir is not None else top / "cases")
    packs = (Path(cases).parent / "packs").as_posix()
    found = shutil.which(casebook_command)
    if found is None:
        raise ConfigError(
            f"casebook command not found: '{casebook_command}'; give its full path (e.g. .venv/bin/casebook)"
        )
    command = Path(found).resolve().as_posix()
    hook = hooks_dir / "pre-commit"
    if hook.exists() and not force and HOOK_MARKER not in _read(hook):
        raise ConfigError(
            f"{hook} exists and was not written by Casebook; replace it with --force, "
            f"or add a line running '{command} --cases {cases} check' to it yourself"
        )
    hooks_dir.mkdir(parents=True, exist_ok=True)
    script = _SCRIPT.format(
        marker=HOOK_MARKER, command=shlex.quote(command), cases=shlex.quote(cases), packs=shlex.quote(packs)
    )
    hook.write_text(script, encoding="utf-8", newline="\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return hook


def _locate(repo_dir: Path) -> tuple[Path, Path]:
    """Return the top of the work tree and the hooks folder git uses; raise ConfigError."""
    if not git.available():
        raise ConfigError("git is needed to install the hook but was not found on PATH")
    out = git.run(repo_dir, "rev-parse", "--show-toplevel", "--git-path", "hooks")
    lines = (out or "").splitlines()
    if len(lines) != 2:
        raise ConfigError(f"not inside a git work tree: {repo_dir} (run 'git init' or 'git clone' first)")
    top = Path(lines[0])
    hooks = Path(lines[1])
    return top, hooks if hooks.is_absolute() else (repo_dir / hooks).resolve()


def _relative(top: Path, cases_dir: Path) -> str:
    """Return the cases dir relative to the top of the work tree, as posix text."""
    try:
        return cases_dir.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"the cases directory {cases_dir} is not inside the git work tree {top}") from None


def _read(path: Path) -> str:
    """Return a hook's text, tolerating any encoding."""
    return path.read_bytes().decode("utf-8", errors="replace")
