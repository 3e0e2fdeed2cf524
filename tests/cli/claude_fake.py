"""A fake `claude` executable: a real script on PATH that prints a version, as Claude Code's
`claude --version` does (`2.0.59 (Claude Code)`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NEW = "2.0.59"
OLD = "2.0.55"


def put_claude_on_path(
    folder: Path, monkeypatch: pytest.MonkeyPatch, version: str | None, printed: str = ""
) -> None:
    """PATH becomes `folder` (holding a `claude` that prints `version`, or none at all) followed
    by the system folders, so a real `claude` of the machine never answers."""
    folder.mkdir(parents=True, exist_ok=True)
    if version is not None or printed:
        script = folder / "claude"
        text = printed or f"{version} (Claude Code)"
        script.write_text(f"#!/bin/sh\necho '{text}'\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), "/usr/bin", "/bin"]))
