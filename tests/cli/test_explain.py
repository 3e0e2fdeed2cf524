"""`posttool explain` as a real subprocess, and the last event `posttool run` keeps for it."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from tests.conftest import Session, run_cli, write_config


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    return result.stdout.decode()


def one_line_error(result: Any, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("posttool: "), err
    return err


def real_run(session: Session, fixture: str, **changes: Any) -> bytes:
    """One event through a real `posttool run` process; returns the raw event sent."""
    data = json.dumps(session.event(fixture, **changes)).encode()
    result = run_cli("run", stdin=data)
    assert result.returncode == 0 and result.stdout.startswith(b"{")
    return data


def last_path(session: Session) -> Path:
    return session.home / "sessions" / f"{session.session_id}.last-event"


def home_files(home: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(home)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


def test_run_keeps_the_last_raw_event_private(session: Session) -> None:
    real_run(session, "01")
    data = real_run(session, "02")
    path = last_path(session)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_event_over_the_cap_is_not_kept_and_the_older_one_goes(session: Session) -> None:
    write_config(session.home, {"state": {"last_event_max_bytes": 3000}})
    real_run(session, "02")
    assert last_path(session).exists()
    real_run(session, "02", tool_response={"file": {"content": "x" * 5000}})
    assert not last_path(session).exists()
    missing = run_cli("explain", "--last")
    assert "no last event kept for session sess-test-1" in one_line_error(missing)


def test_explain_last_after_a_real_run(session: Session) -> None:
    real_run(session, "02")
    real_run(session, "01")
    before = home_files(session.home)
    out = ok(run_cli("explain", "--last"))
    lines = out.splitlines()
    assert lines[0].startswith("PostToolUse Write app.py")
    assert "the session already holds this call" in out
    assert any(
        line.split()[1:3] == ["state_mutation_guard", "spoke"] for line in lines if line.strip()
    )
    assert "the model reads:" in out and "[state_mutation_guard]" in out
    assert any("read_cacher" in line and "not matched: matcher 'Read'" in line for line in lines)
    assert home_files(session.home) == before  # no counter, cooldown, log line or save


def test_explain_last_names_a_session(session: Session, make_session: Any) -> None:
    real_run(session, "02")
    other = make_session("sess-other")
    real_run(other, "05")
    out = ok(run_cli("explain", "--last", "--session", "sess-test"))
    assert out.startswith("PostToolUse Read")
    out = ok(run_cli("explain", "--last"))  # the newest session
    assert out.startswith("PostToolUse Bash")


def test_explain_a_file_and_stdin_as_json(session: Session, tmp_path: Path) -> None:
    write_config(session.home, {"disable": ["read_cacher"]})
    event = tmp_path / "event.json"
    event.write_text(json.dumps(session.event("02")))
    from_file = json.loads(ok(run_cli("explain", str(event), "--json")))
    from_stdin = json.loads(ok(run_cli("explain", "--json", stdin=event.read_bytes())))
    for result in (from_file, from_stdin):
        hooks = {hook["hook"]: hook for hook in result["hooks"]}
        assert len(hooks) == 23
        assert hooks["read_cacher"]["status"] == "disabled"
        assert hooks["read_cacher"]["reasons"][0].startswith("disabled by `disable` in ")
        assert hooks["state_updater"]["status"] == "ran"
        assert hooks["quality_scanner"]["status"] == "not matched"
        assert result["event"]["tool_name"] == "Read"
    assert not (session.home / "sessions").exists()  # nothing was saved for that session


def test_explain_honours_posttool_disable(session: Session, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(session.event("02")))
    result = run_cli("explain", str(event), env={"POSTTOOL_DISABLE": "info_gain_tracker"})
    line = next(ln for ln in ok(result).splitlines() if " info_gain_tracker " in ln)
    assert line.split(None, 2)[2] == "disabled by POSTTOOL_DISABLE=info_gain_tracker"


def test_bad_input_is_one_line_and_a_nonzero_exit(session: Session, tmp_path: Path) -> None:
    assert "stdin: the input is not JSON" in one_line_error(run_cli("explain", stdin=b"nope"))
    missing = tmp_path / "missing.json"
    err = one_line_error(run_cli("explain", str(missing)))
    assert f"cannot read {missing}" in err
    (tmp_path / "list.json").write_text("[]")
    err = one_line_error(run_cli("explain", str(tmp_path / "list.json")))
    assert "not an event object" in err
    assert "no session state yet" in one_line_error(run_cli("explain", "--last"))
    one_line_error(run_cli("explain", "--session", "x"), code=2)
    one_line_error(run_cli("explain", "--last", str(missing)), code=2)
    assert not (session.home / "posttool.log").exists()


def test_state_reset_and_prune_remove_the_kept_event(session: Session, make_session: Any) -> None:
    real_run(session, "02")
    other = make_session("sess-old")
    real_run(other, "02")
    listed = json.loads(ok(run_cli("state", "list", "--json")))
    assert sorted(row["session"] for row in listed) == ["sess-old", "sess-test-1"]
    out = ok(run_cli("state", "reset", "sess-test-1"))
    assert "sess-test-1.json" in out and not last_path(session).exists()
    old = time.time() - 8 * 86400
    for path in (session.home / "sessions").glob("sess-old*"):
        os.utime(path, (old, old))
    out = ok(run_cli("state", "prune"))
    assert "sess-old.json" in out and not last_path(other).exists()
    assert list((session.home / "sessions").glob("*.last-event")) == []


def test_the_daily_sweep_removes_the_kept_event(session: Session) -> None:
    from posttool.lib.config import Config
    from posttool.lib.sweep import sweep

    real_run(session, "02")
    old = time.time() - 8 * 86400
    for path in (session.home / "sessions").glob("*"):
        os.utime(path, (old, old))
    sweep(str(session.home), time.time(), Config())
    assert not last_path(session).exists()


def test_prune_removes_an_old_kept_event_whose_session_is_gone(home: Path) -> None:
    sessions = home / "sessions"
    sessions.mkdir(parents=True)
    orphan = sessions / "gone.last-event"
    orphan.write_text("{}")
    with_session = sessions / "alive.last-event"
    with_session.write_text("{}")
    (sessions / "alive.json").write_text("{}")
    old = time.time() - 8 * 86400
    os.utime(orphan, (old, old))
    os.utime(with_session, (old, old))
    out = ok(run_cli("state", "prune"))
    assert f"removed {orphan}" in out and not orphan.exists()
    assert "alive.last-event" not in out  # it goes with its session, when that is pruned


def test_a_killed_keep_leaves_a_temp_file_the_sweep_knows() -> None:
    from posttool.lib.sweep import is_own_temp_name

    assert is_own_temp_name("sess-1.last-event.tmp-4242")
    assert not is_own_temp_name("sess-1.last-event")
    assert not is_own_temp_name("notes.last-event.tmp-x")
