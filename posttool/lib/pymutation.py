"""Python AST checks for state_mutation_guard (§4.14): mutable defaults that are mutated, and
collections mutated while iterated. Shares the walker's pieces (Finding, Budget, Lines) with
lib/pyast.py; `ast` is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

from posttool.lib.pyast import (
    MAX_NODES,
    MODULE_SCOPE,
    Budget,
    Finding,
    Lines,
    _child_blocks,
    _qualify,
    dotted,
    span,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from posttool.lib.fast import astlite as ast


MUTATING_METHODS = frozenset(
    {"append", "extend", "update", "add", "insert", "setdefault", "pop", "clear"}
)
ITERATION_MUTATORS = frozenset({"append", "remove", "pop", "insert", "extend", "clear"})
MUTABLE_CALLS = {"list": "list", "dict": "dict", "set": "set"}


# --- state_mutation_guard -------------------------------------------------------------------


def mutation_findings(
    tree: ast.Module, added: Iterable[int], max_nodes: int = MAX_NODES
) -> list[Finding]:
    """mutable_default and mutate_while_iterating findings, in line order, from the statements
    that overlap the added lines, in source order until `max_nodes` nodes were visited."""
    from posttool.lib.fast import astlite as ast

    lines = Lines(added)
    if not lines.ordered:
        return []
    budget = Budget(max_nodes)
    findings: list[Finding] = []
    stack: list[tuple[ast.AST, str]] = [(stmt, MODULE_SCOPE) for stmt in reversed(tree.body)]
    while stack and budget.spend():
        node, scope = stack.pop()
        if isinstance(node, ast.stmt) and not lines.overlaps(*span(node)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            findings += _mutable_defaults(node, scope, lines, budget)
            inner = _qualify(scope, node.name)
            stack.extend((s, inner) for s in reversed(node.body))
            continue
        if isinstance(node, ast.ClassDef):
            inner = _qualify(scope, node.name)
            stack.extend((s, inner) for s in reversed(node.body))
            continue
        if isinstance(node, (ast.For, ast.AsyncFor)):
            finding = _mutated_while_iterating(node, scope, budget)
            if finding is not None:
                findings.append(finding)
        stack.extend((c, scope) for c in reversed(_child_blocks(node)))
    return sorted(findings, key=lambda f: (f.line, f.check))


def _mutable_kind(node: ast.AST | None) -> str:
    from posttool.lib.fast import astlite as ast

    if isinstance(node, ast.List):
        return "list"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.Set):
        return "set"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return MUTABLE_CALLS.get(node.func.id, "")
    return ""


def _defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.expr]]:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(
        zip(
            [a.arg for a in positional[len(positional) - len(args.defaults) :]],
            args.defaults,
            strict=True,
        )
    )
    pairs += [
        (a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    return pairs


def _mutable_defaults(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: str, lines: Lines, budget: Budget
) -> list[Finding]:
    """A mutable default is reported when the edit touched its signature, or touched the
    function and the body mutates the parameter (the shared object is then observable)."""

    findings = []
    for param, default in _defaults(fn):
        kind = _mutable_kind(default)
        if not kind:
            continue
        mutated_at = _first_mutation(fn.body, param, budget)
        if not (lines.overlaps(*span(default)) or mutated_at is not None):
            continue
        shown = _short_default(default)
        if len(shown) > 20:
            shown = kind + "(…)"
        text = f"`{fn.name}({param}={shown})`: mutable default shared across calls"
        if mutated_at is not None:
            text += f", and mutated at L{mutated_at}"
        text += f". Use `{param}=None` and create the {kind} inside."
        findings.append(
            Finding("mutable_default", default.lineno, f"{_qualify(scope, fn.name)}.{param}", text)
        )
    return findings


def _short_default(default: ast.expr) -> str:
    """The default as written, for the common empty forms without `ast.unparse` (which
    imports `ast`, and with it `re`, on a write that may well be silent)."""
    from posttool.lib.fast import astlite as ast

    if isinstance(default, ast.List) and not default.elts:
        return "[]"
    if isinstance(default, ast.Dict) and not default.keys:
        return "{}"
    if (
        isinstance(default, ast.Call)
        and isinstance(default.func, ast.Name)
        and not default.args
        and not default.keywords
    ):
        return f"{default.func.id}()"
    return ast.unparse(default)


def _first_mutation(body: list[ast.stmt], param: str, budget: Budget) -> int | None:
    """Line of the first in-place mutation of `param` before any rebinding of the name."""
    from posttool.lib.fast import astlite as ast

    rebound_at: int | None = None
    mutated: list[int] = []
    for node in _walk_no_defs(body, budget):
        if isinstance(node, ast.Name) and node.id == param and isinstance(node.ctx, ast.Store):
            rebound_at = node.lineno if rebound_at is None else min(rebound_at, node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in MUTATING_METHODS
                and isinstance(func.value, ast.Name)
                and func.value.id == param
            ):
                mutated.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == param
                ):
                    mutated.append(target.lineno)
    mutated = [line for line in mutated if rebound_at is None or line < rebound_at]
    return min(mutated) if mutated else None


def _walk_no_defs(body: list[ast.stmt], budget: Budget) -> Iterator[ast.AST]:
    """Every node under `body`, not entering nested functions, lambdas or classes."""
    from posttool.lib.fast import astlite as ast

    stack: list[ast.AST] = list(reversed(body))
    while stack and budget.spend():
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _mutated_while_iterating(
    loop: ast.For | ast.AsyncFor, scope: str, budget: Budget
) -> Finding | None:
    name = dotted(loop.iter)
    if not name:
        return None
    line = _unsafe_mutation(loop.body, name, False, budget)
    if line is None:
        return None
    return Finding(
        "mutate_while_iterating",
        line,
        f"{scope}:{name}",
        f"`{name}` is changed inside the `for` loop over it (L{loop.lineno}): items get skipped "
        f"or repeated. Iterate over a copy (`list({name})`) or build a new collection.",
    )


def _unsafe_mutation(
    stmts: list[ast.stmt], name: str, nested_loop: bool, budget: Budget
) -> int | None:
    """Line of a mutation of `name` in `stmts` that the loop keeps iterating after. A mutation
    followed in its block by `return`/`raise` (or `break` of the same loop) is safe."""
    from posttool.lib.fast import astlite as ast

    for index, stmt in enumerate(stmts):
        sub_lists = _sub_blocks(stmt)
        if sub_lists is not None:
            inner_nested = nested_loop or isinstance(stmt, (ast.For, ast.AsyncFor, ast.While))
            for sub in sub_lists:
                line = _unsafe_mutation(sub, name, inner_nested, budget)
                if line is not None:
                    return line
            continue
        line = _mutation_in(stmt, name, budget)
        if line is None:
            continue
        exits = (ast.Return, ast.Raise) if nested_loop else (ast.Return, ast.Raise, ast.Break)
        if not any(isinstance(later, exits) for later in stmts[index + 1 :]):
            return line
    return None


def _sub_blocks(stmt: ast.stmt) -> list[list[ast.stmt]] | None:
    from posttool.lib.fast import astlite as ast

    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.If)):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [stmt.body]
    if isinstance(stmt, (ast.Try, ast.TryStar)):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
    if isinstance(stmt, ast.Match):
        return [case.body for case in stmt.cases]
    return None


def _mutation_in(stmt: ast.stmt, name: str, budget: Budget) -> int | None:
    from posttool.lib.fast import astlite as ast

    if isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            if isinstance(target, ast.Subscript) and dotted(target.value) == name:
                return stmt.lineno
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None
    for node in _walk_no_defs([stmt], budget):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ITERATION_MUTATORS
            and dotted(node.func.value) == name
        ):
            return node.lineno
    return None
