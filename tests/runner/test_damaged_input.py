"""Issue 8, damaged input: every file and field `posttool run` reads may be cut, damaged or of
the wrong type. Each case ends in the documented recovery, never an "internal error".

Cases that depend on `json` not being imported (the C scanner then raises SystemError for a
truncated document) run in a real process: pytest itself imports `json`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from posttool.lib import store as store_module
from posttool.lib.paths import project_key
from posttool.lib.schema import new_session
from posttool.runner import run as run_module
from posttool.runner.run import handle
from tests.conftest import START, Session, run_cli, write_config

ROOT = Path(__file__).resolve().parents[2]


def log_text(home: Path) -> str:
    log = home / "posttool.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def assert_no_internal_error(home: Path) -> None:
    assert "internal error" not in log_text(home), log_text(home)


def session_file(session: Session) -> Path:
    return next((session.home / "sessions").glob("*.json"))


def run_process(session: Session, fixture: str = "02", **changes: Any) -> dict[str, Any]:
    """One real `posttool run` (json not imported) for this session; the parsed answer."""
    raw = session.event(fixture, **changes)
    result = run_cli("run", "--home", str(session.home), stdin=json.dumps(raw).encode())
    assert result.returncode == 0 and result.stderr == b""
    return json.loads(result.stdout.decode("utf-8"))


def python_without_json(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


# --- truncated JSON, without `json` imported ----------------------------------------------

JSONFAST_PROBE = """
import sys
from posttool.lib.fast.jsonfast import JSONDecodeError, loads, loads_clean
docs = [
    '{"a": [1, 2.5, "x\\\\u00e9"], "b": {"c": null, "d": true}}',
    '["\\\\ud83d\\\\ude00", -1e5]',
]
bad = ["[" * 100_000, '"\\\\u12"', '"a\\\\x"', '{"a" 1}', b"\\xff{}", '"\\x00"']
count = 0
for doc in docs:
    for cut in range(len(doc)):
        bad.append(doc[:cut])
for text in bad:
    for parse in (loads, loads_clean):
        try:
            parse(text)
        except JSONDecodeError:
            count += 1
        except BaseException as exc:
            print("escaped:", type(exc).__name__, repr(text)[:60])
print("json imported" if "json" in sys.modules else f"ok {count}")
"""


def test_any_malformed_document_raises_the_one_documented_error() -> None:
    result = python_without_json(JSONFAST_PROBE)
    assert result.stderr == ""
    assert result.stdout.startswith("ok "), result.stdout


def test_truncated_session_file_is_kept_aside_in_a_real_process(session: Session) -> None:
    run_process(session)
    path = session_file(session)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    run_process(session)
    kept = list(path.parent.glob(path.name + ".corrupt-*"))
    assert [p.read_bytes() for p in kept] == [whole[: len(whole) // 2]]
    assert session.doc()["counters"]["calls"] == 1
    assert log_text(session.home).count("does not parse") == 1
    assert_no_internal_error(session.home)


def test_truncated_config_uses_the_defaults_and_says_so_once(session: Session) -> None:
    broken = b'{"quality_scanner": {"timeout_s": 5'
    session.home.mkdir(parents=True)
    (session.home / "config.json").write_bytes(broken)
    for _ in range(3):
        run_process(session, "06")  # a failure: hooks that speak on failures still run
    assert session.doc()["counters"]["calls"] == 3
    assert session.doc()["counters"]["failures"] == 3
    assert (session.home / "config.json").read_bytes() == broken  # the user's file, untouched
    assert log_text(session.home).count("config:") == 1
    assert_no_internal_error(session.home)


def test_a_changed_broken_config_is_reported_again(session: Session) -> None:
    write_config(session.home, {})
    (session.home / "config.json").write_text("{")
    session.send("02")
    (session.home / "config.json").write_text("[1, ")
    session.send("02")
    assert log_text(session.home).count("config:") == 2


@pytest.mark.parametrize("name", ["read_cache", "lessons", "exploration_cache"])
def test_truncated_project_store_is_kept_aside_in_a_real_process(
    session: Session, name: str
) -> None:
    folder = session.home / "projects" / project_key(str(session.project))
    folder.mkdir(parents=True)
    (folder / f"{name}.json").write_text('{"schema": 1, "entries": {"k": {"read_at": 1')
    run_process(session, "02")
    run_process(session, "06")
    run_process(session, "12")
    assert len(list(folder.glob(f"{name}.json.corrupt-*"))) == 1
    assert session.doc()["counters"]["calls"] == 3
    assert_no_internal_error(session.home)


TRANSCRIPT_PROBE = """
import sys
from posttool.lib.transcript import tail_entries
path = sys.argv[1]
import os
entries = tail_entries(path, os.path.getsize(path), 65536, '"thinking"')
print(len(entries), "json" in sys.modules)
"""


def test_half_written_last_transcript_line_is_skipped(tmp_path: Path) -> None:
    line = json.dumps({"type": "assistant", "message": {"content": [{"type": "thinking"}]}})
    path = tmp_path / "t.jsonl"
    path.write_text(line + "\n" + line + "\n" + line[: len(line) // 2])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", TRANSCRIPT_PROBE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.stderr == ""
    assert result.stdout.split() == ["2", "False"]


# --- lone surrogates -------------------------------------------------------------------------


def test_lone_surrogates_in_an_event_round_trip(session: Session) -> None:
    cut_emoji = {
        "tool_input": {"command": "echo \ud83d"},
        "tool_response": {"stdout": "done \ud83d", "stderr": "\udfff"},
    }
    run_process(session, "05", cwd=str(session.project) + "/\ud800", **cut_emoji)
    run_process(session, "05", **cut_emoji)
    doc = json.loads(session_file(session).read_bytes().decode("utf-8"))  # strict UTF-8
    assert doc["counters"]["calls"] == 2
    assert [c["cmd"] for c in doc["commands"]] == ["echo \ufffd", "echo \ufffd"]
    assert not list(session.home.glob("sessions/*.corrupt-*"))
    assert_no_internal_error(session.home)


def old_session_with_surrogates(session: Session, calls: int) -> Path:
    """A session file as earlier versions wrote it, lone surrogates kept by `surrogatepass`."""
    doc = new_session(session.session_id, "p", START)
    doc["counters"]["calls"] = calls
    doc["commands"] = [{"c": 1, "cmd": "echo \ud83d", "norm": "echo \udfff", "kinds": []}]
    path = session.home / "sessions" / f"{session.session_id}.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return path


def test_old_session_file_with_lone_surrogates_loads(session: Session) -> None:
    path = old_session_with_surrogates(session, calls=7)
    session.send("02")
    assert not list(path.parent.glob("*.corrupt-*"))
    doc = json.loads(path.read_bytes().decode("utf-8"))
    assert doc["counters"]["calls"] == 8
    assert doc["commands"][0]["cmd"] == "echo \ufffd"


def test_state_show_json_never_prints_a_traceback(session: Session) -> None:
    old_session_with_surrogates(session, calls=4)
    result = run_cli("state", "show", "--json", env={"POSTTOOL_HOME": str(session.home)})
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    assert json.loads(result.stdout.decode("utf-8"))["counters"]["calls"] == 4


def test_an_unencodable_answer_is_logged_and_replaced(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "render_answer", lambda *_: '{"x":"\ud800"}')
    assert handle(json.dumps(session.event("02")).encode(), home=str(session.home)) == "{}"
    assert "unencodable" in log_text(session.home)


# --- paths that are folders or unreadable ------------------------------------------------------


def test_session_path_that_is_a_folder_is_set_aside(session: Session) -> None:
    session.send("02")
    path = session_file(session)
    path.unlink()
    path.mkdir()
    session.send("02")
    session.send("02")
    assert session.doc()["counters"]["calls"] == 2
    assert [p.is_dir() for p in path.parent.glob(path.name + ".corrupt-*")] == [True]
    assert log_text(session.home).count("Is a directory") == 1


def test_unreadable_session_file_is_set_aside(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mode 0000 is readable by root, so the refusal is simulated in-process."""
    session.send("02")
    path = session_file(session)
    real_open = open

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(store_module, "open", refusing_open, raising=False)
    session.send("02")
    monkeypatch.undo()
    session.send("02")
    assert session.doc()["counters"]["calls"] == 2
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) == 1
    assert "Permission denied" in log_text(session.home)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-0000 file")
def test_unreadable_session_file_in_a_real_process(session: Session) -> None:
    run_process(session)
    path = session_file(session)
    path.chmod(0)
    run_process(session)
    assert session.doc()["counters"]["calls"] == 1
    assert len(list(path.parent.glob(path.name + ".corrupt-*"))) == 1


def test_lock_path_that_is_a_folder_is_set_aside(session: Session) -> None:
    session.send("02")
    lock = Path(str(session_file(session)) + ".lock")
    lock.unlink()
    lock.mkdir()
    run_process(session)
    run_process(session)
    assert session.doc()["counters"]["calls"] == 3
    assert lock.is_file()
    assert [p.is_dir() for p in lock.parent.glob(lock.name + ".corrupt-*")] == [True]
    assert_no_internal_error(session.home)


def test_store_path_that_is_a_folder_is_set_aside(session: Session) -> None:
    folder = session.home / "projects" / project_key(str(session.project))
    (folder / "read_cache.json").mkdir(parents=True)
    (folder / "lessons.json.lock").mkdir()
    session.send("02")
    session.send("06")
    assert len(list(folder.glob("read_cache.json.corrupt-*"))) == 1
    assert len(list(folder.glob("lessons.json.lock.corrupt-*"))) == 1
    assert session.doc()["counters"]["calls"] == 2
    assert_no_internal_error(session.home)


# --- inputs that used to be dropped as internal errors --------------------------------------

DATA_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "nul_in_cwd": ("02", {"cwd": "/tmp/a\x00b"}),
    "nul_in_file_path": ("02", {"tool_input": {"file_path": "/tmp/x\x00.py"}}),
    "nul_in_content": ("01", {"tool_input": {"content": "x = 1\x00\n"}}),
    "nul_in_command": ("05", {"tool_input": {"command": "echo \x00"}}),
    "surrogate_in_cwd": ("02", {"cwd": "/tmp/\ud800"}),
    "surrogate_in_session_id": ("02", {"session_id": "s-\udfff"}),
    "multiedit_edits_float": ("03", {"tool_name": "MultiEdit", "tool_input": {"edits": 1.5}}),
    "multiedit_edits_string": ("03", {"tool_name": "MultiEdit", "tool_input": {"edits": "ab"}}),
    "multiedit_edits_dict": ("03", {"tool_name": "MultiEdit", "tool_input": {"edits": {"a": 1}}}),
    "tool_input_list": ("02", {"tool_input": [1, 2]}),
    "tool_response_string": ("01", {"tool_response": "created"}),
    "structured_patch_dict": ("03", {"tool_response": {"structuredPatch": {"lines": 3}}}),
    "read_content_number": ("02", {"tool_response": {"file": {"content": 12, "numLines": "x"}}}),
    "bash_stdout_list": ("05", {"tool_response": {"stdout": ["a"], "stderr": {"b": 1}}}),
    "agent_content_string": ("12", {"tool_response": {"content": "text", "status": 3}}),
}


@pytest.mark.parametrize("case", sorted(DATA_CASES))
def test_odd_fields_are_handled_as_data(session: Session, case: str) -> None:
    fixture, changes = DATA_CASES[case]
    raw = session.event(fixture, **changes)
    data = json.dumps(raw).encode()  # lone surrogates travel as \\udXXX escapes, as Claude sends
    result = run_cli("run", "--home", str(session.home), stdin=data)
    assert result.returncode == 0 and result.stderr == b""
    result.stdout.decode("utf-8")
    assert_no_internal_error(session.home)
    assert "Error" not in log_text(session.home)
    assert list((session.home / "sessions").glob("*.json"))  # the call was counted


def test_json_nested_beyond_the_parser_is_refused_with_one_line(session: Session) -> None:
    for depth in (1000, 5000):
        text = json.dumps(session.event("02"))[:-1] + ', "deep": ' + "[" * depth
        text += "]" * depth + "}"
        result = run_cli("run", "--home", str(session.home), stdin=text.encode())
        assert result.returncode == 0 and result.stdout.strip() == b"{}"
    assert log_text(session.home).count("nested too deeply") == 2
    assert_no_internal_error(session.home)


@pytest.mark.parametrize("value", [1.5, 2.0, float("inf"), float("nan"), -1, 10**30, "x", None])
def test_odd_numbers_in_config_never_break_a_call(session: Session, value: object) -> None:
    write_config(
        session.home,
        {
            "output": {"max_chars": value, "max_message_chars": value},
            "common": {"max_scan_chars": value},
            "state_updater": {"window": value},
            "confidence_reducer": {"window": value},
        },
    )
    for fixture in ("01", "02", "03", "05", "06", "12"):
        session.send(fixture)
    assert session.doc()["counters"]["calls"] == 6
    assert_no_internal_error(session.home)
    assert "TypeError" not in log_text(session.home)


def test_config_numbers_keep_the_default_kind() -> None:
    from posttool.lib.config import usable

    assert usable(5.0, 1) == 5 and isinstance(usable(5.0, 1), int)
    assert usable(1.5, 1) == 1
    assert usable(float("inf"), 1) == 1
    assert usable(3, 0.5) == 3
