"""Imports run one way: cli → runner → hooks → api → lib (DESIGN.md), and no module circles.

Every import counts, including those inside functions and under TYPE_CHECKING: a lazy import
is still a dependency, and a type-only one still couples the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "posttool"
# A module may import its own layer and the layers below it.
LAYERS = {"lib": 0, "api": 1, "hooks": 2, "runner": 3, "testing": 4, "cli": 4, "__main__": 5}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "posttool"}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {dep for dep in imports_of(path) if dep in modules and dep != name}
        for name, path in modules.items()
    }


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_imports_only_go_down() -> None:
    upward = [
        f"{name} imports {dep}"
        for name, deps in graph().items()
        for dep in deps
        if layer(name) is not None and layer(dep) is not None and layer(dep) > layer(name)
    ]
    assert not upward, upward


def test_hooks_import_only_api_and_lib() -> None:
    other = [
        f"{name} imports {dep}"
        for name, deps in graph().items()
        if name.startswith("posttool.hooks")
        for dep in deps
        if layer(dep) not in (LAYERS["lib"], LAYERS["api"]) and dep != "posttool"
    ]
    assert not other, other


def test_no_import_circles() -> None:
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(edges.get(name, ())):
            if state.get(dep) == 1:
                circles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert not circles, circles


def test_the_scan_sees_a_planted_upward_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("if False:\n    from posttool.runner.run import handle\n")
    assert "posttool.runner.run" in imports_of(planted)
