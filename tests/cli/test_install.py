"""`posttool install` / `uninstall`: real subprocesses against a temporary HOME (user scope) and a
temporary working folder (project and local scopes)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from posttool.cli import settings as claude_settings
from posttool.cli.launcher import home_of, launcher_of
from tests.cli.claude_fake import NEW, put_claude_on_path
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
CLAUDE_STYLE = {  # as Claude Code writes it: JSON.stringify(value, null, 2)
    "model": "opus",
    "env": {"FOO": "bar"},
    "permissions": {"allow": ["Bash(ls:*)"], "deny": []},
    "hooks": {
        "PostToolUse": [
            {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier -w"}]},
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done", "timeout": 5}]}],
    },
    "statusLine": {"type": "command", "command": "echo ☃"},
}


@pytest.fixture(autouse=True)
def new_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Claude Code that understands PostToolUseFailure, unless a test says otherwise."""
    put_claude_on_path(tmp_path / "claude-bin", monkeypatch, NEW)


def user_settings() -> Path:
    return Path(os.environ["HOME"]) / ".claude" / "settings.json"


def write_json(path: Path, value: Any, indent: int | str = 2) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=indent, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def posttool_entries(value: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return claude_settings.find(value)


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


# --- the round trip the issue asks for --------------------------------------------------------


@pytest.mark.parametrize("scope", ["user", "project", "local"])
def test_install_install_uninstall_restores_the_same_json(
    scope: str, home: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = {
        "user": user_settings(),
        "project": work / ".claude" / "settings.json",
        "local": work / ".claude" / "settings.local.json",
    }[scope]
    original = write_json(path, CLAUDE_STYLE)

    first = ok(run_cli("install", "--scope", scope, cwd=work))
    assert str(path) in first
    installed = json.loads(path.read_text())
    second = ok(run_cli("install", "--scope", scope, cwd=work))
    assert "nothing to do" in second
    assert json.loads(path.read_text()) == installed
    ok(run_cli("uninstall", "--scope", scope, cwd=work))

    assert json.loads(path.read_text()) == CLAUDE_STYLE
    assert path.read_text() == original  # Claude Code's own formatting survives byte for byte


def test_install_adds_both_events_with_the_running_interpreter_and_the_home(home: Path) -> None:
    ok(run_cli("install"))
    value = json.loads(user_settings().read_text())
    entries = posttool_entries(value)
    assert [event for event, _ in entries] == ["PostToolUse", "PostToolUseFailure"]
    for event in claude_settings.EVENTS:
        assert value["hooks"][event][-1]["matcher"] == "*"
    command = entries[0][1]["command"]
    words = shlex.split(command)
    assert words[:3] == [sys.executable, "-I", "-S"]
    assert Path(words[3]).parent == home / "launch" and words[4] == "run"
    assert "shims" not in Path(words[0]).parts
    assert home_of(words) == str(home)
    assert entries[0][1]["timeout"] == claude_settings.TIMEOUT_S


def test_install_keeps_every_other_key_and_hook(home: Path) -> None:
    write_json(user_settings(), CLAUDE_STYLE)
    ok(run_cli("install"))
    value = json.loads(user_settings().read_text())
    for key in ("model", "env", "permissions", "statusLine"):
        assert value[key] == CLAUDE_STYLE[key]
    assert value["hooks"]["Stop"] == CLAUDE_STYLE["hooks"]["Stop"]
    assert value["hooks"]["PostToolUse"][0] == CLAUDE_STYLE["hooks"]["PostToolUse"][0]


def test_install_into_a_missing_file_then_uninstall_leaves_no_file(
    home: Path, tmp_path: Path
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    ok(run_cli("install", "--scope", "project", cwd=work))
    path = work / ".claude" / "settings.json"
    assert path.exists()
    out = ok(run_cli("uninstall", "--scope", "project", cwd=work))
    assert not path.exists()
    assert "removed" in out


def test_a_second_install_writes_nothing(home: Path) -> None:
    write_json(user_settings(), CLAUDE_STYLE)
    ok(run_cli("install"))
    before = user_settings().stat().st_mtime_ns
    backups = sorted((home / "backups").iterdir())
    ok(run_cli("install"))
    assert user_settings().stat().st_mtime_ns == before
    assert sorted((home / "backups").iterdir()) == backups


def test_backup_holds_the_previous_bytes(home: Path) -> None:
    original = write_json(user_settings(), CLAUDE_STYLE, indent=4)
    out = ok(run_cli("install"))
    backup = Path(next(line for line in out.splitlines() if line.startswith("backup: "))[8:])
    assert backup.read_text() == original
    assert backup.parent == home / "backups"
    assert oct(backup.stat().st_mode & 0o777) == "0o600"


def test_indentation_of_the_file_is_kept(home: Path) -> None:
    write_json(user_settings(), {"model": "x"}, indent=4)
    ok(run_cli("install"))
    assert user_settings().read_text().splitlines()[1].startswith('    "model"')


def test_dry_run_prints_a_diff_and_writes_nothing(home: Path) -> None:
    original = write_json(user_settings(), CLAUDE_STYLE)
    out = ok(run_cli("install", "--dry-run"))
    assert f"--- {user_settings()}" in out
    assert any(line.startswith("+") and " run --home " in line for line in out.splitlines())
    assert "\033[" not in out  # not a terminal: plain text
    assert user_settings().read_text() == original
    assert not (home / "backups").exists()


def test_uninstall_dry_run_shows_the_removal(home: Path) -> None:
    write_json(user_settings(), CLAUDE_STYLE)
    ok(run_cli("install"))
    installed = user_settings().read_text()
    out = ok(run_cli("uninstall", "--dry-run"))
    assert any(line.startswith("-") and " run --home " in line for line in out.splitlines())
    assert user_settings().read_text() == installed


@pytest.mark.parametrize("text", ['{"model": "opus",}', "{", "not json", '{"a": 1} x'])
def test_invalid_json_is_refused_and_left_alone(text: str, home: Path) -> None:
    user_settings().parent.mkdir(parents=True)
    user_settings().write_text(text)
    for command in ("install", "uninstall"):
        result = run_cli(command)
        assert result.returncode == 1
        err = result.stderr.decode()
        assert err.count("\n") == 1 and err.startswith("posttool: error: ")
        assert "not valid JSON" in err
        assert "Traceback" not in err
        assert user_settings().read_text() == text


@pytest.mark.parametrize("value", [[], {"hooks": []}, {"hooks": {"PostToolUse": {}}}])
def test_settings_of_an_unexpected_shape_are_refused(value: Any, home: Path) -> None:
    original = write_json(user_settings(), value)
    result = run_cli("install")
    assert result.returncode == 1
    assert result.stderr.decode().count("\n") == 1
    assert user_settings().read_text() == original


def test_a_symlinked_settings_file_stays_a_symlink(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "claude-settings.json"
    write_json(real, {"model": "x"})
    user_settings().parent.mkdir(parents=True)
    user_settings().symlink_to(real)
    ok(run_cli("install"))
    assert user_settings().is_symlink()
    assert posttool_entries(json.loads(real.read_text()))


def test_claude_config_dir_moves_the_user_settings(home: Path, tmp_path: Path) -> None:
    config_dir = tmp_path / "claude-config"
    ok(run_cli("install", env={"CLAUDE_CONFIG_DIR": str(config_dir)}))
    assert posttool_entries(json.loads((config_dir / "settings.json").read_text()))
    assert not user_settings().exists()


def test_an_old_posttool_entry_is_updated_in_place_and_duplicates_dropped(home: Path) -> None:
    old = "/old/venv/bin/posttool run --home /old/home"
    write_json(
        user_settings(),
        {
            "hooks": {
                "PostToolUse": [
                    {
                        "matcher": "Edit|Write",
                        "hooks": [
                            {"type": "command", "command": "prettier -w"},
                            {"type": "command", "command": old, "timeout": 30},
                        ],
                    },
                    {"matcher": "*", "hooks": [{"type": "command", "command": old}]},
                ],
            }
        },
    )
    ok(run_cli("install"))
    value = json.loads(user_settings().read_text())
    groups = value["hooks"]["PostToolUse"]
    assert len(groups) == 1  # the group left empty by the duplicate is gone
    assert groups[0]["hooks"][0] == {"type": "command", "command": "prettier -w"}
    updated = groups[0]["hooks"][1]
    assert updated["timeout"] == 30 and str(home) in updated["command"]
    assert len(posttool_entries(value)) == 2


def test_uninstall_removes_only_posttool(home: Path) -> None:
    write_json(
        user_settings(),
        {
            "hooks": {
                "PostToolUse": [
                    {
                        "matcher": "*",
                        "hooks": [
                            {
                                "type": "command",
                                "command": "/v/bin/python -m posttool run --home /h",
                            },
                            {"type": "command", "command": "my-posttool-wrapper run"},
                            {"type": "command", "command": "echo posttool run"},
                        ],
                    }
                ]
            }
        },
    )
    ok(run_cli("uninstall"))
    value = json.loads(user_settings().read_text())
    commands = [h["command"] for h in value["hooks"]["PostToolUse"][0]["hooks"]]
    assert commands == ["my-posttool-wrapper run", "echo posttool run"]


def test_uninstall_when_not_installed_changes_nothing(home: Path) -> None:
    original = write_json(user_settings(), CLAUDE_STYLE)
    out = ok(run_cli("uninstall"))
    assert "not installed" in out
    assert user_settings().read_text() == original


def test_install_notes_another_scope_already_running_posttool(home: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    ok(run_cli("install", cwd=work))
    out = ok(run_cli("install", "--scope", "local", cwd=work))
    assert f"also installed in {user_settings()}" in out


# --- the pure edit -------------------------------------------------------------------------


def test_uninstall_keeps_containers_that_were_already_empty() -> None:
    value = {"hooks": {"PostToolUse": [{"matcher": "x", "hooks": []}], "Stop": []}}
    done = claude_settings.uninstall(claude_settings.install(value, "/v/bin/posttool run"))
    assert done == value


def test_install_is_a_fixed_point() -> None:
    once = claude_settings.install(CLAUDE_STYLE, "/v/bin/posttool run --home /h")
    assert claude_settings.install(once, "/v/bin/posttool run --home /h") == once
    assert claude_settings.uninstall(once) == CLAUDE_STYLE


# --- settings.example.json -----------------------------------------------------------------


def test_settings_example_matches_what_install_writes(home: Path) -> None:
    example = json.loads((ROOT / "settings.example.json").read_text())
    ok(run_cli("install"))
    written = json.loads(user_settings().read_text())
    example_command = example["hooks"]["PostToolUse"][0]["hooks"][0]["command"]
    for event in claude_settings.EVENTS:
        for group in written["hooks"][event]:
            for entry in group["hooks"]:
                entry["command"] = example_command
    assert written == example
    words = shlex.split(example_command)
    assert launcher_of(words) == words[:1] and os.path.isabs(words[0])
    assert home_of(words) and os.path.isabs(home_of(words))


def test_settings_example_is_formatted_as_install_formats_it() -> None:
    text = (ROOT / "settings.example.json").read_text()
    assert claude_settings.render(json.loads(text), None) == text


def test_project_scope_run_from_the_home_folder_is_the_user_file(home: Path) -> None:
    out = ok(run_cli("install", "--scope", "project", cwd=os.environ["HOME"]))
    assert str(user_settings()) in out
    assert "also installed" not in out


# --- Claude Code versions ----------------------------------------------------------------------


def events_written() -> list[str]:
    return [event for event, _ in posttool_entries(json.loads(user_settings().read_text()))]


@pytest.mark.parametrize(
    ("version", "events", "said"),
    [
        ("2.0.59", ["PostToolUse", "PostToolUseFailure"], "understands it"),
        ("2.1.3", ["PostToolUse", "PostToolUseFailure"], "understands it"),
        ("2.0.55", ["PostToolUse"], "rejects a settings file"),
        ("1.0.128", ["PostToolUse"], "rejects a settings file"),
        ("2.0.57", ["PostToolUse"], "not known"),
    ],
)
def test_the_failure_event_is_written_only_where_it_is_understood(
    version: str, events: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "other-bin", monkeypatch, version)
    out = ok(run_cli("install"))
    assert events_written() == events
    assert f"Claude Code {version}" in out and said in out


def test_without_claude_only_the_safe_entry_is_written_and_the_flag_is_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "empty-bin", monkeypatch, None)
    out = ok(run_cli("install"))
    assert events_written() == ["PostToolUse"]
    assert "version unknown" in out and "--claude-version" in out


def test_a_dry_run_says_what_it_would_leave_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "empty-bin", monkeypatch, None)
    out = ok(run_cli("install", "--dry-run"))
    assert "version unknown" in out and "--claude-version" in out
    assert "PostToolUseFailure" not in "".join(
        line for line in out.splitlines() if line.startswith("+")
    )
    assert not user_settings().exists()


def test_a_stated_version_wins_over_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_claude_on_path(tmp_path / "empty-bin", monkeypatch, None)
    out = ok(run_cli("install", "--claude-version", "2.0.60"))
    assert events_written() == ["PostToolUse", "PostToolUseFailure"]
    assert "from --claude-version" in out


def test_a_claude_that_prints_no_version_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "odd-bin", monkeypatch, None, printed="command not found")
    out = ok(run_cli("install"))
    assert events_written() == ["PostToolUse"]
    assert "version unknown" in out


@pytest.mark.parametrize("value", ["latest", "2", "2.0.x", ""])
def test_a_bad_claude_version_is_one_line_and_exit_2(value: str, home: Path) -> None:
    result = run_cli("install", "--claude-version", value)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1
    assert not user_settings().exists()


def test_installing_for_an_old_claude_takes_posttools_failure_entry_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(run_cli("install"))  # 2.0.59: both entries
    put_claude_on_path(tmp_path / "old-bin", monkeypatch, "2.0.55")
    out = ok(run_cli("install"))
    value = json.loads(user_settings().read_text())
    assert "PostToolUseFailure" not in value["hooks"]
    assert events_written() == ["PostToolUse"]
    assert "warning" not in out


def test_an_old_claude_is_warned_about_the_users_own_failure_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "notify failed"}]}
    write_json(user_settings(), {"hooks": {"PostToolUseFailure": [mine]}})
    put_claude_on_path(tmp_path / "old-bin", monkeypatch, "2.0.50")
    out = ok(run_cli("install"))
    value = json.loads(user_settings().read_text())
    assert value["hooks"]["PostToolUseFailure"] == [mine]  # the user's, never touched
    assert "warning: this file still names PostToolUseFailure (1 hook(s) of your own)" in out


# --- the file as the user wrote it --------------------------------------------------------------


@pytest.mark.parametrize("text", ["{}\n", '{"hooks": {}}\n', '{\n    "hooks": {}\n}\n', ""])
def test_a_file_that_existed_survives_install_and_uninstall(text: str, home: Path) -> None:
    user_settings().parent.mkdir(parents=True)
    user_settings().write_text(text)
    ok(run_cli("install"))
    ok(run_cli("uninstall"))
    assert user_settings().exists()
    if text.strip():
        assert user_settings().read_text() == text


@pytest.mark.parametrize("command", ["install", "uninstall", "uninstall --restore"])
def test_a_read_only_settings_file_is_refused(command: str, home: Path) -> None:
    write_json(user_settings(), CLAUDE_STYLE)
    if command != "install":
        ok(run_cli("install"))
    original = user_settings().read_text()
    user_settings().chmod(0o444)
    result = run_cli(*command.split())
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "read-only" in err
    assert user_settings().read_text() == original
    assert oct(user_settings().stat().st_mode & 0o777) == "0o444"


def test_restore_puts_back_the_newest_backup(home: Path) -> None:
    original = write_json(user_settings(), CLAUDE_STYLE, indent=4)
    ok(run_cli("install"))
    out = ok(run_cli("uninstall", "--restore"))
    assert "restored" in out
    assert user_settings().read_text() == original
    assert "nothing to do" in ok(run_cli("uninstall", "--restore"))


def test_restore_without_a_backup_says_so(home: Path) -> None:
    write_json(user_settings(), CLAUDE_STYLE)
    result = run_cli("uninstall", "--restore")
    assert result.returncode == 1 and "no backup of" in result.stderr.decode()


def test_key_order_is_kept(home: Path) -> None:
    value = {"zeta": 1, "hooks": {"Stop": []}, "alpha": {"b": 1, "a": 2}}
    write_json(user_settings(), value)
    ok(run_cli("install"))
    written = json.loads(user_settings().read_text())
    assert list(written) == ["zeta", "hooks", "alpha"]
    assert next(iter(written["hooks"])) == "Stop" and list(written["alpha"]) == ["b", "a"]


# --- the command it writes ------------------------------------------------------------------


def test_the_written_command_answers_a_read(home: Path, session: Any) -> None:
    ok(run_cli("install"))
    command = posttool_entries(json.loads(user_settings().read_text()))[0][1]["command"]
    import subprocess

    done = subprocess.run(
        shlex.split(command),
        input=json.dumps(session.event("02")).encode(),
        capture_output=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/nonexistent"},
        check=False,
    )
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(done.stdout) is not None


def test_a_launcher_whose_posttool_is_gone_still_answers(home: Path, tmp_path: Path) -> None:
    from posttool.cli.launch_file import launcher_text

    home.mkdir()
    launcher = tmp_path / "posttool-x.py"
    launcher.write_text(launcher_text(sys.executable, [str(tmp_path / "nothing")], str(home)))
    import subprocess

    done = subprocess.run(
        [sys.executable, "-I", "-S", str(launcher), "run"], input=b"{}", capture_output=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"{}\n", b"")
    assert "cannot import posttool" in (home / "posttool.log").read_text()
