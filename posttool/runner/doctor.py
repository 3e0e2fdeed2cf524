"""`posttool doctor`: checks the wiring the user actually has, one line per check, with a fix for
each failure; exits 1 when any check failed.

It reads the three Claude Code settings files, and for each distinct posttool command in them
checks the interpreter, starts the command on sample events (with a temporary home, so the
user's state is untouched) and times it against the bare interpreter; then ruff, the home
folder and its permissions, and the config file.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TextIO

from posttool.lib.config import ConfigError, load_config
from posttool.runner import settings as claude_settings
from posttool.runner.bench import FLOOR_ARGS, bundled_events, materialise, rewrite, with_fresh_id
from posttool.runner.launcher import (
    LauncherError,
    ephemeral_reason,
    home_of,
    hook_command,
    interpreter_problem,
    launcher,
    launcher_of,
    script_interpreter,
    shim_reason,
    split_command,
)
from posttool.runner.terminal import Style

SAMPLE_EVENTS = ("02_read_app_py_ok.json", "06_bash_import_error_failure.json")
TIMED_RUNS = 5
SLOW_MS = 250.0
SLOW_RATIO = 8.0
RUN_TIMEOUT_S = 30


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


# --- settings --------------------------------------------------------------------------------


class Wiring:
    """What the settings files say: {command: {event: [paths]}} and the checks made on the way."""

    def __init__(self) -> None:
        self.commands: dict[str, dict[str, list[str]]] = {}
        self.checks: list[Check] = []


def read_wiring(cwd: str) -> Wiring:
    wiring = Wiring()
    for scope, path in claude_settings.scope_paths(cwd):
        try:
            text = claude_settings.read_text(path)
            found = claude_settings.find(claude_settings.parse(text, path), path)
        except claude_settings.SettingsError as exc:
            wiring.checks.append(
                fail(
                    f"settings ({scope})",
                    str(exc),
                    f"repair {path} by hand (Claude Code ignores it as it is)",
                )
            )
            continue
        for event, entry in found:
            wiring.commands.setdefault(entry["command"], {}).setdefault(event, []).append(path)
    return wiring


def check_events(wiring: Wiring) -> Check:
    wired = {event for events in wiring.commands.values() for event in events}
    paths = sorted({p for events in wiring.commands.values() for ps in events.values() for p in ps})
    if not wired:
        return fail(
            "settings",
            "posttool is not in any Claude Code settings file (user, project, local)",
            "run `posttool install` (add --scope project|local for this project only)",
        )
    missing = [event for event in claude_settings.EVENTS if event not in wired]
    if missing:
        return fail(
            "settings",
            f"posttool runs for {', '.join(sorted(wired))} but not "
            f"{', '.join(missing)} (in {', '.join(paths)})",
            "run `posttool install` again to add the missing event",
        )
    if len(wiring.commands) > 1:
        return warn(
            "settings",
            f"{len(wiring.commands)} different posttool commands are wired "
            f"(in {', '.join(paths)}); each tool call starts all of them",
            "keep one: `posttool uninstall --scope <scope>` for the others",
        )
    return ok(
        "settings",
        f"posttool runs for PostToolUse and PostToolUseFailure (from {', '.join(paths)})",
    )


# --- the command -----------------------------------------------------------------------------


def interpreter_of(words: list[str]) -> str | None:
    """The Python that a posttool command runs: the script's shebang, or the `-m` interpreter."""
    prefix = launcher_of(words) or words[:1]
    if len(prefix) == 1:
        return script_interpreter(prefix[0])
    return prefix[0]


def check_launcher(command: str) -> tuple[Check, list[str] | None]:
    """Does the command start a real interpreter that exists? Returns the words to run."""
    words = split_command(command) or []
    prefix = launcher_of(words)
    name = "interpreter"
    reinstall = (
        "re-run `posttool install` with the interpreter you want it to use "
        "(e.g. `<venv>/bin/posttool install`)"
    )
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


def check_answers(words: list[str], config_from: str | None = None) -> Check:
    """Start the command on a Read and a failed Bash event, in a temporary home (holding a copy
    of the user's config.json, so that their settings apply) and a temporary project."""
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
        try:
            for index in range(TIMED_RUNS):
                for event_name in SAMPLE_EVENTS:
                    raw = rewrite(events[event_name], project, root)
                    materialise(raw, project)
                    ms, done = time_run(args, with_fresh_id(raw, index), project)
                    problem = _contract(done, raw["hook_event_name"])
                    if problem:
                        logged = _last_log_line(home)
                        return fail(
                            name,
                            f"{event_name}: {problem}" + (f" (log: {logged})" if logged else ""),
                            "reinstall with `posttool install`; if it persists, "
                            "report the log line",
                        )
                    if event_name == SAMPLE_EVENTS[0]:
                        run_ms.append(ms)
                floor_ms.append(time_run([interpreter, *FLOOR_ARGS], b"", project)[0])
        except (OSError, subprocess.TimeoutExpired) as exc:
            return fail(
                name, f"the command did not run: {exc}", "reinstall with `posttool install`"
            )
    median = statistics.median(run_ms)
    ratio = median / max(statistics.median(floor_ms), 0.001)
    detail = (
        f"PostToolUse and PostToolUseFailure answered correctly; a Read takes "
        f"{median:.0f} ms, {ratio:.1f}× the bare interpreter ({TIMED_RUNS} runs, median)"
    )
    if median > SLOW_MS or ratio > SLOW_RATIO:
        return warn(
            name,
            detail + ": slow",
            "`posttool bench` shows where the time goes; "
            "`POSTTOOL_DISABLE=<hook>` or config `<hook>.enabled: false` turns a hook off",
        )
    return ok(name, detail)


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
    from posttool.lib.lint import resolve_executable

    try:
        configured = load_config(home).get("quality_scanner.ruff_cmd", "")
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


def check_home(home: str) -> Check:
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
            "pick a writable home: `posttool install --home <dir>`",
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
    if config.path and os.path.exists(config.path):
        return ok("config", f"{config.path} is valid")
    return ok("config", "no config.json; defaults apply")


# --- the command -----------------------------------------------------------------------------


def run_checks(home: str, home_given: bool, cwd: str) -> list[Check]:
    from posttool.runner.http_wiring import server_checks

    wiring = read_wiring(cwd)
    served = [Check(*found) for found in server_checks(home, cwd)]
    http_wired = any(check.name == "settings" for check in served)
    checks = [
        *wiring.checks,
        *([] if http_wired and not wiring.commands else [check_events(wiring)]),
    ]
    checks += served
    commands = list(wiring.commands)
    if not commands:
        try:
            commands = [hook_command(launcher(), home)]
        except LauncherError as exc:
            return [
                *checks,
                fail(
                    "interpreter",
                    str(exc),
                    "run posttool with a real interpreter, e.g. `<venv>/bin/posttool doctor`",
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
        launcher_check, words = check_launcher(command)
        checks.append(launcher_check)
        if words is None:
            continue
        command_home = home_of(words)
        if command_home is None:
            checks.append(
                warn(
                    "command",
                    f"{command!r} has no --home: every call imports platformdirs to find it",
                    "run `posttool install` again",
                )
            )
        elif not home_given and command_home not in homes:
            homes.append(command_home)
        checks.append(check_answers(words, config_from=command_home or home))
        interpreters.append(interpreter_of(words) or sys.executable)
    homes = homes or [home]
    for interpreter in dict.fromkeys(interpreters):
        checks.append(check_ruff(interpreter, homes[0]))
    for folder in homes:
        checks.append(check_home(folder))
        checks.append(check_config(folder))
    return checks


def run_doctor(
    home: str, home_given: bool, as_json: bool, out: TextIO | None = None, cwd: str | None = None
) -> int:
    out = sys.stdout if out is None else out
    checks = run_checks(home, home_given, cwd or os.getcwd())
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
