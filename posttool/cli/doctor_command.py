"""`posttool doctor`'s checks on a wired hook command: its interpreter (launcher), its answers
on sample events and its speed against the bare interpreter, posttool's bytecode, and the form
of the command."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from posttool.cli import slowness
from posttool.cli.bench import FLOOR_ARGS, bundled_events, materialise, rewrite, with_fresh_id
from posttool.cli.doctor_checks import Check, Fixer, fail, ok, warn
from posttool.cli.launch_file import is_launcher_file
from posttool.cli.launcher import (
    ephemeral_reason,
    home_of,
    interpreter_problem,
    launcher_of,
    script_interpreter,
    shim_reason,
    split_command,
)

SAMPLE_EVENTS = ("02_read_app_py_ok.json", "06_bash_import_error_failure.json")
TIMED_RUNS = 15
RUN_TIMEOUT_S = 30


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
