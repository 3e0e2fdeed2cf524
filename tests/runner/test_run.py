"""`posttool run` end to end: the protocol, robustness against any input, turns, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posttool.runner.run import handle
from tests.conftest import Session, fixture_names, load_fixture, run_cli, write_config

ANSWER_KEYS = {"hookEventName", "additionalContext"}


def assert_valid_answer(out: str, event_name: str | None = None) -> dict:
    """`{}` or exactly one hook-output object on one line."""
    assert out.count("\n") <= 1
    answer = json.loads(out)
    assert isinstance(answer, dict)
    if answer:
        assert set(answer) == {"hookSpecificOutput"}
        assert set(answer["hookSpecificOutput"]) == ANSWER_KEYS
        if event_name:
            assert answer["hookSpecificOutput"]["hookEventName"] == event_name
        assert answer["hookSpecificOutput"]["additionalContext"].strip()
    return answer


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_through_the_real_process(name: str, home: Path, project: Path) -> None:
    session = Session(home, project)
    raw = session.event(name)
    result = run_cli("run", "--home", str(home), stdin=json.dumps(raw).encode())
    assert result.returncode == 0
    assert result.stderr == b""
    assert_valid_answer(result.stdout.decode(), raw["hook_event_name"])
    doc = session.doc()
    assert doc["counters"]["calls"] == 1
    assert doc["seen_tool_use_ids"] == [raw["tool_use_id"]]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\xff\xfe\x00garbage",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"tool_name": ""}',
        b'{"hook_event_name": "PreToolUse", "tool_name": "Read"}',
        b'{"tool_name": "Read", "hook_event_name": "PostToolUse", "tool_input": "nope",'
        b' "tool_response": [1]}',
    ],
    ids=[
        "empty",
        "blank",
        "invalid-utf8",
        "not-json",
        "array",
        "string",
        "null",
        "no-tool",
        "other-event",
        "mistyped-fields",
    ],
)
def test_bad_input_exits_zero_with_empty_answer(data: bytes, home: Path) -> None:
    result = run_cli("run", "--home", str(home), stdin=data)
    assert result.returncode == 0 and result.stderr == b""
    assert_valid_answer(result.stdout.decode())


def test_bad_input_is_logged_and_touches_no_state(home: Path) -> None:
    assert handle(b"not json", home=str(home)) == "{}"
    assert "not JSON" in (home / "posttool.log").read_text()
    assert not list((home / "sessions").glob("*.json")) if (home / "sessions").exists() else True


def test_five_megabyte_payload(home: Path, project: Path) -> None:
    session = Session(home, project)
    raw = session.event("08")
    raw["tool_response"]["file"]["content"] = "x = 1\n" * 900_000
    result = run_cli("run", "--home", str(home), stdin=json.dumps(raw).encode())
    assert result.returncode == 0 and result.stderr == b""
    assert_valid_answer(result.stdout.decode(), "PostToolUse")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)
tool_names = st.sampled_from(
    [
        "Read",
        "Write",
        "Edit",
        "MultiEdit",
        "NotebookEdit",
        "Bash",
        "Agent",
        "Task",
        "WebFetch",
        "WebSearch",
        "TodoWrite",
        "Grep",
        "mcp__x__screenshot",
        "Other",
    ]
)
events = st.fixed_dictionaries(
    {
        "tool_name": tool_names,
        "hook_event_name": st.sampled_from(["PostToolUse", "PostToolUseFailure"]),
    },
    optional={
        "session_id": st.text(max_size=12),
        "prompt_id": json_values,
        "cwd": json_values,
        "tool_input": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "file_path": json_values,
                "command": json_values,
                "content": json_values,
                "old_string": json_values,
                "new_string": json_values,
                "offset": json_values,
            },
        ),
        "tool_response": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "type": json_values,
                "file": json_values,
                "stdout": json_values,
                "structuredPatch": json_values,
                "originalFile": json_values,
                "content": json_values,
                "status": json_values,
            },
        ),
        "error": json_values,
        "is_interrupt": json_values,
        "tool_use_id": json_values,
        "agent_id": json_values,
        "transcript_path": json_values,
        "duration_ms": json_values,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_break_run(home: Path, data: bytes) -> None:
    assert_valid_answer(handle(data, home=str(home)))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(json_values)
def test_arbitrary_json_never_breaks_run(home: Path, value: object) -> None:
    assert_valid_answer(handle(json.dumps(value).encode(), home=str(home)))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events)
def test_arbitrary_event_shapes_never_break_run(home: Path, project: Path, raw: dict) -> None:
    raw.setdefault("cwd", str(project))
    out = handle(json.dumps(raw).encode(), home=str(home))
    assert_valid_answer(out, raw["hook_event_name"])
    log = home / "posttool.log"
    if log.exists():
        assert "internal error" not in log.read_text()


def test_duplicate_tool_use_id_runs_no_hook(session: Session) -> None:
    raw = session.event("06")
    session.send(raw)
    assert session.send(raw) == ""
    assert session.doc()["counters"]["calls"] == 1


def test_turns_follow_prompt_id(session: Session) -> None:
    session.send("02")
    session.send("02")
    assert session.doc()["turn"]["index"] == 1
    session.send("02", prompt_id="another-prompt")
    turn = session.doc()["turn"]
    assert turn["index"] == 2 and turn["key"] == "another-prompt" and turn["started_call"] == 3


def test_turns_without_prompt_id_use_the_idle_gap(session: Session) -> None:
    session.send("02", prompt_id=None)
    session.send("02", prompt_id=None, now=session.now + 60)
    assert session.doc()["turn"]["index"] == 1
    session.send("02", prompt_id=None, now=session.now + 601)
    assert session.doc()["turn"] == session.doc()["turn"] | {"index": 2, "key": "idle-2"}


def test_subagent_events_never_start_a_turn(session: Session) -> None:
    session.send("02")
    session.send("02", prompt_id="other", agent_id="sub-1", agent_type="Explore")
    assert session.doc()["turn"]["index"] == 1


def test_clock_going_backwards_is_harmless(session: Session) -> None:
    session.send("02", now=1_800_000_000.0)
    session.send("02", now=1_700_000_000.0)
    assert session.doc()["last_call_at"] == 1_800_000_000.0


def test_session_key_never_comes_from_the_clock(home: Path, project: Path) -> None:
    a = Session(home, project, session_id="weird id/with spaces")
    a.send("02")
    a.send("02", now=a.now + 10_000)
    files = list((home / "sessions").glob("*.json"))
    assert len(files) == 1 and len(files[0].stem) == 32
    assert a.doc()["counters"]["calls"] == 2


def test_newer_schema_file_is_kept_aside_by_run(session: Session) -> None:
    session.send("02")
    path = next((session.home / "sessions").glob("*.json"))
    future = json.dumps({"schema": 99})
    path.write_text(future)
    session.send("02")
    assert [p.read_text() for p in path.parent.glob(path.name + ".corrupt-*")] == [future]
    assert session.doc()["counters"]["calls"] == 1


def test_corrupt_state_file_is_kept_aside_by_run(session: Session) -> None:
    session.send("02")
    path = next((session.home / "sessions").glob("*.json"))
    path.write_text("{{{{")
    session.send("02")
    kept = list(path.parent.glob(path.name + ".corrupt-*"))
    assert [p.read_text() for p in kept] == ["{{{{"]
    assert session.doc()["counters"]["calls"] == 1
    assert "does not parse" in (session.home / "posttool.log").read_text()


def test_unusable_config_falls_back_to_defaults(session: Session) -> None:
    write_config(session.home, [1, 2])  # type: ignore[arg-type]
    session.send("02")
    assert session.doc()["counters"]["calls"] == 1
    assert "config" in (session.home / "posttool.log").read_text()


def test_lock_timeout_prints_empty_answer(session: Session) -> None:
    from posttool.lib.store import FileLock

    session.send("02")
    path = next((session.home / "sessions").glob("*.json"))
    write_config(session.home, {"state": {"lock_timeout_s": 0.05}})
    holder = FileLock(str(path) + ".lock")
    holder.acquire(1)
    try:
        assert session.send("06") == ""
    finally:
        holder.release()
    assert session.doc()["counters"]["calls"] == 1
    assert "not acquired" in (session.home / "posttool.log").read_text()


def test_fixture_payloads_are_real_claude_code_events() -> None:
    for name in fixture_names():
        raw = load_fixture(name)
        assert raw["hook_event_name"] in ("PostToolUse", "PostToolUseFailure")
        assert ("tool_response" in raw) == (raw["hook_event_name"] == "PostToolUse")
