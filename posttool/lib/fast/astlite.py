"""The part of `ast` posttool's checks use, without importing `ast`.

The syntax tree itself comes from the built-in `_ast` module (`compile(..., PyCF_ONLY_AST)` is
what `ast.parse` calls); the `ast` module on top of it imports `contextlib` and `enum`, ~2.5 ms
on every `.py` write. Node classes are looked up on `_ast`; `unparse`, used only to quote code in
a message, loads the real module when it is needed.
"""

from __future__ import annotations

import _ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

AST = _ast.AST


def parse(source: str, filename: str = "<unknown>") -> Any:
    """Like `ast.parse(source)`: raises SyntaxError (or ValueError for NUL bytes). A leading
    byte-order mark is skipped, as Python does when it runs the file."""
    if source.startswith("\ufeff"):
        source = source[1:]
    return compile(source, filename, "exec", _ast.PyCF_ONLY_AST)


def iter_child_nodes(node: Any) -> Iterator[Any]:
    """Like `ast.iter_child_nodes`: the direct child nodes, in field order."""
    for name in node._fields:
        field = getattr(node, name, None)
        if isinstance(field, AST):
            yield field
        elif isinstance(field, list):
            for item in field:
                if isinstance(item, AST):
                    yield item


def unparse(node: Any) -> str:
    import ast

    return ast.unparse(node)


def __getattr__(name: str) -> Any:
    """Node classes (`For`, `Call`, `stmt`...) straight from `_ast`."""
    try:
        return getattr(_ast, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
