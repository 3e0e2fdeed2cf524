"""`posttool state ...`, `posttool cache ...` and `posttool hooks`, run as real subprocesses
against a temporary home filled by the real in-process pipeline."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from posttool.lib.paths import project_key
from tests.conftest import Session, run_cli, write_config


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    return result.stdout.decode()


def usage_error(result: Any) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("posttool: error: ")
    return err


@pytest.fixture
def two_sessions(home: Path, project: Path, make_session: Any) -> tuple[Session, Session]:
    older = make_session("sess-older")
    for fixture in ("01", "02", "06"):
        older.send(fixture)
    newer = make_session("sess-newer")
    newer.send("05")
    old_path = home / "sessions" / "sess-older.json"
    stamp = time.time() - 3 * 86400
    os.utime(old_path, (stamp, stamp))
    return older, newer


# --- state -----------------------------------------------------------------------------------


def test_state_list_shows_sessions_newest_first(two_sessions: Any) -> None:
    lines = ok(run_cli("state", "list")).splitlines()
    assert lines[0].split() == ["SESSION", "AGE", "SIZE", "TOOLS", "CONFIDENCE", "PROJECT"]
    assert lines[1].startswith("sess-newer") and lines[2].startswith("sess-older")
    assert lines[2].split()[1] == "3d"


def test_state_list_json(two_sessions: Any, project: Path) -> None:
    rows = json.loads(ok(run_cli("state", "list", "--json")))
    assert [row["session"] for row in rows] == ["sess-newer", "sess-older"]
    older = rows[1]
    assert older["calls"] == 3
    assert older["project_key"] == project_key(str(project))
    assert isinstance(older["confidence"], int) and older["tier"]
    assert older["size"] > 0 and older["age_s"] >= 3 * 86400 - 60


def test_state_show_defaults_to_the_newest_session(two_sessions: Any) -> None:
    out = ok(run_cli("state", "show"))
    assert "sess-newer" in out.splitlines()[0]
    assert "Bash 1" in out


def test_state_show_by_prefix_for_a_person(two_sessions: Any) -> None:
    out = ok(run_cli("state", "show", "sess-o"))
    assert out.startswith("session     sess-older")
    for label in (
        "calls       3 (1 failed",
        "confidence",
        "tools",
        "files",
        "errors      1 open",
        "Exit code 1: ModuleNotFoundError",
        "verified",
        "hooks       no failures",
    ):
        assert label in out, label
    assert "\033[" not in out


def test_state_show_json_is_the_stored_document(two_sessions: Any, home: Path) -> None:
    shown = json.loads(ok(run_cli("state", "show", "sess-older", "--json")))
    assert shown == json.loads((home / "sessions" / "sess-older.json").read_text())


def test_state_path(two_sessions: Any, home: Path) -> None:
    assert ok(run_cli("state", "path")).strip() == str(home / "sessions" / "sess-newer.json")
    assert ok(run_cli("state", "path", "sess-older")).strip().endswith("sess-older.json")


def test_unknown_or_ambiguous_sessions_are_one_line_errors(two_sessions: Any) -> None:
    for args in (("state", "show", "nope"), ("state", "show", "sess-")):
        result = run_cli(*args)
        assert result.returncode == 1
        assert result.stderr.decode().count("\n") == 1


def test_state_commands_on_an_empty_home(home: Path) -> None:
    assert "no session state yet" in ok(run_cli("state", "list"))
    assert json.loads(ok(run_cli("state", "list", "--json"))) == []
    result = run_cli("state", "show")
    assert result.returncode == 1 and b"no session state yet" in result.stderr
    assert "no session state to remove" in ok(run_cli("state", "reset", "--all"))
    assert "nothing older than 7 day(s)" in ok(run_cli("state", "prune"))


def test_a_corrupt_session_file_is_reported_not_changed(home: Path) -> None:
    path = home / "sessions" / "broken.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = run_cli("state", "show", "broken")
    assert result.returncode == 1 and b"does not parse" in result.stderr
    assert path.read_text() == "{not json"
    assert "unreadable" in ok(run_cli("state", "list"))


def test_state_reset_removes_one_session_and_says_so(two_sessions: Any, home: Path) -> None:
    kept_aside = home / "sessions" / "sess-older.json.corrupt-1700000000"
    kept_aside.write_text("x")
    out = ok(run_cli("state", "reset", "sess-older"))
    assert f"removed {home / 'sessions' / 'sess-older.json'}" in out
    assert f"removed {kept_aside}" in out
    assert not (home / "sessions" / "sess-older.json").exists()
    assert (home / "sessions" / "sess-newer.json").exists()


def test_state_reset_all(two_sessions: Any, home: Path) -> None:
    out = ok(run_cli("state", "reset", "--all"))
    assert out.count("removed ") == 2
    assert not list((home / "sessions").glob("*.json"))


def test_state_reset_with_a_session_and_all_is_a_usage_error(two_sessions: Any) -> None:
    usage_error(run_cli("state", "reset", "sess-older", "--all"))


def test_state_prune_removes_only_old_state(two_sessions: Any, home: Path) -> None:
    out = ok(run_cli("state", "prune", "--older-than", "2"))
    assert out.strip() == f"removed {home / 'sessions' / 'sess-older.json'}"
    assert (home / "sessions" / "sess-newer.json").exists()
    assert "nothing older" in ok(run_cli("state", "prune", "--older-than", "2"))


def test_state_prune_follows_the_configured_ttl(two_sessions: Any, home: Path) -> None:
    write_config(home, {"state": {"session_ttl_days": 1}})
    assert "sess-older" in ok(run_cli("state", "prune"))


def test_state_prune_rejects_a_negative_age(home: Path) -> None:
    usage_error(run_cli("state", "prune", "--older-than", "-1"))


def test_home_option_works_at_either_level(two_sessions: Any, home: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    assert "no session state yet" in ok(run_cli("--home", str(other), "state", "list"))
    assert "no session state yet" in ok(run_cli("state", "list", "--home", str(other)))
    assert "sess-newer" in ok(
        run_cli("state", "--home", str(home), "list", env={"POSTTOOL_HOME": str(other)})
    )


# --- cache -----------------------------------------------------------------------------------


@pytest.fixture
def filled_stores(session: Session, project: Path) -> Session:
    app = project / "app.py"
    app.write_text("import os\n\ndef add(a, b=[]):\n    b.append(a)\n    return b\n")
    session.send("02")  # read_cache
    session.send("12")  # exploration_cache
    session.send("06")  # lessons
    return session


def test_cache_show_for_the_current_project(filled_stores: Session, project: Path) -> None:
    out = ok(run_cli("cache", "show", cwd=project))
    assert project_key(str(project)) in out.splitlines()[0]
    assert "read_cache: 1 live" in out
    assert "app.py" in out
    assert "exploration_cache: 1 live" in out
    assert "lint cache" in out


def test_cache_show_json_and_all(filled_stores: Session, project: Path, tmp_path: Path) -> None:
    shown = json.loads(ok(run_cli("cache", "show", "--all", "--json", cwd=tmp_path)))
    [described] = shown["projects"]
    assert described["project_key"] == project_key(str(project))
    stores = {store["store"]: store for store in described["stores"]}
    assert set(stores) == {"read_cache", "exploration_cache", "lessons"}
    assert stores["read_cache"]["live"] == 1
    assert stores["read_cache"]["newest"][0]["path"].endswith("app.py")
    assert "files" in shown["lint_cache"]


def test_cache_show_project_option(filled_stores: Session, project: Path, tmp_path: Path) -> None:
    out = ok(run_cli("cache", "show", "--project", str(project), cwd=tmp_path))
    assert "read_cache: 1 live" in out
    usage_error(run_cli("cache", "show", "--project", str(tmp_path / "missing")))
    usage_error(run_cli("cache", "show", "--project", str(project), "--all"))


def test_cache_path(filled_stores: Session, project: Path, home: Path) -> None:
    out = ok(run_cli("cache", "path", cwd=project)).strip()
    assert out == str(home / "projects" / project_key(str(project)))


def test_cache_reset_removes_the_projects_stores(
    filled_stores: Session, project: Path, home: Path
) -> None:
    folder = home / "projects" / project_key(str(project))
    out = ok(run_cli("cache", "reset", cwd=project))
    assert f"removed {folder / 'read_cache.json'}" in out
    assert not folder.exists() or not list(folder.glob("*.json"))
    assert "no cached data to remove" in ok(run_cli("cache", "reset", cwd=project))


# --- hooks -----------------------------------------------------------------------------------


def test_hooks_lists_every_registered_hook(home: Path) -> None:
    from posttool.runner.registry import load_registry

    lines = ok(run_cli("hooks")).splitlines()
    assert lines[0].split() == ["HOOK", "FAMILY", "PRI", "MATCHER", "EVENTS", "ENABLED"]
    names = [line.split()[0] for line in lines[1:-1]]
    assert names == [record.name for record in load_registry().hooks]


def test_hooks_json_reports_config_and_environment(home: Path) -> None:
    write_config(
        home,
        {
            "read_cacher": {"enabled": False},
            "disable": ["auto_learn"],
            "crawl4ai_promo": {"enabled": True},
        },
    )
    rows = json.loads(ok(run_cli("hooks", "--json", env={"POSTTOOL_DISABLE": "state_updater"})))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name["state_updater"]) == {
        "name",
        "family",
        "priority",
        "matcher",
        "events",
        "enabled",
        "why",
    }
    assert (by_name["state_updater"]["enabled"], by_name["state_updater"]["why"]) == (
        False,
        "POSTTOOL_DISABLE",
    )
    assert (by_name["auto_learn"]["enabled"], by_name["auto_learn"]["why"]) == (
        False,
        "config: disable",
    )
    assert (by_name["read_cacher"]["enabled"], by_name["read_cacher"]["why"]) == (
        False,
        "config: read_cacher.enabled",
    )
    if "crawl4ai_promo" in by_name:  # off by default, switched on here
        assert by_name["crawl4ai_promo"]["enabled"] is True
    assert by_name["velocity_tracker"]["enabled"] is True
    assert by_name["state_updater"]["events"] == ["PostToolUse", "PostToolUseFailure"]


def test_hooks_with_a_broken_config_warns_and_uses_defaults(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.json").write_text("{oops")
    result = run_cli("hooks", "--json")
    assert result.returncode == 0
    assert b"warning" in result.stderr and b"using defaults" in result.stderr
    assert json.loads(result.stdout)


def test_state_reset_waits_for_a_running_hook_then_gives_up(two_sessions: Any, home: Path) -> None:
    from posttool.lib.store import FileLock

    path = home / "sessions" / "sess-older.json"
    lock = FileLock(str(path) + ".lock")
    lock.acquire(1.0)
    try:
        result = run_cli("state", "reset", "sess-older")
    finally:
        lock.release()
    assert result.returncode == 1 and b"in use by a running hook" in result.stderr
    assert path.exists()


def test_state_reset_without_a_session_refuses(two_sessions: Any, home: Path) -> None:
    """The newest session is probably the live one: reset never picks one by itself."""
    result = run_cli("state", "reset")
    usage_error(result)
    assert b"SESSION" in result.stderr
    assert len(list((home / "sessions").glob("*.json"))) == 2
