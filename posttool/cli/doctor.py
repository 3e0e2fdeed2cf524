"""`posttool doctor`: checks the wiring the user actually has, one line per check, with a fix for
each failure; exits 1 when any check failed.

It reads the three Claude Code settings files and checks them against the Claude Code version
(`PostToolUseFailure` named where that build rejects the file, or missing where it would run);
for each distinct posttool command it checks the interpreter, posttool's bytecode, starts the
command on sample events (with a temporary home, so the user's state is untouched) and times it
against the bare interpreter, naming the causes of a slow command it can see; then ruff, the
home folder and its permissions, and the config file. Every command a fix suggests is written
for the detected Claude Code version, with absolute paths.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, TextIO

from posttool.cli import settings as claude_settings
from posttool.cli import slowness
from posttool.cli.bench import FLOOR_ARGS, bundled_events, materialise, rewrite, with_fresh_id
from posttool.cli.claude_version import Support
from posttool.cli.launch_file import is_launcher_file
from posttool.cli.launcher import (
    console_script,
    ephemeral_reason,
    home_of,
    hook_command,
    interpreter_problem,
    launcher_of,
    script_interpreter,
    shim_reason,
    split_command,
)
from posttool.cli.terminal import Style
from posttool.lib.config import ConfigError, load_config

SAMPLE_EVENTS = ("02_read_app_py_ok.json", "06_bash_import_error_failure.json")
TIMED_RUNS = 15
RUN_TIMEOUT_S = 30
FAILURE_EVENT = "PostToolUseFailure"


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


def interpreter_of(words: list[str]) -> str | None:
    """The Python that a posttool command runs: the script's shebang, or the `-m` interpreter."""
    prefix = launcher_of(words) or words[:1]
    if len(prefix) == 1:
        return script_interpreter(prefix[0])
    return prefix[0]


def check_launcher(command: str, fixer: Fixer) -> tuple[Check, list[str] | None]:
    """Does the command start a real interpreter that exists? Returns the words to run."""
    words = split_command(command) or []
    prefix = launcher_of(words)
    name = "interpreter"
    reinstall = "run install with the interpreter you want it to use: " + fixer.install(
        home=home_of(words)
    ).replace(shlex.join(fixer.posttool()), "<venv>/bin/python -m posttool", 1)
    if not prefix:
        return fail(name, f"cannot parse the hook command {command!r}", reinstall), None
    program = prefix[0]
    if not os.path.isabs(program):
        return fail(
            name,
            f"{program} is not an absolute path: the agent's PATH decides what "
            "runs, and a shim may answer",
            reinstall,
        ), None
    if not (os.path.isfile(program) and os.access(program, os.X_OK)):
        return fail(name, f"{program} does not exist or is not executable", reinstall), None
    reason = shim_reason(program)
    interpreter = interpreter_of(words)
    problem = reason or (interpreter_problem(interpreter) if interpreter else "no interpreter")
    if problem:
        return fail(name, problem, reinstall), None
    if is_launcher_file(prefix[-1]) and not os.path.isfile(prefix[-1]):
        return fail(
            name,
            f"the launcher {prefix[-1]} is missing (was posttool's home removed?)",
            f"run {fixer.install(home=home_of(words))}",
        ), None
    temporary = ephemeral_reason(interpreter or program)
    if temporary:
        return warn(name, temporary), words
    return ok(
        name, f"{interpreter} (via {program})" if interpreter != program else interpreter
    ), words


def with_home(words: list[str], home: str) -> list[str]:
    """The command's words with `--home` pointing at `home` (added when absent)."""
    out: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "--home" and i + 1 < len(words):
            skip = True
            continue
        if word.startswith("--home="):
            continue
        out.append(word)
    return [*out, "--home", home]


def valid_answer(stdout: bytes, event_name: str) -> str | None:
    """Why the output breaks the hook contract, or None when it keeps it."""
    text = stdout.decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return f"stdout is not one JSON object: {text[:80]!r}"
    if not isinstance(answer, dict):
        return "stdout is JSON but not an object"
    if answer and answer.get("hookSpecificOutput", {}).get("hookEventName") != event_name:
        return f"the answer does not name {event_name}: {text[:80]!r}"
    return None


def time_run(
    args: list[str], data: bytes, cwd: str
) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    done = subprocess.run(
        args, input=data, capture_output=True, cwd=cwd, timeout=RUN_TIMEOUT_S, check=False
    )
    return (time.perf_counter() - start) * 1000, done


def check_answers(
    words: list[str],
    config_from: str | None = None,
    causes: list[str] | None = None,
    fix: str = "",
) -> Check:
    """Start the command on a failed Bash event once and on a Read TIMED_RUNS times, each Read
    followed by the bare interpreter, in a temporary home (holding a copy of the user's
    config.json, so that their settings apply) and a temporary project; the medians are
    compared."""
    name = "answers"
    events = dict(bundled_events())
    with tempfile.TemporaryDirectory(prefix="posttool-doctor-") as root:
        project = os.path.join(root, "proj")
        home = os.path.join(root, "home")
        os.makedirs(os.path.join(project, ".git"))
        os.makedirs(home, mode=0o700)
        if config_from and os.path.isfile(os.path.join(config_from, "config.json")):
            shutil.copyfile(
                os.path.join(config_from, "config.json"), os.path.join(home, "config.json")
            )
        args = with_home(words, home)
        run_ms: list[float] = []
        floor_ms: list[float] = []
        interpreter = interpreter_of(words) or sys.executable
        order = [SAMPLE_EVENTS[1]] + [SAMPLE_EVENTS[0]] * TIMED_RUNS
        try:
            for index, event_name in enumerate(order):
                raw = rewrite(events[event_name], project, root)
                materialise(raw, project)
                ms, done = time_run(args, with_fresh_id(raw, index), project)
                problem = _contract(done, raw["hook_event_name"])
                if problem:
                    logged = _last_log_line(home)
                    return fail(
                        name,
                        f"{event_name}: {problem}" + (f" (log: {logged})" if logged else ""),
                        (fix or "reinstall") + "; if it persists, report the log line",
                    )
                if event_name == SAMPLE_EVENTS[0]:
                    run_ms.append(ms)
                    floor_ms.append(time_run([interpreter, *FLOOR_ARGS], b"", project)[0])
        except (OSError, subprocess.TimeoutExpired) as exc:
            return fail(name, f"the command did not run: {exc}", fix or "reinstall")
    median = statistics.median(run_ms)
    ratio = median / max(statistics.median(floor_ms), 0.001)
    detail = (
        f"PostToolUse and PostToolUseFailure answered correctly; a Read takes "
        f"{median:.0f} ms, {ratio:.1f}× the bare interpreter ({TIMED_RUNS} interleaved runs, "
        "medians)"
    )
    if ratio > slowness.SLOW_RATIO:
        seen = causes or []
        why = "; ".join(seen) if seen else "no cause visible from here (a busy machine?)"
        return warn(
            name,
            f"{detail}: slow (above {slowness.SLOW_RATIO}×): {why}",
            (f"run {fix}; " if seen and fix else "")
            + f"`{shlex.join([*Fixer.posttool(), 'bench'])}` shows where the time goes",
        )
    return ok(name, detail)


def check_bytecode(interpreter: str, found: slowness.Interpreter, stale: list[str]) -> Check:
    name = "bytecode"
    if not found.package:
        return warn(name, f"{interpreter} -I cannot import posttool to check its bytecode")
    if not stale:
        return ok(name, f"{found.package} has current bytecode ({found.cache_tag})")
    from posttool.cli.bytecode import writable

    total = len(bytecode_sources(found.package))
    detail = (
        f"{len(stale)} of {total} module(s) of {found.package} have no current bytecode, so "
        "posttool is compiled again on the calls that miss it"
    )
    compile_command = f"`{shlex.join([interpreter, '-m', 'compileall', '-q', found.package])}`"
    if writable(found.package):
        return warn(name, detail, compile_command)
    return warn(
        name,
        detail + "; the folder is not writable",
        f"ask its owner to run {compile_command}",
    )


def bytecode_sources(package: str) -> list[str]:
    from posttool.cli.bytecode import sources

    return sources(package)


def check_command_form(prefix: list[str], fix: str) -> Check | None:
    """A command install no longer writes (a console script, `python -m`): slower per call."""
    if is_launcher_file(prefix[-1]):
        return None
    return warn(
        "command",
        f"{shlex.join(prefix)} is not the launcher `posttool install` writes now "
        f"(`python -I -S <home>/launch/posttool-<id>.py`), which starts faster",
        f"run {fix}",
    )


def _last_log_line(home: str) -> str:
    try:
        with open(os.path.join(home, "posttool.log"), encoding="utf-8", errors="replace") as log:
            lines = log.read().strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _contract(done: subprocess.CompletedProcess[bytes], event_name: str) -> str | None:
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"exit code {done.returncode}" + (f": {err[-1][:120]}" if err else "")
    if done.stderr.strip():
        return f"wrote to stderr: {done.stderr.decode('utf-8', 'replace').strip()[:120]}"
    return valid_answer(done.stdout, event_name)


# --- ruff, home, config ----------------------------------------------------------------------


def check_ruff(interpreter: str, home: str) -> Check:
    from posttool.lib.lint.cache import resolve_executable
    from posttool.runner.registry import load_registry

    load_registry()  # quality_scanner declares `quality_scanner.ruff_cmd`
    try:
        configured = load_config(home).get("quality_scanner.ruff_cmd")
    except ConfigError:
        configured = ""
    if configured:
        found = resolve_executable(configured)
        where = f"quality_scanner.ruff_cmd = {configured!r}"
    else:
        beside = os.path.join(
            os.path.dirname(interpreter), "ruff.exe" if os.name == "nt" else "ruff"
        )
        found = (
            beside
            if os.path.isfile(beside) and os.access(beside, os.X_OK)
            else resolve_executable("ruff")
        )
        where = f"beside {interpreter} or on PATH"
    if not found:
        return fail(
            "ruff",
            f"not found ({where}); quality_scanner cannot lint Python files",
            f"`{interpreter} -m pip install ruff`",
        )
    try:
        done = subprocess.run([found, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return fail(
            "ruff",
            f"{found} does not run: {exc}",
            f"`{interpreter} -m pip install --force-reinstall ruff`",
        )
    version = done.stdout.decode("utf-8", "replace").strip() or "unknown version"
    return ok("ruff", f"{found} ({version})")


def check_home(home: str, fixer: Fixer | None = None) -> Check:
    name = "home"
    if not os.path.exists(home):
        parent = os.path.dirname(home.rstrip(os.sep)) or os.sep
        while not os.path.exists(parent) and parent != os.path.dirname(parent):
            parent = os.path.dirname(parent)
        if os.access(parent, os.W_OK):
            return ok(name, f"{home} does not exist yet; the first run creates it (0700)")
        return fail(
            name,
            f"{home} does not exist and {parent} is not writable",
            "pick a writable home: "
            + (fixer.install(home="<dir>") if fixer else "`posttool install --home <dir>`"),
        )
    if not os.path.isdir(home):
        return fail(name, f"{home} is not a folder", "remove it or choose another `--home`")
    info = os.stat(home)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return fail(
            name,
            f"{home} belongs to uid {info.st_uid}, not you ({os.getuid()})",
            f"`chown -R $(id -u) {home}`",
        )
    if not _writable(home):
        return fail(name, f"{home} is not writable", f"`chmod u+rwx {home}`")
    loose = _loose_permissions(home)
    if loose:
        return fail(
            name,
            f"{len(loose)} item(s) readable by others, e.g. {loose[0]}",
            f"`chmod -R go-rwx {home}`",
        )
    return ok(name, f"{home} is writable and private (0700/0600)")


def _writable(folder: str) -> bool:
    try:
        fd, path = tempfile.mkstemp(prefix=".doctor-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(path)
    return True


def _loose_permissions(home: str) -> list[str]:
    loose = []
    for root, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = os.path.join(root, name)
            try:
                if stat.S_IMODE(os.lstat(path).st_mode) & 0o077:
                    loose.append(path)
            except OSError:
                continue
    if stat.S_IMODE(os.stat(home).st_mode) & 0o077:
        loose.insert(0, home)
    return loose


def check_config(home: str) -> Check:
    try:
        config = load_config(home)
    except ConfigError as exc:
        return fail("config", str(exc), "fix the JSON, or move the file away to use defaults")
    from posttool.cli.config_cmd import problem_summary

    count, first = problem_summary(home)
    if count:
        more = f" (and {count - 1} more)" if count > 1 else ""
        return fail("config", f"{first}{more}", "posttool config check  # lists every problem")
    if config.path and os.path.exists(config.path):
        return ok("config", f"{config.path} is valid")
    return ok("config", "no config.json; defaults apply")


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
    from posttool.cli.claude_version import detect
    from posttool.cli.terminal import CliError

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
