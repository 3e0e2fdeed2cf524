"""Run the matching hooks in (priority, name) order, each isolated from the others' failures.

Before a hook runs, the state it may change is snapshotted (its declared sections, the
cooldowns, the call facts; a project store's entries when the hook first opens it). If it
raises or overruns its budget, the snapshot is restored and its message dropped;
`hook_health` records why, and after `runner.suspend_after` consecutive failures the hook is
suspended for the session.
"""

from __future__ import annotations

import marshal
import time

from posttool.api import DEFAULT_BUDGET_MS
from posttool.lib.log import log
from posttool.lib.schema import HEALTH_RECORD, copy_json, default_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.message import Message
    from posttool.lib.state import State
    from posttool.runner.registry import HookRecord


def enabled_hooks(hooks: Iterable[HookRecord], state: State) -> list[HookRecord]:
    """Hooks that are enabled in config/env and not suspended for this session."""
    health = state.doc["hook_health"]
    return [
        record
        for record in hooks
        if state.config.hook_enabled(record.name, record.enabled)
        and not health.get(record.name, {}).get("suspended", False)
    ]


def dispatch(
    hooks: Iterable[HookRecord],
    event: Event,
    state: State,
    on_timing: Callable[[str, float], None] | None = None,
    run_hook: Callable[..., Message | None] | None = None,
) -> list[Message]:
    """`run_hook` wraps `run_one` (same arguments) to trace each hook; `posttool explain`."""
    messages: list[Message] = []
    frozen: dict[str, _Frozen] = {}

    def run_cached(
        record: HookRecord,
        event: Event,
        state: State,
        on_timing: Callable[[str, float], None] | None,
    ) -> Message | None:
        return run_one(record, event, state, on_timing, frozen)

    run = run_hook or run_cached
    for record in enabled_hooks(hooks, state):
        message = run(record, event, state, on_timing)
        if message is not None:
            messages.append(message)
    return messages


def run_one(
    record: HookRecord,
    event: Event,
    state: State,
    on_timing: Callable[[str, float], None] | None = None,
    frozen: dict[str, _Frozen] | None = None,
) -> Message | None:
    """`frozen`: rollback copies of sections, shared by the hooks of one call (see
    `take_snapshot`)."""
    snapshot = take_snapshot(record, state, frozen)
    state.begin_store_snapshots()
    state.hook = record.name
    budget_key = f"{record.name}.budget_ms"
    budget_ms = (
        state.config.get(budget_key)
        if state.config.is_set(budget_key)
        else _default_budget(record, state)
    )
    failure = ""
    message = None
    wall_start = time.perf_counter()
    cpu_start = time.thread_time()
    try:
        message = record.fn(event, state)
    except Exception as exc:
        failure = f"{type(exc).__name__}: {exc}"
    # The budget is checked against this thread's CPU time: on a loaded machine wall time also
    # counts the time other processes held the CPU, which would roll back hooks that did nothing
    # wrong. Not the process's: in `serve` other requests' threads would count too, and reading
    # it sums every thread (a fifth of a served Read's time, measured with py-spy).
    cpu_ms = (time.thread_time() - cpu_start) * 1000
    wall_ms = (time.perf_counter() - wall_start) * 1000
    state.hook = ""
    snapshot["stores"] = state.end_store_snapshots()
    overrun = not failure and cpu_ms > budget_ms
    if overrun:
        failure = f"overran its budget: {cpu_ms:.1f} ms > {budget_ms} ms"
    record_health(record.name, state, wall_ms, failure, overrun)
    if on_timing is not None:
        on_timing(record.name, wall_ms)
    if failure:
        restore_snapshot(snapshot, state)
        log(f"hook {record.name}: {failure}")
        return None
    if frozen is not None:
        for name in record.writes:
            frozen.pop(name, None)
    if message is None:
        return None
    if not message.text or not message.text.strip():
        return None
    message.hook = record.name
    message.priority = record.priority
    message.label = message.label or record.name
    return message


def _default_budget(record: HookRecord, state: State) -> float:
    """The hook's own budget, or `runner.hook_budget_ms` for hooks that kept the default."""
    if record.budget_ms != DEFAULT_BUDGET_MS:
        return record.budget_ms
    return state.config.get("runner.hook_budget_ms")


def take_snapshot(
    record: HookRecord, state: State, frozen: dict[str, _Frozen] | None = None
) -> dict[str, Any]:
    """The sections the hook declared it writes, the cooldowns and the call facts.

    A section's copy is valid until a hook that declares it succeeds, so the hooks of one call
    share it through `frozen` (a failed hook is restored to it): twelve hooks of a Read copied
    the same sections a dozen times. A hook that changes a section it did not declare is not
    rolled back there, with or without the sharing."""
    doc = state.doc
    sections: dict[str, Any] = {}
    for name in record.writes:
        if name not in doc:
            continue
        copy = frozen.get(name) if frozen is not None else None
        if copy is None:
            copy = _freeze(doc[name])
            if frozen is not None and isinstance(copy, _Frozen):
                frozen[name] = copy
        sections[name] = copy
    return {
        "sections": sections,
        "cooldowns": dict(doc["cooldowns"]),
        "call": _freeze(state.call),  # copy_json here was a quarter of a Read's call
    }


def restore_snapshot(snapshot: dict[str, Any], state: State) -> None:
    doc = state.doc
    for name, value in snapshot["sections"].items():
        doc[name] = _thaw(value)
    doc["cooldowns"] = snapshot["cooldowns"]
    state.call = _thaw(snapshot["call"])
    for name, entries in snapshot["stores"].items():
        live = state.store(name)
        live.clear()
        live.update(entries)


def _freeze(section: Any) -> Any:
    """A copy to restore from, read back only if the hook fails. `marshal` (built in, always
    loaded) copies a session's sections 5-7x faster than the C JSON encoder (floats are
    written as bytes, not as text), which was itself several times faster than a deep copy."""
    try:
        return _Frozen(marshal.dumps(section))
    except ValueError:  # a hook left a value marshal cannot copy: copy it the slow way
        return copy_json(section)


def _thaw(value: Any) -> Any:
    return marshal.loads(value.data) if isinstance(value, _Frozen) else value


class _Frozen:
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


def record_health(name: str, state: State, ms: float, failure: str, overrun: bool) -> None:
    records = state.doc["hook_health"]
    health = records.get(name)
    if health is None:  # not setdefault: building the default on every call costs ~40 µs
        health = records[name] = default_of(HEALTH_RECORD)
    health["runs"] += 1
    health["total_ms"] = round(health["total_ms"] + ms, 3)
    health["max_ms"] = round(max(health["max_ms"], ms), 3)
    if not failure:
        health["consecutive"] = 0
        return
    health["overruns" if overrun else "errors"] += 1
    health["consecutive"] += 1
    health["last_error"] = failure[:200]
    limit = state.config.get("runner.suspend_after")
    if health["consecutive"] >= limit and not health["suspended"]:
        health["suspended"] = True
        log(f"hook {name}: suspended for this session after {health['consecutive']} failures")
