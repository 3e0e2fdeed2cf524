"""The registered hooks are exactly the spec's summary table (docs/HOOKS.md §6)."""

from __future__ import annotations

import pytest

from posttool.lib.config import Config
from posttool.runner.registry import load_registry

PTU = frozenset({"PostToolUse"})
BOTH = frozenset({"PostToolUse", "PostToolUseFailure"})

# name: (family, priority, matcher, events, enabled by default, may start a process)
SPEC_TABLE = {
    "exploration_cacher": ("cache", 5, "Task|Agent", PTU, True, False),
    "read_cacher": ("cache", 6, "Read", BOTH, True, False),
    "read_cache_invalidator": ("cache", 6, "Write|Edit", BOTH, True, False),
    "state_updater": ("state", 10, ".*", BOTH, True, False),
    "confidence_decay": ("state", 11, ".*", BOTH, True, False),
    "confidence_reducer": ("state", 12, ".*", BOTH, True, False),
    "confidence_increaser": ("state", 14, ".*", BOTH, True, False),
    "thinking_quality_boost": ("state", 16, ".*", BOTH, True, False),
    "assumption_check": ("quality", 22, "Edit|Write", PTU, True, False),
    "verification_reminder": ("quality", 25, "Edit|Write|MultiEdit", PTU, True, False),
    "ui_verification_gate": ("quality", 30, "Edit|Write|MultiEdit", PTU, True, False),
    "code_quality_gate": ("quality", 35, "Edit|Write", PTU, True, False),
    "quality_scanner": ("quality", 36, "Edit|Write", PTU, True, True),
    "state_mutation_guard": ("quality", 37, "Edit|Write", PTU, True, False),
    "dev_toolchain_suggest": ("quality", 40, "Edit|Write", PTU, True, False),
    "large_file_helper": ("quality", 45, "Read", PTU, True, False),
    "crawl4ai_promo": ("quality", 48, "WebFetch", BOTH, False, False),
    "tool_awareness": ("quality", 50, "Read|Bash|Task|Agent", BOTH, True, False),
    "scratch_enforcer": ("tracking", 55, ".*", BOTH, True, False),
    "auto_learn": ("tracking", 60, ".*", BOTH, True, False),
    "velocity_tracker": ("tracking", 65, "Read|Edit|Write|Bash|Glob|Grep", BOTH, True, False),
    "info_gain_tracker": ("tracking", 70, ".*", BOTH, True, False),
    "beads_auto_sync": ("tracking", 72, "Bash", PTU, False, True),
}


def test_the_hook_list_is_the_spec_table() -> None:
    registry = load_registry()
    assert [r.name for r in registry.hooks] == sorted(
        SPEC_TABLE, key=lambda name: (SPEC_TABLE[name][1], name)
    )
    for record in registry.hooks:
        family, priority, matcher, events, enabled, spawns = SPEC_TABLE[record.name]
        assert (record.family, record.priority, record.pattern, record.events) == (
            family,
            priority,
            matcher,
            events,
        ), record.name
        assert Config().hook_enabled(record.name, record.enabled) is enabled, record.name
        assert record.may_spawn is spawns, record.name


@pytest.mark.parametrize("name", sorted(SPEC_TABLE))
def test_each_matcher_fully_matches_a_tool_it_lists(name: str) -> None:
    record = load_registry().by_name[name]
    listed = [tool for tool in record.pattern.split("|") if tool != ".*"] or ["Read", "Bash"]
    assert any(record.matches(tool, event) for tool in listed for event in record.events)
    if record.pattern != ".*":  # a full match: a longer name does not match
        assert not record.matches(listed[0] + "X", next(iter(record.events)))


def test_matchers_are_full_matches_like_claude_codes() -> None:
    by_name = load_registry().by_name
    assert not by_name["read_cacher"].matches("ReadMcpResource", "PostToolUse")
    assert by_name["state_updater"].matches(
        "mcp__playwright__browser_take_screenshot", "PostToolUse"
    )
    assert not by_name["tool_awareness"].matches("PowerShell", "PostToolUse")
