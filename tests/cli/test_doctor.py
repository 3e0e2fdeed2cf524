"""`posttool doctor` against a temporary HOME (user settings), cwd (project settings) and home."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from posttool.cli import doctor
from tests.conftest import run_cli

SHIM = '#!/usr/bin/env bash\nexec "$HOME/.pyenv/libexec/pyenv" exec python "$@"\n'


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
        "interpreter",
        "answers",
        "ruff",
        "home",
        "config",
    ]
    for line in lines:  # a loaded machine may make the timing a warning, never a failure
        assert line.startswith("ok") or line.startswith("warn  answers"), out
    assert "× the bare interpreter" in out
    assert "\033[" not in out


def test_doctor_without_install_fails_with_a_fix(home: Path, tmp_path: Path) -> None:
    result = run_cli("doctor", cwd=tmp_path)
    assert result.returncode == 1
    first = result.stdout.decode().splitlines()[0]
    assert first.startswith("FAIL") and "fix: run `posttool install`" in first


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
    del value["hooks"]["PostToolUseFailure"]
    user_settings().write_text(json.dumps(value))
    found = checks(run_cli("doctor", "--json", cwd=tmp_path))["settings"]
    assert found["status"] == "fail" and "PostToolUseFailure" in found["detail"]


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
    found = doctor.check_answers([str(script), "run", "--home", str(tmp_path / "h")])
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
    found = doctor.valid_answer(stdout, "PostToolUse")
    assert (found is None) if problem is None else (problem in (found or ""))


def test_with_home_replaces_or_adds_the_home() -> None:
    assert doctor.with_home(["p", "run", "--home", "/a"], "/t") == ["p", "run", "--home", "/t"]
    assert doctor.with_home(["p", "run", "--home=/a"], "/t") == ["p", "run", "--home", "/t"]
    assert doctor.with_home(["p", "run"], "/t") == ["p", "run", "--home", "/t"]
