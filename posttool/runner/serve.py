"""`posttool serve`: the same `handle()` as `posttool run`, behind Claude Code's HTTP hooks.

Claude Code POSTs the event JSON to the hook's url and reads the response body as it reads a
command hook's stdout. The server binds loopback only, answers only requests carrying
`Authorization: Bearer <token>`, and keeps one process warm so the per-call interpreter start,
imports and registry loading are paid once.

- One thread per connection (HTTP/1.1 keep-alive). Documents stay in memory between requests
  and are written behind the answer by one writer thread (runner/resident.py): requests for one
  session serialise on its in-memory slot and on the same session file lock `posttool run`
  takes, which the server holds until the write is done, so a `run` beside the server never
  loses an update; different sessions run in parallel.
- SIGTERM/SIGINT: stop accepting, finish in-flight requests (their state is written), close
  idle keep-alive connections, remove `server.json`.
"""

from __future__ import annotations

import gc
import hmac
import os
import secrets
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from posttool import __version__
from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads, loads_clean
from posttool.lib.lint import warm as warm_ruff
from posttool.lib.paths import HomeError, settle_home
from posttool.lib.store import write_atomic
from posttool.runner.registry import Registry, load_registry
from posttool.runner.resident import Resident
from posttool.runner.run import Door, handle

SERVER_FILE = "server.json"
TOKEN_FILE = "server.token"
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
MAX_BODY_BYTES = 8 * 1024 * 1024  # a Read of a 5 MB file is ~5.1 MB of JSON
READ_TIMEOUT_S = 10.0  # a client silent this long mid-request (or idle on keep-alive) is closed
HEALTH_PATH = "/health"
HOOK_PATHS = frozenset({"/", "/posttool"})  # `install --http` writes /posttool


class ServeError(Exception):
    """A setting the server cannot start with (exit 2)."""


def loopback_host(host: str) -> str:
    """The address to bind, or ServeError for anything that is not loopback."""
    try:
        return LOOPBACK_HOSTS[host]
    except KeyError:
        raise ServeError(
            f"refusing to listen on {host!r}: posttool serve binds loopback only "
            "(127.0.0.1, localhost or ::1)"
        ) from None


def load_or_create_token(home: str) -> str:
    """The bearer token, kept in `<home>/server.token` (0600) so that it survives restarts and
    the settings file that holds it stays valid."""
    path = os.path.join(home, TOKEN_FILE)
    try:
        with open(path, encoding="ascii") as handle_:
            token = handle_.read().strip()
        if len(token) >= 32:
            return token
    except (OSError, UnicodeDecodeError):
        pass
    token = secrets.token_urlsafe(32)
    write_atomic(path, token.encode("ascii"))
    return token


def read_server_info(home: str) -> dict[str, Any] | None:
    """`<home>/server.json` as written by a running server, or None."""
    try:
        with open(os.path.join(home, SERVER_FILE), "rb") as handle_:
            info = loads(handle_.read())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


class HookServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins request threads: in-flight work finishes
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], home: str, token: str, quiet: bool, read_timeout: float
    ) -> None:
        self.read_timeout = read_timeout
        self.main_pid = os.getpid()  # the pid in server.json, also when workers answer
        self.fixed_port = address[1] != 0
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, RequestHandler)
        self.home = home
        self.token = token
        self.quiet = quiet
        self.registry: Registry = load_registry()
        self.resident = Resident()
        self.stopping = False
        self._idle: set[socket.socket] = set()
        self._idle_guard = threading.Lock()
        self.requests = 0

    @property
    def url(self) -> str:
        address, port = self.server_address[:2]
        host = address.decode() if isinstance(address, bytes) else str(address)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def set_idle(self, conn: socket.socket, idle: bool) -> None:
        with self._idle_guard:
            if idle:
                self._idle.add(conn)
            else:
                self._idle.discard(conn)

    def close_idle(self) -> None:
        """Wake the threads waiting for a next request on a keep-alive connection."""
        with self._idle_guard:
            for conn in self._idle:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._idle.clear()

    def say(self, message: str) -> None:
        if not self.quiet:
            stamp = time.strftime("%H:%M:%S")
            sys.stderr.write(f"{stamp} posttool serve: {message}\n")
            sys.stderr.flush()


class RequestHandler(BaseHTTPRequestHandler):
    server: HookServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_S
    server_version = f"posttool/{__version__}"
    sys_version = ""

    # --- plumbing --------------------------------------------------------------------------

    def setup(self) -> None:
        self.timeout = self.server.read_timeout  # type: ignore[misc]  # per connection
        super().setup()
        # An answer is one small write; Nagle's algorithm would hold it for the client's
        # delayed ACK (40 ms on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        self.server.set_idle(self.connection, True)
        try:
            super().handle_one_request()
        except (TimeoutError, ConnectionError):
            self.close_connection = True
        finally:
            self.server.set_idle(self.connection, False)
            if self.server.stopping:
                self.close_connection = True

    def parse_request(self) -> bool:
        self.server.set_idle(self.connection, False)
        ok = super().parse_request()
        if self.server.stopping:
            self.close_connection = True
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        self.server.say(f"{self.address_string()} {format % args}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per tool call would drown the log; errors are still logged

    def reply(self, status: int, body: bytes, close: bool = False) -> None:
        """Status line, headers and body in one write."""
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
        self.flush_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method, header too long): JSON,
        and the connection is closed since what follows on it cannot be trusted."""
        self.refuse(code, message or self.responses.get(code, ("error",))[0], close=True)

    def refuse(self, status: int, reason: str, close: bool = False) -> None:
        if status != 401:
            what = f"{self.command} {self.path}" if self.command else "(no request line)"
            self.server.say(f"{status} {what}: {reason}")
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # answer with a status line all the same
        self.reply(status, dumps({"error": reason}).encode(), close)

    def authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())

    # --- methods ---------------------------------------------------------------------------

    def do_POST(self) -> None:
        if not self.authorized():
            self.refuse(401, "missing or wrong bearer token", close=True)
            return
        if self.path.split("?", 1)[0] not in HOOK_PATHS:
            self.refuse(404, f"no such path; POST events to {self.server.url}", close=True)
            return
        body = self.read_body()
        if body is None:
            return
        event = event_object(body)
        if event is None:
            self.refuse(400, "the body is not a JSON object")
            return
        self.answer_event(body, event)

    def do_GET(self) -> None:
        if not self.authorized():
            self.refuse(401, "missing or wrong bearer token", close=True)
            return
        if self.path.split("?", 1)[0] != HEALTH_PATH:
            self.refuse(404, "no such path", close=True)
            return
        health = {"status": "ok", "version": __version__, "pid": self.server.main_pid}
        self.reply(200, dumps(health).encode())

    def wrong_method(self) -> None:
        if not self.authorized():
            self.refuse(401, "missing or wrong bearer token", close=True)
            return
        self.send_response_only(405)
        self.send_header("Allow", "GET, POST")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")  # its body, if any, is not read
        self.close_connection = True
        self.end_headers()

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = wrong_method

    # --- the event -------------------------------------------------------------------------

    def read_body(self) -> bytes | None:
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.refuse(411, "send a Content-Length, not a chunked body", close=True)
            return None
        try:
            length = int(length_text) if length_text is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self.refuse(411, "Content-Length is required", close=True)
            return None
        if length > MAX_BODY_BYTES:
            self.refuse(413, f"body over {MAX_BODY_BYTES} bytes", close=True)
            return None
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self.refuse(408, f"body not received within {self.timeout:g} s", close=True)
            return None
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
            return None
        return body

    def answer_event(self, body: bytes, event: dict[str, Any]) -> None:
        sent = False

        def send(answer: str) -> None:
            nonlocal sent
            try:
                self.reply(200, answer.encode("utf-8", "surrogatepass"))
            except OSError:
                self.close_connection = True  # the client left; the state is still saved
            sent = True

        door = Door(
            mode="serve",
            registry=self.server.registry,
            on_answer=send,
            resident=self.server.resident,
            parsed=event,
        )
        answer = handle(body, home=self.server.home, door=door)
        self.server.requests += 1
        if not sent:  # ignored events (duplicate, not a PostToolUse...) never reach the callback
            try:
                self.reply(200, answer.encode("utf-8", "surrogatepass"))
            except OSError:
                self.close_connection = True


def event_object(body: bytes) -> dict[str, Any] | None:
    """The event, parsed once as `run` parses it (lone surrogates become U+FFFD), or None when
    the body is not a JSON object."""
    try:
        raw = loads_clean(body)
    except (JSONDecodeError, ValueError, UnicodeDecodeError):
        return None
    return raw if isinstance(raw, dict) else None


# --- lifecycle -------------------------------------------------------------------------------


def write_server_info(server: HookServer) -> str:
    path = os.path.join(server.home, SERVER_FILE)
    info = {
        "url": server.url,
        "token": server.token,
        "pid": os.getpid(),
        "version": __version__,
        "started_at": round(time.time(), 3),
        "home": server.home,
        "fixed_port": server.fixed_port,
    }
    write_atomic(path, dumps(info).encode())
    return path


def remove_server_info(home: str) -> None:
    """Remove `server.json` if it still names this process (a newer server may have replaced
    it)."""
    info = read_server_info(home)
    if info is not None and info.get("pid") == os.getpid():
        try:
            os.unlink(os.path.join(home, SERVER_FILE))
        except OSError:
            pass


def start_server(
    home: str, host: str, port: int, quiet: bool = False, read_timeout: float = READ_TIMEOUT_S
) -> HookServer:
    address = loopback_host(host)
    # Marked as posttool's before server.token lands in it: each request settles the home
    # again, and a folder holding only server files would be taken for someone else's.
    try:
        home = settle_home(home)
    except HomeError as exc:
        raise ServeError(str(exc)) from None
    token = load_or_create_token(home)
    try:
        server = HookServer((address, port), home, token, quiet, read_timeout)
    except OSError as exc:
        raise ServeError(f"cannot listen on {address}:{port}: {exc.strerror}") from None
    # What was loaded to start (modules, the registry) lives as long as the server: kept out of
    # the collector's scans, which otherwise walk it all on each full collection.
    gc.freeze()
    return server


def stop_on_signals(server: HookServer) -> None:
    def stop(signum: int, _frame: object) -> None:
        if server.stopping:
            return
        server.stopping = True
        server.say(f"{signal.Signals(signum).name}: finishing in-flight requests")
        # shutdown() waits for serve_forever to return: it must not run on that thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run_serve(
    home: str,
    host: str,
    port: int,
    quiet: bool = False,
    read_timeout: float = READ_TIMEOUT_S,
    workers: int = 1,
) -> int:
    server = start_server(home, host, port, quiet, read_timeout)
    if workers > 1:
        return run_workers(server, workers)
    stop_on_signals(server)
    info_path = write_server_info(server)
    server.say(
        f"posttool {__version__} listening on {server.url} (pid {os.getpid()}, home {home}); "
        f"token and url in {info_path}"
    )
    try:
        serve_until_stopped(server)
    finally:
        remove_server_info(home)
    return 0


def serve_until_stopped(server: HookServer) -> None:
    warm_ruff.enable()  # quality_scanner asks a warm `ruff server` (per process: after fork)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.stopping = True
        server.close_idle()
        server.server_close()  # joins the request threads
        warm_ruff.close()  # its ruff servers end with it
        server.resident.close()  # writes what they left pending
        server.say(f"pid {os.getpid()} stopped after {server.requests} event(s)")


def run_workers(server: HookServer, workers: int) -> int:
    """Pre-fork: `workers` processes accept on the one listening socket (one interpreter lock
    each); this process only writes server.json, forwards SIGTERM/SIGINT and waits. Sessions
    stay consistent across workers through the session file lock, as with `posttool run`."""
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    # Held back until each process has its own handlers: no worker may run the parent's.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    children: list[int] = []
    # Workers share each project's stores through their file locks: a worker keeping one
    # across calls made the others wait in turn (55 events/s with 2). Sessions, each mostly on
    # one connection and so one worker, stay in memory, written without the 20 ms gathering.
    server.resident = Resident(write_delay_s=0.0, keep_stores=False)
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker
            code = 0
            try:
                # Every worker wakes for a new connection and one wins it: the others' accept()
                # must fail at once, not block there (deaf to SIGTERM) until the next one.
                server.socket.setblocking(False)
                stop_on_signals(server)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
                serve_until_stopped(server)
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    info_path = write_server_info(server)
    server.say(
        f"posttool {__version__} listening on {server.url} with {workers} workers "
        f"(pids {', '.join(map(str, children))}; home {server.home}); url and token in "
        f"{info_path}"
    )
    failed = 0
    for child in children:
        _pid, status = os.waitpid(child, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    server.socket.close()
    remove_server_info(server.home)
    server.say(f"stopped ({workers} workers)")
    return 1 if failed else 0
