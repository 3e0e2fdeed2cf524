"""`posttool serve --install-service` / `--uninstall-service`: keep the server running across
logins with the user's own service manager (a systemd user unit on Linux, a launchd agent on
macOS). posttool writes or removes the file and prints the one command that (de)activates it;
it does not run the service manager itself.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from typing import TextIO

from posttool.cli.launcher import LauncherError, launcher
from posttool.cli.terminal import CliError
from posttool.lib.store import write_atomic

UNIT_NAME = "posttool.service"
AGENT_LABEL = "dev.posttool.serve"
DEFAULT_SERVICE_PORT = 47_117  # fixed, so the url in the settings file survives restarts


def systemd_unit_path(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    config = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "systemd", "user", UNIT_NAME)


def launchd_plist_path() -> str:
    return os.path.join(os.path.expanduser("~"), "Library", "LaunchAgents", f"{AGENT_LABEL}.plist")


def serve_args(prefix: list[str], home: str, host: str, port: int) -> list[str]:
    return [*prefix, "serve", "--home", home, "--host", host, "--port", str(port)]


def systemd_unit(args: list[str]) -> str:
    """A user unit; its stderr (the server's log) goes to the journal."""
    return (
        "[Unit]\n"
        "Description=posttool: Claude Code's PostToolUse hooks over HTTP (loopback)\n"
        "\n"
        "[Service]\n"
        f"ExecStart={' '.join(_systemd_quote(arg) for arg in args)}\n"
        "Restart=on-failure\n"
        "RestartSec=2\n"
        "KillSignal=SIGTERM\n"
        "TimeoutStopSec=30\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def _systemd_quote(arg: str) -> str:
    """systemd's own quoting: double quotes, `\\` and `"` escaped, `%` and `$` doubled."""
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"' if escaped != arg or not arg or any(c.isspace() for c in arg) else arg


def launchd_plist(args: list[str], home: str) -> str:
    agent = {
        "Label": AGENT_LABEL,
        "ProgramArguments": args,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "StandardErrorPath": os.path.join(home, "serve.log"),
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(agent, sort_keys=False).decode("utf-8")


def run_service_command(
    home: str,
    host: str,
    port: int,
    uninstall: bool,
    platform: str = sys.platform,
    out: TextIO | None = None,
) -> int:
    out = sys.stdout if out is None else out
    mac = platform == "darwin"
    path = launchd_plist_path() if mac else systemd_unit_path()
    if uninstall:
        return _uninstall(path, mac, out)
    from posttool.runner.serve import loopback_host

    loopback_host(host)  # the same refusal as `serve` itself, before anything is written
    try:
        prefix = launcher()
    except LauncherError as exc:
        raise CliError(f"{exc}; run it with the venv's posttool") from None
    args = serve_args(prefix, home, host, port or DEFAULT_SERVICE_PORT)
    text = launchd_plist(args, home) if mac else systemd_unit(args)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, text.encode("utf-8"))
    os.chmod(path, 0o644)
    out.write(f"wrote {path}\n")
    if mac:
        out.write(f"start it now and at every login: launchctl load -w {shlex.quote(path)}\n")
    else:
        out.write(
            "start it now and at every login: "
            "systemctl --user daemon-reload && systemctl --user enable --now posttool\n"
        )
    out.write("then wire Claude Code to it: posttool install --http\n")
    return 0


def _uninstall(path: str, mac: bool, out: TextIO) -> int:
    if not os.path.exists(path):
        out.write(f"{path} does not exist; nothing to do\n")
        return 0
    stop = (
        f"launchctl unload -w {shlex.quote(path)}"
        if mac
        else "systemctl --user disable --now posttool"
    )
    os.unlink(path)
    out.write(f"removed {path}\n")
    out.write(f"if it is running, stop it: {stop}\n")
    out.write("and put Claude Code back on command mode: posttool install\n")
    return 0
