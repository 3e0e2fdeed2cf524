"""`posttool replay`: recorded sessions fed through the real handle() in a temporary home, with
files materialised in a temporary mirror, and the figures of what the model would have read."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.cli.replay_report import to_json
from posttool.lib.paths import is_within
from posttool.lib.transcript import parse_timestamp
from posttool.runner.merge import utf16_len
from posttool.runner.replay import (
    Sandbox,
    attribute,
    build_payload,
    materialise,
    read_log,
    replay,
)
from posttool.runner.transcripts import Call, Problems, read_transcript, transcript_files
from tests.conftest import run_cli
from tests.runner.transcript_builder import Transcript, stamp

UNUSED_IMPORT = "import os\n\n\ndef add(a, b):\n    return a + b\n"


@pytest.fixture(autouse=True)
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The replay's temporary folders go under the test's tmp_path."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def real_project(tmp_path: Path) -> Path:
    """A folder standing for the user's project: the replay must never write into it."""
    path = tmp_path / "real-project"
    (path / "src").mkdir(parents=True)
    return path


def save(transcript: Transcript, folder: Path, name: str = "session.jsonl") -> Path:
    return transcript.save(folder / name)


def test_a_write_is_linted_in_the_mirror_and_reported_with_the_real_path(
    tmp_path: Path, real_project: Path
) -> None:
    target = real_project / "src" / "app.py"
    session = Transcript(str(real_project)).prompt("add a helper")
    session.write(str(target), UNUSED_IMPORT)
    result = replay([str(save(session, tmp_path))], keep_all=False, keep_home=False)

    assert result.calls == 1
    [answer] = result.answers
    assert "[quality_scanner] src/app.py" in answer.context
    assert "F401" in answer.context
    assert "posttool-replay-" not in answer.context
    assert not target.exists(), "the user's project was written to"
    assert result.hooks["quality_scanner"].spoken == 1


def test_an_edit_is_rebuilt_from_the_original_file_and_the_edit(
    tmp_path: Path, real_project: Path
) -> None:
    path = str(real_project / "calc.py")
    original = "def add(a, b):\n    return a + b\n"
    session = Transcript(str(real_project)).prompt("use os")
    session.edit(path, original, "def add", "import os\n\n\ndef add")
    result = replay([str(save(session, tmp_path))], keep_all=False, keep_home=False)

    contexts = "\n".join(answer.context for answer in result.answers)
    assert "L1 F401" in contexts


def test_an_edit_without_original_uses_the_copy_an_earlier_read_left(
    tmp_path: Path, real_project: Path
) -> None:
    path = str(real_project / "calc.py")
    session = Transcript(str(real_project)).prompt("use os")
    session.read(path, "def add(a, b):\n    return a + b\n")
    session.call(
        "Edit",
        {"file_path": path, "old_string": "def add", "new_string": "import os\n\n\ndef add"},
        f"The file {path} has been updated successfully.",
        {"filePath": path, "structuredPatch": []},
    )
    result = replay([str(save(session, tmp_path))], keep_all=False, keep_home=False)
    assert any("F401" in answer.context for answer in result.answers)


def test_recorded_commands_are_never_run(tmp_path: Path, real_project: Path) -> None:
    marker = tmp_path / "ran"
    session = Transcript(str(real_project)).prompt("go")
    session.bash(f"touch {marker}", "")
    session.call("Bash", {"command": f"touch {marker}"}, "Exit code 1\nnope", is_error=True)
    result = replay([str(save(session, tmp_path))], keep_all=True, keep_home=False)
    assert result.calls == 2
    assert not marker.exists()


def test_the_home_and_tree_are_removed_unless_kept(tmp_path: Path, temp_root: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    session.bash("ls", "a\n")
    replay([str(save(session, tmp_path))], keep_all=False, keep_home=False)
    assert list(temp_root.iterdir()) == []
    kept = replay([str(save(session, tmp_path))], keep_all=False, keep_home=True)
    assert Path(kept.home).is_dir()


def test_each_call_runs_at_its_own_timestamp(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    session.bash("ls", "a\n")
    session.bash("pwd", "/home/dev/proj\n")
    result = replay([str(save(session, tmp_path))], keep_all=False, keep_home=True)
    [state_file] = (Path(result.home) / "sessions").glob("sess-replay-1.json")
    doc = json.loads(state_file.read_text())
    assert doc["updated_at"] == parse_timestamp(session.lines[-1]["timestamp"])
    assert doc["counters"]["calls"] == 2


def test_failures_become_failure_events_and_rejections_no_event(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    session.call(
        "Bash",
        {"command": "python3 -c 'import nosuchmod'"},
        "Exit code 1\nModuleNotFoundError: No module named 'nosuchmod'",
        is_error=True,
    )
    session.call(
        "Edit",
        {"file_path": "/home/dev/proj/a.py", "old_string": "x", "new_string": "y"},
        "<tool_use_error>String to replace not found in file.\nString: x</tool_use_error>",
        is_error=True,
    )
    result = replay([str(save(session, tmp_path))], keep_all=True, keep_home=False)
    assert result.calls == 1 and result.failures == 1
    assert not result.answers[0].ok
    assert result.problems.notes["rejected before running (no hook event)"] == 1
    assert not result.problems.counts


def test_sidechain_lines_replay_as_sub_agent_events(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj", version="1.0.56").prompt("look around")
    prompt = "Find where the config is loaded"
    session.call(
        "Task",
        {"description": "find config", "prompt": prompt, "subagent_type": "Explore"},
        "It is in config.py",
        {"content": [{"type": "text", "text": "It is in config.py"}], "totalToolUseCount": 1},
    )
    task_result = session.lines.pop()  # the Task answers after its sub-agent's calls
    session.last_uuid = None
    session.lines.append(
        session._base("user", isSidechain=True, message={"role": "user", "content": prompt})
    )
    session.bash("grep -rn config .", "config.py:1:x\n", isSidechain=True)
    session.lines.append(task_result)
    result = replay([str(save(session, tmp_path))], keep_all=True, keep_home=False)

    assert result.calls == 2 and result.subagent_calls == 1
    sub = next(answer for answer in result.answers if answer.subagent)
    assert sub.tool_name == "Bash" and sub.agent_type == "Explore"


def test_agent_progress_lines_replay_as_sub_agent_events(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("explore")
    task_id = "toolu_parent_task"
    use = {"type": "tool_use", "id": "toolu_inner", "name": "Glob", "input": {"pattern": "*.py"}}
    result_block = {"tool_use_id": "toolu_inner", "type": "tool_result", "content": "/a/b.py"}
    session.lines.append(
        session._base(
            "assistant",
            message={
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": task_id,
                        "name": "Agent",
                        "input": {"subagent_type": "Explore", "prompt": "look"},
                    }
                ],
            },
        )
    )
    for inner_type, block in (("assistant", use), ("user", result_block)):
        inner = {
            "type": inner_type,
            "message": {"role": inner_type, "content": [block]},
            "uuid": "inner",
            "timestamp": stamp(session.second + 1),
        }
        session.lines.append(
            session._base(
                "progress",
                data={"message": inner, "type": "agent_progress", "agentId": "a1b2"},
                toolUseID="agent_msg_1",
                parentToolUseID=task_id,
            )
        )
    result = replay([str(save(session, tmp_path))], keep_all=True, keep_home=False)
    assert result.calls == 1 and result.subagent_calls == 1
    assert result.answers[0].agent_type == "Explore"
    assert result.problems.notes["no toolUseResult (tool_response rebuilt from text)"] == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.xz", ".jsonl.gz"])
def test_compressed_transcripts_read_like_plain_ones(tmp_path: Path, suffix: str) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    session.bash("ls", "a\n")
    session.read("/home/dev/proj/notes.txt", "hello\n")
    result = replay([str(save(session, tmp_path, "s" + suffix))], False, False)
    assert result.calls == 2 and not result.problems.counts


def test_bad_input_is_counted_never_raised(tmp_path: Path) -> None:
    not_json = tmp_path / "notes.jsonl"
    not_json.write_bytes(b"hello\n\xff\xfe binary\n")
    session = Transcript("/home/dev/proj").prompt("go")
    session.call("Frobnicate", {"x": 1}, "done", {"ok": True})
    session.raw(
        {
            "type": "user",
            "sessionId": "sess-replay-1",
            "timestamp": stamp(99),
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "nope"}],
            },
        }
    )
    odd = save(session, tmp_path, "odd.jsonl")
    odd.write_text(odd.read_text() + '{"type": "assistant", "message": {"con')
    broken_xz = tmp_path / "broken.jsonl.xz"
    broken_xz.write_bytes(b"not xz at all")
    result = replay([str(not_json), str(odd), str(broken_xz)], False, False)

    problems = result.problems.counts
    assert problems["line that is not JSON"] == 2
    assert problems["not a transcript (no transcript line)"] == 2
    assert problems["unknown tool Frobnicate"] == 1
    assert problems["tool_result without a matching tool_use"] == 1
    assert problems["truncated last line"] == 1
    assert problems["unreadable file (LZMAError)"] == 1
    assert result.calls == 1


def test_a_call_seen_in_an_earlier_file_is_not_replayed_twice(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    session.bash("ls", "a\n", use_id="toolu_same")
    first = save(session, tmp_path, "a.jsonl")
    second = save(session, tmp_path, "b.jsonl")
    result = replay([str(first), str(second)], False, False)
    assert result.calls == 1
    assert result.problems.notes["tool_use_id seen before (skipped)"] == 1


def test_json_figures_add_up(tmp_path: Path, real_project: Path) -> None:
    session = Transcript(str(real_project)).prompt("go")
    for index in range(3):
        session.write(str(real_project / f"m{index}.py"), UNUSED_IMPORT)
        session.call("Bash", {"command": "pytest -q"}, "Exit code 1\nFAILED t.py", is_error=True)
    result = replay([str(save(session, tmp_path))], keep_all=True, keep_home=False)
    data = to_json(result)

    assert data["calls"] == 6 and len(data["answers"]) == 6
    spoken = [answer for answer in data["answers"] if answer["context"]]
    assert data["answers_with_context"] == len(spoken) > 0
    assert data["characters"] == sum(utf16_len(answer["context"]) for answer in spoken)
    assert sum(hook["characters"] for hook in data["hooks"].values()) == data["characters"]
    assert abs(sum(hook["share"] for hook in data["hooks"].values()) - 1) < 0.01
    assert data["per_100_calls"]["characters"] == round(data["characters"] * 100 / 6, 1)
    assert "quality_scanner" in data["hooks"]
    assert data["problems"] == {}
    assert (data["subagent_answers"], data["subagent_characters"]) == (0, 0)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["quality_scanner", "confidence", "posttool"]),
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_attribution_splits_the_context_into_its_messages(
    messages: list[tuple[str, str]],
) -> None:
    context = "\n".join(f"[{label}] {text}" for label, text in messages)
    parts = attribute(context, {"quality_scanner", "confidence", "posttool"})
    assert sum(chars for _, chars in parts) == utf16_len(context)
    assert parts[0][0] == messages[0][0]
    assert len(parts) <= len(messages)


def test_cli_prints_spoken_calls_and_the_table(tmp_path: Path, real_project: Path) -> None:
    session = Transcript(str(real_project)).prompt("go")
    session.bash("ls", "a\n")
    session.write(str(real_project / "app.py"), UNUSED_IMPORT)
    path = save(session, tmp_path)
    env = {"TMPDIR": str(tmp_path / "tmp")}
    spoken = run_cli("replay", str(path), env=env)
    every = run_cli("replay", str(path), "--show", "all", env=env)
    as_json = run_cli("replay", str(tmp_path), "--json", env=env)

    assert spoken.returncode == every.returncode == as_json.returncode == 0
    out = spoken.stdout.decode()
    assert "#2 Write" in out and "#1 Bash" not in out
    assert "quality_scanner" in out and "Per 100 calls:" in out
    assert "#1 Bash" in every.stdout.decode()
    data = json.loads(as_json.stdout)
    assert data["calls"] == 2 and data["files"] == 1
    assert {"calls", "answers_with_context", "characters", "hooks", "problems"} <= set(data)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_cli_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_cli("replay", str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and "nope.jsonl" in done.stderr.decode()


def test_cli_progress_line_on_long_replays(tmp_path: Path) -> None:
    session = Transcript("/home/dev/proj").prompt("go")
    for _ in range(520):
        session.call("TodoWrite", {"todos": []}, "ok", {"oldTodos": [], "newTodos": []})
    path = save(session, tmp_path)
    done = run_cli("replay", str(path), "--json", env={"TMPDIR": str(tmp_path)}, timeout=300)
    assert done.returncode == 0
    assert "replay: 500 calls" in done.stderr.decode()
    assert json.loads(done.stdout)["calls"] == 520


def test_folder_files_are_replayed_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    for name in ("b.jsonl", "a.jsonl.xz", "notes.txt"):
        session = Transcript("/home/dev/proj", session_id=f"s-{name[0]}").prompt("go")
        session.bash(f"echo {name}", name)
        save(session, folder, name)
    result = replay(transcript_files(str(folder)), keep_all=True, keep_home=False)
    assert [answer.file for answer in result.answers] == ["a.jsonl.xz", "b.jsonl"]
    assert result.sessions == {"s-a", "s-b"}


def test_the_log_is_summarised_by_kind(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "posttool.log").write_text(
        "2026-01-01T00:00:00 pid=12 run: internal error KeyError: 'x' at /a/b.py:10\n"
        "2026-01-01T00:00:01 pid=13 run: internal error KeyError: 'x' at /a/b.py:10\n"
        "2026-01-01T00:00:02 pid=13 hook velocity_tracker: ValueError: bad\n"
        "2026-01-01T00:00:03 pid=13 hook quality_scanner: overran its budget: 30.1 ms > 20 ms\n"
        "2026-01-01T00:00:04 pid=13 run: duplicate tool_use_id t1; no hook ran\n"
    )
    log = read_log(str(home), str(tmp_path))
    assert (log["internal_errors"], log["hook_errors"], log["overruns"]) == (2, 1, 1)
    assert log["other_lines"] == 1
    assert log["distinct"][0] == (
        "internal error: run: internal error KeyError: 'x' at /a/b.py:N",
        2,
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
PATHISH = st.sampled_from(["/home/dev/proj/a.py", "rel/b.py", "", "/", "\x00", "../../etc/x"])


@given(
    tool=st.sampled_from(["Write", "Edit", "MultiEdit", "Read", "Bash", "Glob", "mcp__x__y"]),
    tool_input=st.fixed_dictionaries(
        {"file_path": PATHISH | JSON},
        optional={
            "edits": JSON,
            "content": JSON,
            "old_string": JSON,
            "new_string": JSON,
            "path": JSON,
        },
    ),
    response=JSON
    | st.fixed_dictionaries(
        {
            "filePath": PATHISH | JSON,
            "file": JSON,
            "originalFile": JSON,
            "filenames": JSON,
            "type": st.just("text"),
        }
    ),
    ok=st.booleans(),
)
def test_any_recorded_call_maps_and_materialises_without_raising(
    tool: str, tool_input: dict, response: object, ok: bool
) -> None:
    sandbox = Sandbox()
    try:
        call = Call(
            session_id="s",
            tool_use_id="t",
            tool_name=tool,
            tool_input=tool_input,
            ok=ok,
            response=response,
            error="" if ok else "boom",
            interrupted=False,
            at=1.0,
            duration_ms=None,
            cwd="/home/dev/proj",
            prompt_id=None,
            permission_mode=None,
            effort=None,
            agent_id=None,
            agent_type=None,
            rebuilt=False,
        )
        materialise(call, sandbox)
        payload = build_payload(call, sandbox, "/nowhere.jsonl")
        json.dumps(payload)
        for root, _dirs, files in os.walk(sandbox.root):
            for name in files:
                assert is_within(os.path.join(root, name), sandbox.root)
    finally:
        sandbox.remove()


@given(st.lists(JSON | st.text(max_size=30), max_size=8))
def test_any_lines_read_without_raising(
    tmp_path_factory: pytest.TempPathFactory, values: list
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "f.jsonl"
    path.write_text("".join((v if isinstance(v, str) else json.dumps(v)) + "\n" for v in values))
    problems = Problems()
    for line in read_transcript(str(path), problems):
        assert isinstance(line.calls, list)


def test_sub_agent_files_next_to_the_session_are_merged_in_time(tmp_path: Path) -> None:
    main = Transcript("/home/dev/proj", session_id="sess-main").prompt("explore")
    main.second = 10
    prompt = "Find the config loader"
    agent_input = {"subagent_type": "Explore", "prompt": prompt, "description": "find"}
    main.call("Agent", agent_input, "It is in config.py", {"status": "completed"})
    sub = Transcript("/home/dev/proj", session_id="sess-main")
    sub.second = 12  # after the Agent's tool_use (t=14 is its result)
    sub.lines.append(sub._base("user", message={"role": "user", "content": prompt}))
    sub.bash("grep -rn config .", "config.py:1:x\n")
    for line in sub.lines:
        line.update(isSidechain=True, agentId="a1")
    main.lines[-1]["timestamp"] = stamp(40)  # the Agent returns after its sub-agent's calls
    folder = tmp_path / "project"
    (folder / "sess-main" / "subagents").mkdir(parents=True)
    save(main, folder, "sess-main.jsonl")
    save(sub, folder / "sess-main" / "subagents", "agent-a1.jsonl")

    result = replay(transcript_files(str(folder)), keep_all=True, keep_home=False)
    assert [(a.tool_name, a.subagent, a.agent_type) for a in result.answers] == [
        ("Bash", True, "Explore"),
        ("Agent", False, None),
    ]


def test_cli_help_and_bad_arguments() -> None:
    helped = run_cli("replay", "--help")
    assert helped.returncode == 0 and b"--show" in helped.stdout and b"--keep-home" in helped.stdout
    for args in (("replay",), ("replay", "x.jsonl", "--show", "some")):
        done = run_cli(*args)
        err = done.stderr.decode()
        assert done.returncode == 2 and err.count("\n") == 1 and err.startswith("posttool: error:")


def test_cli_folder_without_transcripts_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    done = run_cli("replay", str(tmp_path))
    assert done.returncode == 2 and done.stderr.decode().count("\n") == 1


def test_a_session_whose_folder_was_written_as_a_file_still_replays(tmp_path: Path) -> None:
    first = Transcript("/home/dev/proj", session_id="s-1").prompt("go")
    first.write("/home/dev/other", "not a folder\n")
    second = Transcript("/home/dev/other", session_id="s-2").prompt("go")
    second.bash("ls", "a\n")
    files = [str(save(first, tmp_path, "a.jsonl")), str(save(second, tmp_path, "b.jsonl"))]
    result = replay(files, keep_all=True, keep_home=False)
    assert result.calls == 2 and result.log["internal_errors"] == 0
