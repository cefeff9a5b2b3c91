"""The layers import in one direction (README.md, "Layout"): core, storage, query,
methods, web, tools. A module imports only from its own layer and the layers below it,
never inside a function, and only the storage backends import a database driver."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = ("core", "storage", "query", "methods", "web", "tools")
DRIVERS = {"sqlite3", "aiosqlite", "asyncpg", "psycopg", "psycopg2"}
BACKENDS = {"gateway.storage.sqlite", "gateway.storage.postgresql"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "methods":
        return "methods"
    if module in ("gateway", "gateway.__main__"):
        return "core" if module == "gateway" else "tools"
    return parts[1]


def modules() -> dict[str, pathlib.Path]:
    found = {}
    for package in ("gateway", "methods"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import of `module`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; any other name, the package
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            found.append((name, id(node) in top))
    return found


def test_every_module_has_a_layer() -> None:
    assert {layer_of(m) for m in MODULES} == set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down(module: str) -> None:
    rank = LAYERS.index(layer_of(module))
    upward = sorted({name for name, _ in imports(module) if name in MODULES
                     and LAYERS.index(layer_of(name)) > rank})
    assert upward == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_inside_a_function(module: str) -> None:
    late = sorted({name for name, top in imports(module) if not top and (
        name in MODULES or name.split(".")[0] in ("gateway", "methods"))})
    assert late == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_backends_import_a_driver(module: str) -> None:
    drivers = {name.split(".")[0] for name, _ in imports(module)} & DRIVERS
    assert module in BACKENDS or not drivers


def test_no_import_cycle() -> None:
    graph = {m: {n for n, top in imports(m) if n in MODULES and n != m} for m in MODULES}
    seen: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        if cycle:
            return
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycle.extend(trail[trail.index(nxt):] + [node, nxt] if nxt in trail
                             else [node, nxt])
                return
            if nxt not in seen:
                visit(nxt, trail + [node])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [])
    assert cycle == []


SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b")
ENGINE = re.compile(r"engine\s*==|COLLATE|PRAGMA|\"postgresql\"|'postgresql'|\"sqlite\"")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("methods")))
def test_no_sql_in_methods(module: str) -> None:
    assert SQL.findall(MODULES[module].read_text()) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if not m.startswith("gateway.storage")))
def test_no_engine_test_above_storage(module: str) -> None:
    code = "\n".join(line for line in MODULES[module].read_text().splitlines()
                     if not line.lstrip().startswith("#"))
    assert ENGINE.findall(code) == []
