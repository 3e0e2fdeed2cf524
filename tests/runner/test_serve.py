"""`posttool serve`: a real server process on loopback, fed the bundled real events the way
Claude Code's HTTP hooks send them, answering exactly what `posttool run` prints."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posttool.cli.bench import materialise
from tests.conftest import Session, fixture_names, run_cli, write_config

READY_TIMEOUT_S = 30


class Server:
    """A `posttool serve` subprocess and what its server.json says."""

    def __init__(self, home: Path, *extra: str, port: int = 0) -> None:
        self.home = home
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "posttool", "serve", "--home", str(home)),
                *("--port", str(port), *extra),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a hung server is killed with its workers
        )
        self.info = self._wait_ready()
        self.port = int(self.info["url"].rsplit(":", 1)[1].strip("/"))
        self.auth = {"Authorization": f"Bearer {self.info['token']}"}

    def _wait_ready(self) -> dict[str, Any]:
        path = self.home / "server.json"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if path.exists():
                return json.loads(path.read_text())
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stderr.read().decode()}")
            time.sleep(0.05)
        os.killpg(self.process.pid, signal.SIGKILL)
        raise AssertionError("server.json never appeared")

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def post(
        self, body: bytes, headers: dict[str, str] | None = None, path: str = "/"
    ) -> tuple[int, bytes]:
        conn = self.connect()
        try:
            conn.request("POST", path, body=body, headers=self.auth if headers is None else headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _out, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()
            raise
        return self.process.returncode, err.decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "serve-home", "--read-timeout", "1")
    yield running
    running.stop()


def test_server_json_is_private_and_complete(server: Server) -> None:
    path = server.home / "server.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert server.info["pid"] == server.process.pid
    assert server.info["url"].startswith("http://127.0.0.1:")
    assert len(server.info["token"]) >= 32
    from posttool import __version__

    assert server.info["version"] == __version__


def without_ages(answer: bytes) -> object:
    """The answer with relative ages (`ran 3 s ago`) blanked: the two sides read the clock at
    different moments and may fall on either side of a second."""
    return json.loads(re.sub(rb"\d+ (s|min|h|days) ago", b"<age> ago", answer))


def test_every_fixture_answers_as_run_does(server: Server, tmp_path: Path, project: Path) -> None:
    """One session through the server and the same events through `posttool run` in a parallel
    home: the same answer, call by call, and the same state afterwards."""
    run_home = tmp_path / "run-home"
    # A loaded machine must not make one side time out (ruff) or overrun where the other did not.
    patient = {"quality_scanner.timeout_s": 60, "runner.hook_budget_ms": 60_000}
    write_config(server.home, patient)
    write_config(run_home, patient)
    session = Session(server.home, project, session_id="sess-serve-1")
    spoke = 0
    for name in [*fixture_names(), *fixture_names()]:
        raw = session.event(name)
        materialise(raw, str(project))
        body = json.dumps(raw).encode()
        status, served = server.post(body)
        ran = run_cli("run", "--home", str(run_home), stdin=body, cwd=project)
        assert status == 200
        assert ran.returncode == 0
        assert without_ages(served) == without_ages(ran.stdout), name
        spoke += served != b"{}"
    assert spoke >= 5  # the comparison covers answers with content, not only `{}`
    code, log = server.stop()
    assert code == 0, log
    assert not (server.home / "server.json").exists()
    served_doc = json.loads((server.home / "sessions" / "sess-serve-1.json").read_text())
    run_doc = json.loads((run_home / "sessions" / "sess-serve-1.json").read_text())
    assert served_doc["counters"] == run_doc["counters"]
    assert served_doc["seen_tool_use_ids"] == run_doc["seen_tool_use_ids"]
    assert served_doc["confidence"]["value"] == run_doc["confidence"]["value"]


def test_requests_without_the_token_get_401_and_nothing_else(
    server: Server, session: Session
) -> None:
    body = json.dumps(session.event("02")).encode()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        status, answer = server.post(body, headers=headers)
        assert status == 401
        assert "hookSpecificOutput" not in answer.decode()
    conn = server.connect()
    conn.request("GET", "/health")
    assert conn.getresponse().status == 401
    assert not (server.home / "sessions").exists()  # nothing was processed


def test_health_names_the_version(server: Server) -> None:
    from posttool import __version__

    conn = server.connect()
    conn.request("GET", "/health", headers=server.auth)
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == {
        "status": "ok",
        "version": __version__,
        "pid": server.process.pid,
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/", b"not json", 400),
        ("POST", "/", b"[1, 2]", 400),
        ("POST", "/", b"\xff\xfe", 400),
        ("POST", "/elsewhere", b"{}", 404),
        ("GET", "/", None, 404),
        ("PUT", "/", b"{}", 405),
        ("DELETE", "/", None, 405),
    ],
)
def test_bad_requests_get_the_right_status(
    server: Server, method: str, path: str, body: bytes | None, status: int
) -> None:
    conn = server.connect()
    conn.request(method, path, body=body, headers=server.auth)
    assert conn.getresponse().status == status
    assert server.post(b'{"tool_name": "Read"}')[0] == 200  # and the server still answers


def raw_exchange(server: Server, head: bytes, then: bytes = b"", wait_s: float = 0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        if wait_s:
            time.sleep(wait_s)
        if then:
            try:
                sock.sendall(then)
            except OSError:
                pass
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_a_huge_body_is_refused_before_it_is_read(server: Server) -> None:
    auth = server.auth["Authorization"].encode()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth
    answer = raw_exchange(server, head + b"\r\nContent-Length: 900000000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_body_without_length_is_refused(server: Server) -> None:
    auth = server.auth["Authorization"].encode()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + b"\r\n\r\n"
    assert raw_exchange(server, head).startswith(b"HTTP/1.1 411")


def test_a_slow_client_is_timed_out(server: Server) -> None:
    auth = server.auth["Authorization"].encode()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth
    answer = raw_exchange(server, head + b'\r\nContent-Length: 100\r\n\r\n{"tool', wait_s=0)
    assert answer.startswith(b"HTTP/1.1 408")  # --read-timeout 1 in the fixture


def test_garbage_request_line_gets_json_400(server: Server) -> None:
    answer = raw_exchange(server, b"\x16\x03\x01garbage\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"<html" not in answer.lower()


def test_keep_alive_carries_many_events(server: Server, session: Session) -> None:
    conn = server.connect()
    for _ in range(5):
        conn.request(
            "POST", "/", body=json.dumps(session.event("05")).encode(), headers=server.auth
        )
        response = conn.getresponse()
        assert response.status == 200
        json.loads(response.read())
    server.stop()  # the state is written after each answer is sent; stopping waits for it
    doc = json.loads((server.home / "sessions" / f"{session.session_id}.json").read_text())
    assert doc["counters"]["calls"] == 5


def test_parallel_requests_and_run_beside_lose_no_update(
    server: Server, project: Path, tmp_path: Path
) -> None:
    """Four keep-alive clients and two `posttool run` processes on one session at once."""
    session = Session(server.home, project, session_id="sess-busy")
    errors: list[str] = []

    def client(count: int) -> None:
        conn = server.connect()
        for _ in range(count):
            body = json.dumps(session.event("05")).encode()
            conn.request("POST", "/", body=body, headers=server.auth)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(str(response.status))

    def runner(count: int) -> None:
        for _ in range(count):
            body = json.dumps(session.event("02")).encode()
            if run_cli("run", "--home", str(server.home), stdin=body).returncode != 0:
                errors.append("run failed")

    threads = [threading.Thread(target=client, args=(10,)) for _ in range(4)]
    threads += [threading.Thread(target=runner, args=(3,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    server.stop()
    doc = json.loads((server.home / "sessions" / "sess-busy.json").read_text())
    assert doc["counters"]["calls"] == 46


def test_sigterm_stops_cleanly_and_a_restart_sees_the_state(
    tmp_path: Path, session: Session
) -> None:
    home = tmp_path / "serve-home"
    first = Server(home)
    token = first.info["token"]
    assert first.post(json.dumps(session.event("02")).encode())[0] == 200
    code, log = first.stop()
    assert code == 0
    assert "stopped after 1 event" in log
    assert not (home / "server.json").exists()
    second = Server(home)
    try:
        assert second.info["token"] == token  # the settings file that holds it stays valid
        second.post(json.dumps(session.event("02")).encode())
    finally:
        second.stop()
    doc = json.loads((home / "sessions" / f"{session.session_id}.json").read_text())
    assert doc["counters"]["calls"] == 2


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_addresses_are_refused(tmp_path: Path, host: str) -> None:
    result = run_cli("serve", "--home", str(tmp_path / "h"), "--host", host)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1
    assert "loopback" in result.stderr.decode()
    assert not (tmp_path / "h" / "server.json").exists()


def test_metrics_record_the_serve_mode(server: Server, session: Session) -> None:
    server.post(json.dumps(session.event("06")).encode())
    server.stop()  # the record is written after the answer is sent; stopping waits for it
    lines = (server.home / "metrics.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["mode"] == "serve"
    assert record["tool"] == "Bash"
    assert "state_updater" in record["hooks"]


def test_the_token_file_is_private(server: Server) -> None:
    assert os.stat(server.home / "server.token").st_mode & 0o077 == 0


def test_bench_serve_reports_every_figure(tmp_path: Path) -> None:
    from posttool.cli.bench import Workspace, bundled_events
    from posttool.cli.bench_serve import measure_serve, report_lines

    with Workspace() as space:
        events = space.prepare(bundled_events(), bundled=True)
        served = measure_serve(events, 2, str(tmp_path / "bench-home"), space.project)
    assert served["read"]["n"] == 2 * 4  # four bundled Read events
    assert served["bash"]["n"] == 2 * 4
    assert served["py_write_new_content"]["n"] == 2 * 2
    assert served["py_write_ratio"] > 0
    assert served["events_per_s"] > 0
    assert served["workers_events_per_s"] > 0
    assert not (tmp_path / "bench-home" / "server.json").exists()  # the server was stopped
    assert any("events/s" in line for line in report_lines(served))


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path, session: Session) -> None:
    """SIGTERM arrives while a request's body is still on its way: it is answered and its
    state written before the server exits."""
    server = Server(tmp_path / "serve-home")
    body = json.dumps(session.event("06")).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {server.auth['Authorization']}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body[:10])
        time.sleep(1.5)  # the handler thread is now reading the body (slow on a loaded machine)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        sock.sendall(body[10:])
        answer = sock.recv(65536)
    code, log = server.stop()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert code == 0, log
    doc = json.loads((server.home / "sessions" / f"{session.session_id}.json").read_text())
    assert doc["counters"]["calls"] == 1


def test_workers_share_the_port_and_the_state(tmp_path: Path, project: Path) -> None:
    """`--workers 2`: two processes answer on one port; one session posted from four clients
    at once loses no update, health names the pid in server.json, SIGTERM stops them all."""
    server = Server(tmp_path / "serve-home", "--workers", "2")
    session = Session(server.home, project, session_id="sess-workers")
    conn = server.connect()
    conn.request("GET", "/health", headers=server.auth)
    assert json.loads(conn.getresponse().read())["pid"] == server.process.pid

    def client() -> None:
        for _ in range(10):
            status, _answer = server.post(json.dumps(session.event("05")).encode())
            assert status == 200

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    code, log = server.stop()
    assert code == 0, log
    assert log.count("stopped after") == 2  # both workers finished
    assert not (server.home / "server.json").exists()
    doc = json.loads((server.home / "sessions" / "sess-workers.json").read_text())
    assert doc["counters"]["calls"] == 40
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
