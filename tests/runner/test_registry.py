"""Registration: a decorator that only marks, validation at load time."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from posttool.api import MARK, SUCCESS_ONLY, hook
from posttool.runner.registry import RegistrationError, Registry, records_from_module


def make(name: str, matcher: str = "Read", priority: int = 10, **kw: object) -> object:
    @hook(name, matcher=matcher, priority=priority, **kw)  # type: ignore[arg-type]
    def fn(event: object, state: object) -> None:
        return None

    return fn


def test_decorator_returns_the_function_unchanged() -> None:
    def plain(event: object, state: object) -> None:
        return None

    assert hook("x", matcher="Read", priority=1)(plain) is plain
    assert getattr(plain, MARK).name == "x"


def test_records_sorted_by_priority_then_name() -> None:
    module = SimpleNamespace(
        b=make("b", priority=5), a=make("a", priority=5), c=make("c", priority=1)
    )
    registry = Registry(records_from_module(module, "fam"))
    assert [r.name for r in registry.hooks] == ["c", "a", "b"]
    assert {r.family for r in registry.hooks} == {"fam"}


def test_duplicate_names_are_refused() -> None:
    module_a = SimpleNamespace(f=make("same"))
    module_b = SimpleNamespace(g=make("same"))
    with pytest.raises(RegistrationError, match="duplicate"):
        Registry(records_from_module(module_a, "a") + records_from_module(module_b, "b"))


def test_bad_pattern_is_refused() -> None:
    with pytest.raises(RegistrationError, match="matcher"):
        records_from_module(SimpleNamespace(f=make("bad", matcher="Read(")), "fam")


def test_bad_events_are_refused() -> None:
    with pytest.raises(RegistrationError, match="events"):
        records_from_module(SimpleNamespace(f=make("x", events=("PreToolUse",))), "fam")


def test_matcher_is_a_full_match() -> None:
    record = records_from_module(SimpleNamespace(f=make("r", matcher="Read|Edit")), "fam")[0]
    assert record.matches("Read", "PostToolUse")
    assert not record.matches("ReadFile", "PostToolUse")
    assert not record.matches("XRead", "PostToolUse")


def test_events_filter() -> None:
    record = records_from_module(SimpleNamespace(f=make("r", events=SUCCESS_ONLY)), "fam")[0]
    assert record.matches("Read", "PostToolUse")
    assert not record.matches("Read", "PostToolUseFailure")


def test_records_are_immutable() -> None:
    record = records_from_module(SimpleNamespace(f=make("r")), "fam")[0]
    with pytest.raises(AttributeError):
        record.priority = 3  # type: ignore[misc]
