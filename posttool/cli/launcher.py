"""What the hook command starts: the `posttool` console script beside the running interpreter,
else that interpreter with `-P -m posttool`; never a version-manager shim.

A shim (pyenv, asdf, rbenv...) costs ~100 ms per tool call and can pick another interpreter when
the user's shell changes directory, so an interpreter or script that is one is refused.
Interpreter paths are used as they are: resolving a venv's `bin/python` symlink would escape the
venv.
"""

from __future__ import annotations

import os
import re
import shlex
import sys

from posttool.cli.launch_file import is_launcher_file

SCRIPT_NAMES = ("posttool", "posttool.exe")
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "fish"})
# pip's launcher for paths a shebang cannot hold: `'''exec' "/path/python" "$0" "$@"`
_PIP_SH_LAUNCHER = re.compile(rb"^'''exec' \"([^\"]+)\"", re.MULTILINE)
HEAD_BYTES = 1024


class LauncherError(Exception):
    """The running interpreter cannot be written into a hook command."""


def read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""


def shebang(path: str) -> list[str] | None:
    """The `#!` line of a text script as words, or None for a binary or unreadable file."""
    head = read_head(path)
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return line.split() or None


def script_interpreter(path: str) -> str:
    """The interpreter a script starts: its shebang's, or the one pip's `/bin/sh` launcher
    execs; `path` itself for a binary."""
    words = shebang(path)
    if not words:
        return path
    if os.path.basename(words[0]) in SHELLS:
        found = _PIP_SH_LAUNCHER.search(read_head(path))
        if found:
            return found.group(1).decode("utf-8", "replace")
    return words[0]


def shim_reason(path: str) -> str | None:
    """Why `path` is a shim rather than a real interpreter or console script, or None."""
    parts = os.path.normpath(path).split(os.sep)
    if "shims" in parts:
        return f"{path} is a version-manager shim (it lives in a 'shims' folder)"
    words = shebang(path)
    if words is None:
        return None
    program = os.path.basename(words[0])
    if program == "env":
        return f"{path} finds its interpreter on PATH ('#!{' '.join(words)}')"
    if program in SHELLS:
        head = read_head(path)
        if _PIP_SH_LAUNCHER.search(head):
            return None
        if b"exec" in head:
            return f"{path} is a shell script that execs another program"
    return None


def interpreter_problem(path: str) -> str | None:
    """Why `path` cannot be the interpreter of a hook command, or None when it can."""
    if not path:
        return "the running interpreter has no path (sys.executable is empty)"
    if not os.path.isabs(path):
        return f"the interpreter path {path!r} is not absolute"
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        return f"{path} does not exist or is not executable"
    if shebang(path) is not None and shim_reason(path) is None:
        return f"{path} is a script, not an interpreter"
    return shim_reason(path)


def ephemeral_reason(path: str) -> str | None:
    """Why `path` may vanish (uvx and `pipx run` build their environments in a cache), or None."""
    parts = os.path.normpath(path).split(os.sep)
    if ".cache" in parts or "archive-v0" in parts:
        return (
            f"{path} lives in a cache folder (uvx or `pipx run`); the hook breaks when that "
            "cache is cleaned; install posttool for good, e.g. "
            "`uv tool install --compile-bytecode <path to posttool>` (see the README)"
        )
    return None


def console_script(executable: str) -> str | None:
    """The `posttool` script installed beside `executable`, when it runs that same interpreter
    directly (absolute shebang, no shell or `env` in between)."""
    folder = os.path.dirname(executable)
    for name in SCRIPT_NAMES:
        script = os.path.join(folder, name)
        if not os.path.isfile(script) or not os.access(script, os.X_OK):
            continue
        if name.endswith(".exe"):
            return script
        words = shebang(script)
        if not words or shim_reason(script) is not None:
            return None
        if _same_file(words[0], executable):
            return script
        return None
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def launcher(executable: str | None = None) -> list[str]:
    """The argv prefix that starts posttool with the running interpreter.

    The console script is preferred: measured faster than `python -m` (no runpy), and its
    `sys.path[0]` is the venv's bin folder, not the agent's working directory. The `-m`
    fallback adds `-P` for the same reason: a `json.py` in the user's project must not shadow
    the standard library.
    """
    executable = sys.executable if executable is None else executable
    problem = interpreter_problem(executable)
    if problem:
        raise LauncherError(problem)
    script = console_script(executable)
    if script:
        return [script]
    return [executable, "-P", "-m", "posttool"]


def hook_command(prefix: list[str], home: str) -> str:
    """The shell command Claude Code runs: `<launcher> run --home <home>`, quoted for sh."""
    return shlex.join([*prefix, "run", "--home", home])


def split_command(command: str) -> list[str] | None:
    try:
        return shlex.split(command)
    except ValueError:
        return None


def launcher_of(words: list[str]) -> list[str] | None:
    """The launcher part of a posttool hook command's words (before `run`), or None when the
    command is not `posttool run ...`, `<python> [flags] -m posttool run ...` or
    `<python> [flags] <home>/launch/posttool-<id>.py run ...` (what install writes)."""
    if not words:
        return None
    first = os.path.basename(words[0]).lower()
    if first in SCRIPT_NAMES:
        return words[:1] if words[1:2] == ["run"] else None
    if not first.startswith("python"):
        return None
    for i in range(1, len(words) - 1):
        if words[i] == "-m" and words[i + 1] == "posttool":
            return words[: i + 2] if words[i + 2 : i + 3] == ["run"] else None
        if is_launcher_file(words[i]):
            return words[: i + 1] if words[i + 1] == "run" else None
        if not words[i].startswith("-"):
            return None
    return None


def is_posttool_command(command: object) -> bool:
    if not isinstance(command, str):
        return False
    words = split_command(command)
    return words is not None and launcher_of(words) is not None


def home_of(words: list[str]) -> str | None:
    """The `--home` value in a posttool command's words, if any."""
    for i, word in enumerate(words):
        if word == "--home" and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--home="):
            return word.split("=", 1)[1]
    return None
