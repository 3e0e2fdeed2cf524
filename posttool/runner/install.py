"""`posttool install` and `posttool uninstall`: edit one Claude Code settings file.

Every write is preceded by a backup of the file's previous bytes in `<home>/backups/`, not next
to the settings file, so that a project's `.claude/` never gains files that could be committed.
A write goes to a temp file beside the target and is renamed over it; a symlinked settings file
(dotfile managers) is written through the link. Nothing is written when the value would not
change, so a second install is a no-op.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import sys
import time
from typing import Any, TextIO

from posttool.lib.paths import ensure_private_dir
from posttool.lib.store import write_atomic
from posttool.lib.text import h
from posttool.runner import settings as claude_settings
from posttool.runner.launcher import LauncherError, ephemeral_reason, hook_command, launcher
from posttool.runner.terminal import CliError, Style

BACKUPS = "backups"
KEEP_BACKUPS = 20


class Change:
    """The before and after of one settings file."""

    def __init__(
        self, path: str, before_text: str | None, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        self.path = path
        self.before_text = before_text
        self.before = before
        self.after = after

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def removes_file(self) -> bool:
        """Uninstall leaves nothing: the file is deleted rather than left holding `{}`."""
        return self.before_text is not None and not self.after and self.before != self.after

    def after_text(self) -> str | None:
        if self.removes_file:
            return None
        return claude_settings.render(self.after, self.before_text)

    def diff(self) -> str:
        old = (self.before_text or "").splitlines(keepends=True)
        new = (self.after_text() or "").splitlines(keepends=True)
        before_name = self.path if self.before_text is not None else "/dev/null"
        after_name = self.path if not self.removes_file else "/dev/null"
        return "".join(difflib.unified_diff(old, new, before_name, after_name))


def load(path: str) -> tuple[str | None, dict[str, Any]]:
    try:
        text = claude_settings.read_text(path)
        return text, claude_settings.parse(text, path)
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None


def current_command(home: str) -> str:
    try:
        return hook_command(launcher(), home)
    except LauncherError as exc:
        raise CliError(
            f"{exc}; run install with the real interpreter, e.g. "
            "`$(pyenv which python) -m posttool install` or `<venv>/bin/posttool install`"
        ) from None


def plan_install(path: str, command: str) -> Change:
    text, before = load(path)
    try:
        after = claude_settings.install(before, command, path)
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    from posttool.runner.http_wiring import without_http  # command mode replaces http mode

    return Change(path, text, before, without_http(after))


def plan_uninstall(path: str) -> Change:
    text, before = load(path)
    try:
        after = claude_settings.uninstall(before, path)
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    from posttool.runner.http_wiring import without_http

    return Change(path, text, before, without_http(after))


def backup(path: str, text: str, home: str, now: float) -> str:
    """Copy the settings file's current text into `<home>/backups/`; returns the copy's path."""
    folder = os.path.join(home, BACKUPS)
    ensure_private_dir(folder)
    stem = f"{os.path.basename(path)}-{h(os.path.abspath(path))[:8]}"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = os.path.join(folder, f"{stem}-{stamp}.json")
    suffix = 1
    while os.path.exists(target):
        target = os.path.join(folder, f"{stem}-{stamp}-{suffix}.json")
        suffix += 1
    write_atomic(target, text.encode("utf-8"))
    _trim_backups(folder, stem)
    return target


def _trim_backups(folder: str, stem: str) -> None:
    mine = sorted(
        (os.path.join(folder, name) for name in os.listdir(folder) if name.startswith(stem + "-")),
        key=lambda p: os.stat(p).st_mtime,
    )
    for old in mine[:-KEEP_BACKUPS]:
        with contextlib.suppress(OSError):
            os.unlink(old)


def apply(change: Change, home: str, now: float) -> str | None:
    """Write the change (backup first); returns the backup's path, if one was made."""
    target = os.path.realpath(change.path)  # a symlinked settings file stays a symlink
    saved = None
    if change.before_text is not None:
        saved = backup(change.path, change.before_text, home, now)
    new_text = change.after_text()
    try:
        if new_text is None:
            os.unlink(target)
            return saved
        mode = _mode_of(target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_atomic(target, new_text.encode("utf-8"))
        os.chmod(target, mode)
    except OSError as exc:
        raise CliError(f"cannot write {change.path}: {exc.strerror}") from None
    return saved


def _mode_of(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def print_diff(diff: str, style: Style, out: TextIO) -> None:
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            out.write(style.bold(line) + "\n")
        elif line.startswith("+"):
            out.write(style.ok(line) + "\n")
        elif line.startswith("-"):
            out.write(style.bad(line) + "\n")
        elif line.startswith("@@"):
            out.write(style.paint(line, "cyan") + "\n")
        else:
            out.write(line + "\n")


def other_scopes(scope: str, cwd: str) -> list[str]:
    """Settings files of the other scopes that already run posttool."""
    found = []
    this = os.path.realpath(claude_settings.settings_path(scope, cwd))
    for _other, path in claude_settings.scope_paths(cwd):
        if os.path.realpath(path) == this:
            continue
        try:
            text = claude_settings.read_text(path)
            if claude_settings.find(claude_settings.parse(text, path), path):
                found.append(path)
        except claude_settings.SettingsError:
            continue
    return found


def run_install(
    scope: str, home: str, dry_run: bool, cwd: str | None = None, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    style = Style.for_stream(out)
    cwd = cwd or os.getcwd()
    path = claude_settings.settings_path(scope, cwd)
    command = current_command(home)
    change = plan_install(path, command)
    temporary = ephemeral_reason(sys.executable)
    if temporary:
        sys.stderr.write(f"posttool: warning: {temporary}\n")
    return _finish(
        change,
        home,
        dry_run,
        out,
        style,
        verb="install",
        extra=[
            f"hook command: {command}",
            *(
                f"note: posttool is also installed in {other}; remove one with "
                f"`posttool uninstall --scope ...` to avoid running it twice per tool call"
                for other in other_scopes(scope, cwd)
            ),
        ],
    )


def run_uninstall(
    scope: str, home: str, dry_run: bool, cwd: str | None = None, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    style = Style.for_stream(out)
    path = claude_settings.settings_path(scope, cwd or os.getcwd())
    change = plan_uninstall(path)
    return _finish(change, home, dry_run, out, style, verb="uninstall", extra=[])


def _finish(
    change: Change, home: str, dry_run: bool, out: TextIO, style: Style, verb: str, extra: list[str]
) -> int:
    if not change.changed:
        state = "installed" if verb == "install" else "not installed"
        out.write(f"{change.path}: posttool is already {state}; nothing to do\n")
        return 0
    if dry_run:
        print_diff(change.diff(), style, out)
        out.write(style.dim(f"(dry run: {change.path} was not changed)") + "\n")
        return 0
    saved = apply(change, home, time.time())
    if change.removes_file:
        out.write(f"{style.ok('removed')} {change.path} (it held only posttool's hooks)\n")
    else:
        done = "installed into" if verb == "install" else "uninstalled from"
        out.write(f"{style.ok(done)} {change.path}\n")
    if saved:
        out.write(f"backup: {saved}\n")
    for line in extra:
        out.write(line + "\n")
    return 0
