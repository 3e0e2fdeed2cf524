"""`re`, imported on first use.

`re` costs ~6 ms of imports (it pulls in `enum`, `functools`, `collections`). Modules on the
`posttool run` path write `from posttool.lib.fast.lazy import re` and use it exactly like the
module;
the real one is imported the first time an attribute is read, so an event whose hooks run no
regex never pays for it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re as _re_module
    from typing import Any


class _LazyRe:
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # probes such as copy's `__deepcopy__` must not import
            raise AttributeError(name)
        import re as real

        return getattr(real, name)


if TYPE_CHECKING:
    re = _re_module
else:
    re = _LazyRe()
