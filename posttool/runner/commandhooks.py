"""Command hooks: a program in any language, run without a shell, beside the built-ins.

`"commands": [{"name", "matcher", "events", "priority", "run": [argv...], "timeout_s"}]`.
Each matching, enabled and not suspended command starts before the session lock, all of them
at once, with the raw event JSON on stdin and the project folder as cwd; each is killed with
its whole process group at its timeout. Its stdout is its message: plain text, or a JSON object
with `additionalContext` (and optional `severity`). A non-zero exit, a timeout or a failed
start makes its hook raise in dispatch, so it is recorded, rolled back and suspended after
repeated failures exactly like a built-in hook.
"""

from __future__ import annotations

import os
import time

from posttool.api import BOTH_EVENTS, hook_spec
from posttool.lib.fast import spawn
from posttool.lib.fast.jsonfast import JSONDecodeError, loads
from posttool.lib.message import SEVERITY_RANK, Message
from posttool.lib.paths import find_program, sessions_dir
from posttool.runner.registry import HookRecord, RegistrationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.event import Event
    from posttool.lib.state import State

COMMAND_FAMILY = "command"
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 60.0
DEFAULT_PRIORITY = 80
MAX_STDOUT = 256 * 1024
STDERR_TAIL = 300
COMMAND_KEYS = {"name", "matcher", "events", "priority", "run", "timeout_s"}


class CommandFailed(Exception):
    """The command exited non-zero, timed out or could not start."""


class CommandHook:
    """The hook function of one command: it reports what `run_commands` collected."""

    __slots__ = ("argv", "cwd", "env", "name", "outcome", "timeout_s")

    def __init__(self, name: str, argv: list[str], cwd: str, timeout_s: float) -> None:
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.timeout_s = timeout_s
        self.env = {**os.environ, "CLAUDE_PROJECT_DIR": cwd}
        self.outcome: Message | str | None = None

    def __call__(self, event: Event, state: State) -> Message | None:
        outcome = self.outcome
        if isinstance(outcome, str):
            raise CommandFailed(outcome)
        return outcome

    def __repr__(self) -> str:
        return f"CommandHook({self.name}, {self.argv!r})"


# --- registration ----------------------------------------------------------------------------


def command_records(entries: object, project_dir: str, problems: list[str]) -> list[HookRecord]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        problems.append(f"commands: expected a list of objects, got {entries!r}")
        return []
    records = []
    for entry in entries:
        try:
            records.append(command_record(entry, project_dir))
        except RegistrationError as exc:
            problems.append(f"{exc}; skipped")
    return records


def command_record(entry: object, project_dir: str) -> HookRecord:
    if not isinstance(entry, dict):
        raise RegistrationError(f"command {entry!r}: not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistrationError(f'command {entry!r}: needs a "name"')
    where = f"command {name}"
    unknown = sorted(set(entry) - COMMAND_KEYS)
    if unknown:
        raise RegistrationError(f"{where}: unknown keys {unknown}")
    run = entry.get("run")
    if not isinstance(run, list) or not run or not all(isinstance(a, str) for a in run):
        raise RegistrationError(f'{where}: "run" must be a non-empty list of strings')
    argv = [expand(arg, project_dir) for arg in run]
    argv[0] = resolve_program(argv[0], project_dir, where)
    timeout_s = entry.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
        raise RegistrationError(f'{where}: "timeout_s" must be a positive number')
    priority = entry.get("priority", DEFAULT_PRIORITY)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RegistrationError(f'{where}: "priority" must be an integer')
    events = entry.get("events", sorted(BOTH_EVENTS))
    matcher = entry.get("matcher", ".*")
    if not isinstance(events, list) or not isinstance(matcher, str):
        raise RegistrationError(f'{where}: "events" must be a list, "matcher" a string')
    fn = CommandHook(name, argv, project_dir, min(float(timeout_s), MAX_TIMEOUT_S))
    spec = hook_spec(name, matcher=matcher, priority=priority, events=events, may_spawn=True)
    return HookRecord(spec, COMMAND_FAMILY, fn)


def expand(arg: str, project_dir: str) -> str:
    """`~` at the start and `${CLAUDE_PROJECT_DIR}` (or `$CLAUDE_PROJECT_DIR`) anywhere."""
    arg = arg.replace("${CLAUDE_PROJECT_DIR}", project_dir)
    arg = arg.replace("$CLAUDE_PROJECT_DIR", project_dir)
    return os.path.expanduser(arg)


def resolve_program(program: str, project_dir: str, where: str) -> str:
    """An absolute path to an executable: a path is taken from the project folder, a bare
    name is looked up on PATH. RegistrationError when there is none."""
    if os.sep in program:
        path = os.path.normpath(os.path.join(project_dir, program))
        if not os.path.isfile(path):
            raise RegistrationError(f"{where}: no file {path}")
        if not os.access(path, os.X_OK):
            raise RegistrationError(f"{where}: {path} is not executable (chmod +x)")
        return path
    found = find_program(program)
    if found is None:
        raise RegistrationError(f"{where}: {program!r} not found on PATH")
    return found


# --- running ---------------------------------------------------------------------------------


def commands_to_run(
    hooks: Iterable[HookRecord], config: Config, home: str, session_key: str
) -> list[CommandHook]:
    """The matching command hooks that are enabled and not suspended for this session (read
    from the session file without its lock: saves replace the file whole)."""
    wanted = [
        record.fn
        for record in hooks
        if isinstance(record.fn, CommandHook) and config.hook_enabled(record.name, True)
    ]
    if not wanted:
        return []
    health = _session_health(home, session_key)
    return [fn for fn in wanted if not _suspended(health.get(fn.name))]


def _suspended(record: object) -> bool:
    return isinstance(record, dict) and bool(record.get("suspended"))


def _session_health(home: str, session_key: str) -> dict[str, Any]:
    try:
        with open(os.path.join(sessions_dir(home), f"{session_key}.json"), "rb") as handle:
            doc = loads(handle.read())
    except (OSError, JSONDecodeError, ValueError):
        return {}
    health = doc.get("hook_health") if isinstance(doc, dict) else None
    return health if isinstance(health, dict) else {}


def run_commands(commands: list[CommandHook], data: bytes) -> None:
    """Run every command at once with `data` on stdin; set each one's `outcome`."""
    jobs = []
    for command in commands:
        try:
            child = spawn.start(command.argv, command.cwd, command.env, stdin_pipe=True)
        except OSError as exc:
            command.outcome = f"could not start {command.argv[0]}: {exc.strerror or exc}"
            continue
        jobs.append(_Job(command, child, time.monotonic() + command.timeout_s))
    if jobs:
        _pump(jobs, data)


class _Job:
    __slots__ = ("child", "command", "deadline", "err", "out", "out_size", "sent")

    def __init__(self, command: CommandHook, child: spawn.Child, deadline: float) -> None:
        self.command = command
        self.child = child
        self.deadline = deadline
        self.out: list[bytes] = []
        self.out_size = 0
        self.err = b""
        self.sent = 0


def _pump(jobs: list[_Job], data: bytes) -> None:
    """Feed stdin and drain stdout/stderr of every job in one poll loop, until each has
    closed its pipes or reached its deadline; then reap each, killing what overran."""
    import select

    poller = select.poll()
    owners: dict[int, tuple[_Job, str]] = {}
    for job in jobs:
        os.set_blocking(job.child.in_fd, False)
        for fd, kind, mask in (
            (job.child.in_fd, "in", select.POLLOUT),
            (job.child.out_fd, "out", select.POLLIN),
            (job.child.err_fd, "err", select.POLLIN),
        ):
            owners[fd] = (job, kind)
            poller.register(fd, mask | select.POLLHUP | select.POLLERR)

    def close(fd: int) -> None:
        poller.unregister(fd)
        del owners[fd]
        os.close(fd)

    while owners:
        now = time.monotonic()
        for fd, (job, _) in list(owners.items()):
            if job.deadline <= now:
                close(fd)
        if not owners:
            break
        wait_ms = max(0.0, min(job.deadline for job, _ in owners.values()) - now) * 1000
        for fd, _ in poller.poll(wait_ms):
            if fd not in owners:
                continue
            job, kind = owners[fd]
            if kind == "in":
                try:
                    job.sent += os.write(fd, data[job.sent : job.sent + 65536])
                except BlockingIOError:
                    continue
                except OSError:  # the command closed its stdin: it does not want the rest
                    job.sent = len(data)
                if job.sent >= len(data):
                    close(fd)
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                close(fd)
            elif kind == "out":
                if job.out_size < MAX_STDOUT:
                    job.out.append(chunk)
                job.out_size += len(chunk)
            else:
                job.err = (job.err + chunk)[-STDERR_TAIL:]
    for job in jobs:
        job.command.outcome = _finish(job)


def _finish(job: _Job) -> Message | str | None:
    status = spawn._reap(job.child.pid, job.deadline)
    if status is None:
        spawn.kill(job.child)
        return f"timed out after {job.command.timeout_s:g} s (killed with its process group)"
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = job.err.decode("utf-8", "replace").strip().splitlines()
        return f"exited with {code}" + (f": {tail[-1][:200]}" if tail else "")
    return message_from(b"".join(job.out)[:MAX_STDOUT])


def message_from(stdout: bytes) -> Message | None:
    """Plain text, or a JSON object with `additionalContext` and an optional `severity` (a
    Claude Code hook's `hookSpecificOutput` object is read the same way)."""
    text = stdout.decode("utf-8", "replace").strip()
    if not text:
        return None
    if not text.startswith("{"):
        return Message(text)
    try:
        answer = loads(text)
    except (JSONDecodeError, ValueError):
        return Message(text)
    if not isinstance(answer, dict):
        return Message(text)
    inner = answer.get("hookSpecificOutput")
    if "additionalContext" not in answer and isinstance(inner, dict):
        answer = {**inner, **{k: v for k, v in answer.items() if k == "severity"}}
    context = answer.get("additionalContext")
    if not isinstance(context, str) or not context.strip():
        return None
    severity = answer.get("severity")
    return Message(context, severity if severity in SEVERITY_RANK else "info")
