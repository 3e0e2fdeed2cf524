"""Start a linter and collect its output under a deadline, without importing `subprocess`.

`import subprocess` pulls in `locale`, `re`, `enum`, `signal`, `selectors` and `threading`:
~10 ms on every `.py` write whose lint result is not cached. On POSIX, `os.posix_spawn` with a
pipe and `select.poll` does the same job for this one case (no shell, stdin from /dev/null, a
new session so a timed-out tool is killed with its whole process group). Elsewhere
`subprocess.Popen` is used.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

READ_CHUNK = 65536
REAP_GRACE_S = 1.0


class Child:
    """A started tool: its pid, the read ends of its stdout and stderr pipes, and the write
    end of its stdin pipe (-1 when stdin is /dev/null)."""

    __slots__ = ("err_fd", "in_fd", "out_fd", "pid", "popen")

    def __init__(
        self, pid: int, out_fd: int, err_fd: int, popen: Any = None, in_fd: int = -1
    ) -> None:
        self.pid = pid
        self.out_fd = out_fd
        self.err_fd = err_fd
        self.popen = popen
        self.in_fd = in_fd


def start(
    argv: list[str], cwd: str, env: Mapping[str, str] | None = None, stdin_pipe: bool = False
) -> Child:
    """Start `argv` (argv[0] an absolute executable) in `cwd`, with `env` (default: this
    process's environment); with `stdin_pipe`, its stdin is a pipe whose write end is
    `Child.in_fd` (the caller writes and closes it). Raises OSError on failure."""
    env = os.environ if env is None else env
    if not hasattr(os, "posix_spawn") or _threads_running():
        return _start_popen(argv, cwd, env, stdin_pipe)
    out_r, out_w = os.pipe()  # non-inheritable: only the dup2'd copies reach the child
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin_pipe else (-1, -1)
    stdin_action = (
        (os.POSIX_SPAWN_DUP2, in_r, 0)
        if stdin_pipe
        else (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)
    )
    actions = [
        stdin_action,
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_DUP2, err_w, 2),
    ]
    here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(cwd)  # posix_spawn has no cwd; no other thread runs (`_threads_running`)
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID on this platform
        for fd in (out_r, out_w, err_r, err_w, in_r, in_w):
            if fd >= 0:
                os.close(fd)
        os.fchdir(here)
        os.close(here)
        return _start_popen(argv, cwd, env, stdin_pipe)
    except BaseException:
        for fd in (out_r, err_r, in_w):
            if fd >= 0:
                os.close(fd)
        raise
    finally:
        if here >= 0:
            try:
                os.fchdir(here)
                os.close(here)
            except OSError:
                pass
            here = -1
        for fd in (out_w, err_w, in_r):
            if fd < 0:
                continue
            try:
                os.close(fd)
            except OSError:
                pass
    return Child(pid, out_r, err_r, in_fd=in_w)


def _threads_running() -> bool:
    """posix_spawn has no cwd here, so `start` changes the process's working folder around it:
    with other threads running (`posttool serve`, parallel command hooks) that would move
    theirs too. Popen sets the child's cwd alone; its import does not matter in such a
    process."""
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def _start_popen(argv: list[str], cwd: str, env: Any, stdin_pipe: bool = False) -> Child:
    import subprocess

    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            close_fds=True,
            start_new_session=os.name == "posix",
        )
    except ValueError as exc:
        raise OSError(str(exc)) from None
    return Child(proc.pid, -1, -1, proc)


def collect(child: Child, deadline: float) -> tuple[int, bytes, bytes] | None:
    """(exit code, stdout, stderr) once the tool has finished; None if the deadline passed,
    in which case the tool and its process group were killed and reaped."""
    if child.popen is not None:
        return _collect_popen(child, deadline)
    import select

    chunks: dict[int, list[bytes]] = {child.out_fd: [], child.err_fd: []}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    open_fds = set(chunks)
    try:
        while open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kill(child)
                return None
            for fd, _ in poller.poll(remaining * 1000):
                data = os.read(fd, READ_CHUNK)
                if data:
                    chunks[fd].append(data)
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)
        status = _reap(child.pid, deadline)
    finally:
        for fd in chunks:
            try:
                os.close(fd)
            except OSError:
                pass
    if status is None:
        kill(child)
        return None
    code = os.waitstatus_to_exitcode(status)
    return code, b"".join(chunks[child.out_fd]), b"".join(chunks[child.err_fd])


def _reap(pid: int, deadline: float) -> int | None:
    """Wait for the child (its pipes are closed, so it is exiting) until the deadline."""
    delay = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def kill(child: Child) -> None:
    """Kill the tool and its whole process group (a wrapper script's children hold the pipes
    too), then reap it."""
    if child.popen is not None:
        _kill_popen(child.popen)
        return
    from _signal import SIGKILL

    try:
        os.killpg(child.pid, SIGKILL)
    except OSError:
        pass
    _reap(child.pid, time.monotonic() + REAP_GRACE_S)


def _collect_popen(child: Child, deadline: float) -> tuple[int, bytes, bytes] | None:
    import subprocess

    proc = child.popen
    try:
        out, err = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill_popen(proc)
        return None
    return proc.returncode, out, err


def _kill_popen(proc: Any) -> None:  # pragma: no cover - platforms without posix_spawn
    import signal
    import subprocess

    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    try:
        proc.wait(timeout=REAP_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
