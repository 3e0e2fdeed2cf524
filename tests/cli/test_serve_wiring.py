"""`posttool install --http`, `serve --install-service` and doctor's server checks, against
real servers on loopback."""

from __future__ import annotations

import json
import os
import plistlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from posttool.cli.http_entries import hook_url, with_http, without_http
from posttool.cli.http_wiring import server_checks
from posttool.cli.service import launchd_plist, run_service_command, systemd_unit
from tests.conftest import run_cli
from tests.runner.test_serve import Server


def user_settings() -> Path:
    return Path(os.environ["HOME"]) / ".claude" / "settings.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fixed_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "serve-home", port=free_port())
    yield server
    server.stop()


def test_install_http_needs_a_running_server(tmp_path: Path) -> None:
    result = run_cli("install", "--http", "--home", str(tmp_path / "h"))
    assert result.returncode == 1
    assert result.stderr.decode().count("\n") == 1
    assert b"no posttool server is running" in result.stderr
    assert not user_settings().exists()


def test_install_http_refuses_a_server_on_a_passing_port(tmp_path: Path) -> None:
    server = Server(tmp_path / "serve-home")
    try:
        result = run_cli("install", "--http", "--home", str(server.home))
    finally:
        server.stop()
    assert result.returncode == 1
    assert b"fixed `--port N`" in result.stderr


def test_install_http_refuses_project_scope(fixed_server: Server) -> None:
    result = run_cli("install", "--http", "--scope", "project", "--home", str(fixed_server.home))
    assert result.returncode == 2
    assert b"user scope" in result.stderr


def test_install_http_writes_http_entries_and_doctor_checks_them(fixed_server: Server) -> None:
    home = str(fixed_server.home)
    assert run_cli("install", "--home", home).returncode == 0  # command mode first
    result = run_cli("install", "--http", "--home", home)
    assert result.returncode == 0, result.stderr
    settings = json.loads(user_settings().read_text())
    url = hook_url(fixed_server.info["url"])
    for event in ("PostToolUse", "PostToolUseFailure"):
        entries = [e for group in settings["hooks"][event] for e in group["hooks"]]
        assert entries == [
            {
                "type": "http",
                "url": url,
                "headers": {"Authorization": f"Bearer {fixed_server.info['token']}"},
                "timeout": 10,
            }
        ]  # the command entry was replaced: both would run
    assert user_settings().stat().st_mode & 0o077 == 0
    again = run_cli("install", "--http", "--home", home)
    assert b"already installed" in again.stdout
    # the url Claude Code will post to answers like `/`
    status, _answer = fixed_server.post(b'{"tool_name": "Read"}', path="/posttool")
    assert status == 200
    checks = {name: (status, detail) for name, status, detail, _fix in server_checks(home, "/")}
    assert checks["server"][0] == "ok"
    assert checks["settings"][0] == "ok"
    fixed_server.stop()
    checks = {name: (status, detail) for name, status, detail, _fix in server_checks(home, "/")}
    assert checks["server"][0] == "fail"
    assert run_cli("uninstall", "--home", home).returncode == 0
    assert not user_settings().exists()  # it held only posttool's hooks


def test_command_install_replaces_http_entries() -> None:
    settings = with_http({"model": "opus"}, "http://127.0.0.1:5/posttool", "t" * 40, "s.json")
    assert without_http(settings) == {"model": "opus"}
    other = {"type": "http", "url": "http://127.0.0.1:9/other", "timeout": 3}
    settings["hooks"]["PostToolUse"][0]["hooks"].append(other)
    assert without_http(settings)["hooks"] == {"PostToolUse": [{"matcher": "*", "hooks": [other]}]}


class _OldServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ok", "version": "0.0.1", "pid": 1}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_doctor_names_a_server_of_another_version(tmp_path: Path) -> None:
    old = HTTPServer(("127.0.0.1", 0), _OldServer)
    thread = threading.Thread(target=old.serve_forever, daemon=True)
    thread.start()
    try:
        home = tmp_path / "home"
        home.mkdir()
        url = f"http://127.0.0.1:{old.server_address[1]}/"
        info = {"url": url, "token": "x" * 40, "pid": 1, "version": "0.0.1"}
        (home / "server.json").write_text(json.dumps(info))
        checks = server_checks(str(home), str(tmp_path))
    finally:
        old.shutdown()
    assert checks == [
        (
            "server",
            "fail",
            "the server runs posttool 0.0.1, installed is 0.1.0",
            "restart it: `systemctl --user restart posttool` (or stop and start `posttool serve`)",
        )
    ]


def test_systemd_unit_runs_the_server_with_a_fixed_port() -> None:
    unit = systemd_unit(["/opt/venv/bin/posttool", "serve", "--home", "/h/my home 100%"])
    assert 'ExecStart=/opt/venv/bin/posttool serve --home "/h/my home 100%%"\n' in unit
    assert "WantedBy=default.target" in unit
    assert "Restart=on-failure" in unit


def test_launchd_plist_is_valid_and_names_the_command() -> None:
    args = ["/opt/venv/bin/posttool", "serve", "--home", "/h", "--port", "47117"]
    agent = plistlib.loads(launchd_plist(args, "/h").encode())
    assert agent["ProgramArguments"] == args
    assert agent["Label"] == "dev.posttool.serve"
    assert agent["StandardErrorPath"] == "/h/serve.log"
    assert agent["RunAtLoad"] is True


def test_install_and_uninstall_service_write_and_remove_the_unit(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    result = run_cli("serve", "--install-service", "--home", home)
    assert result.returncode == 0, result.stderr
    unit = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / "posttool.service"
    text = unit.read_text()
    assert f"serve --home {home} --host 127.0.0.1 --port 47117" in text
    assert "systemctl --user" in result.stdout.decode()
    result = run_cli("serve", "--uninstall-service", "--home", home)
    assert result.returncode == 0
    assert not unit.exists()


def test_macos_gets_a_launch_agent(tmp_path: Path) -> None:
    out_path = tmp_path / "out.txt"
    with open(out_path, "w") as out:
        run_service_command(str(tmp_path / "h"), "127.0.0.1", 0, False, platform="darwin", out=out)
    plist = Path(os.environ["HOME"]) / "Library" / "LaunchAgents" / "dev.posttool.serve.plist"
    assert plistlib.loads(plist.read_bytes())["ProgramArguments"][-2:] == ["--port", "47117"]
    assert "launchctl load -w" in out_path.read_text()


def test_install_service_refuses_a_public_host(tmp_path: Path) -> None:
    result = run_cli("serve", "--install-service", "--host", "0.0.0.0", "--home", str(tmp_path))
    assert result.returncode == 2
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "systemd").exists()


def test_a_stale_server_json_is_a_warning_when_nothing_posts_to_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    info = {"url": f"http://127.0.0.1:{free_port()}/", "token": "x" * 40, "pid": 1}
    (home / "server.json").write_text(json.dumps(info))
    [(name, status, detail, _fix)] = server_checks(str(home), str(tmp_path))
    assert (name, status) == ("server", "warn")
    assert "nothing answers" in detail
