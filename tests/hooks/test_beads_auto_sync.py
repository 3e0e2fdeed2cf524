"""beads_auto_sync (spec §4.23): `bd sync` started detached after a commit or push.

A fake `bd` on a temporary PATH writes a marker file with its working directory and arguments;
nothing here commits, pushes or runs a real `bd`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Session, write_config

LABEL = "[beads_auto_sync]"
NOTICE = "[beads_auto_sync] Started `bd sync` in the background after the commit."
ENABLED = {"beads_auto_sync.enabled": True}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake bd is a POSIX script")


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `bd` first on PATH; returns the file it writes when run."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    target = tmp_path / "bd-ran.txt"
    script = bin_dir / "bd"
    script.write_text(f'#!/bin/sh\necho "$(pwd) $*" >> "{target}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return target


def wait_for(path: Path, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return True
        time.sleep(0.02)
    return False


def stays_absent(path: Path, wait: float = 0.4) -> bool:
    time.sleep(wait)
    return not path.exists()


def beads(session: Session) -> None:
    (session.project / ".beads").mkdir(exist_ok=True)


COMMIT = ("10", {})
PUSH = ("05", {"tool_input": {"command": "git push origin main"}})
GIT_OPERATION_ONLY = (
    "05",
    {
        "tool_input": {"command": "./release.sh"},
        "tool_response": {"gitOperation": {"commit": {"sha": "abc1234", "kind": "committed"}}},
    },
)

# (setup, steps): setup names what the project and config have.
FIRES = {
    "fixture 10 (enabled, .beads present, bd on PATH)": [COMMIT],
    "a successful git push": [PUSH],
    "a commit known only from gitOperation": [GIT_OPERATION_ONLY],
    "fixture 10 again after the 5 min cooldown": [COMMIT, ("10", {"_dt": 301.0})],
}

SILENT = {
    "fixture 05": [("05", {})],
    "fixture 10 a second time within 5 min": [COMMIT, ("10", {"_dt": 60.0})],
    "a commit in the background": [("10", {"tool_input": {"run_in_background": True}})],
    "a push with --dry-run": [("05", {"tool_input": {"command": "git push --dry-run"}})],
    "a commit that already runs bd sync": [
        ("10", {"tool_input": {"command": "git commit -m x && bd sync"}})
    ],
    "a failed commit": [
        (
            "06",
            {
                "tool_input": {"command": "git commit -m x"},
                "error": "Exit code 1\nnothing to commit",
            },
        )
    ],
    "a plain python run": [("05", {"tool_input": {"command": "python app.py"}})],
}


def play(session: Session, steps: list[tuple[str, dict[str, Any]]], marker: Path) -> list[str]:
    """Send each step; after a step that started `bd`, wait for it and clear its marker, so
    the marker afterwards belongs to the last step only."""
    answers = []
    for index, (fixture, changes) in enumerate(steps):
        changes = dict(changes)
        dt = changes.pop("_dt", 1.0)
        answers.append(session.send(fixture, now=session.now + dt, **changes))
        if index < len(steps) - 1 and NOTICE in answers[-1]:
            assert wait_for(marker)
            marker.unlink()
    return answers


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, marker: Path, steps: list) -> None:
    write_config(session.home, ENABLED)
    beads(session)
    answers = play(session, steps, marker)
    assert NOTICE in answers[-1]
    assert wait_for(marker)
    assert marker.read_text().split() == [str(session.project), "sync"]


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, marker: Path, steps: list) -> None:
    write_config(session.home, ENABLED)
    beads(session)
    answers = play(session, steps, marker)
    assert LABEL not in answers[-1]
    assert stays_absent(marker)


def test_disabled_by_default(session: Session, marker: Path) -> None:
    beads(session)
    assert LABEL not in session.send("10")
    assert stays_absent(marker)


def test_needs_a_beads_directory(session: Session, marker: Path) -> None:
    write_config(session.home, ENABLED)
    assert LABEL not in session.send("10")
    (session.project / ".beads").write_text("not a directory")
    assert LABEL not in session.send("10")
    assert stays_absent(marker)


def test_needs_bd_on_path(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(session.home, ENABLED)
    beads(session)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert LABEL not in session.send("10")
    assert "beads_auto_sync|sync" not in session.doc()["cooldowns"]


def test_quiet_when_announce_is_off(session: Session, marker: Path) -> None:
    write_config(session.home, {**ENABLED, "beads_auto_sync.announce": False})
    beads(session)
    assert LABEL not in session.send("10")
    assert wait_for(marker)


def test_configured_command(session: Session, marker: Path, tmp_path: Path) -> None:
    other = tmp_path / "fake-bin" / "beads-cli"
    other.write_text(f'#!/bin/sh\necho "custom $*" >> "{marker}"\n')
    other.chmod(0o755)
    write_config(session.home, {**ENABLED, "beads_auto_sync.bd_cmd": ["beads-cli", "--quiet"]})
    beads(session)
    assert NOTICE in session.send("10")
    assert wait_for(marker)
    assert marker.read_text().split() == ["custom", "--quiet", "sync"]


def test_spawn_failure_is_silent(session: Session, marker: Path, tmp_path: Path) -> None:
    broken = tmp_path / "fake-bin" / "bd"
    broken.write_text("#!/nonexistent/interpreter\n")
    write_config(session.home, ENABLED)
    beads(session)
    assert LABEL not in session.send("10")
    assert "beads_auto_sync|sync" not in session.doc()["cooldowns"]


def test_does_not_wait_for_bd(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: Path
) -> None:
    slow = tmp_path / "fake-bin" / "bd"
    slow.write_text(f'#!/bin/sh\nsleep 3\necho "$*" >> "{marker}"\n')
    write_config(session.home, ENABLED)
    beads(session)
    started = time.monotonic()
    assert NOTICE in session.send("10")
    assert time.monotonic() - started < 2.0
    assert not marker.exists()
