"""`posttool run`: one event in, one JSON answer out, state loaded and saved once.

Whatever arrives, the answer is `{}` or one hook-output object and nothing is raised: every
problem is written to the log. The order matters: the slow, state-free `prepare` work runs
before the session lock is taken, and the lock is held from load to save only.
"""

from __future__ import annotations

import os
import time

from posttool.lib import log as logging_
from posttool.lib.config import (
    VALIDATED_NAME,
    Config,
    ConfigError,
    disabled_from_env,
    first_report,
    load_config,
)
from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.log import CallRecorder, log
from posttool.lib.paths import HomeError, ensure_private_dir, find_project_config, settle_home
from posttool.lib.state import State
from posttool.lib.store import (
    LockTimeout,
    SessionStore,
    keep_last_event,
)
from posttool.lib.stores import ProjectStores
from posttool.runner.dispatch import dispatch
from posttool.runner.merge import compose, remember, render_answer, unsaid
from posttool.runner.normalise import InvalidEvent, build_event
from posttool.runner.registry import FAMILY_MODULES, load_registry, wants_user_hooks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.message import Message
    from posttool.runner.registry import HookRecord, Registry
    from posttool.runner.resident import Resident

EMPTY = "{}"
SWEEP_CHECK_EVERY_S = 60.0  # `serve`: how often a long-lived process looks at the sweep marker
SEEN_IDS_CAP = 64


def handle(
    data: bytes,
    *,
    home: str,
    now: float | None = None,
    on_timing: Callable[[str, float], None] | None = None,
    environ: dict[str, str] | None = None,
    door: Door | None = None,
) -> str:
    """Process one raw event and return the text to print. Never raises.

    `door` is how `posttool serve` and `posttool replay` differ from `run` (see `Door`)."""
    try:
        home = settle_home(home)
    except (HomeError, OSError):
        return EMPTY  # nowhere posttool may write, not even its log
    door = door or Door()
    try:
        (door.resident.ensure_dir if door.resident is not None else ensure_private_dir)(home)
        logging_.configure(home)
        clock = time.time() if now is None else now
        return _handle(data, home, clock, on_timing, environ, door)
    except Exception as exc:
        log(f"run: internal error {type(exc).__name__}: {exc}{_where(exc)}")
        return EMPTY


class Door:
    """What the caller of `handle()` brings: `run` (the defaults), `serve` or `replay`.

    `registry`: hooks loaded once by a long-lived caller. `on_answer`: called with the answer
    before the state is written through (the lock is still held), so `serve` can reply early.
    `on_messages`: the hooks' messages once merged, so `replay` can trace each `[label]` of the
    answer to the hook that wrote it. `resident`: documents kept in memory and written behind
    the answer (`serve`, see runner/resident.py). `parsed`: the event already parsed from `data`
    (as `parse` would), so that `serve` reads a body once."""

    __slots__ = ("mode", "on_answer", "on_messages", "parsed", "registry", "resident")

    def __init__(
        self,
        mode: str = "run",
        registry: Registry | None = None,
        on_answer: Callable[[str], None] | None = None,
        on_messages: Callable[[list[Message]], None] | None = None,
        resident: Resident | None = None,
        parsed: dict[str, Any] | None = None,
    ) -> None:
        self.mode = mode
        self.registry = registry
        self.on_answer = on_answer
        self.on_messages = on_messages
        self.resident = resident
        self.parsed = parsed


def encodable(answer: str) -> str:
    """The answer, if stdout (UTF-8) can carry it; else `{}` and one log line."""
    try:
        answer.encode("utf-8")
    except UnicodeEncodeError as exc:
        log(f"run: answer holds an unencodable character at {exc.start}; answered {{}}")
        return EMPTY
    return answer


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    return f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


def parse(data: bytes) -> dict[str, Any] | None:
    if not data.strip():
        log("run: empty input; ignored")
        return None
    try:
        # Lone surrogates, escaped or raw, become U+FFFD here: no state or answer ever holds one.
        raw = loads_clean(data)
    except JSONDecodeError as exc:
        log(f"run: input is not JSON ({exc}); ignored")
        return None
    if not isinstance(raw, dict):
        log(f"run: input is a JSON {type(raw).__name__}, not an object; ignored")
        return None
    return raw


def read_config(home: str, environ: dict[str, str] | None) -> Config:
    env = os.environ if environ is None else environ
    try:
        return load_config(home, env)
    except ConfigError as exc:
        if first_report(home):
            log(f"config: {exc}; using the defaults until it is fixed (the file is left as is)")
        return Config({}, disabled_from_env(env))


def _handle(
    data: bytes,
    home: str,
    now: float,
    on_timing: Callable[[str, float], None] | None,
    environ: dict[str, str] | None,
    door: Door,
) -> str:
    started = time.perf_counter()
    raw = door.parsed if door.parsed is not None else parse(data)
    if raw is None:
        return EMPTY
    config = with_project_config(read_config(home, environ), raw, home)
    try:
        event = event_from(raw, config, now, environ)
    except InvalidEvent as exc:
        log(f"run: {exc}; ignored")
        return EMPTY
    registry = door.registry or load_registry(for_event=(event.tool_name, event.event_name))
    user_hooks: frozenset[str] = frozenset()  # what they say is never held back as said
    find = door.resident.entry_points if door.resident is not None else None
    if wants_user_hooks(config, home, find):
        from posttool.runner.plugins import with_user_hooks

        registry = with_user_hooks(registry, config, home, event.project_root)
        user_hooks = user_hook_names(registry)
    if registry.problems:
        from posttool.runner.userhooks import report_problems

        report_problems(home, registry.problems)
    report_config_problems(config, home, environ, event.project_root)
    hooks = registry.matching(event.tool_name, event.event_name)
    prepare_event(event, hooks, config, home)
    if any(record.family == "command" for record in hooks):
        from posttool.runner.commandhooks import commands_to_run, run_commands

        run_commands(commands_to_run(hooks, config, home, event.session_key), data)

    resident = door.resident
    if resident is None:
        store = SessionStore(home, event.session_key)
    else:
        from posttool.runner.resident import ResidentProjectStores, ResidentSessionStore

        store = ResidentSessionStore(home, event.session_key, resident)
    try:
        doc = store.open(
            event.session_id,
            event.project_key,
            now,
            timeout=config.get("state.lock_timeout_s"),
        )
    except LockTimeout:
        log(f"run: session lock for {event.session_key} not acquired in time; no hook ran")
        return EMPTY
    if resident is None or not resident.keep_stores:
        stores = ProjectStores(home, event.project_key, config, now)
    else:
        stores = ResidentProjectStores(home, event.project_key, config, now, resident)
    try:
        if is_duplicate(event, doc, config):
            log(f"run: duplicate call {event.tool_use_id or '(same fingerprint)'}; no hook ran")
            return EMPTY
        number_call(event, doc, config)
        event.freeze()
        state = State(doc, config, stores, now=now, call_index=event.call_index, home=home)
        recorder = CallRecorder(doc, on_timing) if config.get("metrics.enabled") else None
        messages = dispatch(hooks, event, state, recorder.on_timing if recorder else on_timing)
        messages = unsaid(messages, doc, user_hooks)
        text, shown = compose(messages, config)
        remember(shown, doc, now, event.call_index)
        answer = encodable(render_answer(event.event_name, text))
        if door.on_messages is not None:
            door.on_messages(messages)
        if door.on_answer is not None:
            door.on_answer(answer)
        doc["updated_at"] = now
        store.save(doc, caps=_caps(config), max_bytes=config.get("state.max_bytes"))
        keep = resident.keep_last_event if resident is not None else keep_last_event
        keep(home, event.session_key, data, _last_event_cap(config))
        stores.save_all()
    finally:
        stores.close()
        store.close()
    if recorder is not None:
        append = resident.append_metric if resident is not None else None
        recorder.write(home, event, messages, len(text), started, door.mode, config, append)
    if resident is None or resident.due(f"sweep {home}", SWEEP_CHECK_EVERY_S):
        sweep_if_due(home, time.time(), config)  # file mtimes are wall-clock, never injected
    return answer


def with_project_config(config: Config, raw: dict[str, Any], home: str) -> Config:
    """`config` with the event's project file (`.claude/posttool.json`) layered on top; `home`
    holds the trust list and the marker of what was reported."""
    project_file = find_project_config(raw.get("cwd"))
    if project_file is None:
        return config
    from posttool.runner.projectconfig import with_project_layer

    return with_project_layer(config, project_file, home)


def event_from(
    raw: dict[str, Any], config: Config, now: float, environ: dict[str, str] | None
) -> Event:
    """The event built within `config`'s limits; raises InvalidEvent."""
    return build_event(
        raw,
        now=now,
        max_scan_chars=config.get("common.max_scan_chars"),
        max_parse_bytes=config.get("common.max_parse_bytes"),
        environ=environ,
    )


def user_hook_names(registry: Registry) -> frozenset[str]:
    """Plug-ins and command hooks: what they say is the user's business, never held back."""
    return frozenset(
        name for name, record in registry.by_name.items() if record.family not in FAMILY_MODULES
    )


def report_config_problems(
    config: Config, home: str, environ: dict[str, str] | None, project_root: str
) -> None:
    """Log what is wrong in the config once per version of the file (and POSTTOOL_DISABLE);
    every other call pays one small read of the marker in the home. Validating needs every
    hook's declarations, so it loads the whole registry, once per version of the file."""
    if not config.stamp or not first_report(home, VALIDATED_NAME, config.stamp):
        return
    try:
        from posttool.lib.config_check import find_problems

        registry = load_registry()
        if wants_user_hooks(config, home):
            from posttool.runner.plugins import with_user_hooks

            registry = with_user_hooks(registry, config, home, project_root)
        for problem in find_problems(config, registry.by_name, environ):
            log(f"config: {problem.text} (see `posttool config check`)")
    except Exception as exc:  # validation must never cost the call its answer
        log(f"config: validation failed: {type(exc).__name__}: {exc}")


def prepare_event(event: Event, hooks: list[HookRecord], config: Config, home: str) -> None:
    """Run the slow, state-free half of hooks that have one, before any lock is taken."""
    for record in hooks:
        if record.prepare is None or not config.hook_enabled(record.name, record.enabled):
            continue
        try:
            event.set_runner_fact("prepared", record.prepare(event, config, home))
        except Exception as exc:
            log(f"hook {record.name}: prepare failed: {type(exc).__name__}: {exc}")


def is_duplicate(event: Event, doc: dict[str, Any], config: Config) -> bool:
    """A call already handled in this session (Claude Code delivered it twice)."""
    if event.tool_use_id:
        return event.tool_use_id in doc["seen_tool_use_ids"]
    from posttool.lib import callid  # Claude Code 1.0.x: no tool_use_id, a fingerprint instead

    window_s = config.get("state.duplicate_window_s")
    return callid.is_duplicate(doc["seen_tool_use_ids"], event, window_s)


def number_call(event: Event, doc: dict[str, Any], config: Config) -> None:
    """Spec §1.5: count the call, remember its id, and decide the turn."""
    counters = doc["counters"]
    counters["calls"] += 1
    call_index = counters["calls"]
    seen = doc["seen_tool_use_ids"]
    if event.tool_use_id:
        seen.append(event.tool_use_id)
    else:
        from posttool.lib.callid import seen_entry

        seen.append(seen_entry(event))
    del seen[:-SEEN_IDS_CAP]
    turn = doc["turn"]
    last = doc["last_call_at"]
    elapsed = max(0.0, event.now - last) if last is not None else None
    new_turn = False
    if not event.is_subagent:
        if event.prompt_id:
            new_turn = event.prompt_id != turn["key"]
            key = event.prompt_id
        else:
            new_turn = elapsed is None or elapsed >= config.get("turn.idle_gap_s")
            key = f"idle-{turn['index'] + 1}"
        if new_turn:
            turn.update(
                index=turn["index"] + 1,
                key=key,
                started_call=call_index,
                started_at=event.now,
                reads=0,
                edits=0,
                agent_calls=0,
            )
    doc["last_call_at"] = max(event.now, last or 0.0)
    event.set_runner_fact("call_index", call_index)
    event.set_runner_fact("turn_index", turn["index"])
    event.set_runner_fact("turn_key", turn["key"])
    event.set_runner_fact("new_turn", new_turn)


def _last_event_cap(config: Config) -> int:
    return config.get("state.last_event_max_bytes")


def _caps(config: Config) -> dict[str, int]:
    """The caps the user set (`state.caps.<field>`); the others keep their schema default."""
    prefix = "state.caps."
    return {
        key[len(prefix) :]: config.get(key)
        for key in config.values
        if key.startswith(prefix) and config.is_set(key)
    }


def sweep_if_due(home: str, now: float, config: Config) -> None:
    """At most once a day: delete sessions untouched for `state.session_ttl_days`."""
    marker = os.path.join(home, ".last-sweep")
    try:
        if now - os.stat(marker).st_mtime < 86400:
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    from posttool.lib.sweep import sweep

    try:
        sweep(home, now, config)
    except Exception as exc:
        log(f"sweep: failed: {type(exc).__name__}: {exc}")
