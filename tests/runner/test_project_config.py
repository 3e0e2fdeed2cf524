"""`.claude/posttool.json` over the user's config; its code runs only once trusted."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from posttool.lib.paths import find_project_config
from tests.conftest import Session, run_cli, write_config


def project_file(project: Path, values: dict[str, object]) -> Path:
    path = project / ".claude" / "posttool.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(values))
    return path


def marker_command(project: Path, marker: Path) -> dict[str, object]:
    script = project / "hook.sh"
    script.write_text(f'#!/bin/sh\ncat >/dev/null\ntouch "{marker}"\necho "project hook ran"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"name": "proj_hook", "matcher": "Write", "run": ["./hook.sh"], "timeout_s": 2}


def test_found_from_cwd_up_to_the_git_root(project: Path, tmp_path: Path) -> None:
    path = project_file(project, {})
    deep = project / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_project_config(str(deep)) == str(path)
    assert find_project_config(str(project)) == str(path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert find_project_config(str(outside)) is None
    (project / "sub" / ".git").mkdir(parents=True)  # a nested repository stops the search
    assert find_project_config(str(project / "sub")) is None


def test_untrusted_project_runs_no_command(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    plugin = tmp_path / "p.py"
    plugin.write_text(f"open({str(marker)!r} + '.plugin', 'w')\n")
    path = project_file(
        project, {"commands": [marker_command(project, marker)], "plugins": [str(plugin)]}
    )
    answer = session.send("01")
    session.send("01")
    assert "project hook ran" not in answer
    assert not marker.exists() and not Path(f"{marker}.plugin").exists()
    assert "[state_mutation_guard]" in answer  # everything else still runs
    log = (home / "posttool.log").read_text()
    assert log.count("is not trusted") == 1
    assert f"posttool trust {path}" in log


def test_trusted_project_runs_until_the_file_changes(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    path = project_file(project, {"commands": [marker_command(project, marker)]})
    done = run_cli("trust", cwd=project)
    assert done.returncode == 0, done.stderr
    assert str(path) in done.stdout.decode()
    said = session.send("01")
    assert "[proj_hook] project hook ran" in said, (home / "posttool.log").read_text()
    listing = run_cli("trust", "--list").stdout.decode()
    assert f"{path}  (trusted)" in listing
    marker.unlink()
    cmd = marker_command(project, marker)
    path.write_text(json.dumps({"commands": [cmd], "output": {"max_chars": 3000}}))
    assert "project hook ran" not in session.send("01")
    assert not marker.exists()
    assert "changed since" in run_cli("trust", "--list").stdout.decode()
    assert run_cli("trust", str(path)).returncode == 0
    assert "project hook ran" in session.send("01")
    assert run_cli("trust", "--revoke", str(path)).returncode == 0
    assert "project hook ran" not in session.send("01")


def test_project_settings_apply_untrusted_but_not_cmd_keys(
    session: Session, home: Path, project: Path
) -> None:
    write_config(home, {"disable": ["read_cacher"]})
    project_file(
        project,
        {"disable": ["state_mutation_guard"], "quality_scanner": {"ruff_cmd": "/bin/evil"}},
    )
    from posttool.runner.projectconfig import with_project_layer
    from posttool.runner.run import read_config

    config = with_project_layer(
        read_config(str(home), None), str(project / ".claude" / "posttool.json"), str(home)
    )
    assert {"read_cacher", "state_mutation_guard"} <= config.disabled
    assert "quality_scanner.ruff_cmd" not in config.values
    assert "[state_mutation_guard]" not in session.send("01")


def test_trust_cli_errors_are_one_line(tmp_path: Path) -> None:
    done = run_cli("trust", cwd=tmp_path)
    assert done.returncode != 0
    assert len(done.stderr.decode().strip().splitlines()) == 1
    missing = run_cli("trust", "--revoke", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "not trusted" in missing.stderr.decode()


def test_doctor_and_hooks_report_user_hooks(home: Path, project: Path, tmp_path: Path) -> None:
    (tmp_path / "guard.py").write_text(
        "from posttool.api import hook, Message\n"
        "@hook('state_mutation_guard', matcher='Write', priority=90)\n"
        "def mine(event, state):\n"
        "    return None\n"
    )
    write_config(home, {"plugins": [str(tmp_path / "guard.py"), str(tmp_path / "gone.py")]})
    path = project_file(project, {"commands": [marker_command(project, tmp_path / "m")]})
    hooks = json.loads(run_cli("hooks", "--json", cwd=project).stdout)
    row = next(r for r in hooks if r["name"] == "state_mutation_guard")
    assert row["family"] == "plugin" and row["replaces"] == "built-in quality hook"
    done = run_cli("doctor", "--json", "--claude-version", "2.0.59", cwd=project)
    checks = json.loads(done.stdout)
    text = json.dumps(checks)
    assert "gone.py" in text, [c for c in checks["checks"] if c["check"] == "hooks"]
    assert f"posttool trust {path}" in text
