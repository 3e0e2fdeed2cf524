"""The command line as a whole: help everywhere, one-line usage errors with exit 2, plain output
unless a terminal without NO_COLOR, and `run` reaching the fast path from the full CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from posttool.cli import cli
from posttool.cli.terminal import Style, table, wants_color
from tests.conftest import FIXTURES, run_cli

SUBCOMMANDS = [
    (),
    ("install",),
    ("uninstall",),
    ("state",),
    ("state", "show"),
    ("state", "path"),
    ("state", "list"),
    ("state", "reset"),
    ("state", "prune"),
    ("cache",),
    ("cache", "show"),
    ("cache", "path"),
    ("cache", "reset"),
    ("hooks",),
    ("bench",),
    ("run",),
    ("doctor",),
]
BAD_ARGUMENTS = [
    (),
    ("nope",),
    ("install", "--scope", "global"),
    ("install", "--bogus"),
    ("state",),
    ("state", "shw"),
    ("state", "list", "extra"),
    ("cache", "show", "--all", "x"),
    ("bench", "-n"),
    ("hooks", "--json=yes"),
    ("doctor", "--fix"),
    ("--home",),
]


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: " ".join(a) or "posttool")
def test_every_subcommand_has_help(args: tuple[str, ...]) -> None:
    result = run_cli(*args, "--help")
    assert result.returncode == 0
    out = result.stdout.decode()
    assert out.startswith("usage: posttool")
    assert "--home" in out


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=lambda a: " ".join(a) or "nothing")
def test_bad_arguments_are_one_line_and_exit_2(args: tuple[str, ...], home: Path) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.count("\n") == 1, err
    assert err.startswith("posttool: error: ") and "--help" in err
    assert result.stdout == b""


def test_version() -> None:
    from posttool import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"posttool {__version__}"


def test_run_through_the_full_cli_still_answers(home: Path) -> None:
    event = (FIXTURES / "05_bash_ls_ok.json").read_bytes()
    result = run_cli("--home", str(home), "run", stdin=event)
    assert result.returncode == 0
    assert isinstance(json.loads(result.stdout), dict)
    assert (home / "sessions").is_dir()


def test_main_returns_an_exit_code_instead_of_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["state", "bogus"]) == 2
    assert cli.main(["--help"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("posttool: error: ")


def test_a_closed_pipe_is_not_an_error(home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "posttool", "hooks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err


# --- colour ----------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert wants_color(FakeTerminal(), {})
    assert not wants_color(FakeTerminal(), {"NO_COLOR": "1"})
    assert wants_color(FakeTerminal(), {"NO_COLOR": ""})  # no-color.org: empty means unset
    assert not wants_color(FakeTerminal(), {"TERM": "dumb"})
    assert not wants_color(io.StringIO(), {})


def test_style_is_plain_without_colour() -> None:
    assert Style(False).bad("x") == "x"
    assert Style(True).bad("x") == "\033[31;1mx\033[0m"


def test_table_aligns_columns() -> None:
    lines = table([["a", "1"], ["bbb", "22"]], Style(False), ["N", "V"], right=frozenset({1}))
    assert lines == ["N     V", "a     1", "bbb  22"]


def test_no_color_is_respected_by_a_real_command(home: Path) -> None:
    result = run_cli("hooks", env={"NO_COLOR": "1"})
    assert b"\033[" not in result.stdout


def run_on_a_terminal(*args: str, env: dict[str, str] | None = None) -> bytes:
    """Run the CLI with stdout on a pseudo-terminal; returns what it printed."""
    import os
    import pty

    leader, follower = pty.openpty()
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "posttool", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=full_env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


def test_a_terminal_gets_colour_unless_no_color(home: Path) -> None:
    assert b"\033[" in run_on_a_terminal("hooks", env={"TERM": "xterm"})
    assert b"\033[" not in run_on_a_terminal("hooks", env={"TERM": "xterm", "NO_COLOR": "1"})


def test_run_with_an_unknown_argument_answers_and_logs(home: Path) -> None:
    """Exit 2 from a hook is shown to the model as a blocking error: never for a typo."""
    event = (FIXTURES / "05_bash_ls_ok.json").read_bytes()
    result = run_cli("run", "--verbose", "--home", str(home), "extra", stdin=event)
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.startswith(b"{")
    assert "ignored unknown argument(s) '--verbose extra'" in (home / "posttool.log").read_text()


def test_run_help_and_bench_still_reach_the_full_cli() -> None:
    assert run_cli("run", "--help").stdout.startswith(b"usage: posttool run")
    assert run_cli("run", "--bench", "0").returncode == 2
