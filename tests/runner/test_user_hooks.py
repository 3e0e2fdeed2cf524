"""User hooks go through the same registry, dispatch, isolation and merge as the built-ins:
Python plug-ins from config, command hooks (real scripts, real timeouts), project files."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from posttool.runner.plugins import with_user_hooks
from posttool.runner.registry import load_registry
from posttool.runner.run import read_config
from tests.conftest import Session, write_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODO_CONTENT = "import os\n\ndef add(a, b=[]):\n    b.append(a)\n    return b\n# TODO: tests\n"


def write_todo(session: Session) -> str:
    content = {"content": TODO_CONTENT}
    return session.send("01", tool_input=content, tool_response=content)


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def command(name: str, run: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "matcher": "Edit|Write",
        "events": ["PostToolUse"],
        "priority": 80,
        "run": run,
        "timeout_s": 2,
        **extra,
    }


def health(session: Session, name: str) -> dict[str, Any]:
    return session.doc()["hook_health"][name]


# --- plug-ins --------------------------------------------------------------------------------


def test_example_plugin_speaks_beside_the_builtins(session: Session, home: Path) -> None:
    write_config(home, {"plugins": [str(EXAMPLES / "todo_plugin.py")]})
    answer = write_todo(session)
    assert "[todo_plugin] app.py: new TODO" in answer
    assert "[state_mutation_guard]" in answer
    assert "[todo_plugin]" not in session.send("02")  # its matcher: Edit|Write only


def test_plugin_by_module_name_and_by_home_relative_file(
    session: Session, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkgs" / "my_hooks_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "hooks.py").write_text(
        "from posttool.api import hook, Message\n"
        "@hook('by_module', matcher='Read', priority=5)\n"
        "def by_module(event, state):\n"
        "    return Message('module plug-in saw ' + event.tool_name, 'warn')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    user_hooks = Path(os.environ["HOME"]) / ".config" / "posttool"
    user_hooks.mkdir(parents=True)
    shutil.copy(EXAMPLES / "todo_plugin.py", user_hooks / "todo.py")
    write_config(home, {"plugins": ["my_hooks_pkg.hooks", "~/.config/posttool/todo.py"]})
    assert "[by_module] module plug-in saw Read" in session.send("02")
    assert "[todo_plugin]" in write_todo(session)


def test_a_plugin_named_like_a_builtin_replaces_it(
    session: Session, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "guard.py").write_text(
        "from posttool.api import hook, Message\n"
        "@hook('state_mutation_guard', matcher='Write', priority=90)\n"
        "def mine(event, state):\n"
        "    return Message('my own guard')\n"
    )
    write_config(home, {"plugins": [str(tmp_path / "guard.py")]})
    answer = session.send("01")
    assert "[state_mutation_guard] my own guard" in answer
    assert "mutable default" not in answer
    registry = with_user_hooks(load_registry(), read_config(str(home), None), str(home), "/")
    assert registry.replaced == {"state_mutation_guard": "quality"}
    assert registry.by_name["state_mutation_guard"].family == "plugin"


def test_a_broken_plugin_does_not_silence_the_others(
    session: Session, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "broken.py").write_text("import no_such_module_anywhere\n")
    (tmp_path / "bad_matcher.py").write_text(
        "from posttool.api import hook\n"
        "@hook('bad', matcher='Edit(', priority=1)\n"
        "def bad(event, state):\n"
        "    return None\n"
    )
    (tmp_path / "raises.py").write_text(
        "from posttool.api import hook\n"
        "@hook('raises', matcher='Write', priority=1)\n"
        "def raises(event, state):\n"
        "    raise RuntimeError('boom')\n"
    )
    names = ["broken.py", "bad_matcher.py", "missing.py", "raises.py"]
    plugins = [str(tmp_path / name) for name in names] + [str(EXAMPLES / "todo_plugin.py")]
    write_config(home, {"plugins": plugins})
    answer = write_todo(session)
    assert "[todo_plugin]" in answer and "[state_mutation_guard]" in answer
    log = (home / "posttool.log").read_text()
    assert "no_such_module_anywhere" in log
    assert "hook bad: matcher" in log
    assert "missing.py" in log
    assert "hook raises: RuntimeError: boom" in log
    assert health(session, "raises")["errors"] == 1


# --- command hooks ---------------------------------------------------------------------------


def test_example_command_hook_gets_the_event_on_stdin(
    session: Session, home: Path, project: Path
) -> None:
    scripts = project / "scripts"
    scripts.mkdir()
    shutil.copy(EXAMPLES / "todo-check.sh", scripts / "todo-check.sh")
    write_config(home, {"commands": [command("todo_check", ["./scripts/todo-check.sh"])]})
    answer = write_todo(session)
    assert "[todo_check] A TODO was written" in answer
    assert "[state_mutation_guard]" in answer
    assert "[todo_check]" not in session.send("01")  # no TODO: the script prints nothing


def test_command_runs_in_the_project_with_expanded_arguments(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    body = f'pwd > "{out}.cwd"\ncat > "{out}"\necho "$1 $CLAUDE_PROJECT_DIR"\n'
    script(project, "probe.sh", body)
    cmd = command("probe", ["${CLAUDE_PROJECT_DIR}/probe.sh", "~/x"], matcher="Read")
    write_config(home, {"commands": [cmd]})
    answer = session.send("02")
    user_home = os.environ["HOME"]
    assert f"[probe] {user_home}/x {project}" in answer
    assert json.loads(out.read_text())["tool_name"] == "Read"
    assert Path(f"{out}.cwd").read_text().strip() == str(project)


def test_json_output_with_severity(session: Session, home: Path, project: Path) -> None:
    body = 'cat >/dev/null\necho \'{"additionalContext": "as JSON", "severity": "action"}\'\n'
    script(project, "js.sh", body)
    write_config(home, {"commands": [command("js", ["./js.sh"])]})
    assert "[js] as JSON" in session.send("01")


def test_failing_command_says_nothing_and_is_suspended_after_three(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    body = (
        f'cat >/dev/null\necho run >> "{runs}"\necho "not for the model"\necho oops >&2\nexit 3\n'
    )
    script(project, "fails.sh", body)
    write_config(home, {"commands": [command("fails", ["./fails.sh"])]})
    answers = [session.send("01") for _ in range(4)]
    assert "[state_mutation_guard]" in answers[0]
    assert not any("not for the model" in answer for answer in answers)
    record = health(session, "fails")
    assert record["errors"] == 3 and record["suspended"] is True
    assert "exited with 3: oops" in record["last_error"]
    assert runs.read_text().count("run") == 3  # suspended: not even started the 4th time


def test_command_timeout_kills_the_process_group(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    body = f'sleep 30 &\necho $! > "{pid_file}"\necho "too late"\nwait\n'
    script(project, "slow.sh", body)
    write_config(home, {"commands": [command("slow", ["./slow.sh"], timeout_s=0.5)]})
    answer = session.send("01")
    assert "too late" not in answer
    assert "[state_mutation_guard]" in answer
    assert "timed out after 0.5 s" in health(session, "slow")["last_error"]
    grandchild = int(pid_file.read_text())
    assert not is_running(grandchild)


def is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] not in "ZX"
    except FileNotFoundError:
        return False


def test_commands_run_in_parallel(
    session: Session, home: Path, project: Path, tmp_path: Path
) -> None:
    # Each waits for the other's marker: run one after the other, both would time out.
    a, b = tmp_path / "a", tmp_path / "b"
    wait = "i=0; while [ ! -e {} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n"
    script(project, "one.sh", f'touch "{a}"\n' + wait.format(b) + f'[ -e "{b}" ] && echo one\n')
    script(project, "two.sh", f'touch "{b}"\n' + wait.format(a) + f'[ -e "{a}" ] && echo two\n')
    cmds = [command("one", ["./one.sh"], timeout_s=4), command("two", ["./two.sh"], timeout_s=4)]
    write_config(home, {"commands": cmds})
    answer = session.send("01")
    assert "[one] one" in answer and "[two] two" in answer


def test_bad_command_entries_are_skipped(session: Session, home: Path, project: Path) -> None:
    script(project, "ok.sh", "echo fine\n")
    (project / "noexec.sh").write_text("echo x\n")
    cmds = [
        command("missing", ["./nope.sh"]),
        command("noexec", ["./noexec.sh"]),
        command("bad_matcher", ["./ok.sh"], matcher="Wr("),
        {"name": "no_run"},
        command("ok", ["./ok.sh"]),
        command("ok", ["./ok.sh"]),
    ]
    write_config(home, {"commands": cmds})
    assert "[ok] fine" in session.send("01")
    log = (home / "posttool.log").read_text()
    for needle in ("nope.sh", "not executable", "hook bad_matcher: matcher", "no_run", "duplicate"):
        assert needle in log, needle


def test_readme_shows_the_examples_as_they_are() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    plugin_code = (EXAMPLES / "todo_plugin.py").read_text().split('"""\n\n', 1)[1]
    assert plugin_code in readme
    assert (EXAMPLES / "todo-check.sh").read_text() in readme
    assert len(plugin_code.strip().splitlines()) < 10
    assert len((EXAMPLES / "todo-check.sh").read_text().strip().splitlines()) < 10
