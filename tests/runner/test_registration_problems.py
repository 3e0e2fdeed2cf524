"""A hook or module that cannot register is skipped and reported; every other hook still runs."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from posttool.api import hook
from posttool.runner import registry
from tests.conftest import Session


def broken_module() -> types.ModuleType:
    module = types.ModuleType("posttool.hooks.broken_for_test")

    @hook("bad_matcher", matcher="Read(", priority=1)
    def bad_matcher(event: object, state: object) -> None:
        return None

    @hook("read_cacher", matcher="Read", priority=1)  # a built-in's name, declared twice
    def duplicate(event: object, state: object) -> None:
        return None

    module.bad_matcher = bad_matcher  # type: ignore[attr-defined]
    module.duplicate = duplicate  # type: ignore[attr-defined]
    return module


@pytest.fixture
def broken_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "posttool.hooks.broken_for_test", broken_module())
    monkeypatch.setattr(
        registry,
        "HOOK_MODULES",
        (*registry.HOOK_MODULES, ("broken_for_test", "cache"), ("no_such_module", "cache")),
    )


@pytest.mark.usefixtures("broken_builtins")
def test_load_registry_skips_what_cannot_register() -> None:
    loaded = registry.load_registry()
    problems = "\n".join(loaded.problems)
    assert "bad_matcher" in problems and "matcher" in problems
    assert "duplicate hook name 'read_cacher'" in problems
    assert "posttool.hooks.no_such_module" in problems
    assert len(loaded.problems) == 3
    assert "bad_matcher" not in loaded.by_name
    assert loaded.by_name["read_cacher"].fn.__module__ == "posttool.hooks.cache"
    assert len(loaded.hooks) == 23


@pytest.mark.usefixtures("broken_builtins")
def test_run_still_answers_and_logs_each_problem_once(session: Session, home: Path) -> None:
    first = session.send("01")
    assert "[state_mutation_guard]" in first  # the other hooks still speak
    session.send("02")
    lines = (home / "posttool.log").read_text().splitlines()
    assert len([line for line in lines if "hook bad_matcher" in line]) == 1
    assert len([line for line in lines if "no_such_module" in line]) == 1
