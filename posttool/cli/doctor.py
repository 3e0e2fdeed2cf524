"""`posttool doctor`: checks the wiring the user actually has, one line per check, with a fix for
each failure; exits 1 when any check failed.

It reads the three Claude Code settings files and checks them against the Claude Code version
(`PostToolUseFailure` named where that build rejects the file, or missing where it would run);
for each distinct posttool command it checks the interpreter, posttool's bytecode, starts the
command on sample events (with a temporary home, so the user's state is untouched) and times it
against the bare interpreter, naming the causes of a slow command it can see; then ruff, the
home folder and its permissions, and the config file. Every command a fix suggests is written
for the detected Claude Code version, with absolute paths.

This module reads the wiring and runs every check; the checks on a command are in
doctor_command, those on ruff, the home and the config in doctor_environment.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from posttool.cli import settings as claude_settings
from posttool.cli import slowness
from posttool.cli.claude_version import Support, detect
from posttool.cli.doctor_checks import Check, Fixer, fail, ok, warn
from posttool.cli.doctor_command import (
    check_answers,
    check_bytecode,
    check_command_form,
    check_launcher,
    interpreter_of,
)
from posttool.cli.doctor_environment import check_config, check_home, check_ruff
from posttool.cli.launcher import (
    home_of,
    hook_command,
    interpreter_problem,
    launcher_of,
    split_command,
)
from posttool.cli.terminal import CliError, Style
from posttool.lib.config import ConfigError, load_config

FAILURE_EVENT = "PostToolUseFailure"


# --- settings --------------------------------------------------------------------------------


class Wiring:
    """What the settings files say: {command: {event: [paths]}}, each readable file's scope and
    value, and the checks made on the way."""

    def __init__(self) -> None:
        self.commands: dict[str, dict[str, list[str]]] = {}
        self.files: list[tuple[str, str, dict[str, Any]]] = []
        self.checks: list[Check] = []

    def scope_of(self, path: str) -> str:
        return next((scope for scope, p, _value in self.files if p == path), "user")


def read_wiring(cwd: str) -> Wiring:
    wiring = Wiring()
    for scope, path in claude_settings.scope_paths(cwd):
        try:
            text = claude_settings.read_text(path)
            value = claude_settings.parse(text, path)
            found = claude_settings.find(value, path)
        except claude_settings.SettingsError as exc:
            wiring.checks.append(
                fail(
                    f"settings ({scope})",
                    str(exc),
                    f"repair {path} by hand (Claude Code ignores it as it is)",
                )
            )
            continue
        wiring.files.append((scope, path, value))
        for event, entry in found:
            wiring.commands.setdefault(entry["command"], {}).setdefault(event, []).append(path)
    return wiring


def check_events(wiring: Wiring, fixer: Fixer) -> Check:
    """Is posttool wired for PostToolUse, once? (PostToolUseFailure is the version check's.)"""
    wired = {event for events in wiring.commands.values() for event in events}
    paths = sorted({p for events in wiring.commands.values() for ps in events.values() for p in ps})
    if not wired:
        return fail(
            "settings",
            "posttool is not in any Claude Code settings file (user, project, local)",
            f"run {fixer.install()} (add --scope project or local for this project only)",
        )
    if "PostToolUse" not in wired:
        scope = wiring.scope_of(paths[0])
        return fail(
            "settings",
            f"posttool runs for {FAILURE_EVENT} only, not PostToolUse (in {', '.join(paths)})",
            f"run {fixer.install(scope)}",
        )
    if len(wiring.commands) > 1:
        return warn(
            "settings",
            f"{len(wiring.commands)} different posttool commands are wired "
            f"(in {', '.join(paths)}); each tool call starts all of them",
            f"keep one: {fixer.uninstall('<scope>')} for the others",
        )
    return ok("settings", f"posttool runs for {', '.join(sorted(wired))} (from {', '.join(paths)})")


def check_claude(wiring: Wiring, support: Support, fixer: Fixer) -> list[Check]:
    """PostToolUseFailure against the Claude Code version, both ways, file by file."""
    name = "claude"
    if support.version is None:
        checks = [
            warn(
                name,
                f"{support.describe()}: cannot tell whether {FAILURE_EVENT} may be named",
                f"tell doctor: {fixer.doctor_with_version()}",
            )
        ]
    else:
        checks = [ok(name, support.describe())]
    accepted = support.failure_event
    for scope, path, value in wiring.files:
        names_it = claude_settings.names_event(value, FAILURE_EVENT)
        ours = {event for event, _entry in claude_settings.find(value, path)}
        home = _home_in(value, path)
        foreign = claude_settings.foreign_entries(value, FAILURE_EVENT)
        by_hand = f"remove the {FAILURE_EVENT} key from {path} by hand"
        if names_it and accepted is False:
            if FAILURE_EVENT in ours:
                fix = f"run {fixer.install(scope, home)}" + (
                    f", then {by_hand} (it holds {foreign} hook(s) of your own)" if foreign else ""
                )
            else:
                fix = by_hand
            checks.append(
                fail(
                    name,
                    f"{path} names {FAILURE_EVENT}: Claude Code {support.text} rejects this file "
                    "and runs none of its hooks (posttool's and yours)",
                    fix,
                )
            )
        elif names_it and accepted is None and support.version is not None:
            checks.append(
                warn(
                    name,
                    f"{path} names {FAILURE_EVENT}; whether Claude Code {support.text} accepts it "
                    "is not known (2.0.55 and before reject the whole file, 2.0.59 and later "
                    "accept it)",
                    "upgrade Claude Code to 2.0.59 or later, or "
                    + (f"run {fixer.install(scope, home)}" if FAILURE_EVENT in ours else by_hand),
                )
            )
        elif accepted and "PostToolUse" in ours and FAILURE_EVENT not in ours:
            checks.append(
                warn(
                    name,
                    f"{path}: posttool does not run for {FAILURE_EVENT}, which Claude Code "
                    f"{support.text} sends for failed tool calls",
                    f"run {fixer.install(scope, home)}",
                )
            )
    return checks


def _home_in(value: dict[str, Any], path: str) -> str | None:
    for _event, entry in claude_settings.find(value, path):
        words = split_command(entry["command"])
        if words and home_of(words):
            return home_of(words)
    return None


# --- the command -----------------------------------------------------------------------------


def run_checks(
    home: str, home_given: bool, cwd: str, support: Support | None = None
) -> list[Check]:
    from posttool.cli.http_wiring import server_checks

    support = support or Support(None, "not looked up")
    fixer = Fixer(home if home_given else None, support)
    wiring = read_wiring(cwd)
    served = [Check(*found) for found in server_checks(home, cwd)]
    http_wired = any(check.name == "settings" for check in served)
    checks = [*wiring.checks]
    if not (http_wired and not wiring.commands):
        checks += [check_events(wiring, fixer), *check_claude(wiring, support, fixer)]
    checks += served
    commands = list(wiring.commands)
    if not commands:
        commands = [hook_command([sys.executable, "-I", "-m", "posttool"], home)]
        problem = interpreter_problem(sys.executable)
        if problem:
            return [
                *checks,
                fail(
                    "interpreter",
                    problem,
                    "run posttool with a real interpreter, e.g. "
                    "`<venv>/bin/python -m posttool doctor`",
                ),
            ]
        checks.append(
            warn(
                "command",
                f"not installed; checking this interpreter's command instead: {commands[0]}",
            )
        )
    homes: list[str] = [home] if home_given else []
    interpreters: list[str] = []
    for command in commands:
        launcher_check, words = check_launcher(command, fixer)
        checks.append(launcher_check)
        if words is None:
            continue
        command_home = home_of(words)
        paths = [p for ps in wiring.commands.get(command, {}).values() for p in ps]
        fix = fixer.install(wiring.scope_of(paths[0]) if paths else None, command_home)
        if command_home is None:
            checks.append(
                warn(
                    "command",
                    f"{command!r} has no --home: every call imports platformdirs to find it",
                    f"run {fix}",
                )
            )
        elif not home_given and command_home not in homes:
            homes.append(command_home)
        prefix = launcher_of(words) or words[:1]
        interpreter = interpreter_of(words) or sys.executable
        if paths:
            form = check_command_form(prefix, fix)
            if form:
                checks.append(form)
        found = slowness.probe(interpreter)
        stale = slowness.stale_bytecode(found)  # before the timed runs, which may write it
        checks.append(check_bytecode(interpreter, found, stale))
        causes = slowness.causes(prefix, found, stale)
        checks.append(check_answers(words, command_home or home, causes, fix))
        interpreters.append(interpreter)
    homes = homes or [home]
    for interpreter in dict.fromkeys(interpreters):
        checks.append(check_ruff(interpreter, homes[0]))
    for folder in homes:
        checks.append(check_home(folder, fixer))
        checks.append(check_config(folder))
    from posttool.cli.userhooks import hook_checks

    try:
        checks += [Check(*found) for found in hook_checks(homes[0], load_config(homes[0]), cwd)]
    except ConfigError:
        pass  # check_config has reported it
    return checks


def run_doctor(
    home: str,
    home_given: bool,
    as_json: bool,
    out: TextIO | None = None,
    cwd: str | None = None,
    claude_version: str | None = None,
) -> int:
    out = sys.stdout if out is None else out
    try:
        support = detect(claude_version)
    except ValueError as exc:
        raise CliError(str(exc), code=2) from None
    checks = run_checks(home, home_given, cwd or os.getcwd(), support)
    failed = any(check.status == "fail" for check in checks)
    if as_json:
        out.write(
            json.dumps({"ok": not failed, "checks": [c.as_dict() for c in checks]}, indent=2) + "\n"
        )
        return 1 if failed else 0
    style = Style.for_stream(out)
    labels = {"ok": style.ok("ok  "), "warn": style.warn("warn"), "fail": style.bad("FAIL")}
    width = max(len(check.name) for check in checks)
    for check in checks:
        fix = f" — fix: {check.fix}" if check.fix else ""
        out.write(f"{labels[check.status]}  {check.name.ljust(width)}  {check.detail}{fix}\n")
    return 1 if failed else 0
