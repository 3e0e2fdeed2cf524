"""The CLI side of user hooks: `posttool trust`, the registry `hooks` and `doctor` show, and
doctor's checks (hooks that could not register, a project file waiting for trust)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TextIO

from posttool.cli.terminal import CliError
from posttool.lib import trust
from posttool.lib.config import Config
from posttool.lib.paths import find_project_config, project_root
from posttool.runner.projectconfig import read_layer, with_project_layer
from posttool.runner.registry import Registry, load_registry, refresh_entry_points

if TYPE_CHECKING:
    from collections.abc import Callable

# What doctor turns into a Check: (name, status, detail, fix).
Found = tuple[str, str, str, str]


def full_registry(home: str, config: Config, cwd: str) -> tuple[Registry, Config]:
    """The built-ins with every user hook `run` would add for an event in `cwd`; the entry
    point cache is rewritten on the way (a fresh scan)."""
    from posttool.runner.plugins import with_user_hooks

    refresh_entry_points(home)
    project_file = find_project_config(cwd)
    if project_file is not None:
        config = with_project_layer(config, project_file, home)
    return with_user_hooks(load_registry(), config, home, project_root(cwd)), config


def hook_checks(home: str, config: Config, cwd: str) -> list[Found]:
    checks: list[Found] = []
    registry, _ = full_registry(home, config, cwd)
    users = [r.name for r in registry.hooks if r.family in ("plugin", "command")]
    if registry.problems:
        checks.append(
            (
                "hooks",
                "fail",
                "skipped, the rest run: " + "; ".join(registry.problems),
                "fix or remove these entries in config.json / .claude/posttool.json",
            )
        )
    else:
        detail = f"{len(registry.hooks)} registered" + (
            f" ({', '.join(users)} yours)" if users else ""
        )
        checks.append(("hooks", "ok", detail, ""))
    for name, family in sorted(registry.replaced.items()):
        checks.append(("hooks", "ok", f"{name} replaces the built-in {family} hook", ""))
    project_file = find_project_config(cwd)
    if project_file is not None:
        checks.append(project_check(home, project_file))
    return checks


def project_check(home: str, path: str) -> Found:
    try:
        layer = read_layer(path)
    except (OSError, ValueError) as exc:
        return ("project config", "warn", f"{exc}; ignored", f"fix or remove {path}")
    if not layer.runs_code:
        return ("project config", "ok", f"{path} (settings only)", "")
    if trust.is_trusted(home, path, layer.data):
        return ("project config", "ok", f"{path} is trusted", "")
    return (
        "project config",
        "warn",
        f"{path} names plug-ins, commands or *_cmd settings and is not trusted: they do not run",
        f"read it, then run `posttool trust {path}`",
    )


# --- posttool trust --------------------------------------------------------------------------


def add_trust_command(
    sub: Callable[..., argparse.ArgumentParser], handler: Callable[[argparse.Namespace], int]
) -> None:
    parser = sub(
        "trust",
        "allow a project's .claude/posttool.json to run its plug-ins and commands "
        "(this exact content; a changed file needs trusting again)",
        handler,
    )
    parser.add_argument("path", nargs="?", help="the file (default: the current project's)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="list the trusted files")
    group.add_argument("--revoke", action="store_true", help="stop trusting the file")


def run_trust(
    home: str, path: str | None, listing: bool, revoke: bool, cwd: str, out: TextIO
) -> int:
    if listing:
        if path:
            raise CliError("trust --list takes no PATH", code=2)
        for file, digest in sorted(trust.trusted_files(home).items()):
            state = _current_state(file, digest)
            out.write(f"{file}  {state}\n")
        return 0
    target = path or find_project_config(cwd)
    if target is None:
        raise CliError(f"no .claude/posttool.json in {cwd} or above it up to the git root")
    if revoke:
        if not trust.revoke(home, target):
            raise CliError(f"{target} is not trusted")
        out.write(f"no longer trusted: {os.path.realpath(target)}\n")
        return 0
    try:
        read_layer(target)
        real = trust.trust(home, target)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot trust {target}: {getattr(exc, 'strerror', None) or exc}") from None
    out.write(f"trusted: {real} (its plug-ins and commands now run)\n")
    return 0


def _current_state(path: str, digest: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return "(missing)"
    return "(trusted)" if trust.content_hash(data) == digest else "(changed since: not trusted)"
