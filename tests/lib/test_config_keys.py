"""Every config key is declared once (shared keys in lib/config.py, a hook's own with the
hook); reading a key nobody declared fails, and the spec's defaults are the declared ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.api import hook
from posttool.lib.config import DECLARED, DECLARED_BY, SHARED_DEFAULTS, Config, fits, usable
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.registry import load_registry
from posttool.testing import call_hook
from tests.conftest import fixture_names, load_fixture, merge

HOOKS_MD = Path(__file__).parents[2] / "docs" / "HOOKS.md"
# Where the code keeps a default other than the spec's on purpose (docs/decisions.md, "Hooks":
# the spec's own Fires examples need the lower thresholds).
DELIBERATE = {  # departures from the spec, each with its evidence in docs/decisions.md
    "exploration_cacher.min_result_chars": 20,
    "assumption_check.min_added_chars": 30,
    # issue 7 §3 ("Saying less"): measured with `posttool replay`
    "quality_scanner.max_findings": 3,
    "large_file_helper.outline_max": 8,
    "tool_awareness.delegate_after_files": 12,
    "info_gain_tracker.warn_reads": 20,
}


def test_an_undeclared_key_raises_in_every_mode() -> None:
    with pytest.raises(KeyError, match="not declared"):
        Config().get("no_such_hook.min_lines")
    with pytest.raises(KeyError, match="not declared"):
        Config({"no_such_hook.min_lines": 3}).get("no_such_hook.min_lines")
    state = State(new_session("s", "k", 0.0), Config())
    state.hook = "large_file_helper"
    assert state.cfg("min_total_lines") == 500
    with pytest.raises(KeyError):
        state.cfg("min_lines")


def test_a_hook_declares_its_keys_relative_to_its_name() -> None:
    @hook("config_probe_hook", matcher="Read", priority=99, defaults={"min_lines": 400})
    def probe(event: Any, state: State) -> None:
        return None

    try:
        assert DECLARED["config_probe_hook.min_lines"] == 400
        assert DECLARED["config_probe_hook.enabled"] is True
        assert DECLARED["config_probe_hook.budget_ms"] == 50
        assert DECLARED_BY["config_probe_hook.min_lines"] == "config_probe_hook"
        assert Config({"config_probe_hook.min_lines": 12}).get("config_probe_hook.min_lines") == 12
        assert (
            Config({"config_probe_hook.min_lines": "x"}).get("config_probe_hook.min_lines") == 400
        )
    finally:
        for key in [k for k in DECLARED if k.startswith("config_probe_hook.")]:
            del DECLARED[key], DECLARED_BY[key]


def test_a_default_of_none_is_refused() -> None:
    with pytest.raises(ValueError, match="no type"):
        hook("config_none_hook", matcher="Read", priority=99, defaults={"x": None})


def test_every_hook_declares_enabled_and_budget() -> None:
    for record in load_registry().hooks:
        assert DECLARED[f"{record.name}.enabled"] is record.enabled
        assert DECLARED[f"{record.name}.budget_ms"] == record.budget_ms


def test_shared_keys_are_declared_as_shared() -> None:
    for key in SHARED_DEFAULTS:
        assert DECLARED_BY[key] == "shared"
    assert {key.split(".")[0] for key in SHARED_DEFAULTS} >= {
        "common",
        "state",
        "turn",
        "output",
        "stores",
        "metrics",
        "runner",
        "confidence",
    }


def test_defaults_kept_in_lib_match_the_declarations() -> None:
    from posttool.lib import pyast
    from posttool.lib.lint import cache
    from posttool.lib.store import DEFAULT_MAX_BYTES

    assert DECLARED["code_quality_gate.max_ast_nodes"] == pyast.MAX_NODES
    assert DECLARED["state_mutation_guard.max_ast_nodes"] == pyast.MAX_NODES
    assert DECLARED["quality_scanner.default_select"] == list(cache.DEFAULT_SELECT)
    assert DECLARED["quality_scanner.min_rank"] == cache.DEFAULT_MIN_RANK
    assert DECLARED["state.max_bytes"] == DEFAULT_MAX_BYTES


def spec_defaults() -> list[tuple[str, Any]]:
    """Every `` `key` (number|true|false) `` in HOOKS.md; a bare key inside a hook's section
    (`### 4.N name — ...`) is `<name>.key`, as the spec's conventions say."""
    found = []
    section = None
    for line in HOOKS_MD.read_text().splitlines():
        heading = re.match(r"### 4\.\d+ (\w+) —", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("## "):
            section = None
        for match in re.finditer(r"`([\w.]+)`\s*\((-?[\d_.]+|true|false|\*\*false\*\*)[),;]", line):
            key, text = match.groups()
            full = key if "." in key or section is None else f"{section}.{key}"
            words = {"true": True, "false": False, "**false**": False}
            found.append((full, words[text] if text in words else float(text.replace("_", ""))))
    return found


def test_the_spec_defaults_are_the_declared_ones() -> None:
    found = spec_defaults()
    assert len(found) >= 35  # the parser still reads the spec
    wrong = []
    for key, value in found:
        declared = DELIBERATE.get(key, DECLARED.get(key, "(not declared)"))
        if key in DELIBERATE:
            assert DECLARED[key] == DELIBERATE[key]
        elif declared != value:
            wrong.append((key, value, declared))
    assert wrong == []


def test_the_common_keys_table_of_the_spec() -> None:
    text = HOOKS_MD.read_text()
    extensions = re.search(r"\| `common.code_extensions` \| `([^`]*)` \|", text)
    assert extensions is not None
    assert extensions.group(1).split() == DECLARED["common.code_extensions"]
    for key in ("common.max_scan_chars", "common.max_parse_bytes"):
        row = re.search(rf"\| `{re.escape(key)}`[^|]*\| (\d+) \|", text)
        assert row is not None and int(row.group(1)) == DECLARED[key]


@pytest.mark.parametrize("fixture", fixture_names())
def test_every_fixture_through_every_hook_reads_only_declared_keys(
    fixture: str, tmp_path: Path
) -> None:
    """Each hook whose matcher fits, called directly (no dispatch to swallow a KeyError), three
    times in one session so that cooldown and repeat paths are reached too."""
    every_hook_on = Config({f"{r.name}.enabled": True for r in load_registry().hooks})
    event = load_fixture(fixture)
    registry = load_registry()
    for record in registry.matching(event.get("tool_name", ""), event["hook_event_name"]):
        state = State(new_session("s", "k", 0.0), every_hook_on, home=str(tmp_path))
        for index in range(3):
            changed = merge(event, {"tool_use_id": f"toolu_cfg_{record.name}_{index}"})
            call_hook(record.name, changed, home=tmp_path, state=state, now=1000.0 + index)


@given(st.one_of(st.integers(), st.floats(), st.booleans(), st.text(), st.lists(st.integers())))
def test_usable_returns_the_default_or_a_value_of_its_kind(value: Any) -> None:
    for default in (3, 2.5, True, "x", ["a"]):
        result = usable(value, default)
        assert result == default or fits(result, default)
        assert fits(result, default)
