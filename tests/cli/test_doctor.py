"""`posttool doctor` against a temporary HOME (user settings), cwd (project settings) and home."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from posttool.cli import settings as claude_settings
from posttool.cli.doctor_command import check_answers, valid_answer, with_home
from tests.cli.claude_fake import NEW, OLD, put_claude_on_path
from tests.conftest import run_cli

SHIM = '#!/usr/bin/env bash\nexec "$HOME/.pyenv/libexec/pyenv" exec python "$@"\n'


@pytest.fixture(autouse=True)
def new_claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Claude Code that understands PostToolUseFailure, unless a test says otherwise."""
    put_claude_on_path(tmp_path / "claude-bin", monkeypatch, NEW)


def user_settings() -> Path:
    return Path(os.environ["HOME"]) / ".claude" / "settings.json"


def checks(result: Any) -> dict[str, dict[str, str]]:
    report = json.loads(result.stdout)
    return {check["check"]: check for check in report["checks"]}


def wire(command: str) -> None:
    entry = {"matcher": "*", "hooks": [{"type": "command", "command": command}]}
    user_settings().parent.mkdir(parents=True, exist_ok=True)
    user_settings().write_text(
        json.dumps({"hooks": {"PostToolUse": [entry], "PostToolUseFailure": [entry]}})
    )


def test_doctor_passes_after_install(home: Path, tmp_path: Path) -> None:
    assert run_cli("install").returncode == 0
    result = run_cli("doctor", cwd=tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, out
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == [
        "settings",
        "claude",
        "interpreter",
        "bytecode",
        "answers",
        "ruff",
        "home",
        "config",
        "hooks",
    ]
    for line in lines:  # a loaded machine may make the timing a warning, never a failure
        assert line.startswith("ok") or line.startswith("warn  answers"), out
    assert "× the bare interpreter" in out
    assert "\033[" not in out


def test_doctor_without_install_fails_with_a_fix(home: Path, tmp_path: Path) -> None:
    result = run_cli("doctor", cwd=tmp_path)
    assert result.returncode == 1
    first = result.stdout.decode().splitlines()[0]
    assert first.startswith("FAIL") and "fix: run `" in first and " install`" in first


def test_doctor_json(home: Path, tmp_path: Path) -> None:
    run_cli("install")
    result = run_cli("doctor", "--json", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert report["ok"] is True and result.returncode == 0
    assert {c["status"] for c in report["checks"] if c["check"] != "answers"} == {"ok"}


def test_doctor_refuses_a_shim(home: Path, tmp_path: Path) -> None:
    shim = tmp_path / ".pyenv" / "shims" / "python"
    shim.parent.mkdir(parents=True)
    shim.write_text(SHIM)
    shim.chmod(0o755)
    wire(f"{shim} -m posttool run --home {home}")
    result = run_cli("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 1
    found = checks(result)["interpreter"]
    assert found["status"] == "fail" and "shim" in found["detail"]
    assert "posttool install" in found["fix"]


def test_doctor_reports_a_missing_interpreter(home: Path, tmp_path: Path) -> None:
    wire(f"{tmp_path}/gone/bin/posttool run --home {home}")
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["interpreter"]
    assert found["status"] == "fail" and "does not exist" in found["detail"]


def test_doctor_reports_a_half_wired_install(home: Path, tmp_path: Path) -> None:
    run_cli("install")
    value = json.loads(user_settings().read_text())
    del value["hooks"]["PostToolUse"]
    user_settings().write_text(json.dumps(value))
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["settings"]
    assert found["status"] == "fail" and "not PostToolUse" in found["detail"]
    run_fix(found["fix"], tmp_path)
    assert len(claude_settings.find(json.loads(user_settings().read_text()))) == 2


def test_doctor_reports_invalid_settings_json(home: Path, tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.local.json").write_text("{,}")
    result = run_cli("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 1
    found = checks(result)["settings (local)"]
    assert found["status"] == "fail" and "not valid JSON" in found["detail"]


def test_doctor_reports_loose_permissions(home: Path, tmp_path: Path) -> None:
    run_cli("install")
    (home / "sessions").mkdir(parents=True, exist_ok=True)
    (home / "sessions" / "x.json").write_text("{}")
    os.chmod(home / "sessions" / "x.json", 0o644)
    result = run_cli("doctor", "--json", cwd=tmp_path)
    found = checks(result)["home"]
    assert result.returncode == 1
    assert found["status"] == "fail" and "chmod -R go-rwx" in found["fix"]


def test_doctor_reports_a_broken_config(home: Path, tmp_path: Path) -> None:
    run_cli("install")
    (home / "config.json").write_text("[1]")
    (home / "config.json").chmod(0o600)
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["config"]
    assert found["status"] == "fail"


def test_a_command_that_breaks_the_contract_fails(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "posttool"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nprint('hello')\n")
    script.chmod(0o755)
    found = check_answers([str(script), "run", "--home", str(tmp_path / "h")])
    assert found.status == "fail" and "not one JSON object" in found.detail


@pytest.mark.parametrize(
    ("stdout", "problem"),
    [
        (b"{}\n", None),
        (b'{"hookSpecificOutput":{"hookEventName":"PostToolUse","additionalContext":"x"}}', None),
        (b'{"hookSpecificOutput":{"hookEventName":"PostToolUseFailure"}}', "does not name"),
        (b"[]", "not an object"),
        (b"", "not one JSON object"),
    ],
)
def test_valid_answer(stdout: bytes, problem: str | None) -> None:
    found = valid_answer(stdout, "PostToolUse")
    assert (found is None) if problem is None else (problem in (found or ""))


def test_with_home_replaces_or_adds_the_home() -> None:
    assert with_home(["p", "run", "--home", "/a"], "/t") == ["p", "run", "--home", "/t"]
    assert with_home(["p", "run", "--home=/a"], "/t") == ["p", "run", "--home", "/t"]
    assert with_home(["p", "run"], "/t") == ["p", "run", "--home", "/t"]


# --- Claude Code versions: every fix doctor gives must leave a working setup ------------------


def fix_command(fix: str) -> list[str]:
    """The first backticked command of a fix."""
    return shlex.split(fix.split("`")[1])


def run_fix(fix: str, cwd: Path) -> None:
    done = subprocess.run(fix_command(fix), cwd=cwd, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()


def test_failure_event_on_an_old_claude_fails_and_the_fix_repairs_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli("install")  # 2.0.59: both entries
    put_claude_on_path(tmp_path / "old-bin", monkeypatch, OLD)
    result = run_cli("doctor", "--json", cwd=tmp_path)
    assert result.returncode == 1
    found = [c for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert len(found) == 1 and found[0]["check"] == "claude"
    assert "rejects this file" in found[0]["detail"]
    command = fix_command(found[0]["fix"])
    assert os.path.isabs(command[0]) and "install" in command
    run_fix(found[0]["fix"], tmp_path)
    assert "PostToolUseFailure" not in json.loads(user_settings().read_text())["hooks"]
    again = checks(run_cli("doctor", "--json", cwd=tmp_path))
    assert again["claude"]["status"] == "ok" and again["settings"]["status"] == "ok"


def test_missing_failure_event_on_a_new_claude_warns_and_the_fix_adds_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "none-bin", monkeypatch, None)
    run_cli("install")  # version unknown: PostToolUse only
    put_claude_on_path(tmp_path / "new-bin", monkeypatch, NEW)
    result = run_cli("doctor", "--json", cwd=tmp_path)
    claude = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "claude"]
    assert [c["status"] for c in claude] == ["ok", "warn"]
    run_fix(claude[1]["fix"], tmp_path)
    value = json.loads(user_settings().read_text())
    assert [event for event, _ in claude_settings.find(value)] == list(claude_settings.EVENTS)


def test_a_stated_version_is_carried_into_the_fix(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "none-bin", monkeypatch, None)
    run_cli("install")
    result = run_cli("doctor", "--json", "--claude-version", "2.0.61", cwd=tmp_path)
    claude = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "claude"]
    assert claude[1]["status"] == "warn" and "--claude-version 2.0.61" in claude[1]["fix"]
    run_fix(claude[1]["fix"], tmp_path)  # without the flag, install could not add the entry
    assert len(claude_settings.find(json.loads(user_settings().read_text()))) == 2


def test_an_unknown_version_asks_for_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "none-bin", monkeypatch, None)
    run_cli("install")
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["claude"]
    assert found["status"] == "warn" and "--claude-version" in found["fix"]


def test_the_users_own_failure_hooks_on_an_old_claude_are_theirs_to_remove(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "old-bin", monkeypatch, OLD)
    run_cli("install")
    value = json.loads(user_settings().read_text())
    mine = {"matcher": "*", "hooks": [{"type": "command", "command": "notify"}]}
    value["hooks"]["PostToolUseFailure"] = [mine]
    user_settings().write_text(json.dumps(value))
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["claude"]
    assert found["status"] == "fail" and "by hand" in found["fix"]


def test_an_old_console_script_command_is_flagged(home: Path, tmp_path: Path) -> None:
    script = os.path.join(os.path.dirname(sys.executable), "posttool")
    if not os.path.exists(script):
        pytest.skip("no console script in this environment")
    wire(f"{script} run --home {home}")
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["command"]
    assert found["status"] == "warn" and "launcher" in found["detail"]
    assert " install" in found["fix"]


def test_a_missing_launcher_fails_with_a_fix(home: Path, tmp_path: Path) -> None:
    run_cli("install")
    for launcher in (home / "launch").iterdir():
        launcher.unlink()
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["interpreter"]
    assert found["status"] == "fail" and "missing" in found["detail"]
    run_fix(found["fix"], tmp_path)
    assert list((home / "launch").iterdir())
