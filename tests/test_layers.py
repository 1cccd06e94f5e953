"""The package layers of docs/architecture.md, checked from the source with ``ast``.

A package may import itself and packages of a lower layer, never one above it; no two modules may import
each other (directly or round a longer loop). Imports inside functions count: a lazy import still ties the
two packages together, it only moves the cost.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A new package gets a layer here, and docs/architecture.md says why.
LAYERS: list[tuple[str, ...]] = [
    ("pipeline.core",),
    ("pipeline.documents",),
    ("pipeline.text",),
    ("eval.scoring",),
    ("models.loading",),
    ("models.inputs",),
    ("models.embedders", "models.rules", "models.summarisers"),
    ("models.generation", "models.span_readers"),
    ("models",),
    ("pipeline.flow",),
    ("models.training", "pipeline.chat", "pipeline.batch"),
    ("eval",),
    ("pipeline.commands",),
    ("pipeline",),
]
LAYER_OF = {package: level for level, packages in enumerate(LAYERS) for package in packages}
TOP_PACKAGES = ("pipeline", "models", "eval", "configs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for top in TOP_PACKAGES
        for path in sorted((ROOT / top).rglob("*.py"))
        if ".venv" not in path.parts
    }


MODULES = _modules()


def _package(module: str) -> str:
    """The package a module sits in (a package's ``__init__`` belongs to that package)."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports_in(source: str, package: str = "") -> set[str]:
    """vidoc modules that ``source`` imports, wherever in the file the import is; relative imports
    (``from .x import y``) are resolved against ``package``, the package the source sits in."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in MODULES)
    return found


def _imported_modules(module: str) -> set[str]:
    return _imports_in(MODULES[module].read_text(encoding="utf-8"), _package(module)) - {module}


IMPORTS = {module: _imported_modules(module) for module in MODULES}


def test_every_package_has_a_layer() -> None:
    packages = {_package(module) for module in MODULES} - {"configs", "models.trained"}
    assert sorted(packages - set(LAYER_OF)) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _package(m) in LAYER_OF))
def test_imports_go_down(module: str) -> None:
    package = _package(module)
    upward = [
        target
        for target in sorted(IMPORTS[module])
        if _package(target) != package and LAYER_OF[_package(target)] >= LAYER_OF[package]
    ]
    assert upward == [], f"{module} (layer {LAYER_OF[package]}) imports a package at its layer or above"


def find_cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """A loop of imports (depth-first search for a back edge), printed whole; None when there is none."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(imports.get(module, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(imports):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(IMPORTS)
    assert cycle is None, " → ".join(cycle or [])


def test_the_checks_see_a_cycle_and_an_upward_import() -> None:
    """The two checks above on made-up graphs, so that a green run means something."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert "models.factory" in _imports_in("from models.factory import build_reader\n")
    assert "models.factory" in _imports_in("def f():\n    import models.factory\n")
    assert "pipeline.core.vietnamese" in _imports_in("from pipeline.core import vietnamese\n")
    assert "pipeline.core.errors" in _imports_in("from .errors import VidocError\n", "pipeline.core")
    assert "pipeline.core.errors" in _imports_in("from ..core import errors\n", "pipeline.flow")
    assert LAYER_OF["pipeline.core"] < LAYER_OF["models"] < LAYER_OF["pipeline.flow"] < LAYER_OF["eval"]
