"""Python AST checks for code_quality_gate (§4.12), and the walker pieces state_mutation_guard's
checks (§4.14, lib/pymutation.py) share with them.

Both hooks read the one tree `event.py_parse()` built. Every check reports only code that
overlaps the added lines, so the walkers skip any statement whose lines hold no added line and
no added block header above it: an edit of a 5000-line file costs the size of the edit, not the
file. `ast` is imported inside the functions, so importing this module costs nothing.

Line numbers are the file's (1-based), as in the added lines of the event.
"""

from __future__ import annotations

from bisect import bisect_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from posttool.lib.fast import astlite as ast


MODULE_SCOPE = "<module>"
MAX_NODES = 12_000  # default work bound per check pass: ~40 ms on a slow core
BLOCKING_EXACT = {
    "time.sleep": "use `await asyncio.sleep(...)`",
    "subprocess.run": "use `await asyncio.create_subprocess_exec(...)`",
    "subprocess.call": "use `await asyncio.create_subprocess_exec(...)`",
    "subprocess.check_output": "use `await asyncio.create_subprocess_exec(...)`",
    "open": "use `await asyncio.to_thread(...)` for the file work",
}
BLOCKING_HTTP = "use an async client (httpx.AsyncClient, aiohttp) or `await asyncio.to_thread(...)`"


class Finding:
    """One problem: where it is, which check found it, and the scope it belongs to."""

    __slots__ = ("check", "detail", "line", "scope")

    def __init__(self, check: str, line: int, scope: str, detail: str) -> None:
        self.check = check
        self.line = line
        self.scope = scope
        self.detail = detail

    @property
    def key_name(self) -> str:
        """The `<function or line>` part of a cooldown key."""
        return self.scope if self.scope != MODULE_SCOPE else f"L{self.line}"

    def __repr__(self) -> str:
        return f"Finding({self.check} L{self.line} {self.scope}: {self.detail!r})"


# A frame of the code_quality_gate walk, see `_walk_tree`.
Frame = tuple["ast.AST", tuple[str, bool], tuple[int, ...], tuple[int, ...], bool, bool]


class Budget:
    """A bound on the nodes a walk may visit, so a huge file costs bounded time (the hooks have
    100 ms) and the result stays deterministic. Past the bound, walks stop where they are."""

    __slots__ = ("left",)

    def __init__(self, nodes: int) -> None:
        self.left = nodes

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


class Lines:
    """The added line numbers, for overlap tests in O(log n)."""

    __slots__ = ("numbers", "ordered")

    def __init__(self, numbers: Iterable[int]) -> None:
        self.numbers = frozenset(numbers)
        self.ordered = sorted(self.numbers)

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect_left(self.ordered, start)
        return index < len(self.ordered) and self.ordered[index] <= end

    def __contains__(self, line: object) -> bool:
        return line in self.numbers

    def any(self, lines: Iterable[int]) -> bool:
        return any(line in self.numbers for line in lines)


def span(node: ast.AST) -> tuple[int, int]:
    """First and last line of a node, decorators included."""
    start = getattr(node, "lineno", 0)
    for decorator in getattr(node, "decorator_list", ()):
        start = min(start, decorator.lineno)
    return start, getattr(node, "end_lineno", None) or start


def dotted(node: ast.AST, partial: bool = False) -> str:
    """`a.b.c` for a Name/Attribute chain; with `partial`, the resolvable tail (`x().execute`
    gives `execute`); else '' when the chain does not start with a name."""
    from posttool.lib.fast import astlite as ast

    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif not partial:
        return ""
    return ".".join(reversed(parts))


def _qualify(scope: str, name: str) -> str:
    return name if scope == MODULE_SCOPE else f"{scope}.{name}"


# --- code_quality_gate ----------------------------------------------------------------------


def _ends_with(name: str, suffixes: Iterable[str]) -> str:
    for suffix in suffixes:
        if name == suffix or name.endswith("." + suffix):
            return suffix
    return ""


def blocking_advice(name: str) -> str:
    """Advice for a blocking call name inside `async def`, or '' if it is not one."""
    if name in BLOCKING_EXACT:
        return BLOCKING_EXACT[name]
    head, _, rest = name.partition(".")
    if (
        (head == "requests" and rest and "." not in rest)
        or name == "urlopen"
        or name.endswith(".urlopen")
    ):
        return BLOCKING_HTTP
    return ""


class _Walk:
    """State of one code_quality_gate walk: the first finding per (scope, check)."""

    __slots__ = ("budget", "found", "io_calls", "lines", "max_nesting")

    def __init__(self, lines: Lines, io_calls: list[str], max_nesting: int, budget: Budget) -> None:
        self.budget = budget
        self.lines = lines
        self.io_calls = [c for c in io_calls if isinstance(c, str) and c]
        self.max_nesting = max_nesting
        self.found: dict[tuple[str, str], Finding] = {}

    def add(self, check: str, line: int, scope: str, detail: str) -> None:
        self.found.setdefault((scope, check), Finding(check, line, scope, detail))


def quality_findings(
    tree: ast.Module,
    added: Iterable[int],
    io_calls: list[str],
    max_nesting: int,
    max_nodes: int = MAX_NODES,
) -> list[Finding]:
    """n_plus_one, triple_loop, blocking_in_async and deep_nesting findings, in line order.

    At most one finding per check and scope (function, class body or module), the first in
    source order whose code overlaps the added lines. The tree is walked depth first in source
    order until `max_nodes` nodes were visited.
    """
    walk = _Walk(Lines(added), io_calls, max_nesting, Budget(max_nodes))
    if not walk.lines.ordered:
        return []
    _walk_tree(walk, tree)
    return sorted(walk.found.values(), key=lambda f: (f.line, f.check))


def _walk_tree(walk: _Walk, tree: ast.Module) -> None:
    """One depth-first walk. A frame is (node, (scope, in async def), enclosing loop headers,
    enclosing block headers, inside a loop body, some enclosing block header is an added line).
    A function or class starts a new scope with no enclosing blocks."""
    from posttool.lib.fast import astlite as ast

    lines = walk.lines
    budget = walk.budget
    top = (MODULE_SCOPE, False)
    stack: list[Frame] = [(stmt, top, (), (), False, False) for stmt in reversed(tree.body)]
    while stack and budget.spend():
        node, ctx, loops, blocks, in_loop, hot = stack.pop()
        if isinstance(node, ast.stmt) and not hot and not lines.overlaps(*span(node)):
            continue
        children: list[Frame]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner_ctx = (
                _qualify(ctx[0], node.name),
                isinstance(node, ast.AsyncFunctionDef),
            )
            children = [(s, inner_ctx, (), (), False, False) for s in node.body]
        elif isinstance(node, ast.Lambda):
            continue
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            header = node.lineno
            inner_loops, inner_blocks = (*loops, header), (*blocks, header)
            inner_hot = hot or header in lines
            _check_loop(walk, ctx[0], inner_loops)
            _check_nesting(walk, ctx[0], inner_blocks)
            first = node.test if isinstance(node, ast.While) else node.iter
            children = [(first, ctx, loops, blocks, in_loop, hot)]
            # a `while` body is pagination or a retry (each call needs the previous answer):
            # not a query per item, so only `for` bodies count for n_plus_one
            per_item = in_loop or not isinstance(node, ast.While)
            children += [
                (s, ctx, inner_loops, inner_blocks, per_item, inner_hot) for s in node.body
            ]
            children += [(s, ctx, loops, inner_blocks, in_loop, inner_hot) for s in node.orelse]
        elif isinstance(node, ast.If):
            header = node.lineno
            inner_blocks = (*blocks, header)
            inner_hot = hot or header in lines
            _check_nesting(walk, ctx[0], inner_blocks)
            children = [(node.test, ctx, loops, blocks, in_loop, hot)]
            children += [(s, ctx, loops, inner_blocks, in_loop, inner_hot) for s in node.body]
            orelse = node.orelse
            if _is_elif(node):  # `elif` continues the chain at the same depth
                children.append((orelse[0], ctx, loops, blocks, in_loop, hot))
            else:
                children += [(s, ctx, loops, inner_blocks, in_loop, inner_hot) for s in orelse]
        elif isinstance(node, (ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)):
            header = node.lineno
            inner_blocks = (*blocks, header)
            inner_hot = hot or header in lines
            _check_nesting(walk, ctx[0], inner_blocks)
            children = []
            for expr, body_lists in _block_parts(node):
                if expr is not None:
                    children.append((expr, ctx, loops, blocks, in_loop, hot))
                for stmts in body_lists:
                    children += [(s, ctx, loops, inner_blocks, in_loop, inner_hot) for s in stmts]
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            children = _comprehension_children(walk, node, ctx, loops, blocks, in_loop, hot)
        else:
            if isinstance(node, ast.Call):
                _check_call(walk, ctx, node, loops, in_loop)
            children = [(c, ctx, loops, blocks, in_loop, hot) for c in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))


def _is_elif(node: ast.If) -> bool:
    from posttool.lib.fast import astlite as ast

    orelse = node.orelse
    return (
        len(orelse) == 1
        and isinstance(orelse[0], ast.If)
        and orelse[0].col_offset == node.col_offset
        and orelse[0].lineno != node.lineno
    )


def _block_parts(node: ast.AST) -> Iterator[tuple[ast.AST | None, list[list[ast.stmt]]]]:
    """(expression evaluated at the block's own depth, statement lists one level deeper)."""
    from posttool.lib.fast import astlite as ast

    if isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            yield item.context_expr, []
        yield None, [node.body]
    elif isinstance(node, ast.Match):
        yield node.subject, []
        for case in node.cases:
            yield case.guard, [case.body]
    else:  # Try, TryStar
        yield None, [node.body, node.orelse, node.finalbody]
        for handler in node.handlers:
            yield handler.type, [handler.body]


def _comprehension_children(
    walk: _Walk,
    node: ast.AST,
    ctx: tuple[str, bool],
    loops: tuple[int, ...],
    blocks: tuple[int, ...],
    in_loop: bool,
    hot: bool,
) -> list[Frame]:
    """Each generator of a comprehension is one more loop; its first iterable is evaluated
    outside them, everything else inside."""
    from posttool.lib.fast import astlite as ast

    children: list[Frame] = []
    inner = loops
    for index, gen in enumerate(node.generators):
        children.append((gen.iter, ctx, inner, blocks, in_loop if index == 0 else True, hot))
        inner = (*inner, getattr(gen.target, "lineno", node.lineno))
        _check_loop(walk, ctx[0], inner)
        children += [(cond, ctx, inner, blocks, True, hot) for cond in gen.ifs]
    if isinstance(node, ast.DictComp):
        children.append((node.key, ctx, inner, blocks, True, hot))
        children.append((node.value, ctx, inner, blocks, True, hot))
    else:
        children.append((node.elt, ctx, inner, blocks, True, hot))
    return children


def _check_loop(walk: _Walk, scope: str, loops: tuple[int, ...]) -> None:
    if len(loops) >= 3 and walk.lines.any(loops):
        outer = loops[-3]
        walk.add(
            "triple_loop",
            loops[-1],
            scope,
            f"loops nested 3 deep (from L{outer}); use a dict/set lookup or restructure to "
            "avoid cubic work",
        )


def _check_nesting(walk: _Walk, scope: str, blocks: tuple[int, ...]) -> None:
    if len(blocks) > walk.max_nesting and walk.lines.any(blocks):
        walk.add(
            "deep_nesting",
            blocks[-1],
            scope,
            f"blocks nested {len(blocks)} deep; return early or extract a helper function",
        )


def _check_call(
    walk: _Walk,
    ctx: tuple[str, bool],
    node: ast.Call,
    loops: tuple[int, ...],
    in_loop: bool,
) -> None:
    scope, is_async = ctx
    if not in_loop and not is_async:
        return
    name = dotted(node.func, partial=True)
    if not name:
        return
    touches = walk.lines.overlaps(*span(node))
    if in_loop and (touches or walk.lines.any(loops)):
        io = _ends_with(name, walk.io_calls)
        if io:
            walk.add(
                "n_plus_one",
                node.lineno,
                scope,
                f"`{name}` runs once per loop iteration; batch it or fetch once before the loop",
            )
    if is_async and touches:
        advice = blocking_advice(dotted(node.func))
        if advice:
            walk.add(
                "blocking_in_async",
                node.lineno,
                scope,
                f"`{dotted(node.func)}` blocks the event loop in `async def`; {advice}",
            )


def _child_blocks(node: ast.AST) -> list[ast.AST]:
    """Child statements, `except` handlers and `case` clauses (which hold statements)."""
    from posttool.lib.fast import astlite as ast

    kinds = (ast.stmt, ast.excepthandler, ast.match_case)
    return [c for c in ast.iter_child_nodes(node) if isinstance(c, kinds)]


# --- helpers for the hooks ------------------------------------------------------------------


def enclosing_function(tree: ast.Module, line: int) -> tuple[str, bool]:
    """(qualified name of the innermost function containing `line`, or '', and whether that
    function is meant to be overridden: an `abstractmethod`, or a method of an interface-like
    class, where `raise NotImplementedError` is the design, not a stub)."""
    from posttool.lib.fast import astlite as ast

    found = ("", False)
    subclassed = _subclassed_names(tree)
    stack: list[tuple[ast.AST, str, bool]] = [(stmt, MODULE_SCOPE, False) for stmt in tree.body]
    while stack:
        node, scope, in_interface = stack.pop()
        start, end = span(node)
        if hasattr(node, "lineno") and not start <= line <= end:
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            abstract = in_interface or any(
                dotted(d, partial=True).endswith("abstractmethod") for d in node.decorator_list
            )
            found = (_qualify(scope, node.name), abstract)
        interface = isinstance(node, ast.ClassDef) and _is_interface(node, subclassed)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = _qualify(scope, node.name)
        stack.extend((c, scope, interface) for c in _child_blocks(node))
    return found


INTERFACE_BASES = ("ABC", "Protocol", "ABCMeta")
INTERFACE_AFFIXES = ("Base", "Abstract", "Interface", "Protocol", "Mixin")


def _is_interface(node: ast.ClassDef, subclassed: set[str]) -> bool:
    """A class whose methods are meant to be overridden: it derives from `ABC`/`Protocol`,
    is named like a base (`BaseStore`, `StoreInterface`, `AbstractStore`), or another class of
    the module derives from it."""
    bases = {dotted(b, partial=True).rsplit(".", 1)[-1] for b in node.bases}
    bases |= {dotted(k.value, partial=True).rsplit(".", 1)[-1] for k in node.keywords}
    if bases & set(INTERFACE_BASES) or node.name in subclassed:
        return True
    return node.name.startswith(INTERFACE_AFFIXES) or node.name.endswith(INTERFACE_AFFIXES)


def _subclassed_names(tree: ast.Module) -> set[str]:
    """Names of the module's classes that another of its top-level classes derives from."""
    from posttool.lib.fast import astlite as ast

    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            names |= {dotted(b, partial=True).rsplit(".", 1)[-1] for b in stmt.bases}
    return names
