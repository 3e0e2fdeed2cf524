"""`posttool explain` in-process: the traced pipeline on real fixtures, against a scratch copy of
the home (posttool.runner.explain)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from posttool.runner.explain import ExplainError, Explanation, HookTrace, explain
from posttool.runner.registry import load_registry
from tests.conftest import Session, write_config

# Two notes on one Write: code_quality_gate (warn, a placeholder) and assumption_check (info,
# an indexed call result).
TWO_NOTES = (
    "def load(cur, q):\n    row = cur.execute(q).fetchall()[0]\n    raise NotImplementedError\n"
)


def run_explain(session: Session, raw: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    return explain(json.dumps(raw).encode(), str(session.home), env or {}, now=session.now + 0.5)


def trace(explanation: Explanation, name: str) -> HookTrace:
    (found,) = [t for t in explanation.traces if t.name == name]
    return found


def write_event(session: Session, content: str, name: str = "load.py") -> dict[str, Any]:
    path = str(session.project / name)
    return session.event(
        "01",
        tool_input={"file_path": path, "content": content},
        tool_response={"filePath": path, "content": content},
    )


def test_every_hook_is_listed_in_execution_order(session: Session) -> None:
    explanation = run_explain(session, session.event("02"))
    names = [t.name for t in explanation.traces]
    assert names == [record.name for record in load_registry().hooks]
    assert len(names) == 23


def test_a_matcher_that_does_not_fit_the_tool_is_named(session: Session) -> None:
    explanation = run_explain(session, session.event("02"))  # a Read
    scanner = trace(explanation, "quality_scanner")
    assert scanner.status == "not matched"
    assert scanner.reasons == ["matcher 'Edit|Write' does not match tool 'Read'"]
    assert trace(explanation, "read_cacher").status == "ran"


def test_a_hook_for_the_other_event_kind_is_named(session: Session) -> None:
    failure = session.event("06")  # PostToolUseFailure of Bash
    success_only = [
        r
        for r in load_registry().hooks
        if r.matcher.fullmatch("Bash") and "PostToolUseFailure" not in r.events
    ]
    assert success_only, "some Bash hook listens to PostToolUse only"
    explanation = run_explain(session, failure)
    for record in success_only:
        found = trace(explanation, record.name)
        assert found.status == "not matched"
        assert found.reasons == ["listens to PostToolUse, not PostToolUseFailure"]


def test_a_hook_that_spoke_shows_its_message_time_and_state_changes(session: Session) -> None:
    explanation = run_explain(session, session.event("01"))
    guard = trace(explanation, "state_mutation_guard")
    assert guard.outcome == "spoke"
    assert guard.message is not None and "mutable default" in guard.message["text"]
    assert guard.ms is not None and guard.ms >= 0
    assert "cooldowns" in guard.changed
    assert "[state_mutation_guard]" in explanation.answer
    updater = trace(explanation, "state_updater")
    assert updater.outcome == "silent" and "counters" in updater.changed


@pytest.mark.parametrize(
    ("config", "env", "reason"),
    [
        ({"disable": ["read_cacher"]}, {}, "disabled by `disable` in "),
        ({"read_cacher": {"enabled": False}}, {}, "disabled by `read_cacher.enabled: false` in "),
        ({}, {"POSTTOOL_DISABLE": "velocity_tracker,read_cacher"}, "disabled by POSTTOOL_DISABLE="),
    ],
)
def test_a_disabled_hook_names_the_setting(
    session: Session, config: dict[str, Any], env: dict[str, str], reason: str
) -> None:
    write_config(session.home, config)
    explanation = run_explain(session, session.event("02"), env)
    cacher = trace(explanation, "read_cacher")
    assert cacher.status == "disabled"
    assert len(cacher.reasons) == 1 and cacher.reasons[0].startswith(reason)
    assert cacher.ms is None and cacher.outcome == ""
    assert trace(explanation, "state_updater").status == "ran"


def test_a_hook_off_by_default_says_how_to_turn_it_on(session: Session) -> None:
    explanation = run_explain(session, session.event("05"))  # Bash: beads_auto_sync matches
    beads = trace(explanation, "beads_auto_sync")
    assert beads.status == "disabled"
    assert beads.reasons == ["off by default (set `beads_auto_sync.enabled: true` in config.json)"]


def test_a_suspended_hook_is_named_with_its_last_failure(session: Session) -> None:
    session.send("02")
    path = session.home / "sessions" / f"{session.session_id}.json"
    doc = json.loads(path.read_text())
    doc["hook_health"]["read_cacher"].update(
        suspended=True, consecutive=3, errors=3, last_error="KeyError: 'x'"
    )
    path.write_text(json.dumps(doc))
    explanation = run_explain(session, session.event("02"))
    cacher = trace(explanation, "read_cacher")
    assert cacher.status == "suspended"
    assert "after 3 failures in a row (last: KeyError: 'x')" in cacher.reasons[0]


def test_a_note_past_the_budget_is_reported_dropped(session: Session) -> None:
    write_config(session.home, {"output.max_chars": 200})
    explanation = run_explain(session, write_event(session, TWO_NOTES))
    assert trace(explanation, "code_quality_gate").outcome == "spoke"
    assumption = trace(explanation, "assumption_check")
    assert assumption.message is not None
    assert assumption.outcome == "dropped by the output budget"
    assert "1 more note(s) omitted: assumption_check" in explanation.answer


def test_with_the_default_budget_both_notes_reach_the_model(session: Session) -> None:
    explanation = run_explain(session, write_event(session, TWO_NOTES))
    assert trace(explanation, "assumption_check").outcome == "spoke"
    assert "[assumption_check]" in explanation.answer


def test_a_cooldown_that_is_not_due_is_shown(session: Session) -> None:
    session.send(write_event(session, TWO_NOTES))
    explanation = run_explain(session, write_event(session, TWO_NOTES + "# more\n"))
    assumption = trace(explanation, "assumption_check")
    assert assumption.outcome == "silent"
    assert any("index_call_result" in wait and "1800 s" in wait for wait in assumption.not_due)


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    files = {}
    for path in sorted(home.rglob("*")):
        if path.is_file():
            files[str(path.relative_to(home))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def test_explaining_changes_nothing_in_the_home(session: Session) -> None:
    for fixture in ("01", "02", "06"):
        session.send(fixture)
    before = snapshot(session.home)
    explanation = run_explain(session, write_event(session, TWO_NOTES))
    assert trace(explanation, "code_quality_gate").outcome == "spoke"  # the hooks did run
    assert snapshot(session.home) == before
    assert not list(session.project.glob("load.py"))


def test_the_same_event_explained_twice_gives_the_same_story(session: Session) -> None:
    session.send("06")
    raw = session.event("06")
    first = run_explain(session, raw).as_dict()
    second = run_explain(session, raw).as_dict()
    for result in (first, second):
        for hook in result["hooks"]:
            hook["ms"] = None
        result["prepare_ms"] = 0
    assert first == second


def test_the_hooks_log_lines_are_shown_not_written(session: Session) -> None:
    write_config(session.home, {"state_updater": {"budget_ms": -1}})  # every run overruns
    explanation = run_explain(session, session.event("02"))
    updater = trace(explanation, "state_updater")
    assert updater.outcome == "failed" and "overran its budget" in updater.failure
    assert any("hook state_updater: overran" in line for line in explanation.log)
    assert not (session.home / "posttool.log").exists()


def test_ruff_is_not_run_on_a_file_outside_the_project(session: Session, tmp_path: Path) -> None:
    marker = tmp_path / "ruff-ran"
    fake_ruff = tmp_path / "fake-ruff"
    fake_ruff.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\necho 'ruff 0.0.0'\n")
    fake_ruff.chmod(fake_ruff.stat().st_mode | stat.S_IXUSR)
    write_config(session.home, {"quality_scanner": {"ruff_cmd": str(fake_ruff)}})
    outside = tmp_path / "elsewhere" / "secret.py"
    outside.parent.mkdir()
    outside.write_text("import os\n")
    raw = session.event(
        "01",
        tool_input={"file_path": str(outside), "content": "import os\n"},
        tool_response={"filePath": str(outside), "content": "import os\n"},
    )
    explanation = run_explain(session, raw)
    assert not marker.exists()
    assert any("is not a file inside the project; not linted" in line for line in explanation.log)
    inside = session.project / "app.py"
    inside.write_text("import os\n")
    run_explain(session, write_event(session, "import os\n", name="app.py"))
    assert marker.exists()  # the same fake ruff does run on a file inside the project


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "a JSON list"),
        (b'{"hook_event_name": "Stop"}', "no tool_name"),
    ],
)
def test_bad_input_raises_explain_error(home: Path, data: bytes, words: str) -> None:
    with pytest.raises(ExplainError, match=words):
        explain(data, str(home), {})
    assert not os.path.exists(home / "sessions")


def test_rewinding_the_last_call_reopens_the_cooldowns_it_started(session: Session) -> None:
    raw = session.event("01")
    session.send(raw)
    data = json.dumps(raw).encode()
    as_now = explain(data, str(session.home), {}, now=session.now + 1)
    guard = trace(as_now, "state_mutation_guard")
    assert guard.outcome == "silent" and guard.not_due
    rewound = explain(data, str(session.home), {}, now=session.now + 1, rewind=True)
    assert trace(rewound, "state_mutation_guard").outcome == "spoke"
    assert rewound.event.call_index == as_now.event.call_index - 1
    assert any("rewound" in note for note in rewound.notes)
    later = session.event("02")
    session.send(later)  # no longer the last call: nothing is rewound
    again = explain(data, str(session.home), {}, now=session.now + 1, rewind=True)
    assert trace(again, "state_mutation_guard").outcome == "silent"


def test_user_plugins_and_command_hooks_are_explained(session: Session, tmp_path: Path) -> None:
    """Your own hooks go through explain as through `run`: a plug-in and a real command hook."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    write_config(
        session.home,
        {
            "plugins": [str(examples / "todo_plugin.py")],
            "commands": [
                {
                    "name": "todo_check",
                    "matcher": "Edit|Write",
                    "run": [str(examples / "todo-check.sh")],
                    "timeout_s": 5,
                }
            ],
        },
    )
    explanation = run_explain(session, write_event(session, "# TODO: tests\nx = 1\n", "app.py"))
    plugin, command = trace(explanation, "todo_plugin"), trace(explanation, "todo_check")
    assert (plugin.family, plugin.status, plugin.outcome) == ("plugin", "ran", "spoke")
    assert (command.family, command.status, command.outcome) == ("command", "ran", "spoke")
    assert "[todo_check] A TODO was written" in explanation.answer
    assert trace(explanation, "read_cacher").status == "not matched"
