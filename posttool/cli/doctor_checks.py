"""What a `posttool doctor` check is (`Check`, made by ok/warn/fail) and how a fix names the
posttool commands to run (`Fixer`)."""

from __future__ import annotations

import shlex
import sys

from posttool.cli.claude_version import Support
from posttool.cli.launcher import console_script


class Check:
    __slots__ = ("detail", "fix", "name", "status")

    def __init__(self, name: str, status: str, detail: str, fix: str = "") -> None:
        self.name = name
        self.status = status  # "ok", "warn" or "fail"
        self.detail = detail
        self.fix = fix

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warn(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, "warn", detail, fix)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


# --- the commands a fix suggests ------------------------------------------------------------


class Fixer:
    """Writes the posttool commands a fix suggests: this posttool by absolute path, the home the
    user chose, and `--claude-version` when the version came from that flag (install must then
    be told too, or it would leave PostToolUseFailure out)."""

    def __init__(self, home: str | None, support: Support) -> None:
        self.home = home
        self.support = support

    @staticmethod
    def posttool() -> list[str]:
        script = console_script(sys.executable)
        return [script] if script else [sys.executable, "-m", "posttool"]

    def install(self, scope: str | None = None, home: str | None = None) -> str:
        words = [*self.posttool(), "install"]
        if scope and scope != "user":
            words += ["--scope", scope]
        if home or self.home:
            words += ["--home", home or self.home or ""]
        if self.support.source == "--claude-version" and self.support.version:
            words += ["--claude-version", self.support.text]
        return f"`{shlex.join(words)}`"

    def uninstall(self, scope: str) -> str:
        return f"`{shlex.join([*self.posttool(), 'uninstall', '--scope', scope])}`"

    def doctor_with_version(self) -> str:
        return f"`{shlex.join([*self.posttool(), 'doctor', '--claude-version'])} <version>`"
