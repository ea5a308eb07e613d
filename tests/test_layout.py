"""The layout's rules, checked on the source of every module the wheel installs:

- no import cycles: the stages are layered, so any module can be read (and tested) knowing
  only what is below it;
- nothing outside `backchannel/cli/` imports from it: the commands sit on top of the library;
- every third-party module the package imports is a dependency declared in pyproject.toml,
  not something that happens to come along with another one.

The modules are the ones pyproject.toml installs (`packages`, with `package-dir` mapping the
top-level `collectors/` and `site_templates/` into `backchannel`). Imports are read with
`ast`, not by importing: `import a.b`, `from a import b` (b a module, or a name in a),
relative imports, and imports inside functions or under `if TYPE_CHECKING:` all count, since
deferring an import hides a cycle without removing it. An import depends on the module it
names: `from backchannel.collectors.base import Batch` on `base`, not on the package
`backchannel.collectors` that Python initialises on the way.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# `python -m backchannel` is the command line's own entry point.
MAY_IMPORT_CLI = {"backchannel.__main__"}


def installed_modules() -> dict[str, Path]:
    """Every module the wheel installs, by import name, with its source file."""
    tool = PYPROJECT["tool"]["setuptools"]
    package_dir = tool.get("package-dir", {})
    found: dict[str, Path] = {}
    for package in tool["packages"]:
        folder = _folder(package, package_dir)
        for path in sorted(folder.glob("*.py")):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def _folder(package: str, package_dir: dict[str, str]) -> Path:
    """Where setuptools finds `package`: under the nearest mapped ancestor, else its own path."""
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        mapped = package_dir.get(".".join(parts[:cut]))
        if mapped is not None:
            return ROOT / mapped / Path(*parts[cut:])
    return ROOT / Path(*parts)


def imports_of(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module name, line) for every import in the file, resolved to absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from a import b`: b may be a module of package a, or a name defined in a (the
            # graph resolves `a.b` to the longest module name it starts with).
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def internal_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module → the package's modules it imports (each import resolved to the module it names)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported, _ in imports_of(name, path):
            target = imported
            while target and target not in modules:  # `a.b.name` → module `a.b`
                target = target.rpartition(".")[0]
            if target and target != name and imported.split(".")[0] == "backchannel":
                targets.add(target)
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other in a circle (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def shortest_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """One circle of imports through the group's first module, as few steps as there are."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # Tarjan said there is one


def cycles(modules: dict[str, Path]) -> list[str]:
    graph = internal_graph(modules)
    return ["cycle: " + " -> ".join(shortest_cycle(graph, group)) for group in strongly_connected(graph)]


def cli_imports(modules: dict[str, Path]) -> list[str]:
    found = set()
    for name, path in modules.items():
        if name == "backchannel.cli" or name.startswith("backchannel.cli.") or name in MAY_IMPORT_CLI:
            continue
        for imported, _ in imports_of(name, path):
            if imported == "backchannel.cli" or imported.startswith("backchannel.cli."):
                target = imported
                while target not in modules:
                    target = target.rpartition(".")[0]
                found.add(f"{name} imports {target}")
    return sorted(found)


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def declared_distributions() -> set[str]:
    names = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        names.add(_normalise(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group()))
    return names


def undeclared_imports(modules: dict[str, Path], root: Path = ROOT) -> list[str]:
    declared = declared_distributions()
    providers = importlib.metadata.packages_distributions()  # import name → distributions
    found = set()
    for name, path in modules.items():
        for imported, line in imports_of(name, path):
            top = imported.split(".")[0]
            if not top or top == "backchannel" or top in sys.stdlib_module_names:
                continue
            dists = providers.get(top, [])
            if not {_normalise(d) for d in dists} & declared:
                where = f"{path.relative_to(root)}:{line}"
                what = " or ".join(sorted(set(dists))) if dists else "no installed distribution"
                found.add(f"{where} imports {top} ({what}), which pyproject.toml does not declare")
    return sorted(found)


# --------------------------------------------------------------------------------- tests

def test_the_installed_layout_is_what_the_rules_are_checked_on():
    modules = installed_modules()
    for name in ("backchannel", "backchannel.cli", "backchannel.digest", "backchannel.collectors.base",
                 "backchannel.collectors.retry", "backchannel.collectors.mastodon.client",
                 "backchannel.talks.programme", "backchannel.site_templates"):
        assert name in modules, name
    on_disk = {p for folder in ("backchannel", "collectors", "site_templates")
               for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    assert on_disk == set(modules.values()), on_disk ^ set(modules.values())


def test_no_module_imports_itself_in_a_circle():
    found = cycles(installed_modules())
    assert not found, "import cycles (move what both need into the lower module):\n" + "\n".join(found)


def test_only_the_command_line_imports_the_command_line():
    found = cli_imports(installed_modules())
    assert not found, "the library imports from backchannel.cli (move what it needs into the library):\n" + \
        "\n".join(found)


def test_every_third_party_import_is_a_declared_dependency():
    found = undeclared_imports(installed_modules())
    assert not found, "\n".join(found)


# ------------------------------------------------------- the checks catch what they should

def _write(folder: Path, files: dict[str, str], packages: tuple[str, ...] = ()) -> dict[str, Path]:
    """Modules with the given sources, laid out as Python would find them."""
    modules = {}
    for name, source in files.items():
        path = folder.joinpath(*name.split("."))
        path = path / "__init__.py" if name in packages else path.with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        modules[name] = path
    return modules


def test_a_deferred_or_type_only_import_still_closes_a_cycle(tmp_path):
    modules = _write(tmp_path, {
        "backchannel.a": "from backchannel.b import thing\n",
        "backchannel.b": "def f():\n    from backchannel import c\n",
        "backchannel.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from backchannel.a import x\n",
        "backchannel.d": "import backchannel.a\n",
    })
    assert cycles(modules) == ["cycle: backchannel.a -> backchannel.b -> backchannel.c -> backchannel.a"]


def test_a_relative_import_is_resolved_and_a_name_is_not_a_module(tmp_path):
    modules = _write(tmp_path, {
        "backchannel.pkg": "from .base import Batch\n",
        "backchannel.pkg.base": "from backchannel.pkg import VERSION\n",
        "backchannel.pkg.other": "from backchannel.pkg import base\n",  # the module, not the package
    }, packages=("backchannel.pkg",))
    assert cycles(modules) == ["cycle: backchannel.pkg -> backchannel.pkg.base -> backchannel.pkg"]


def test_the_library_importing_a_command_is_caught(tmp_path):
    modules = _write(tmp_path, {
        "backchannel.cli": "",
        "backchannel.cli.common": "",
        "backchannel.cli.main": "from backchannel.cli import common\n",
        "backchannel.run": "def go():\n    from backchannel.cli.common import open_writer\n",
    }, packages=("backchannel.cli",))
    assert cli_imports(modules) == ["backchannel.run imports backchannel.cli.common"]


def test_an_undeclared_third_party_import_is_caught(tmp_path):
    """pytest is installed here (a test dependency), but the package may not import it."""
    modules = _write(tmp_path, {"backchannel.x": "import json\nimport pytest\nfrom jinja2 import Environment\n"})
    found = undeclared_imports(modules, root=tmp_path)
    assert found == ["backchannel/x.py:2 imports pytest (pytest), which pyproject.toml does not declare"]
