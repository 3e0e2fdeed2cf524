"""`posttool install` and `posttool uninstall`: edit one Claude Code settings file.

Every write is preceded by a backup of the file's previous bytes in `<home>/backups/`, not next
to the settings file, so that a project's `.claude/` never gains files that could be committed.
A write goes to a temp file beside the target and is renamed over it; a symlinked settings file
(dotfile managers) is written through the link; a read-only one is refused. Nothing is written
when the value would not change, so a second install is a no-op.

install also writes the launcher the hook command starts (`launch_file`), compiles posttool's
bytecode, and writes the PostToolUseFailure entry only for a Claude Code that understands it.
"""

from __future__ import annotations

import difflib
import os
import stat
import subprocess
import sys
import time
from typing import Any, TextIO

from posttool.cli import backups
from posttool.cli import settings as claude_settings
from posttool.cli.claude_version import Support, detect
from posttool.cli.launch_file import launcher_path, package_root, prefix, write_launcher
from posttool.cli.launcher import ephemeral_reason, hook_command, interpreter_problem
from posttool.cli.terminal import CliError, Style
from posttool.lib.store import write_atomic

FAILURE_EVENT = "PostToolUseFailure"


class Change:
    """The before and after of one settings file."""

    def __init__(
        self,
        path: str,
        before_text: str | None,
        before: dict[str, Any],
        after: dict[str, Any],
        may_delete: bool = False,
        restored_text: str | None = None,
    ) -> None:
        self.path = path
        self.before_text = before_text
        self.before = before
        self.after = after
        self.may_delete = may_delete  # install created the file, so uninstall may remove it
        self.restored_text = restored_text  # the saved bytes, written back as they were

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def removes_file(self) -> bool:
        """Uninstall leaves nothing of a file install created: it is deleted rather than left
        holding `{}`. A file that existed before install is never deleted."""
        return (
            self.may_delete
            and self.before_text is not None
            and not self.after
            and self.before != self.after
        )

    def after_text(self) -> str | None:
        if self.removes_file:
            return None
        if self.restored_text is not None:
            return self.restored_text
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


def current_command(home: str, write: bool) -> str:
    """The hook command for the running interpreter; with `write`, also (re)write its launcher."""
    problem = interpreter_problem(sys.executable)
    if problem:
        raise CliError(
            f"{problem}; run install with the real interpreter, e.g. "
            "`<venv>/bin/python -m posttool install`"
        )
    try:
        launcher = write_launcher(home) if write else launcher_path(home, sys.executable)
    except (OSError, ValueError, SyntaxError, subprocess.SubprocessError) as exc:
        raise CliError(f"cannot write the launcher into {home}: {exc}") from None
    return hook_command(prefix(sys.executable, launcher), home)


def events_for(support: Support) -> tuple[str, ...]:
    if support.failure_event:
        return claude_settings.EVENTS
    return tuple(event for event in claude_settings.EVENTS if event != FAILURE_EVENT)


def plan_install(
    path: str, command: str, events: tuple[str, ...] = claude_settings.EVENTS
) -> Change:
    text, before = load(path)
    try:
        after = claude_settings.install(before, command, path, events)
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    from posttool.cli.http_entries import without_http  # command mode replaces http mode

    return Change(path, text, before, without_http(after))


def plan_uninstall(path: str, home: str) -> Change:
    from posttool.cli.http_entries import without_http

    text, before = load(path)
    history = backups.before_install(path, home, _without_posttool)
    try:
        after = without_http(claude_settings.uninstall(before, path, history.value))
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    same_as_before = history.text if after == history.value else None
    return Change(
        path, text, before, after, may_delete=history.created, restored_text=same_as_before
    )


def _without_posttool(text: str) -> dict[str, Any] | None:
    try:
        value = claude_settings.parse(text, "backup")
        return None if claude_settings.find(value) else value
    except claude_settings.SettingsError:
        return None


def refuse_read_only(path: str) -> None:
    """A settings file the user made read-only is theirs to keep as it is."""
    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise CliError(f"{path} is read-only; nothing was changed (make it writable to proceed)")


def apply(change: Change, home: str, now: float, suffix: str = backups.COPY) -> str | None:
    """Write the change (backup first); returns the backup's path, if one was made."""
    refuse_read_only(change.path)
    target = os.path.realpath(change.path)  # a symlinked settings file stays a symlink
    saved = None
    if change.before_text is not None:
        saved = backups.backup(change.path, change.before_text, home, now, suffix)
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
    if change.before_text is None:
        backups.mark_created(change.path, home, now)
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
    scope: str,
    home: str,
    dry_run: bool,
    cwd: str | None = None,
    out: TextIO | None = None,
    claude_version: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    style = Style.for_stream(out)
    cwd = cwd or os.getcwd()
    path = claude_settings.settings_path(scope, cwd)
    support = detected(claude_version)
    if not dry_run:
        refuse_read_only(path)
    command = current_command(home, write=not dry_run)
    change = plan_install(path, command, events_for(support))
    temporary = ephemeral_reason(sys.executable)
    if temporary:
        sys.stderr.write(f"posttool: warning: {temporary}\n")
    compiled = [] if dry_run else [compile_bytecode()]
    return _finish(
        change,
        home,
        dry_run,
        out,
        style,
        verb="install",
        extra=[
            f"hook command: {command}",
            *version_notes(support, change.after, scope),
            *compiled,
            *(
                f"note: posttool is also installed in {other}; remove one with "
                f"`posttool uninstall --scope ...` to avoid running it twice per tool call"
                for other in other_scopes(scope, cwd)
            ),
        ],
    )


def detected(claude_version: str | None) -> Support:
    try:
        return detect(claude_version)
    except ValueError as exc:
        raise CliError(str(exc), code=2) from None


def version_notes(support: Support, after: dict[str, Any], scope: str) -> list[str]:
    """What install did about PostToolUseFailure, and why."""
    notes = [support.describe()]
    if support.failure_event:
        return [*notes, f"{FAILURE_EVENT}: installed (this Claude Code understands it)"]
    if support.failure_event is False:
        notes.append(
            f"{FAILURE_EVENT}: not installed: Claude Code {support.text} rejects a settings file "
            "that names it and then runs none of its hooks; failed tool calls reach no hook"
        )
    elif support.version is not None:
        notes.append(
            f"{FAILURE_EVENT}: not installed: whether Claude Code {support.text} accepts it is "
            "not known (2.0.59 and later do); failed tool calls reach no hook"
        )
    else:
        notes.append(
            f"{FAILURE_EVENT}: not installed, since an old Claude Code (2.0.55 and before) "
            "runs no hook at all from a file that names it; if yours is 2.0.59 or later, run "
            f"again with `--scope {scope} --claude-version <version>` to add it"
        )
    foreign = claude_settings.foreign_entries(after, FAILURE_EVENT)
    if support.failure_event is False and claude_settings.names_event(after, FAILURE_EVENT):
        notes.append(
            f"warning: this file still names {FAILURE_EVENT} ({foreign} hook(s) of your own): "
            f"Claude Code {support.text} runs no hook from it until you remove that key"
        )
    return notes


def compile_bytecode() -> str:
    from posttool.cli.bytecode import compile_package

    try:
        return compile_package(os.path.join(package_root(), "posttool"))
    except OSError as exc:
        return f"bytecode: not compiled ({exc})"


def run_uninstall(
    scope: str,
    home: str,
    dry_run: bool,
    cwd: str | None = None,
    out: TextIO | None = None,
    restore: bool = False,
) -> int:
    out = sys.stdout if out is None else out
    style = Style.for_stream(out)
    path = claude_settings.settings_path(scope, cwd or os.getcwd())
    if restore:
        return run_restore(path, home, dry_run, out, style)
    change = plan_uninstall(path, home)
    return _finish(change, home, dry_run, out, style, verb="uninstall", extra=[])


def run_restore(path: str, home: str, dry_run: bool, out: TextIO, style: Style) -> int:
    """Put back the newest copy posttool saved of the file (the current text is saved first,
    so a restore can itself be undone)."""
    saved = backups.newest_copy(path, home)
    if saved is None:
        raise CliError(f"no backup of {path} in {os.path.join(home, backups.FOLDER)}")
    try:
        with open(saved, encoding="utf-8") as handle:
            restored_text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the backup {saved}: {exc}") from None
    text, before = load(path)
    if text == restored_text:
        out.write(f"{path} already holds {saved}; nothing to do\n")
        return 0
    try:
        restored = claude_settings.parse(restored_text, saved)
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    change = Change(path, text, before, restored, restored_text=restored_text)
    if dry_run:
        print_diff(change.diff(), style, out)
        out.write(style.dim(f"(dry run: {path} was not changed)") + "\n")
        return 0
    kept = apply(change, home, time.time(), suffix=backups.REPLACED)
    out.write(f"{style.ok('restored')} {path} from {saved}\n")
    if kept:
        out.write(f"backup of what it held: {kept}\n")
    return 0


def _finish(
    change: Change, home: str, dry_run: bool, out: TextIO, style: Style, verb: str, extra: list[str]
) -> int:
    if not change.changed:
        state = "installed" if verb == "install" else "not installed"
        out.write(f"{change.path}: posttool is already {state}; nothing to do\n")
        _write_lines(extra, out)
        return 0
    if dry_run:
        print_diff(change.diff(), style, out)
        out.write(style.dim(f"(dry run: {change.path} was not changed)") + "\n")
        _write_lines(extra, out)
        return 0
    saved = apply(change, home, time.time())
    if change.removes_file:
        out.write(f"{style.ok('removed')} {change.path} (it held only posttool's hooks)\n")
    else:
        done = "installed into" if verb == "install" else "uninstalled from"
        out.write(f"{style.ok(done)} {change.path}\n")
    if saved:
        out.write(f"backup: {saved}\n")
    _write_lines(extra, out)
    return 0


def _write_lines(lines: list[str], out: TextIO) -> None:
    for line in lines:
        out.write(line + "\n")
