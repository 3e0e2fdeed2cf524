"""scratch_enforcer (spec §4.19): hand-repeated commands and hand-repeated replacements."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from posttool.hooks.tracking import scratch_enforcer
from posttool.lib.config import Config
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.lib.text import h
from posttool.runner.normalise import build_event
from tests.conftest import START, Session, load_fixture, merge
from tests.hooks.records import tool_record

LABEL = "[scratch_enforcer]"


def bash(command: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return "05", merge(
        {"tool_input": {"command": command}, "tool_response": {"stdout": "ok"}}, extra
    )


def bash_failed(command: str) -> tuple[str, dict[str, Any]]:
    return "06", {"tool_input": {"command": command}, "error": "Exit code 1\nHTTP 503"}


def edit(path: str, old: str = "return b", new: str = "return list(b)") -> tuple[str, dict]:
    return "03", {
        "tool_input": {"file_path": path, "old_string": old, "new_string": new},
        "tool_response": {"filePath": path, "oldString": old, "newString": new},
    }


def read(path: str) -> tuple[str, dict[str, Any]]:
    return "02", {"tool_input": {"file_path": path}, "tool_response": {"file": {"filePath": path}}}


def fetches(ids: range) -> list[tuple[str, dict[str, Any]]]:
    return [bash(f"python fetch.py --id {n}") for n in ids]


SUB_AGENT = {"agent_id": "sub-1", "agent_type": "general-purpose"}

FIRES = {
    "5 consecutive `python fetch.py --id N` successes": fetches(range(1, 6)),
    "5 fetches with reads between, within 8 calls": [
        *fetches(range(1, 3)),
        read("a.py"),
        *fetches(range(3, 5)),
        read("b.py"),
        *fetches(range(5, 6)),
    ],
    "5 fetches, two of them failing": [
        *fetches(range(1, 3)),
        bash_failed("python fetch.py --id 3"),
        bash_failed("python fetch.py --id 4"),
        *fetches(range(5, 6)),
    ],
    "5 curl calls through a wrapper": [bash(f"env X=1 curl -s https://x/{n}") for n in range(5)],
    "the same replacement in 3 files": [edit("a.py"), edit("b.py"), edit("c.py")],
    "the same replacement in 3 files with reads between": [
        edit("a.py"),
        read("b.py"),
        edit("b.py"),
        read("c.py"),
        edit("c.py"),
    ],
}

SILENT = {
    "5 × fixture 05 (read-only)": [("05", {})] * 5,
    "5 × `pytest -q` (test runs are normal)": [bash("pytest -q")] * 5,
    "5 different pytest runs (tests)": [bash(f"pytest tests/test_{n}.py") for n in range(5)],
    "5 × the same `python app.py` (re-runs, not similar work)": [bash("python app.py")] * 5,
    "5 × `python app.py` with edits between": [
        bash("python app.py"),
        edit("app.py", "a", "b"),
        bash("python app.py"),
        edit("app.py", "b", "c"),
        bash("python app.py"),
        bash("python app.py"),
        bash("python app.py"),
    ],
    "4 fetches": fetches(range(1, 5)),
    "5 fetches spread over 9 calls": [
        step for n in range(1, 6) for step in (bash(f"python fetch.py --id {n}"), read("a.py"))
    ][:-1],
    "5 commits (git_commit)": [bash(f"git commit -m 'part {n}'") for n in range(5)],
    "5 pushes (git_push)": [bash(f"git push origin b{n}") for n in range(5)],
    "5 different `cat` calls (read-only)": [bash(f"cat f{n}.txt") for n in range(5)],
    "5 fetches inside a sub-agent": [
        bash(f"python fetch.py --id {n}", **SUB_AGENT) for n in range(5)
    ],
    "a 6th fetch right after the notice (cooldown)": fetches(range(1, 7)),
    # Issue 7: a sub-agent's commands are its own work, not the main model's repetition.
    "4 fetches by a sub-agent, then 1 by the main model": [
        *[bash(f"python fetch.py --id {n}", **SUB_AGENT) for n in range(4)],
        bash("python fetch.py --id 9"),
    ],
    "a sub-agent's replacement in 2 files, the main model's in a third": [
        ("03", merge(edit("a.py")[1], SUB_AGENT)),
        ("03", merge(edit("b.py")[1], SUB_AGENT)),
        edit("c.py"),
    ],
    "the same replacement in 2 files": [edit("a.py"), edit("b.py")],
    "the same replacement 3 times in one file": [edit("a.py")] * 3,
    "3 different replacements in 3 files": [
        edit("a.py", "x", "y"),
        edit("b.py", "x", "z"),
        edit("c.py", "w", "y"),
    ],
    "the same replacement in 3 files over 12 calls": [
        edit("a.py"),
        *[("05", {})] * 5,
        edit("b.py"),
        *[("05", {})] * 4,
        edit("c.py"),
    ],
}


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert LABEL in answers[-1]
    assert not any(LABEL in answer for answer in answers[:-1])


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, steps: list) -> None:
    answers = session.play(steps)
    assert LABEL not in answers[-1]


def test_similar_commands_message(session: Session) -> None:
    answers = session.play(fetches(range(1, 6)))
    assert (
        "[scratch_enforcer] 5 similar `python fetch.py …` commands in the last 8 calls; one small "
        "script or loop can do the rest in a single call."
    ) in answers[-1]


def test_same_edit_message(session: Session) -> None:
    answers = session.play([edit("a.py"), edit("sub/b.py"), edit("c.py"), edit("d.py")])
    assert (
        "[scratch_enforcer] The same replacement was applied by hand to 3 files (`a.py`, "
        "`sub/b.py`, `c.py`); do the remaining ones with one scripted replace, then review the "
        "diff."
    ) in answers[2]
    assert LABEL not in answers[3]  # cooldown


def test_said_once_per_session_past_the_cooldown(session: Session) -> None:
    """Issue 7 §3: the same advice about the same command shape is not repeated (the spec
    repeated it after its 20-call cooldown)."""
    answers = session.play(fetches(range(1, 27)))
    fired = [n for n, answer in enumerate(answers, 1) if LABEL in answer]
    assert fired == [5]


def test_config_thresholds(session: Session) -> None:
    from tests.conftest import write_config

    write_config(session.home, {"scratch_enforcer": {"similar_commands": 3, "window": 3}})
    answers = session.play(fetches(range(1, 4)))
    assert "3 similar `python fetch.py …` commands in the last 3 calls" in answers[-1]


# --- unit level: the hook on a hand-built `recent_tools` ----------------------------------


def run_hook(
    raw: dict[str, Any], records: list[dict[str, Any]], commands: list[dict[str, Any]] | None = None
) -> Any:
    call_index = records[-1]["c"] if records else 1
    event = build_event(merge(raw, {"cwd": "/p"}), now=START)
    event.set_runner_fact("call_index", call_index)
    doc = new_session("s", "k", START)
    doc["recent_tools"] = records
    doc["commands"] = commands or []
    state = State(doc, Config(), now=START, call_index=call_index)
    state.hook = "scratch_enforcer"
    return scratch_enforcer(event, state), state


def test_unit_counts_records_by_shape() -> None:
    raw = merge(load_fixture("05"), {"tool_input": {"command": "node job.js 5"}})
    records = [tool_record(c, shape="node job.js") for c in range(1, 6)]
    commands = [{"c": c, "norm": f"node job.js {c}"} for c in range(1, 6)]
    message, state = run_hook(raw, records, commands)
    assert message is not None and message.severity == "info"
    assert "similar_commands:node job.js" in "".join(state.doc["cooldowns"])


def test_unit_identical_commands_do_not_count_twice() -> None:
    raw = merge(load_fixture("05"), {"tool_input": {"command": "node job.js"}})
    records = [tool_record(c, shape="node job.js") for c in range(1, 6)]
    commands = [{"c": c, "norm": "node job.js"} for c in range(1, 6)]
    assert run_hook(raw, records, commands)[0] is None


def test_unit_same_pair_in_three_files() -> None:
    raw = merge(load_fixture("03"), {"tool_input": {"file_path": "/p/c.py"}})
    pair = [h("return b"), h("return list(b)")]
    records = [
        tool_record(1, tool="Edit", fam="edit", path="/p/a.py", pair=pair, kinds=[]),
        tool_record(2, tool="Edit", fam="edit", path="/p/b.py", pair=pair, kinds=[]),
        tool_record(3, tool="Edit", fam="edit", path="/p/c.py", pair=pair, kinds=[]),
    ]
    message, _ = run_hook(raw, records)
    assert message is not None
    assert "3 files (`a.py`, `b.py`, `c.py`)" in message.text


def test_unit_failed_edits_do_not_count() -> None:
    raw = merge(load_fixture("03"), {"tool_input": {"file_path": "/p/c.py"}})
    pair = [h("return b"), h("return list(b)")]
    records = [
        tool_record(1, tool="Edit", fam="edit", path="/p/a.py", pair=pair, ok=False),
        tool_record(2, tool="Edit", fam="edit", path="/p/b.py", pair=pair),
        tool_record(3, tool="Edit", fam="edit", path="/p/c.py", pair=pair),
    ]
    assert run_hook(raw, records)[0] is None


# --- properties over open-ended commands, through the real state_updater -----------------


class Replay:
    """state_updater and the tracking family over one in-memory session document."""

    def __init__(self) -> None:
        from posttool.runner.registry import load_registry

        self.doc = new_session("s", "k", START)
        self.registry = load_registry(("state", "tracking"))
        self.now = START

    def bash(self, command: str) -> bool:
        """Send a successful Bash `command`; True when scratch_enforcer spoke."""
        from posttool.runner.dispatch import dispatch
        from posttool.runner.run import number_call

        self.now += 1
        raw = merge(load_fixture("05"), {"cwd": "/p", "tool_input": {"command": command}})
        event = build_event(raw, now=self.now)
        number_call(event, self.doc, Config())
        event.freeze()
        state = State(self.doc, Config(), now=self.now, call_index=event.call_index)
        hooks = self.registry.matching(event.tool_name, event.event_name)
        return any(m.hook == "scratch_enforcer" for m in dispatch(hooks, event, state))


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.", min_size=1, max_size=10)
COMMAND = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(command=COMMAND, times=st.integers(min_value=1, max_value=12))
def test_one_command_repeated_never_fires(command: str, times: int) -> None:
    replay = Replay()
    assert not any(replay.bash(command) for _ in range(times))


@settings(max_examples=40, deadline=None)
@given(tool=WORD, sub=WORD, args=st.lists(WORD, min_size=6, max_size=6, unique=True))
def test_distinct_commands_of_one_shape_fire_at_the_fifth(
    tool: str, sub: str, args: list[str]
) -> None:
    from posttool.lib.commands import CommandFacts

    commands = [f"{tool} {sub} {arg}" for arg in args]
    facts = CommandFacts(commands[0])
    assume(not facts.read_only and not facts.kinds & {"test", "git_commit", "git_push"})
    assume(len({CommandFacts(c).shape for c in commands}) == 1)
    replay = Replay()
    fired = [replay.bash(command) for command in commands]
    assert fired == [False, False, False, False, True, False]
