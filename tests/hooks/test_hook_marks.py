"""posttool.hooks.HOOK_MARKS, which lets `run` skip hook modules, matches the real registry."""

from __future__ import annotations

import sys
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from posttool.hooks import HOOK_MARKS, may_match, modules_for
from posttool.lib.event import EVENT_NAMES
from posttool.runner.registry import HOOK_MODULES, load_registry

TOOLS = (
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "Bash",
    "Glob",
    "Grep",
    "Task",
    "Agent",
    "WebFetch",
    "WebSearch",
    "NotebookEdit",
    "TodoWrite",
    "mcp__github__get_issue",
)


def marks_of_registry() -> dict[str, Counter[tuple[str, tuple[str, ...]]]]:
    marks: dict[str, Counter[tuple[str, tuple[str, ...]]]] = {}
    for record in load_registry().hooks:
        module = sys.modules[record.fn.__module__].__name__.rsplit(".", 1)[1]
        marks.setdefault(module, Counter())[(record.pattern, tuple(sorted(record.events)))] += 1
    return marks


def test_table_is_the_registry_marks() -> None:
    table = {
        module: Counter((pattern, tuple(sorted(events))) for pattern, events in marks)
        for module, marks in HOOK_MARKS.items()
    }
    assert table == marks_of_registry()
    assert set(HOOK_MARKS) == {module for module, _ in HOOK_MODULES}


def test_a_module_missing_from_the_table_is_always_imported() -> None:
    assert "new_family" in modules_for("Read", "PostToolUse", ["cache", "new_family"])


def test_read_and_bash_skip_the_quality_modules() -> None:
    modules = [module for module, _ in HOOK_MODULES]
    read = modules_for("Read", "PostToolUse", modules)
    bash = modules_for("Bash", "PostToolUse", modules)
    assert "quality" not in read and "quality_scanner" not in read and "cache" in read
    assert not {"quality", "quality_scanner", "cache"} & bash
    assert {"quality", "quality_scanner", "cache"} <= modules_for("Write", "PostToolUse", modules)


def test_a_regex_matcher_is_assumed_to_match() -> None:
    assert may_match("mcp__.*", "Read")
    assert not may_match("Edit|Write", "Read")


@given(
    tool=st.one_of(st.sampled_from(TOOLS), st.text(max_size=12)),
    event=st.sampled_from(EVENT_NAMES),
)
def test_loading_for_an_event_gives_the_same_matching_hooks(tool: str, event: str) -> None:
    full = [record.name for record in load_registry().matching(tool, event)]
    partial = load_registry(for_event=(tool, event)).matching(tool, event)
    assert [record.name for record in partial] == full
