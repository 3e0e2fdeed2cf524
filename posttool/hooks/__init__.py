"""The built-in hook modules, and which of them can have a hook for an event.

`posttool run` pays for every module it imports, on every tool call; a Read needs neither the
quality hooks nor the lint scanner. `HOOK_MARKS` copies each module's (matcher, events) marks,
so `run` imports only the modules that can answer. It lives in this package's `__init__`,
which every import of a hook module loads anyway, so the table costs no module of its own.
tests/hooks/test_hook_marks.py compares it with the marks of the real registry: a hook added
or changed without updating the table fails the tests instead of silently never running.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

_BOTH = ("PostToolUse", "PostToolUseFailure")
_SUCCESS = ("PostToolUse",)

# posttool/hooks/<module>.py → the (matcher, events) of each hook it defines.
HOOK_MARKS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "cache": (("Task|Agent", _SUCCESS), ("Write|Edit", _BOTH), ("Read", _BOTH)),
    "state": ((".*", _BOTH),),
    "confidence": ((".*", _BOTH), (".*", _BOTH), (".*", _BOTH), (".*", _BOTH)),
    "quality": (
        ("Edit|Write", _SUCCESS),
        ("Edit|Write|MultiEdit", _SUCCESS),
        ("Edit|Write|MultiEdit", _SUCCESS),
        ("Edit|Write", _SUCCESS),
        ("Edit|Write", _SUCCESS),
    ),
    "quality_scanner": (("Edit|Write", _SUCCESS),),
    "suggestions": (
        ("Edit|Write", _SUCCESS),
        ("Read", _SUCCESS),
        ("WebFetch", _BOTH),
        ("Read|Bash|Task|Agent", _BOTH),
    ),
    "tracking": (
        (".*", _BOTH),
        ("Read|Edit|Write|Bash|Glob|Grep", _BOTH),
        (".*", _BOTH),
        ("Bash", _SUCCESS),
    ),
    "auto_learn": ((".*", _BOTH),),
}


def may_match(pattern: str, tool_name: str) -> bool:
    """False only when `pattern` certainly does not full-match `tool_name`.

    A `.*` or a plain `A|B` alternation is decided exactly; any other regex is assumed to
    match (importing a module for nothing is slower, skipping one would lose its hooks)."""
    if pattern == ".*":
        return True
    names = pattern.split("|")
    if all(name.isidentifier() or name.isalnum() for name in names):
        return tool_name in names
    return True


def modules_for(tool_name: str, event_name: str, modules: Iterable[str]) -> frozenset[str]:
    """Those of `modules` with at least one hook that can match this tool and event.

    A module missing from the table (added without an entry) is always included."""
    wanted = set()
    for module in modules:
        marks = HOOK_MARKS.get(module)
        if marks is None or any(
            event_name in events and may_match(pattern, tool_name) for pattern, events in marks
        ):
            wanted.add(module)
    return frozenset(wanted)
