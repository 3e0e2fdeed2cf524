"""What the hook command starts: console script vs `python -P -m posttool`, shims refused, and
which commands count as posttool's."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from posttool.cli.launcher import (
    LauncherError,
    console_script,
    home_of,
    hook_command,
    interpreter_problem,
    is_posttool_command,
    launcher,
    script_interpreter,
    shim_reason,
)

PYENV_SHIM = (
    '#!/usr/bin/env bash\nset -e\nexec "/home/u/.pyenv/libexec/pyenv" exec "$program" "$@"\n'
)
ASDF_SHIM = '#!/usr/bin/env bash\n# asdf-plugin: python 3.11\nexec asdf exec "python" "$@"\n'


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def fake_venv(tmp_path: Path, script: str | None) -> Path:
    """A venv-like bin folder whose `python` links to the real interpreter."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.symlink_to(sys.executable)
    if script is not None:
        executable(bin_dir / "posttool", script.replace("{python}", str(python)))
    return python


def test_the_running_interpreter_is_not_a_shim() -> None:
    assert interpreter_problem(sys.executable) is None


def test_console_script_beside_the_interpreter_is_preferred(tmp_path: Path) -> None:
    python = fake_venv(tmp_path, "#!{python}\nimport sys\nfrom posttool.__main__ import main\n")
    assert launcher(str(python)) == [str(python.parent / "posttool")]


def test_the_venv_interpreter_is_not_resolved_out_of_the_venv(tmp_path: Path) -> None:
    python = fake_venv(tmp_path, None)
    assert launcher(str(python)) == [str(python), "-P", "-m", "posttool"]


@pytest.mark.parametrize(
    "script",
    [
        "#!/usr/bin/env python3\nfrom posttool.__main__ import main\n",  # PATH decides
        "#!/usr/bin/python9.9\nfrom posttool.__main__ import main\n",  # another interpreter
        PYENV_SHIM,
    ],
)
def test_a_script_that_does_not_run_this_interpreter_directly_is_skipped(
    tmp_path: Path, script: str
) -> None:
    python = fake_venv(tmp_path, script)
    assert console_script(str(python)) is None
    assert launcher(str(python))[1:] == ["-P", "-m", "posttool"]


@pytest.mark.parametrize("text", [PYENV_SHIM, ASDF_SHIM])
def test_shell_scripts_that_exec_are_shims(tmp_path: Path, text: str) -> None:
    shim = executable(tmp_path / "bin" / "python", text)
    assert shim_reason(str(shim))
    with pytest.raises(LauncherError):
        launcher(str(shim))


def test_anything_in_a_shims_folder_is_a_shim(tmp_path: Path) -> None:
    shim = tmp_path / ".pyenv" / "shims" / "python"
    shim.parent.mkdir(parents=True)
    shim.symlink_to(sys.executable)
    assert "shims" in (shim_reason(str(shim)) or "")
    with pytest.raises(LauncherError, match="shim"):
        launcher(str(shim))


def test_pips_sh_launcher_for_long_paths_is_not_a_shim(tmp_path: Path) -> None:
    text = f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\nimport sys\n"
    script = executable(tmp_path / "with space" / "posttool", text)
    assert shim_reason(str(script)) is None
    assert script_interpreter(str(script)) == sys.executable


@pytest.mark.parametrize("path", ["", "python3", "/does/not/exist/python"])
def test_unusable_interpreter_paths(path: str) -> None:
    assert interpreter_problem(path)


def test_paths_with_spaces_are_quoted(tmp_path: Path) -> None:
    command = hook_command(["/opt/my tools/bin/posttool"], "/data/post tool")
    assert shlex.split(command) == [
        "/opt/my tools/bin/posttool",
        "run",
        "--home",
        "/data/post tool",
    ]
    assert is_posttool_command(command)
    assert home_of(shlex.split(command)) == "/data/post tool"


@pytest.mark.parametrize(
    "command",
    [
        "/v/bin/posttool run --home /h",
        "/v/bin/posttool run",
        "'/v w/bin/posttool' run --home '/h h'",
        "/v/bin/python -P -m posttool run --home /h",
        "/v/bin/python3.11 -m posttool run",
        "/v/bin/python -I -S /h/launch/posttool-0123456789.py run --home /h",
        "'/v w/bin/python3' -I -S '/h h/launch/posttool-x.py' run",
        "C:/v/Scripts/posttool.exe run --home C:/h",
    ],
)
def test_posttool_commands(command: str) -> None:
    assert is_posttool_command(command)


@pytest.mark.parametrize(
    "command",
    [
        "posttool-other run",
        "/v/bin/posttool bench",
        "echo posttool run",
        "python -m other run",
        "python script.py -m posttool run",
        "/v/bin/python -I -S /h/launch/other.py run",
        "/v/bin/python -I -S /home/me/posttool-wrapper.py run",
        "/v/bin/python -I -S /h/launch/posttool-x.py bench",
        "/v/bin/python -I -S /h/launch/posttool-x.py",
        "/v/bin/python -m posttool",
        "'unbalanced",
        "",
        "/v/bin/posttool",
    ],
)
def test_not_posttool_commands(command: str) -> None:
    assert not is_posttool_command(command)


def test_is_posttool_command_ignores_non_strings() -> None:
    assert not is_posttool_command(None)
    assert not is_posttool_command(["posttool", "run"])


def test_the_installed_console_script_is_used_here() -> None:
    script = os.path.join(os.path.dirname(sys.executable), "posttool")
    if not os.path.exists(script):
        pytest.skip("posttool is not installed as a console script in this environment")
    assert launcher() == [script]


@pytest.mark.parametrize(
    ("path", "ephemeral"),
    [
        ("/home/u/.cache/uv/archive-v0/abc/bin/python", True),
        ("/home/u/.cache/pipx/1a2b/bin/python", True),
        ("/home/u/.local/share/uv/tools/posttool/bin/python", False),
        ("/home/u/proj/.venv/bin/python", False),
    ],
)
def test_interpreters_in_a_cache_are_flagged(path: str, ephemeral: bool) -> None:
    from posttool.cli.launcher import ephemeral_reason

    assert bool(ephemeral_reason(path)) is ephemeral
