"""A warm `ruff server` (ruff's language server), spoken to over stdio, for `posttool serve`.

`ruff check` on one file costs a process start (~10 ms) each time; the language server is
started once and asked for the diagnostics of a file's content by a pull request
(`textDocument/diagnostic`), in about a millisecond. JSON-RPC messages are framed with a
`Content-Length` header. One reader thread hands each response to the thread that asked, so
any number of threads may lint through one server at once (one file path at a time).

Never imported by `posttool run`: only `posttool serve` turns the warm path on (see `warm`).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

from posttool import __version__
from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

SHUTDOWN_WAIT_S = 1.0
STDERR_TAIL_LINES = 12
DOCUMENT_LOCKS = 64  # files linted at the same time through one server (same file: in turn)
HELP_SEPARATOR = "\n\nhelp: "


class RuffServerError(Exception):
    """The server exited, broke the protocol or answered with an error."""


class Unsupported(Exception):
    """This ruff cannot give what `ruff check` gives: no pull diagnostics, or no way to tell a
    safe fix from an unsafe one (ruff before `is_preferred` in the diagnostic data)."""


class _Reply:
    __slots__ = ("done", "message")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.message: dict[str, Any] | None = None


def file_uri(path: str) -> str:
    return Path(path).as_uri()


def settings_for(project_config: bool, select: list[str]) -> dict[str, Any]:
    """The server's settings that reproduce `ruff check` as posttool runs it: the project's own
    configuration files and nothing else when it has one; else ruff's defaults with
    posttool's `--select`. ("filesystemFirst" would fill what a project file leaves unset,
    its rule selection included, from the editor settings.)"""
    settings: dict[str, Any] = {"logLevel": "error", "showSyntaxErrors": True}
    if project_config:
        settings["configurationPreference"] = "filesystemOnly"
    else:
        settings["configurationPreference"] = "editorOnly"
        if select:
            settings["lint"] = {"select": list(select)}
    return settings


class RuffServer:
    """One `ruff server` process with `root` as its only workspace folder."""

    def __init__(self, ruff: str, root: str, settings: dict[str, Any]) -> None:
        self.ruff = ruff
        self.root = root
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.version = ""
        self.gone = ""  # why the server can no longer answer ('' while it can)
        self._next_id = 0
        self._pending: dict[int, _Reply] = {}
        self._guard = threading.Lock()  # ids and pending replies
        self._writing = threading.Lock()  # one frame at a time on stdin
        self._documents = [threading.Lock() for _ in range(DOCUMENT_LOCKS)]
        self._stderr: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float) -> None:
        """Start the process and initialize it; RuffServerError or Unsupported on failure."""
        try:
            self.process = subprocess.Popen(
                [self.ruff, "server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.root,
                start_new_session=True,  # a Ctrl-C meant for posttool serve is posttool's
            )
        except OSError as exc:
            raise RuffServerError(f"cannot start `{self.ruff} server`: {exc}") from None
        if self.process.stdin is not None:
            os.set_blocking(self.process.stdin.fileno(), False)  # a hung server fills the pipe
        for target, name in ((self._read_messages, "reader"), (self._read_stderr, "stderr")):
            threading.Thread(target=target, name=f"posttool-ruff-{name}", daemon=True).start()
        deadline = time.monotonic() + timeout
        uri = file_uri(self.root)
        reply = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "posttool", "version": __version__},
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": os.path.basename(self.root) or "/"}],
                "capabilities": {
                    "textDocument": {"diagnostic": {"dynamicRegistration": False}},
                    "general": {"positionEncodings": ["utf-16"]},
                },
                "initializationOptions": {"settings": self.settings},
            },
            deadline,
        )
        if reply is None:
            raise RuffServerError(f"no answer to `initialize` within {timeout:g} s")
        result = _mapping(reply.get("result"))
        if not _mapping(result.get("capabilities")).get("diagnosticProvider"):
            raise Unsupported("it offers no pull diagnostics (textDocument/diagnostic)")
        info = result.get("serverInfo")
        self.version = str(info.get("version", "")) if isinstance(info, dict) else ""
        self.notify("initialized", {}, deadline)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def close(self) -> None:
        """Ask the server to shut down and exit; kill it if it does not within a second."""
        process = self.process
        if process is None:
            return
        if not self.gone and process.poll() is None:
            deadline = time.monotonic() + SHUTDOWN_WAIT_S
            try:
                self.request("shutdown", None, deadline)
                self.notify("exit", None, deadline)
            except RuffServerError:
                pass
        self._mark_gone("closed")
        try:
            process.wait(SHUTDOWN_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        """End a hung or unwanted server at once."""
        process = self.process
        if process is None:
            return
        self._mark_gone("killed")
        if process.poll() is None:
            try:
                process.kill()
            except OSError:
                pass
        try:
            process.wait(SHUTDOWN_WAIT_S)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes()

    def stderr_tail(self) -> str:
        return " | ".join(line for line in list(self._stderr) if line)  # a copy: it grows

    # --- diagnostics -----------------------------------------------------------------------

    def diagnostics(
        self,
        path: str,
        text: str,
        deadline: float,
        meanwhile: Callable[[], object] | None = None,
    ) -> list[dict[str, Any]] | None:
        """The server's diagnostics for `text` as the content of `path`, or None when they did
        not come by `deadline`; `meanwhile` runs in this thread while the server works.
        Raises RuffServerError when the server cannot answer."""
        uri = file_uri(path)
        document = self._documents[hash(uri) % DOCUMENT_LOCKS]
        if not document.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return None
        try:
            item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
            self.notify("textDocument/didOpen", {"textDocument": item}, deadline)
            try:
                asked = self._ask(
                    "textDocument/diagnostic", {"textDocument": {"uri": uri}}, deadline
                )
                if meanwhile is not None:
                    meanwhile()
                reply = self._answer(asked, deadline)
            finally:
                if not self.gone:
                    closing = {"textDocument": {"uri": uri}}
                    self.notify("textDocument/didClose", closing, time.monotonic() + 1.0)
        finally:
            document.release()
        if reply is None:
            return None
        result = reply.get("result")
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise RuffServerError(f"unexpected diagnostic reply: {dumps(reply)[:200]}")
        return items

    # --- JSON-RPC --------------------------------------------------------------------------

    def request(self, method: str, params: Any, deadline: float) -> dict[str, Any] | None:
        """Send a request and wait for its response until `deadline` (None when it did not
        come). An error response raises RuffServerError."""
        return self._answer(self._ask(method, params, deadline), deadline)

    def _ask(self, method: str, params: Any, deadline: float) -> tuple[int, str, _Reply]:
        reply = _Reply()
        with self._guard:
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = reply
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            self._send(message, deadline)
        except RuffServerError:
            self._forget(request_id)
            raise
        return request_id, method, reply

    def _answer(self, asked: tuple[int, str, _Reply], deadline: float) -> dict[str, Any] | None:
        request_id, method, reply = asked
        try:
            reply.done.wait(max(0.0, deadline - time.monotonic()))
        finally:
            self._forget(request_id)
        if reply.message is None:
            if self.gone:
                raise RuffServerError(self.gone)
            return None
        if "error" in reply.message:
            raise RuffServerError(f"{method}: {dumps(reply.message['error'])[:200]}")
        return reply.message

    def _forget(self, request_id: int) -> None:
        with self._guard:
            self._pending.pop(request_id, None)

    def notify(self, method: str, params: Any, deadline: float) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params}, deadline)

    def _send(self, message: dict[str, Any], deadline: float) -> None:
        """Write one frame by `deadline`. A frame that cannot be written whole in time leaves
        the stream cut in the middle: the server is marked gone (and must be killed)."""
        if self.gone:
            raise RuffServerError(self.gone)
        body = dumps(message).encode("utf-8")
        frame = memoryview(b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
        if not self._writing.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise RuffServerError("timed out waiting to write to the server")
        try:
            stdin = self.process.stdin if self.process is not None else None
            if stdin is None:
                raise RuffServerError("not started")
            _write_all(stdin.fileno(), frame, deadline)
        except (OSError, ValueError, TimeoutError) as exc:
            self._mark_gone(f"writing to the server failed: {exc or type(exc).__name__}")
            raise RuffServerError(self.gone) from None
        finally:
            self._writing.release()

    def _read_messages(self) -> None:
        """The reader thread: each response to its waiting request; requests from the server
        answered with a null result; notifications (pushed diagnostics, logs) dropped."""
        stdout = self.process.stdout if self.process is not None else None
        reason = "the server closed its output"
        try:
            while stdout is not None:
                message = _read_frame(stdout)
                if message is None:
                    break
                if "method" in message:
                    if "id" in message:
                        answer = {"jsonrpc": "2.0", "id": message["id"], "result": None}
                        self._send(answer, time.monotonic() + SHUTDOWN_WAIT_S)
                    continue
                with self._guard:
                    reply = self._pending.get(message.get("id"))  # type: ignore[arg-type]
                if reply is not None:
                    reply.message = message
                    reply.done.set()
        except (OSError, ValueError, RuffServerError) as exc:
            reason = f"reading from the server failed: {exc}"
        code = self.process.poll() if self.process is not None else None
        if code is None and self.process is not None:
            try:
                code = self.process.wait(SHUTDOWN_WAIT_S)
            except subprocess.TimeoutExpired:
                code = None
        self._mark_gone(f"{reason} (exit code {code})" if code is not None else reason)

    def _read_stderr(self) -> None:
        stderr = self.process.stderr if self.process is not None else None
        try:
            for line in iter(stderr.readline, b"") if stderr is not None else ():
                self._stderr.append(line.decode("utf-8", "replace").strip())
        except (OSError, ValueError):
            pass

    def _mark_gone(self, reason: str) -> None:
        with self._guard:
            if not self.gone:
                self.gone = reason
            waiting = list(self._pending.values())
        for reply in waiting:  # nobody waits for a server that will not answer
            reply.done.set()

    def _close_pipes(self) -> None:
        process = self.process
        if process is None:
            return
        for pipe in (process.stdin, process.stdout, process.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass


def _write_all(fd: int, data: memoryview, deadline: float) -> None:
    """All of `data` to the non-blocking `fd`, waiting for room until `deadline`."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    while data:
        try:
            data = data[os.write(fd, data) :]
            continue
        except BlockingIOError:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise TimeoutError("the server stopped reading its input")


def _read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """One message, or None at the end of the stream. ValueError on a broken frame."""
    length = -1
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length < 0:
        raise ValueError("a message without Content-Length")
    body = stream.read(length)
    if len(body) < length:
        return None
    try:
        message = loads(body)
    except JSONDecodeError as exc:
        raise ValueError(f"a message that is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ValueError("a message that is not a JSON object")
    return message


# --- what the diagnostics say, in `ruff check --output-format=json` terms ----------------------


def cli_items(diagnostics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The server's diagnostics as the items `ruff check --output-format=json` prints for the
    same file (code, row, message, and a fix whose applicability is `safe` or `unsafe`), so
    that one parser reads both. Raises Unsupported when a fix's safety cannot be told."""
    items = []
    for diagnostic in diagnostics:
        if not isinstance(diagnostic, dict):
            continue
        data = _mapping(diagnostic.get("data"))
        line = _mapping(_mapping(diagnostic.get("range")).get("start")).get("line")
        line = line if isinstance(line, int) else 0
        code = diagnostic.get("code")
        items.append(
            {
                "code": code if isinstance(code, str) and code else None,
                "location": {"row": line + 1},
                "message": cli_message(str(diagnostic.get("message") or ""), data.get("title")),
                "fix": _fix(data),
            }
        )
    return items


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fix(data: dict[str, Any]) -> dict[str, str] | None:
    """The server sends the edits of safe and unsafe fixes alike (display-only ones never),
    and tells a safe one by `is_preferred`."""
    if not data.get("edits"):
        return None
    preferred = data.get("is_preferred")
    if not isinstance(preferred, bool):
        raise Unsupported("its diagnostics do not tell a safe fix from an unsafe one")
    return {"applicability": "safe" if preferred else "unsafe"}


def cli_message(message: str, title: Any) -> str:
    """The message without the `help: <fix title>` the server appends (the CLI's JSON keeps
    the help apart)."""
    if isinstance(title, str) and title and message.endswith(HELP_SEPARATOR + title):
        return message[: -len(HELP_SEPARATOR + title)]
    cut = message.rfind(HELP_SEPARATOR)
    return message[:cut] if cut >= 0 else message
