"""What a hook author imports: the `hook` decorator, `Event`, `State`, `Message` and the
event sets. Built-in hooks import only from here and from `posttool.lib`.

The decorator only marks a function and returns it unchanged; `posttool.runner.registry`
validates the marks when it loads the hook modules.
"""

from __future__ import annotations

from posttool.lib.config import declare
from posttool.lib.event import EVENT_NAMES, POST_TOOL_USE, POST_TOOL_USE_FAILURE, Event
from posttool.lib.message import Message
from posttool.lib.state import State

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

__all__ = [
    "BOTH_EVENTS",
    "DEFAULT_BUDGET_MS",
    "EVENT_NAMES",
    "FAILURE_ONLY",
    "POST_TOOL_USE",
    "POST_TOOL_USE_FAILURE",
    "SUCCESS_ONLY",
    "Event",
    "HookSpec",
    "Message",
    "State",
    "hook",
]

BOTH_EVENTS = frozenset(EVENT_NAMES)
SUCCESS_ONLY = frozenset({"PostToolUse"})
FAILURE_ONLY = frozenset({POST_TOOL_USE_FAILURE})
DEFAULT_BUDGET_MS = 50
MARK = "__posttool_hook__"


class HookSpec:
    """What a decorator records; turned into a HookRecord at registration."""

    __slots__ = (
        "budget_ms",
        "defaults",
        "enabled",
        "events",
        "matcher",
        "may_spawn",
        "name",
        "prepare",
        "priority",
        "stores",
        "writes",
    )

    name: str
    matcher: str
    priority: int
    events: tuple[str, ...]
    writes: tuple[str, ...]
    stores: tuple[str, ...]
    may_spawn: bool
    budget_ms: int
    prepare: Callable[..., Any] | None
    enabled: bool
    defaults: dict[str, Any]

    def __init__(self, **fields: Any) -> None:
        for key in self.__slots__:
            setattr(self, key, fields[key])


def hook_spec(
    name: str,
    *,
    matcher: str,
    priority: int,
    events: Iterable[str] = BOTH_EVENTS,
    writes: Iterable[str] = (),
    stores: Iterable[str] = (),
    may_spawn: bool = False,
    budget_ms: int = DEFAULT_BUDGET_MS,
    prepare: Callable[..., Any] | None = None,
    enabled: bool = True,
    defaults: dict[str, Any] | None = None,
) -> HookSpec:
    """What `@hook` records, with the hook's config keys declared; also used for hooks that
    are not decorated functions (command hooks)."""
    own = {"enabled": enabled, "budget_ms": budget_ms, **(defaults or {})}
    declare(own, name, prefix=f"{name}.")
    return HookSpec(
        name=name,
        matcher=matcher,
        priority=priority,
        events=tuple(events),
        writes=tuple(writes),
        stores=tuple(stores),
        may_spawn=may_spawn,
        budget_ms=budget_ms,
        prepare=prepare,
        enabled=enabled,
        defaults=own,
    )


def hook(
    name: str,
    *,
    matcher: str,
    priority: int,
    events: Iterable[str] = BOTH_EVENTS,
    writes: Iterable[str] = (),
    stores: Iterable[str] = (),
    may_spawn: bool = False,
    budget_ms: int = DEFAULT_BUDGET_MS,
    prepare: Callable[..., Any] | None = None,
    enabled: bool = True,
    defaults: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark `fn(event, state) -> Message | None` as a hook. Returns the function unchanged.

    `defaults` declares the hook's own config keys, relative to its name
    (`{"min_lines": 400}` is `<name>.min_lines`); the hook reads them with `state.cfg("min_lines")`.
    `<name>.enabled` and `<name>.budget_ms` are declared for every hook.
    """
    spec = hook_spec(
        name,
        matcher=matcher,
        priority=priority,
        events=events,
        writes=writes,
        stores=stores,
        may_spawn=may_spawn,
        budget_ms=budget_ms,
        prepare=prepare,
        enabled=enabled,
        defaults=defaults,
    )

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, MARK, spec)
        return fn

    return mark
