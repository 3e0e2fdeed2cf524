"""Which Claude Code runs the hooks, and whether its settings loader understands
`PostToolUseFailure`.

Builds up to at least 2.0.55 reject a settings file that names `PostToolUseFailure` and then run
no hook from that file at all; 2.0.59 and later accept it. 2.0.56 to 2.0.58 were not tried, so
they are treated like an unknown version: the entry is not written.
"""

from __future__ import annotations

import os
import shutil
import subprocess

REJECTS_UP_TO = (2, 0, 55)
ACCEPTS_FROM = (2, 0, 59)
VERSION_TIMEOUT_S = 10

Version = tuple[int, int, int]


class Support:
    """What is known about one Claude Code build: its version (or None) and where it came from."""

    __slots__ = ("source", "version")

    def __init__(self, version: Version | None, source: str) -> None:
        self.version = version
        self.source = source  # "--claude-version", the `claude` path, or why it is unknown

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version)) if self.version else "unknown"

    @property
    def failure_event(self) -> bool | None:
        """True: PostToolUseFailure is understood; False: it breaks the file; None: unknown."""
        if self.version is None:
            return None
        if self.version <= REJECTS_UP_TO:
            return False
        if self.version >= ACCEPTS_FROM:
            return True
        return None

    def describe(self) -> str:
        if self.version is None:
            return f"Claude Code version unknown ({self.source})"
        return f"Claude Code {self.text} (from {self.source})"


def parse_version(text: str) -> Version | None:
    """`2.0.59 (Claude Code)`, `2.0.59` or `v1.0.128` -> (2, 0, 59); None when not a version."""
    words = text.strip().split()
    if not words:
        return None
    parts = words[0].removeprefix("v").split(".")
    if len(parts) < 2 or len(parts) > 3 or not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return numbers[0], numbers[1], numbers[2]


def find_claude(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """`claude` on PATH, else the per-user install Claude Code's migrator leaves."""
    found = shutil.which("claude", path=environ.get("PATH"))
    if found:
        return found
    local = os.path.join(os.path.expanduser("~"), ".claude", "local", "claude")
    return local if os.path.isfile(local) and os.access(local, os.X_OK) else None


def detect(stated: str | None = None) -> Support:
    """The version given with `--claude-version`, else what `claude --version` prints."""
    if stated is not None:
        version = parse_version(stated)
        if version is None:
            raise ValueError(f"--claude-version {stated!r} is not a version like 2.0.59")
        return Support(version, "--claude-version")
    claude = find_claude()
    if claude is None:
        return Support(None, "no `claude` on PATH")
    try:
        done = subprocess.run(
            [claude, "--version"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(None, f"`{claude} --version` did not run: {exc}")
    printed = done.stdout.decode("utf-8", "replace").strip()
    version = parse_version(printed) if done.returncode == 0 else None
    if version is None:
        first = printed.splitlines()[0][:60] if printed else f"exit {done.returncode}"
        return Support(None, f"`{claude} --version` printed {first!r}")
    return Support(version, claude)
