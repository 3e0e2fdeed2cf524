"""The normalised Event (spec §1.2-1.3) on every real payload shape."""

from __future__ import annotations

import pytest

from posttool.lib.event import POST_TOOL_USE_FAILURE, Event
from posttool.runner.normalise import (
    InvalidEvent,
    build_event,
    mcp_text,
    tool_family,
    walk_patch,
)
from tests.conftest import fixture_names, load_fixture

NOW = 1_800_000_000.0


def event(name: str, **changes: object) -> Event:
    raw = load_fixture(name)
    raw.update(changes)
    return build_event(raw, now=NOW, environ={})


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_builds_an_event_with_every_field(name: str) -> None:
    ev = event(name)
    for field in Event.__slots__:
        if field not in ("_frozen", "_py_parse"):
            getattr(ev, field)  # raises AttributeError if a builder forgot one
    assert ev.session_key == ev.session_id
    assert ev.cwd == "/home/dev/proj"


def test_edit_added_lines_from_structured_patch() -> None:
    ev = event("03")
    assert ev.added_lines == [(5, "    return list(b)")]
    assert ev.lines_added == 1 and ev.lines_removed == 1
    assert (
        ev.content_after == "import os\n\ndef add(a, b=[]):\n    b.append(a)\n    return list(b)\n"
    )
    assert ev.old_text == "return b" and ev.new_text == "return list(b)"


def test_write_create_with_empty_patch_yields_all_lines() -> None:
    ev = event("01")
    assert ev.write_kind == "create"
    assert ev.content_before is None
    assert ev.added_lines[0] == (1, "import os") and len(ev.added_lines) == 5
    assert ev.display_path == "app.py" and ev.ext == ".py"


def test_write_update_uses_the_patch() -> None:
    ev = event("04")
    assert ev.write_kind == "update"
    assert ev.added_lines == [(1, "def add(a, b=None):"), (2, "    return [a]")]
    assert ev.lines_removed == 5


def test_read_facts() -> None:
    complete = event("08")
    assert complete.read_is_complete and not complete.read_truncated
    assert complete.read_total_lines == 701
    ranged = event("09")
    assert ranged.read_is_range and not ranged.read_is_complete and not ranged.read_truncated
    assert ranged.read_start_line == 10


def test_truncated_read_is_a_cut_the_model_did_not_ask_for() -> None:
    raw = load_fixture("08")
    raw["tool_response"]["file"]["numLines"] = 500
    ev = build_event(raw, now=NOW, environ={})
    assert ev.read_truncated and not ev.read_is_complete


def test_bash_failure_exit_code_and_signature() -> None:
    ev = event("06")
    assert ev.event_name == POST_TOOL_USE_FAILURE and not ev.ok
    assert ev.tool_response is None
    assert ev.exit_code == 1
    assert ev.error_body.endswith("ModuleNotFoundError: No module named 'nosuchmod'")
    assert ev.error_sig == "bash:modulenotfounderror: no module named 'nosuchmod'"


def test_read_failure_signature() -> None:
    ev = event("07")
    assert ev.exit_code is None
    assert ev.error_text.startswith("File does not exist.")
    assert (
        ev.error_sig == "read:file does not exist. note: your current working directory is <path>"
    )


def test_bash_success_has_no_exit_code_and_read_only_kinds() -> None:
    ev = event("05")
    assert ev.exit_code is None
    assert ev.command_kinds == {"noop", "inspect"}
    assert ev.command_facts is not None and ev.command_facts.read_only


def test_git_commit_operation() -> None:
    ev = event("10")
    assert ev.git_commit == {"sha": "86d0da2", "kind": "committed", "branch": "master"}
    assert "git_commit" in ev.command_kinds


def test_agent_facts_and_task_alias() -> None:
    ev = event("12")
    assert ev.family == "agent"
    assert ev.agent_type == "Explore" and ev.agent_status == "completed"
    assert ev.agent_result_text == "add is defined in app.py"
    assert ev.agent_tool_uses == 0
    assert event("12", tool_name="Task").family == "agent"


def test_background_agent_has_no_result_text() -> None:
    raw = load_fixture("12")
    raw["tool_response"] = {"status": "async_launched", "agentId": "x"}
    ev = build_event(raw, now=NOW, environ={})
    assert ev.agent_result_text == "" and ev.agent_type == "Explore"


@pytest.mark.parametrize(
    ("response", "text"),
    [
        ("plain", "plain"),
        (
            [{"type": "text", "text": "a"}, "b", {"type": "image", "data": "x"}],
            'a\nb\n{"type":"image","data":"x"}',
        ),
        ({"content": [{"type": "text", "text": "inner"}]}, "inner"),
        ({"result": "r", "text": 3}, "r"),
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        (None, ""),
    ],
)
def test_mcp_output_text(response: object, text: str) -> None:
    assert mcp_text(response) == text
    raw = {
        "hook_event_name": "PostToolUse",
        "tool_name": "mcp__srv__do_thing",
        "tool_response": response,
        "session_id": "s",
    }
    ev = build_event(raw, now=NOW, environ={})
    assert ev.family == "mcp" and ev.mcp_server == "srv" and ev.mcp_tool == "do_thing"
    assert ev.output_text == text


@pytest.mark.parametrize(
    ("tool", "family"),
    [
        ("Read", "read"),
        ("MultiEdit", "edit"),
        ("NotebookEdit", "edit"),
        ("PowerShell", "bash"),
        ("Glob", "search"),
        ("Task", "agent"),
        ("WebFetch", "web_fetch"),
        ("TodoWrite", "todo"),
        ("mcp__x__y", "mcp"),
        ("mcp__", "other"),
        ("AskUserQuestion", "other"),
    ],
)
def test_tool_family(tool: str, family: str) -> None:
    assert tool_family(tool) == family


def test_missing_event_name_is_inferred() -> None:
    raw = load_fixture("06")
    del raw["hook_event_name"]
    assert build_event(raw, now=NOW, environ={}).event_name == "PostToolUseFailure"
    raw = load_fixture("05")
    del raw["hook_event_name"]
    assert build_event(raw, now=NOW, environ={}).ok


@pytest.mark.parametrize(
    "raw",
    [
        [],
        "x",
        {"tool_name": ""},
        {"tool_name": 3},
        {"tool_name": "Read", "hook_event_name": "PreToolUse"},
    ],
)
def test_invalid_events_are_refused(raw: object) -> None:
    with pytest.raises(InvalidEvent):
        build_event(raw, now=NOW, environ={})  # type: ignore[arg-type]


def test_event_is_immutable() -> None:
    ev = event("02")
    ev.freeze()
    with pytest.raises(AttributeError):
        ev.tool_name = "Write"


def test_py_parse_known_unknown_and_error() -> None:
    tree, error = event("01").py_parse()
    assert tree is not None and error is None
    raw = load_fixture("01")
    raw["tool_input"]["content"] = "def f(:\n    pass\n"
    tree, error = build_event(raw, now=NOW, environ={}).py_parse()
    assert tree is None and error is not None and error[0] == 1
    assert event("11").py_parse() == (None, None)


def test_text_facts_are_cut_head_and_tail() -> None:
    raw = load_fixture("05")
    raw["tool_response"]["stdout"] = "A" * 1000 + "B" * 1000
    ev = build_event(raw, now=NOW, max_scan_chars=100, environ={})
    assert len(ev.stdout) <= 100 and ev.stdout.startswith("A") and ev.stdout.endswith("B")


def test_relative_path_resolved_against_cwd() -> None:
    raw = load_fixture("02")
    raw["tool_input"]["file_path"] = "pkg/mod.py"
    ev = build_event(raw, now=NOW, environ={})
    assert ev.file_path == "/home/dev/proj/pkg/mod.py" and ev.display_path == "pkg/mod.py"


def test_walk_patch_skips_junk() -> None:
    assert walk_patch("nope") == ([], 0, 0)
    patch = [{"newStart": 3, "lines": [" a", "+b", "\\ No newline", "-c", 7, "+d"]}, "junk"]
    assert walk_patch(patch) == ([(4, "b"), (5, "d")], 2, 1)
