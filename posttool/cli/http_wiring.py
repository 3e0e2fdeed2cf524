"""`posttool install --http`: wire Claude Code's HTTP hooks to a running `posttool serve`, and
the checks `doctor` makes on that wiring.

Each of PostToolUse and PostToolUseFailure gets one entry
    {"type": "http", "url": "http://127.0.0.1:<port>/posttool",
     "headers": {"Authorization": "Bearer <token>"}, "timeout": 10}
in the user-scope settings file, which is then made 0600. The token is written literally
rather than through `allowedEnvVars`: an environment variable must be set in the environment
Claude Code itself starts from (a shell profile, not the IDE or desktop app that launched it),
and when it is missing Claude Code sends an empty header and every tool call shows a hook
error; the user settings file lives in the user's own folder and is never part of a project.
An entry is posttool's when it is an http hook whose url is a loopback address ending in
`/posttool`; `install --http` replaces posttool's command entries (both would run), and
`install` (command mode) and `uninstall` remove the http ones.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import urllib.parse
from typing import Any, TextIO

from posttool import __version__
from posttool.cli import settings as claude_settings
from posttool.cli.http_entries import (
    find_http,
    hook_url,
    with_http,
)
from posttool.cli.install import Change, _finish, load
from posttool.cli.terminal import CliError, Style
from posttool.runner.serve import read_server_info

PROBE_TIMEOUT_S = 3.0


# --- the server ------------------------------------------------------------------------------


class Probe:
    """What `GET /health` on the server said."""

    def __init__(self, ok: bool, detail: str, version: str | None = None) -> None:
        self.ok = ok
        self.detail = detail
        self.version = version


def probe(url: str, token: str, timeout: float = PROBE_TIMEOUT_S) -> Probe:
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname is None or parsed.port is None:
        return Probe(False, f"{url} names no host and port")
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("GET", "/health", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
    except OSError as exc:
        return Probe(False, f"nothing answers at {url} ({exc.strerror or exc})")
    finally:
        conn.close()
    if response.status == 401:
        return Probe(False, f"{url} refuses the token (another home's server?)")
    if response.status != 200:
        return Probe(False, f"{url} answered {response.status} to /health")
    try:
        version = json.loads(body).get("version")
    except (ValueError, AttributeError):
        return Probe(False, f"{url} is not a posttool server")
    return Probe(True, f"{url} answers (posttool {version})", version)


def running_server(home: str) -> dict[str, Any]:
    info = read_server_info(home)
    start = f"start it with `posttool serve --home {home} --port N` (or --install-service)"
    if info is None:
        raise CliError(f"no posttool server is running for {home} (no server.json); {start}")
    found = probe(str(info.get("url", "")), str(info.get("token", "")))
    if not found.ok:
        raise CliError(f"{found.detail}; {start}")
    if found.version != __version__:
        raise CliError(
            f"the server runs posttool {found.version}, this is {__version__}: restart it "
            "(`systemctl --user restart posttool` for the service), then run this again"
        )
    if not info.get("fixed_port"):
        raise CliError(
            f"the server at {info['url']} picked a free port, which changes when it restarts; "
            "start it with a fixed `--port N` (the service uses one), then run this again"
        )
    return info


def run_install_http(
    scope: str, home: str, dry_run: bool, cwd: str | None = None, out: TextIO | None = None
) -> int:
    out = sys.stdout if out is None else out
    if scope != "user":
        raise CliError(
            "--http writes the server's token into the settings file: use the user scope "
            "(the default), never a project's files",
            code=2,
        )
    info = running_server(home)
    path = claude_settings.settings_path(scope, cwd)
    text, before = load(path)
    url = hook_url(str(info["url"]))
    change = Change(path, text, before, with_http(before, url, str(info["token"]), path))
    code = _finish(
        change,
        home,
        dry_run,
        out,
        Style.for_stream(out),
        verb="install",
        extra=[
            f"hook url: {url} (posttool {info['version']}, pid {info['pid']})",
            "note: while the server is down, Claude Code shows a hook error on every tool "
            "call; `posttool install` goes back to command mode",
        ],
    )
    if not dry_run and os.path.exists(path):
        os.chmod(os.path.realpath(path), 0o600)  # it holds the token
    return code


# --- doctor ----------------------------------------------------------------------------------


def server_checks(home: str, cwd: str) -> list[tuple[str, str, str, str]]:
    """(name, status, detail, fix) for the http wiring and the server; nothing when neither
    is in use."""
    wired: list[tuple[str, dict[str, Any]]] = []
    for _scope, path in claude_settings.scope_paths(cwd):
        try:
            wired += find_http(claude_settings.parse(claude_settings.read_text(path), path))
        except claude_settings.SettingsError:
            continue
    info = read_server_info(home)
    if not wired and info is None:
        return []
    checks = []
    if wired:
        events = sorted({event for event, _entry in wired})
        missing = [e for e in claude_settings.EVENTS if e not in events]
        checks.append(
            (
                "settings",
                "fail",
                f"posttool's http hook is missing for {', '.join(missing)}",
                "run `posttool install --http` again",
            )
            if missing
            else (
                "settings",
                "ok",
                "posttool answers PostToolUse and PostToolUseFailure over HTTP",
                "",
            )
        )
    restart = "start it: `posttool serve --port N` or `systemctl --user start posttool`"
    if info is None:
        checks.append(
            ("server", "fail", f"settings post to posttool but no server runs for {home}", restart)
        )
        return checks
    found = probe(str(info.get("url", "")), str(info.get("token", "")))
    if not found.ok:
        # A server.json left by a killed server matters only when Claude Code posts to it.
        checks.append(("server", "fail" if wired else "warn", found.detail, restart))
        return checks
    if found.version != __version__:
        checks.append(
            (
                "server",
                "fail",
                f"the server runs posttool {found.version}, installed is {__version__}",
                "restart it: `systemctl --user restart posttool` (or stop and start "
                "`posttool serve`)",
            )
        )
    else:
        checks.append(("server", "ok", found.detail, ""))
    expected = hook_url(str(info["url"]))
    for event, entry in wired:
        if entry.get("url") != expected:
            checks.append(
                (
                    "http hook",
                    "fail",
                    f"{event} posts to {entry.get('url')}, the server listens at {expected}",
                    "run `posttool install --http` again",
                )
            )
        elif entry.get("headers", {}).get("Authorization") != f"Bearer {info.get('token')}":
            checks.append(
                (
                    "http hook",
                    "fail",
                    f"{event}: the Authorization header does not carry the server's token",
                    "run `posttool install --http` again",
                )
            )
    return checks
