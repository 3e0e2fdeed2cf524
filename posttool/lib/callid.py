"""Which call an event is, also for Claude Code builds that send no `tool_use_id` (1.0.x).

Such an event is named by a fingerprint of what it carries (event, tool, input, response or
error, prompt). Two deliveries of one call have the same fingerprint, but so do two real calls
that did exactly the same thing (reading an unchanged file twice): a fingerprint names a
duplicate only within a short window (`state.duplicate_window_s`, 2 s), in which a model cannot
have made the same call again.
"""

from __future__ import annotations

from posttool.lib.fast.jsonfast import dumps
from posttool.lib.text import sha256_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.event import Event

FINGERPRINT_PREFIX = "fp:"
_AT = "@"


def fingerprint(event: Event) -> str:
    what = [
        event.event_name,
        event.tool_name,
        event.tool_input,
        event.tool_response,
        event.error,
        event.prompt_id,
    ]
    digest = sha256_hex(dumps(what).encode("utf-8", "surrogatepass"))
    return FINGERPRINT_PREFIX + digest[:32]


def call_id(event: Event) -> str:
    """`tool_use_id`, else the event's fingerprint."""
    return event.tool_use_id or fingerprint(event)


def same_call(recorded_id: object, recorded_at: object, event: Event, window_s: float) -> bool:
    """Was the call recorded as (`recorded_id`, at `recorded_at`) this very call?"""
    if event.tool_use_id:
        return recorded_id == event.tool_use_id
    return (
        recorded_id == fingerprint(event)
        and isinstance(recorded_at, (int, float))
        and abs(event.now - recorded_at) <= window_s
    )


def seen_entry(event: Event) -> str:
    """What `seen_tool_use_ids` keeps: the id, or `fp:<hash>@<unix time>`."""
    if event.tool_use_id:
        return event.tool_use_id
    return f"{fingerprint(event)}{_AT}{event.now:.3f}"


def is_duplicate(seen: list[str], event: Event, window_s: float) -> bool:
    """Has this call already been handled in this session?"""
    if event.tool_use_id:
        return event.tool_use_id in seen
    mark = fingerprint(event) + _AT
    for entry in reversed(seen):
        if entry.startswith(mark):
            try:
                at = float(entry[len(mark) :])
            except ValueError:
                continue
            if abs(event.now - at) <= window_s:
                return True
    return False
