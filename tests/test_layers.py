"""The import graph shows the plan: layers point one way, no cycles, no private names borrowed.

Layers, lowest first: errors, config and git; content; index; search; service; then the edges
packs, web and cli (in that order: the site and the command line use packs, never the
reverse). `checking` sits beside service and may use content and the validation part of packs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "casebook"
LAYERS = {
    "casebook": 0,
    "casebook.errors": 0,
    "casebook.config": 0,
    "casebook.git": 0,
    "casebook.content": 1,
    "casebook.index": 2,
    "casebook.search": 3,
    "casebook.service": 4,
    "casebook.checking": 4,
    "casebook.packs": 5,
    "casebook.web": 6,
    "casebook.cli": 7,
}
# `check` validates packs without building them: these modules, and nothing that renders.
CHECKING_MAY_USE = {"casebook.packs.pack", "casebook.packs.entries"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """Return the layer of a casebook module: that of its longest listed prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports_of(path: Path) -> list[tuple[str, str | None, bool]]:
    """Return (module, imported name or None, at module level) for each casebook import in a file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if (PACKAGE.parent / (submodule.replace(".", "/") + ".py")).is_file():
                    found.append((submodule, None, id(node) in top_level))  # `from casebook import git`
                else:
                    found.append((base, alias.name, id(node) in top_level))
    return [item for item in found if item[0] == "casebook" or item[0].startswith("casebook.")]


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
EDGES = {module: imports_of(path) for module, path in MODULES.items()}


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for module, edges in EDGES.items():
        for target, _, _ in edges:
            if module == "casebook.checking" and target in CHECKING_MAY_USE:
                continue
            if layer_of(target) > layer_of(module):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycles():
    graph = {module: {t for t, _, _ in edges if t in MODULES and t != module} for module, edges in EDGES.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_private_name_is_imported_from_another_module():
    borrowed = [
        f"{module}: from {target} import {name}"
        for module, edges in EDGES.items()
        for target, name, _ in edges
        if name and name.startswith("_") and target != module
    ]
    assert borrowed == []


def test_only_casebook_git_runs_git():
    runners = [module for module, path in MODULES.items() if "subprocess" in path.read_text(encoding="utf-8")]
    assert runners == ["casebook.git"]


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        # `casebook check` validates; it must not pay for Word, Whoosh or the site.
        ("from casebook.checking import check_all", ("docx", "whoosh", "flask")),
        ("import casebook.config", ("whoosh", "jieba", "rjieba")),
        ("from casebook.packs.pack import load_pack", ("docx", "jinja2")),
    ],
)
def test_light_modules_stay_light(statement, absent):
    code = f"import sys; {statement}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_casebook_check_end_to_end_leaves_word_unloaded(kb_dir):
    code = (
        "import sys\n"
        "from casebook.cli.main import cli\n"
        f"cli(['--cases', {str(kb_dir)!r}, 'check'], standalone_mode=False, obj={{}})\n"
        "print('loaded:', sorted(m for m in ('docx', 'lxml', 'jinja2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "0 errors" in done.stdout and "loaded: []" in done.stdout, done.stdout + done.stderr
