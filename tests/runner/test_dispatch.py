"""Dispatch: order, isolation of failing hooks, budgets, suspension, disabling."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from posttool.api import hook
from posttool.lib.config import Config
from posttool.lib.message import Message
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.dispatch import dispatch
from posttool.runner.normalise import build_event
from posttool.runner.registry import Registry, records_from_module
from tests.conftest import load_fixture

NOW = 1_800_000_000.0


def registry_of(*fns: object) -> Registry:
    module = SimpleNamespace(**{f"f{i}": fn for i, fn in enumerate(fns)})
    return Registry(records_from_module(module, "test"))


def setup(config: Config | None = None) -> tuple[object, State]:
    event = build_event(load_fixture("02"), now=NOW, environ={})
    event.set_runner_fact("call_index", 1)
    event.freeze()
    state = State(new_session("s", "p", NOW), config or Config(), now=NOW, call_index=1)
    return event, state


@hook("first", matcher=".*", priority=1)
def first(event: object, state: State) -> Message:
    state.doc["counters"]["calls"] += 100
    return Message("one")


@hook("breaker", matcher=".*", priority=2, writes=("files", "info_gain"))
def breaker(event: object, state: State) -> Message:
    state.doc["files"]["x"] = {"path": "x"}
    state.doc["info_gain"] = {"replaced": True}
    state.mark("k")
    state.call["revert_of"] = 99
    raise RuntimeError("boom")


@hook("last", matcher=".*", priority=3)
def last(event: object, state: State) -> Message:
    return Message("three", "warn")


@hook("only_bash", matcher="Bash", priority=4)
def only_bash(event: object, state: State) -> Message:
    return Message("bash")


def test_runs_in_priority_order_and_isolates_a_raising_hook() -> None:
    event, state = setup()
    hooks = registry_of(last, breaker, first, only_bash).matching("Read", "PostToolUse")
    messages = dispatch(hooks, event, state)
    assert [m.hook for m in messages] == ["first", "last"]
    assert [m.label for m in messages] == ["first", "last"]
    assert state.doc["files"] == {}
    assert "replaced" not in state.doc["info_gain"]
    assert state.doc["cooldowns"] == {}
    assert state.call["revert_of"] is None
    health = state.doc["hook_health"]["breaker"]
    assert health["errors"] == 1 and "boom" in health["last_error"]
    assert state.doc["counters"]["calls"] == 100  # first's change stayed


@hook("file_writer", matcher=".*", priority=0, writes=("files",))
def file_writer(event: object, state: State) -> Message:
    state.doc["files"]["kept"] = {"path": "kept"}
    return Message("wrote")


@hook("file_reader", matcher=".*", priority=0, writes=("files",))
def file_reader(event: object, state: State) -> None:
    return None


def test_a_failed_hook_is_rolled_back_to_what_the_hooks_before_it_left() -> None:
    """The hooks of one call share section copies: a copy taken before `file_writer` changed
    `files` must not be what `breaker` is rolled back to."""
    event, state = setup()
    hooks = registry_of(file_reader, file_writer, breaker).matching("Read", "PostToolUse")
    dispatch(hooks, event, state)
    assert state.doc["files"] == {"kept": {"path": "kept"}}
    assert "replaced" not in state.doc["info_gain"]


def test_three_consecutive_failures_suspend_the_hook() -> None:
    event, state = setup()
    hooks = registry_of(breaker).hooks
    for _ in range(3):
        dispatch(hooks, event, state)
    assert state.doc["hook_health"]["breaker"]["suspended"]
    runs = state.doc["hook_health"]["breaker"]["runs"]
    dispatch(hooks, event, state)
    assert state.doc["hook_health"]["breaker"]["runs"] == runs


@hook("spinner", matcher=".*", priority=1, budget_ms=1, writes=("info_gain",))
def spinner(event: object, state: State) -> Message:
    state.doc["info_gain"]["reads_since_progress"] = 7
    total = 0
    for i in range(3_000_000):
        total += i
    return Message("late")


def test_a_hook_over_its_budget_is_rolled_back() -> None:
    event, state = setup()
    assert dispatch(registry_of(spinner).hooks, event, state) == []
    assert state.doc["info_gain"]["reads_since_progress"] == 0
    assert state.doc["hook_health"]["spinner"]["overruns"] == 1


def test_budget_can_be_raised_in_config() -> None:
    event, state = setup(Config({"spinner.budget_ms": 100_000}))
    assert [m.text for m in dispatch(registry_of(spinner).hooks, event, state)] == ["late"]


@pytest.mark.parametrize(
    "config",
    [Config({"first.enabled": False}), Config({}, disabled=frozenset({"first"}))],
    ids=["config-file", "env-var"],
)
def test_hooks_can_be_turned_off(config: Config) -> None:
    event, state = setup(config)
    assert [m.hook for m in dispatch(registry_of(first, last).hooks, event, state)] == ["last"]


@hook("off_by_default", matcher=".*", priority=1, enabled=False)
def off_by_default(event: object, state: State) -> Message:
    return Message("opt-in")


def test_default_disabled_hook_can_be_enabled() -> None:
    event, state = setup()
    assert dispatch(registry_of(off_by_default).hooks, event, state) == []
    event, state = setup(Config({"off_by_default.enabled": True}))
    assert len(dispatch(registry_of(off_by_default).hooks, event, state)) == 1


def test_timing_callback_sees_every_run() -> None:
    event, state = setup()
    seen: list[str] = []
    dispatch(registry_of(first, last).hooks, event, state, lambda name, ms: seen.append(name))
    assert seen == ["first", "last"]


@hook("store_breaker", matcher=".*", priority=1, stores=("lessons",))
def store_breaker(event: object, state: State) -> Message:
    state.store("lessons")["sig"] = {"last_seen": NOW}
    raise RuntimeError("after writing the store")


@hook("store_idle", matcher=".*", priority=2, stores=("lessons",))
def store_idle(event: object, state: State) -> None:
    return None


def test_store_changes_of_a_failing_hook_are_undone() -> None:
    from posttool.lib.state import NoStores

    event, state = setup()
    stores = NoStores()
    state._stores = stores
    stores.entries("lessons")["old"] = {"last_seen": NOW}
    dispatch(registry_of(store_breaker).hooks, event, state)
    assert stores.entries("lessons") == {"old": {"last_seen": NOW}}


def test_a_store_is_not_opened_by_a_hook_that_does_not_use_it(home: object) -> None:
    from posttool.lib.stores import ProjectStores

    event, state = setup()
    stores = ProjectStores(str(home), "pk", Config(), NOW)
    state._stores = stores
    dispatch(registry_of(store_idle).hooks, event, state)
    assert not stores.is_loaded("lessons")
    stores.close()
