"""quality_scanner's warm ruff for `posttool serve`: one `ruff server` per project root, asked
for a written file's findings instead of starting `ruff check` for each write.

`posttool serve` calls `enable()` when it starts and `close()` when it stops; `scan_file` finds
`ACTIVE` set only then (`posttool run` never imports this module). The findings are the ones
`ruff check` gives: the server reads the same configuration files (or gets posttool's
defaults when there are none), and `ruff check` itself still runs
- for the first write under each version of the configuration files that apply to a file
  (its run tells whether ruff accepts them; an invalid one keeps that file on `ruff check`,
  which reports it and falls back to the defaults),
- while a project's server is starting (it starts in the background: no answer waits for it),
- for content that is not UTF-8, or when radon runs as a command rather than in process,
- for a notebook, for a project rooted at `/` or the home folder (see `servable`),
- when a server crashes mid-request (in the time left), and for good once a root's server has
  failed twice (crashed, hung past `timeout_s`, or would not start) or cannot tell a safe fix
  from an unsafe one (ruff 0.5 to at least 0.9 cannot; 0.4 has no stable server).
"""

from __future__ import annotations

import os
import queue
import threading
import time

from posttool.lib.lint.cache import HOOK, Settings, config_stamps
from posttool.lib.lint.linters import (
    RadonThread,
    ToolRun,
    has_ruff_config,
    isolated_ruff_argv,
    ruff_argv,
    ruff_findings,
)
from posttool.lib.lint.ruffserver import (
    RuffServer,
    RuffServerError,
    Unsupported,
    cli_items,
    settings_for,
)
from posttool.lib.log import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Finding = list[Any]
    Block = list[Any]
    SlotKey = tuple[str, str, str]

START_TIMEOUT_S = 30.0
# radon runs in the request's own thread while the server lints, when the file is this small
# (radon takes about 2 ms per KB here: well inside the smallest `timeout_s`, 50 ms); a larger
# file gets a thread of its own, abandoned at the deadline as `ruff check`'s path does.
INLINE_RADON_BYTES = 8192
WRITER_STOP_WAIT_S = 5.0
MAX_FAILURES = 2  # a root's server is restarted once; after a second failure, `ruff check`
MAX_SERVERS = 4  # ~65 MB each; the least recently used one is stopped beyond this
MAX_KNOWN_CONFIGS = 256
# A configuration file changed after a server's start (or this little before it: file times
# come from a coarse kernel clock) may have been read in its old version, so the server is
# restarted before it lints a file under it. A time in the future (a skewed clock) is not
# taken for a change: an edit of that file still changes its stamp.
MTIME_GRACE_NS = 5_000_000  # a 250 Hz tick is 4 ms
FUTURE_NS = 1_000_000_000

ACTIVE: WarmRuff | None = None


def enable() -> WarmRuff:
    """Turn the warm path on for this process (`posttool serve`, in each worker)."""
    global ACTIVE
    if ACTIVE is None or ACTIVE.pid != os.getpid():
        ACTIVE = WarmRuff()
    return ACTIVE


def close() -> None:
    """Stop every ruff server this process started (`posttool serve` stopping)."""
    global ACTIVE
    pool, ACTIVE = ACTIVE, None
    if pool is not None and pool.pid == os.getpid():
        pool.close()


class Slot:
    """The server for one (ruff, project root, settings) and what is known about it."""

    __slots__ = ("failures", "last_used", "lints", "ruff_stamp", "seen", "server", "state")

    def __init__(self, ruff_stamp: str) -> None:
        self.server: RuffServer | None = None
        self.state = "starting"  # → "ready"; "off" once it is given up
        self.failures = 0
        self.lints = 0
        self.last_used = time.monotonic()
        self.ruff_stamp = ruff_stamp
        # directory → the configuration stamps seen there, to notice an edited config
        self.seen: dict[str, tuple[str, ...]] = {}


class WarmRuff:
    """The ruff servers of this process, started on first use per project root."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.closing = False
        self._lock = threading.Lock()
        self._slots: dict[SlotKey, Slot] = {}
        # (settings, configuration stamps) → True once `ruff check` ran with them cleanly,
        # False when ruff refused the configuration
        self._configs: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._started_ns: dict[int, int] = {}  # id(server) → wall clock at its start
        self._tasks: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def tool_run(self, path: str, cwd: str, settings: Settings, display: str) -> WarmToolRun:
        return WarmToolRun(path, cwd, settings, display, self)

    def write_behind(self, task: Callable[[], None]) -> None:
        """Run `task` (a lint cache write and its pruning) in the writer thread, after the
        answer; in order, one at a time."""
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_tasks, name="posttool-lint-cache", daemon=True
                )
                self._writer.start()
        self._tasks.put(task)

    def flush(self, timeout: float) -> bool:
        """Wait until the cache writes queued so far are done."""
        done = threading.Event()
        self.write_behind(done.set)
        return done.wait(timeout)

    def _write_tasks(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            try:
                task()
            except Exception as exc:  # a cache write must not end the writer
                log(f"{HOOK}: lint cache write failed: {type(exc).__name__}: {exc}")

    # --- choosing a server -----------------------------------------------------------------

    def server_for(
        self, ruff: str, path: str, cwd: str, settings: Settings, stamps: tuple[str, ...]
    ) -> tuple[RuffServer | None, str]:
        """The ready server to lint `path` with, or None (use `ruff check`); and the flavor of
        settings, which `learn` needs."""
        directory = os.path.dirname(path)
        flavor = (
            "project"
            if has_ruff_config(directory)
            else "defaults:" + ",".join(settings.default_select)
        )
        known = self._configs.get((flavor, stamps))
        root = os.path.realpath(cwd)
        if self.closing or known is False or not servable(path, root):
            return None, flavor
        key = (ruff, root, flavor)
        ruff_stamp = _file_stamp(ruff)
        with self._lock:
            slot = self._slots.get(key)
            if slot is None or (slot.state != "off" and slot.ruff_stamp != ruff_stamp):
                if slot is not None:
                    self._retire(slot)
                slot = self._slots[key] = Slot(ruff_stamp)
                self._start(key, slot, settings.default_select)
                self._evict()
                return None, flavor
            slot.last_used = time.monotonic()
            server = slot.server
            if slot.state != "ready" or server is None or known is None:
                return None, flavor
            if self._stale(slot, server, directory, stamps):
                self._retire(slot)
                slot.state = "starting"
                self._start(key, slot, settings.default_select)
                return None, flavor
            return server, flavor

    def learn(self, flavor: str, stamps: tuple[str, ...], run: ToolRun, ruff_ran: bool) -> None:
        """What a `ruff check` run told about this configuration."""
        verdict = False if run.config_error else True if ruff_ran else None
        if verdict is None:
            return
        with self._lock:
            if len(self._configs) >= MAX_KNOWN_CONFIGS:
                self._configs.clear()
            self._configs[(flavor, stamps)] = verdict

    def _stale(
        self, slot: Slot, server: RuffServer, directory: str, stamps: tuple[str, ...]
    ) -> bool:
        """Whether a configuration file for `directory` may have changed since the server
        read it."""
        known = slot.seen.get(directory)
        if known is not None:
            return known != stamps
        started = self._started_ns.get(id(server), 0)
        now = time.time_ns()
        for stamp in stamps:
            if started - MTIME_GRACE_NS <= _stamp_mtime_ns(stamp) <= now + FUTURE_NS:
                return True
        if len(slot.seen) >= MAX_KNOWN_CONFIGS:
            slot.seen.clear()
        slot.seen[directory] = stamps
        return False

    # --- starting, failing, stopping -------------------------------------------------------

    def _start(self, key: SlotKey, slot: Slot, select: list[str]) -> None:
        """Start the slot's server in a background thread (called with the lock held)."""
        ruff, root, flavor = key
        server = RuffServer(ruff, root, settings_for(flavor == "project", select))
        slot.server = server
        slot.state = "starting"
        slot.seen.clear()
        self._started_ns[id(server)] = time.time_ns()
        threading.Thread(
            target=self._bring_up, args=(key, slot, server), name="posttool-ruff-start", daemon=True
        ).start()

    def _bring_up(self, key: SlotKey, slot: Slot, server: RuffServer) -> None:
        try:
            server.start(START_TIMEOUT_S)
        except Unsupported as exc:
            self._give_up(slot, server, f"{key[0]} cannot serve lint results ({exc})")
            server.kill()  # also when the slot moved on meanwhile
            return
        except RuffServerError as exc:
            self.failed(server, f"did not start: {exc}")
            server.kill()
            return
        with self._lock:
            if slot.server is server and not self.closing:
                slot.state = "ready"
                return
        server.close()  # replaced or closing meanwhile

    def failed(self, server: RuffServer, reason: str) -> None:
        """A server crashed, hung or would not start: restart it once, then give up."""
        with self._lock:
            found = self._slot_of(server)
            if found is None:
                return
            key, slot = found
            slot.failures += 1
            if slot.failures < MAX_FAILURES and not self.closing:
                detail = _with_stderr(reason, server)
                log(f"{HOOK}: ruff server for {key[1]} {detail}; restarting it")
                self._retire(slot)
                self._start(key, slot, _select_of(key))
                return
        self._give_up(slot, server, f"ruff server for {key[1]} {_with_stderr(reason, server)}")

    def unsupported(self, server: RuffServer, reason: str) -> None:
        with self._lock:
            found = self._slot_of(server)
        if found is not None:
            self._give_up(found[1], server, f"{found[0][0]} cannot serve lint results ({reason})")

    def _give_up(self, slot: Slot, server: RuffServer, why: str) -> None:
        with self._lock:
            if slot.server is not server or slot.state == "off":
                return
            slot.state = "off"
            slot.server = None
        log(f"{HOOK}: {why}; using `ruff check` for this project from now on")
        server.kill()

    def _slot_of(self, server: RuffServer) -> tuple[SlotKey, Slot] | None:
        for key, slot in self._slots.items():
            if slot.server is server:
                return key, slot
        return None

    def _retire(self, slot: Slot) -> None:
        """Stop the slot's server in the background (called with the lock held)."""
        server, slot.server = slot.server, None
        if server is not None:
            self._started_ns.pop(id(server), None)
            threading.Thread(target=server.close, name="posttool-ruff-stop", daemon=True).start()

    def _evict(self) -> None:
        live = [(slot.last_used, key) for key, slot in self._slots.items() if slot.state != "off"]
        for _, key in sorted(live)[: max(0, len(live) - MAX_SERVERS)]:
            self._retire(self._slots.pop(key))

    def lints_done(self, server: RuffServer) -> None:
        with self._lock:
            found = self._slot_of(server)
            if found is not None:
                found[1].lints += 1

    def close(self) -> None:
        """Stop every server (shutdown, then kill what does not exit within a second)."""
        with self._lock:
            self.closing = True
            slots = list(self._slots.items())
            self._slots.clear()
        for key, slot in slots:
            server = slot.server
            if server is None:
                continue
            server.close()
            log(f"{HOOK}: ruff server for {key[1]} stopped after {slot.lints} lint(s)")
        writer = self._writer
        if writer is not None:
            self._tasks.put(None)  # after the cache writes already queued
            writer.join(WRITER_STOP_WAIT_S)

    def status(self) -> list[dict[str, Any]]:
        """Each root's server: its state, process id and lints (for tests and diagnosis)."""
        with self._lock:
            return [
                {
                    "root": key[1],
                    "flavor": key[2],
                    "state": slot.state,
                    "pid": slot.server.pid if slot.server is not None else 0,
                    "lints": slot.lints,
                    "failures": slot.failures,
                }
                for key, slot in self._slots.items()
            ]


def servable(path: str, root: str) -> bool:
    """Whether a server may lint `path` for the project at `root`: a Python source file (the
    server reads a notebook's cells, not its JSON), and a root that is neither the filesystem's
    nor the home folder (the server indexes every configuration file under its root first)."""
    if not path.endswith((".py", ".pyi")):
        return False
    return root != os.path.dirname(root) and root != os.path.realpath(os.path.expanduser("~"))


def _select_of(key: SlotKey) -> list[str]:
    flavor = key[2]
    codes = flavor.removeprefix("defaults:") if flavor.startswith("defaults:") else ""
    return [code for code in codes.split(",") if code]


def _with_stderr(reason: str, server: RuffServer) -> str:
    tail = server.stderr_tail()
    return f"{reason} (stderr: {tail[-300:]})" if tail else reason


def _file_stamp(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_mtime_ns}:{info.st_size}"


def _stamp_mtime_ns(stamp: str) -> int:
    """The mtime of a `config_stamps` entry (`<path>:<mtime_ns>:<size>`)."""
    try:
        return int(stamp.rsplit(":", 2)[1])
    except (IndexError, ValueError):
        return time.time_ns()  # unreadable: counts as just changed


class WarmToolRun(ToolRun):
    """`ToolRun` with the warm server in place of `ruff check` where it can stand in."""

    __slots__ = ("pool",)

    def __init__(
        self, path: str, cwd: str, settings: Settings, display: str, pool: WarmRuff
    ) -> None:
        super().__init__(path, cwd, settings, display)
        self.pool = pool

    def run(
        self, data: bytes, ruff: str | None, radon_in_process: bool, radon_cli: str | None
    ) -> tuple[list[Finding] | None, list[Block] | None]:
        text = _text(data)
        if ruff is None or radon_cli is not None or text is None:
            return super().run(data, ruff, radon_in_process, radon_cli)
        stamps = tuple(config_stamps(os.path.dirname(self.path)))
        server, flavor = self.pool.server_for(ruff, self.path, self.cwd, self.settings, stamps)
        if server is None:
            ruff_result, radon_result = super().run(data, ruff, radon_in_process, radon_cli)
            self.pool.learn(flavor, stamps, self, ruff_result is not None)
            return ruff_result, radon_result
        deadline = time.monotonic() + self.settings.timeout_s
        if not radon_in_process:
            return self.warm_ruff(server, ruff, text, deadline, None), None
        radon = RadonThread(data, self.settings.min_rank)
        if len(data) > INLINE_RADON_BYTES:
            radon.start()
            ruff_result = self.warm_ruff(server, ruff, text, deadline, None)
            return ruff_result, self.join_radon(radon, deadline)
        ruff_result = self.warm_ruff(server, ruff, text, deadline, radon.work)
        if radon.result is None and radon.error is None:  # the server failed before it ran
            radon.work()
        return ruff_result, self.radon_outcome(radon)

    def defer(self, task: Callable[[], None]) -> None:
        self.pool.write_behind(task)

    def warm_ruff(
        self,
        server: RuffServer,
        ruff: str,
        text: str,
        deadline: float,
        meanwhile: Callable[[], object] | None,
    ) -> list[Finding] | None:
        try:
            diagnostics = server.diagnostics(self.path, text, deadline, meanwhile)
            if diagnostics is not None:
                findings = ruff_findings(cli_items(diagnostics))
                self.pool.lints_done(server)
                return findings
        except Unsupported as exc:
            self.pool.unsupported(server, str(exc))
            return self.cli_ruff(ruff, deadline)
        except RuffServerError as exc:
            self.pool.failed(server, str(exc))
            return self.cli_ruff(ruff, deadline)
        self.cacheable = False
        log(f"{HOOK}: ruff server timed out after {self.settings.timeout_s:g} s on {self.display}")
        self.pool.failed(server, f"did not answer within {self.settings.timeout_s:g} s")
        return None

    def cli_ruff(self, ruff: str, deadline: float) -> list[Finding] | None:
        """`ruff check` in the time left, as `ToolRun.run` runs it."""
        child = self.start(ruff_argv(ruff, self.path, self.settings), "ruff")
        out = None if child is None else self.collect(child, deadline, "ruff")
        if out is None and self.config_error:
            isolated = self.start(isolated_ruff_argv(ruff, self.path, self.settings), "ruff")
            out = None if isolated is None else self.collect(isolated, deadline, "ruff")
        return None if out is None else self.parse_ruff_output(out)


def _text(data: bytes) -> str | None:
    """The file's text as ruff reads it (a UTF-8 byte-order mark dropped), or None when it is
    not UTF-8 (`ruff check` reads such a file itself)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
