"""`posttool doctor`'s checks on what surrounds the command: ruff, the home folder (owner,
writable, private) and the config file."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile

from posttool.cli.doctor_checks import Check, Fixer, fail, ok
from posttool.lib.config import ConfigError, load_config


def check_ruff(interpreter: str, home: str) -> Check:
    from posttool.lib.lint.cache import resolve_executable
    from posttool.runner.registry import load_registry

    load_registry()  # quality_scanner declares `quality_scanner.ruff_cmd`
    try:
        configured = load_config(home).get("quality_scanner.ruff_cmd")
    except ConfigError:
        configured = ""
    if configured:
        found = resolve_executable(configured)
        where = f"quality_scanner.ruff_cmd = {configured!r}"
    else:
        beside = os.path.join(
            os.path.dirname(interpreter), "ruff.exe" if os.name == "nt" else "ruff"
        )
        found = (
            beside
            if os.path.isfile(beside) and os.access(beside, os.X_OK)
            else resolve_executable("ruff")
        )
        where = f"beside {interpreter} or on PATH"
    if not found:
        return fail(
            "ruff",
            f"not found ({where}); quality_scanner cannot lint Python files",
            f"`{interpreter} -m pip install ruff`",
        )
    try:
        done = subprocess.run([found, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return fail(
            "ruff",
            f"{found} does not run: {exc}",
            f"`{interpreter} -m pip install --force-reinstall ruff`",
        )
    version = done.stdout.decode("utf-8", "replace").strip() or "unknown version"
    return ok("ruff", f"{found} ({version})")


def check_home(home: str, fixer: Fixer | None = None) -> Check:
    name = "home"
    if not os.path.exists(home):
        parent = os.path.dirname(home.rstrip(os.sep)) or os.sep
        while not os.path.exists(parent) and parent != os.path.dirname(parent):
            parent = os.path.dirname(parent)
        if os.access(parent, os.W_OK):
            return ok(name, f"{home} does not exist yet; the first run creates it (0700)")
        return fail(
            name,
            f"{home} does not exist and {parent} is not writable",
            "pick a writable home: "
            + (fixer.install(home="<dir>") if fixer else "`posttool install --home <dir>`"),
        )
    if not os.path.isdir(home):
        return fail(name, f"{home} is not a folder", "remove it or choose another `--home`")
    info = os.stat(home)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return fail(
            name,
            f"{home} belongs to uid {info.st_uid}, not you ({os.getuid()})",
            f"`chown -R $(id -u) {home}`",
        )
    if not _writable(home):
        return fail(name, f"{home} is not writable", f"`chmod u+rwx {home}`")
    loose = _loose_permissions(home)
    if loose:
        return fail(
            name,
            f"{len(loose)} item(s) readable by others, e.g. {loose[0]}",
            f"`chmod -R go-rwx {home}`",
        )
    return ok(name, f"{home} is writable and private (0700/0600)")


def _writable(folder: str) -> bool:
    try:
        fd, path = tempfile.mkstemp(prefix=".doctor-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(path)
    return True


def _loose_permissions(home: str) -> list[str]:
    loose = []
    for root, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            path = os.path.join(root, name)
            try:
                if stat.S_IMODE(os.lstat(path).st_mode) & 0o077:
                    loose.append(path)
            except OSError:
                continue
    if stat.S_IMODE(os.stat(home).st_mode) & 0o077:
        loose.insert(0, home)
    return loose


def check_config(home: str) -> Check:
    try:
        config = load_config(home)
    except ConfigError as exc:
        return fail("config", str(exc), "fix the JSON, or move the file away to use defaults")
    from posttool.cli.config_cmd import problem_summary

    count, first = problem_summary(home)
    if count:
        more = f" (and {count - 1} more)" if count > 1 else ""
        return fail("config", f"{first}{more}", "posttool config check  # lists every problem")
    if config.path and os.path.exists(config.path):
        return ok("config", f"{config.path} is valid")
    return ok("config", "no config.json; defaults apply")
