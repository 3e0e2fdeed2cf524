"""`posttool config check`, `posttool hooks --config`, doctor's config check, and `run` logging
config problems once per version of the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from posttool.cli.doctor_environment import check_config
from posttool.lib.config import DECLARED, DECLARED_BY
from posttool.runner.registry import load_registry
from tests.conftest import Session, run_cli, write_config
from tests.runner.test_imports import modules_for

TYPOS = {
    "quality_scanner": {"timeout": 5},
    "velocity_traker.enabled": False,
    "disable": ["read_cacher", "read_cachr"],
    "output.max_chars": "big",
    "large_file_helper.min_total_lines": 300,
}


def check(home: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run_cli("config", "check", "--home", str(home), *extra, env=env)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_config_check_names_each_problem_with_a_did_you_mean(home: Path) -> None:
    write_config(home, TYPOS)
    code, out, err = check(home)
    assert code == 1 and err == ""
    assert "4 problems" in out
    assert "quality_scanner.timeout is not a setting" in out
    assert "did you mean 'quality_scanner.timeout_s'?" in out
    assert "there is no hook 'velocity_traker'" in out
    assert "did you mean 'velocity_tracker.enabled'?" in out
    assert "disable names 'read_cachr'" in out and "did you mean 'read_cacher'?" in out
    assert "output.max_chars is a string ('big'); it takes an integer" in out
    assert "min_total_lines" not in out


def test_config_check_json(home: Path) -> None:
    write_config(home, TYPOS)
    code, out, _ = check(home, "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    by_key = {(p["kind"], p["key"]): p["suggestion"] for p in report["problems"]}
    assert by_key == {
        ("unknown key", "quality_scanner.timeout"): "quality_scanner.timeout_s",
        ("unknown hook", "velocity_traker.enabled"): "velocity_tracker.enabled",
        ("unknown hook", "disable"): "read_cacher",
        ("wrong type", "output.max_chars"): None,
    }


def test_a_clean_config_and_no_config_pass(home: Path) -> None:
    code, out, _ = check(home)
    assert code == 0 and "defaults apply" in out
    write_config(home, {"output": {"max_chars": 3000}, "read_cacher.enabled": False})
    code, out, _ = check(home)
    assert code == 0 and out.startswith("config ok")
    write_config(home, {"quality_scanner": {}, "plugins": [], "commands": [], "disable": []})
    assert check(home)[0] == 0


def test_an_unknown_name_in_posttool_disable_is_reported(home: Path) -> None:
    code, out, _ = check(home, env={"POSTTOOL_DISABLE": "velocity_tracker,velocty_tracker"})
    assert code == 1
    assert "POSTTOOL_DISABLE names 'velocty_tracker'" in out
    assert "did you mean 'velocity_tracker'?" in out


def test_a_config_that_is_not_json_is_one_line_on_stderr(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text('{"output": ')
    code, out, err = check(home)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "not valid JSON" in err


def test_hooks_config_lists_every_key_with_default_current_and_source(home: Path) -> None:
    write_config(home, {**TYPOS, "large_file_helper": {"min_total_lines": 300}})
    done = run_cli("hooks", "--config", "--json", "--home", str(home))
    assert done.returncode == 0
    rows = {row["key"]: row for row in json.loads(done.stdout)}
    builtin_owners = {"shared", "confidence", *(record.name for record in load_registry().hooks)}
    assert set(rows) == {key for key in DECLARED if DECLARED_BY[key] in builtin_owners}
    changed = rows["large_file_helper.min_total_lines"]
    assert (changed["default"], changed["current"], changed["source"]) == (500, 300, "config.json")
    assert changed["declared_by"] == "large_file_helper"
    wrong = rows["output.max_chars"]
    assert wrong["current"] == DECLARED["output.max_chars"] and "wrong type" in wrong["source"]
    assert rows["read_cacher.enabled"]["current"] is False
    assert rows["read_cacher.enabled"]["source"] == "config.json: disable"
    assert rows["common.max_scan_chars"]["source"] == "default"
    text = run_cli("hooks", "--config", "--home", str(home)).stdout.decode()
    assert "[large_file_helper]" in text
    line = next(x for x in text.splitlines() if "large_file_helper.min_total_lines" in x)
    assert line.split()[1:] == ["300", "(config.json;", "default", "500)"]


def test_doctor_fails_its_config_check_on_a_problem(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    assert check_config(str(home)).status == "ok"
    write_config(home, {"quality_scanner.timeout": 5})
    result = check_config(str(home))
    assert result.status == "fail"
    assert "did you mean 'quality_scanner.timeout_s'?" in result.detail
    assert "posttool config check" in result.fix


def log_lines(home: Path) -> list[str]:
    path = home / "posttool.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if " config: " in line]


def test_run_logs_the_problems_once_per_version_and_keeps_the_rest(session: Session) -> None:
    write_config(session.home, TYPOS)
    session.send("02")
    first = log_lines(session.home)
    assert len(first) == 4
    assert any("quality_scanner.timeout is not a setting" in line for line in first)
    assert not any("did you mean" in line for line in first)  # no difflib on `run`
    session.send("02")
    assert log_lines(session.home) == first
    assert session.doc()["counters"]["calls"] == 2
    assert "read_cacher" not in session.doc()["hook_health"]  # `disable` still applies
    config = session.home / "config.json"
    config.write_text(json.dumps({**TYPOS, "output.max_chars": 2500}))
    os.utime(config, ns=(1, 1))  # a new version even within the mtime's resolution
    session.send("02")
    assert len(log_lines(session.home)) == 4 + 3


def test_a_clean_config_logs_nothing(session: Session) -> None:
    write_config(session.home, {"output.max_chars": 2500})
    session.send("02")
    session.send("05")
    assert log_lines(session.home) == []


def test_run_with_a_bad_config_does_not_import_difflib(session: Session, tmp_path: Path) -> None:
    write_config(session.home, TYPOS)
    modules = modules_for(session.event("02"), session.home, tmp_path)
    assert "posttool.lib.config_check" in modules  # it did validate this version
    assert "difflib" not in modules
