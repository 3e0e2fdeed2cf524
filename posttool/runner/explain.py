"""`posttool explain`: one event through the same steps as `posttool run`, traced hook by hook.

It runs in a scratch copy of the home (config, the session, the project's stores), so nothing
of the real session changes: no counter advances, no cooldown is consumed, nothing is saved,
and whatever the hooks log is shown instead of appended to the real log. The hooks run through
the real `dispatch` and `merge`; tracing wraps `run_one` and listens to `merge`, it adds no
branch to their loops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any

from posttool.lib import log as logging_
from posttool.lib import paths
from posttool.lib.config import CONFIG_NAME, Config, ConfigError, disabled_from_env, load_config
from posttool.lib.event import Event
from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads_clean
from posttool.lib.message import Message
from posttool.lib.state import State
from posttool.lib.store import SessionStore
from posttool.lib.stores import ProjectStores
from posttool.lib.trust import TRUST_NAME
from posttool.runner.dispatch import dispatch as dispatch_hooks
from posttool.runner.dispatch import run_one
from posttool.runner.merge import merge, unsaid
from posttool.runner.normalise import InvalidEvent
from posttool.runner.plugins import with_user_hooks
from posttool.runner.registry import (
    ENTRY_POINTS_CACHE,
    HookRecord,
    load_registry,
    wants_user_hooks,
)
from posttool.runner.run import (
    event_from,
    is_duplicate,
    number_call,
    prepare_event,
    user_hook_names,
    with_project_config,
)

MAX_CHANGED_KEYS = 6


class ExplainError(Exception):
    """The input cannot be explained (not JSON, not an event posttool acts on)."""


class HookTrace:
    """What happened to one hook on the event."""

    def __init__(self, record: HookRecord) -> None:
        self.name = record.name
        self.family = record.family
        self.priority = record.priority
        self.matcher = record.pattern
        self.events = sorted(record.events)
        self.status = "not matched"  # not matched | disabled | suspended | ran
        self.reasons: list[str] = []
        self.ms: float | None = None
        self.outcome = ""  # spoke | silent | failed | dropped by budget | merged away
        self.message: dict[str, str] | None = None
        self.failure = ""
        self.not_due: list[str] = []
        self.changed: dict[str, list[str]] = {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "hook": self.name,
            "family": self.family,
            "priority": self.priority,
            "matcher": self.matcher,
            "events": self.events,
            "status": self.status,
            "reasons": self.reasons,
            "ms": None if self.ms is None else round(self.ms, 3),
            "outcome": self.outcome,
            "message": self.message,
            "failure": self.failure,
            "not_due": self.not_due,
            "changed": self.changed,
        }


class Explanation:
    def __init__(self, event: Event, traces: list[HookTrace]) -> None:
        self.event = event
        self.traces = traces
        self.notes: list[str] = []
        self.answer = ""
        self.prepare_ms = 0.0
        self.log: list[str] = []

    def as_dict(self) -> dict[str, Any]:
        event = self.event
        return {
            "event": {
                "event_name": event.event_name,
                "tool_name": event.tool_name,
                "session_id": event.session_id,
                "tool_use_id": event.tool_use_id,
                "path": event.display_path or None,
                "project_root": event.project_root,
                "call_index": event.call_index,
            },
            "notes": self.notes,
            "prepare_ms": round(self.prepare_ms, 3),
            "hooks": [trace.as_dict() for trace in self.traces],
            "answer": self.answer,
            "log": self.log,
        }


def parse_event(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise ExplainError("the input is empty")
    try:
        raw = loads_clean(data)
    except JSONDecodeError as exc:
        raise ExplainError(f"the input is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ExplainError(f"the input is a JSON {type(raw).__name__}, not an event object")
    return raw


def explain(
    data: bytes,
    home: str,
    environ: dict[str, str] | None = None,
    now: float | None = None,
    rewind: bool = False,
) -> Explanation:
    """Trace one raw event against a scratch copy of `home`; raises ExplainError.

    `rewind`: the event is the session's last one (`--last`), so what that call set that can be
    told apart is undone first (see `rewind_last_call`)."""
    env = dict(os.environ if environ is None else environ)
    clock = time.time() if now is None else now
    raw = parse_event(data)
    notes: list[str] = []
    config = _read_config(home, env, notes)
    try:
        event = event_from(raw, config, clock, env)
    except InvalidEvent as exc:
        raise ExplainError(str(exc)) from None
    scratch = tempfile.mkdtemp(prefix="posttool-explain-")
    previous_log = logging_._log_path
    try:
        copy_home(home, scratch, event)
        logging_.configure(scratch)
        # trusted or not, as `run` sees it (the trust list was copied)
        config = with_project_config(config, raw, scratch)
        explanation = _trace(event, config, env, scratch, clock, rewind, data)
        explanation.notes[:0] = notes
        explanation.log = _log_lines(scratch)
        return explanation
    finally:
        logging_._log_path = previous_log
        shutil.rmtree(scratch, ignore_errors=True)


def _read_config(home: str, env: dict[str, str], notes: list[str]) -> Config:
    try:
        return load_config(home, env)
    except ConfigError as exc:
        notes.append(f"config: {exc}; the defaults are used, as `posttool run` does")
        return Config({}, disabled_from_env(env))


def copy_home(home: str, scratch: str, event: Event) -> None:
    """What the hooks read: config, this session's document, this project's stores."""
    for relative in (
        CONFIG_NAME,
        TRUST_NAME,
        ENTRY_POINTS_CACHE,
        os.path.join("sessions", f"{event.session_key}.json"),
    ):
        _copy_if_file(os.path.join(home, relative), os.path.join(scratch, relative))
    project = paths.project_dir(home, event.project_key)
    try:
        names = os.listdir(project)
    except OSError:
        return
    target = paths.project_dir(scratch, event.project_key)
    for name in names:
        if name.endswith(".json"):
            _copy_if_file(os.path.join(project, name), os.path.join(target, name))


def _copy_if_file(source: str, target: str) -> None:
    if not os.path.isfile(source):
        return
    paths.ensure_private_dir(os.path.dirname(target))
    shutil.copyfile(source, target)


def _log_lines(scratch: str) -> list[str]:
    try:
        with open(os.path.join(scratch, logging_.LOG_NAME), encoding="utf-8") as handle:
            return [line.split(" ", 2)[-1].rstrip("\n") for line in handle]
    except OSError:
        return []


def _trace(
    event: Event,
    config: Config,
    env: dict[str, str],
    scratch: str,
    now: float,
    rewind: bool,
    data: bytes,
) -> Explanation:
    registry = load_registry()
    if wants_user_hooks(config, scratch):
        registry = with_user_hooks(registry, config, scratch, event.project_root)
    traces = {record.name: HookTrace(record) for record in registry.hooks}
    explanation = Explanation(event, list(traces.values()))
    matching = registry.matching(event.tool_name, event.event_name)
    for record in registry.hooks:
        if record not in matching:
            traces[record.name].reasons = unmatched_reasons(record, event)
    started = time.perf_counter()
    prepare_event(event, matching, config, scratch)
    if any(record.family == "command" for record in matching):  # as `run`: before the lock
        from posttool.runner.commandhooks import commands_to_run, run_commands

        run_commands(commands_to_run(matching, config, scratch, event.session_key), data)
    explanation.prepare_ms = (time.perf_counter() - started) * 1000
    store = SessionStore(scratch, event.session_key)
    doc = store.open(event.session_id, event.project_key, now)
    if store.status == "corrupt":
        explanation.notes.append(
            "the session file is damaged: `posttool run` keeps it aside and starts afresh"
        )
    stores = ProjectStores(scratch, event.project_key, config, now)
    try:
        if rewind and rewind_last_call(doc, event):
            explanation.notes.append(
                "the session already holds this call: its call number and the cooldowns it "
                "started are rewound; other records (files, confidence, project stores) "
                "still include it"
            )
        elif is_duplicate(event, doc, config):
            explanation.notes.append(
                "this call is already recorded in the session (as after `posttool run`); "
                "it is explained as a new call, against the state it left"
            )
        number_call(event, doc, config)
        event.freeze()
        state = TracingState(
            doc, config, stores, now=now, call_index=event.call_index, home=scratch
        )
        for record in matching:
            _mark_enabled(traces[record.name], record, config, env, doc)
        tracer = Tracer(traces, state)
        messages = dispatch_hooks(matching, event, state, run_hook=tracer.run_one)
        fresh = unsaid(messages, doc, user_hook_names(registry))
        explanation.answer = merge(fresh, config, on_fit=tracer.on_fit(fresh))
        for message in messages:
            if message not in fresh:
                traces[message.hook].outcome = "held back: already said this session"
    finally:
        stores.close()
        store.close()  # never saved: the scratch copy is thrown away
    return explanation


def rewind_last_call(doc: dict[str, Any], event: Event) -> bool:
    """Undo the call number and the cooldowns of the session's last call, when `event` is
    that call (its id is the last one seen). A cooldown records the call that started it."""
    seen = doc["seen_tool_use_ids"]
    if not event.tool_use_id or not seen or seen[-1] != event.tool_use_id:
        return False
    call = doc["counters"]["calls"]
    seen.pop()
    doc["counters"]["calls"] = max(0, call - 1)
    doc["cooldowns"] = {
        key: entry
        for key, entry in doc["cooldowns"].items()
        if not (isinstance(entry, list) and len(entry) >= 2 and entry[1] == call)
    }
    return True


def unmatched_reasons(record: HookRecord, event: Event) -> list[str]:
    reasons = []
    if event.event_name not in record.events:
        reasons.append(f"listens to {', '.join(sorted(record.events))}, not {event.event_name}")
    if not record.matcher.fullmatch(event.tool_name):
        reasons.append(f"matcher {record.pattern!r} does not match tool {event.tool_name!r}")
    return reasons


def disabled_reasons(record: HookRecord, config: Config, env: dict[str, str]) -> list[str]:
    """Which setting turns the hook off, each named where the user can change it."""
    name = record.name
    from_env = disabled_from_env(env)
    reasons = []
    if name in from_env:
        reasons.append(f"disabled by POSTTOOL_DISABLE={env.get('POSTTOOL_DISABLE', '')}")
    if name in config.disabled - from_env:
        reasons.append(f"disabled by `disable` in {config.path or 'config.json'}")
    flag = config.values.get(f"{name}.enabled")
    if flag is False:
        reasons.append(f"disabled by `{name}.enabled: false` in {config.path or 'config.json'}")
    elif not record.enabled and flag is not True:
        reasons.append(f"off by default (set `{name}.enabled: true` in config.json)")
    return reasons


def _mark_enabled(
    trace: HookTrace, record: HookRecord, config: Config, env: dict[str, str], doc: dict[str, Any]
) -> None:
    if not config.hook_enabled(record.name, record.enabled):
        trace.status = "disabled"
        trace.reasons = disabled_reasons(record, config, env) or ["disabled by config"]
        return
    health = doc["hook_health"].get(record.name, {})
    if health.get("suspended", False):
        trace.status = "suspended"
        trace.reasons = [
            f"suspended for this session after {health.get('consecutive', 0)} failures in a "
            f"row (last: {health.get('last_error', '')}); `posttool state reset` clears it"
        ]
        return
    trace.status = "ran"


class TracingState(State):
    """A State that notes each cooldown a hook found not due (the hook's `ready()` said no)."""

    __slots__ = ("not_due",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_due: dict[str, list[str]] = {}

    def ready(
        self,
        key: str,
        *,
        seconds: float | None = None,
        calls: int | None = None,
        hook: str | None = None,
    ) -> bool:
        due = super().ready(key, seconds=seconds, calls=calls, hook=hook)
        if not due:
            entry = self.doc["cooldowns"].get(f"{hook or self.hook}|{key}") or [0.0, 0]
            if seconds is not None:
                wait = f"{seconds:g} s after it fired {self.now - entry[0]:.0f} s ago"
            else:
                wait = f"{calls} calls after it fired at call {entry[1]}"
            self.not_due.setdefault(self.hook, []).append(f"cooldown {key!r}: due {wait}")
        return due


class Tracer:
    """Wraps `run_one` to time each hook and diff the state around it."""

    def __init__(self, traces: dict[str, HookTrace], state: TracingState) -> None:
        self.traces = traces
        self.state = state

    def run_one(
        self, record: HookRecord, event: Event, state: State, on_timing: Any = None
    ) -> Message | None:
        trace = self.traces[record.name]
        before = section_texts(state, record)
        health_before = dumps(state.doc["hook_health"].get(record.name))

        def timed(name: str, ms: float) -> None:
            trace.ms = ms

        message = run_one(record, event, state, timed)
        trace.changed = changed_sections(before, section_texts(state, record))
        trace.changed.pop("hook_health", None)  # every run is counted there
        health = state.doc["hook_health"].get(record.name) or {}
        if dumps(health) != health_before and health.get("consecutive", 0) > 0:
            trace.failure = str(health.get("last_error", ""))
            trace.outcome = "failed"
            if health.get("suspended"):
                trace.failure += " (now suspended for the session)"
        elif message is None:
            trace.outcome = "silent"
        else:
            trace.outcome = "spoke"
            trace.message = {"severity": message.severity, "text": message.text}
        trace.not_due = self.state.not_due.pop(record.name, [])
        return message

    def on_fit(self, messages: list[Message]) -> Any:
        def record(kept: list[Message], dropped: list[Message]) -> None:
            kept_ids = {id(m) for m in kept}
            for message in messages:
                trace = self.traces[message.hook]
                if id(message) not in kept_ids:
                    trace.outcome = "merged away (its text repeats another hook's note)"
            for message in dropped:
                self.traces[message.hook].outcome = "dropped by the output budget"

        return record


def section_texts(state: State, record: HookRecord) -> dict[str, dict[str, str]]:
    """Each state section (and the call facts, and the hook's project stores) as JSON text
    per top-level key, to compare after the hook."""
    sections: dict[str, Any] = dict(state.doc)
    sections["call"] = state.call
    for name in record.stores:
        sections[f"store:{name}"] = state.store(name)
    return {name: _texts(value) for name, value in sections.items()}


def _texts(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(key): _dump(item) for key, item in value.items()}
    return {"": _dump(value)}


def _dump(value: Any) -> str:
    try:
        return dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def changed_sections(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """Section -> the keys that changed in it (added, removed or given another value)."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        keys = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
        if keys:
            changed[name] = [key for key in keys if key][:MAX_CHANGED_KEYS]
    return changed
