"""Claude Code settings files: where each scope keeps its file, reading one strictly, and adding
or removing posttool's hook entries while every other key and hook stays as it was.

The block posttool owns, for each of PostToolUse and PostToolUseFailure:
    {"matcher": "*", "hooks": [{"type": "command", "command": "<launcher> run --home <dir>",
                                "timeout": 10}]}
An entry is posttool's when it is a command hook whose command is `posttool run ...` or
`<python> -m posttool run ...` (see `launcher.is_posttool_command`); no marker key is added,
since Claude Code validates the keys of a hook entry.
"""

from __future__ import annotations

import json
import os
from typing import Any

from posttool.cli.launcher import is_posttool_command
from posttool.lib.schema import copy_json

SCOPES = ("user", "project", "local")
EVENTS = ("PostToolUse", "PostToolUseFailure")
MATCHER = "*"
TIMEOUT_S = 10  # worst case inside: lint 3 s + session lock 2 s + store locks; never 600 s
CONFIG_DIR_ENV = "CLAUDE_CONFIG_DIR"


class SettingsError(Exception):
    """A settings file that posttool must not edit (unreadable, not JSON, odd shape)."""


def settings_path(
    scope: str, cwd: str | None = None, environ: dict[str, str] | os._Environ[str] = os.environ
) -> str:
    """`~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`),
    `<cwd>/.claude/settings.json`, or `<cwd>/.claude/settings.local.json`."""
    if scope == "user":
        folder = environ.get(CONFIG_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".claude")
        return os.path.join(os.path.abspath(os.path.expanduser(folder)), "settings.json")
    base = os.path.abspath(cwd or os.getcwd())
    name = "settings.local.json" if scope == "local" else "settings.json"
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return os.path.join(base, ".claude", name)


def scope_paths(cwd: str | None = None) -> list[tuple[str, str]]:
    """(scope, path) for the three scopes, each file once: run from the home folder, the
    project's `.claude/settings.json` is the user's."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for scope in SCOPES:
        path = settings_path(scope, cwd)
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append((scope, path))
    return found


def read_text(path: str) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8-sig") as handle:  # a BOM from a Windows editor
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text; left as it was") from None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None


def parse(text: str | None, path: str) -> dict[str, Any]:
    """The settings object; a missing or blank file is `{}`; anything else that is not a JSON
    object is refused."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        )
        reason = getattr(exc, "msg", str(exc))
        raise SettingsError(
            f"{path} is not valid JSON ({reason} at {where}); fix it and retry, nothing was changed"
        ) from None
    if not isinstance(value, dict):
        raise SettingsError(
            f"{path} holds a JSON {type(value).__name__}, not an object; nothing was changed"
        )
    return value


def hook_entry(command: str) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": TIMEOUT_S}


def block(command: str) -> dict[str, Any]:
    """What install adds to an empty settings file."""
    group = {"matcher": MATCHER, "hooks": [hook_entry(command)]}
    return {"hooks": {event: [copy_json(group)] for event in EVENTS}}


def is_ours(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("type") == "command"
        and is_posttool_command(entry.get("command"))
    )


def _event_groups(settings: dict[str, Any], event: str, path: str) -> list[Any] | None:
    hooks = settings.get("hooks")
    if hooks is None:
        return None
    if not isinstance(hooks, dict):
        raise SettingsError(
            f"{path}: 'hooks' is not an object; fix it by hand, nothing was changed"
        )
    groups = hooks.get(event)
    if groups is None:
        return None
    if not isinstance(groups, list):
        raise SettingsError(
            f"{path}: 'hooks.{event}' is not a list; fix it by hand, nothing was changed"
        )
    return groups


def find(settings: dict[str, Any], path: str = "settings") -> list[tuple[str, dict[str, Any]]]:
    """(event, entry) for every posttool entry, in file order."""
    found: list[tuple[str, dict[str, Any]]] = []
    for event in EVENTS:
        for group in _event_groups(settings, event, path) or []:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                found.extend((event, entry) for entry in group["hooks"] if is_ours(entry))
    return found


def install(
    settings: dict[str, Any],
    command: str,
    path: str = "settings",
    events: tuple[str, ...] = EVENTS,
) -> dict[str, Any]:
    """A copy of `settings` with one posttool entry per event of `events` running `command`,
    and none for the other events of EVENTS (an old Claude Code rejects the whole file when it
    names PostToolUseFailure, so install takes its own entry out again).

    An existing posttool entry is updated in place (its matcher and timeout are the user's);
    further posttool entries for the same event are removed, since each would run posttool again.
    """
    result = copy_json(settings)
    for event in events:
        groups = _event_groups(result, event, path)
        if groups is None:
            result.setdefault("hooks", {})[event] = groups = []
        kept = False
        for group in groups:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(entries, list):
                continue
            remaining = []
            for entry in entries:
                if is_ours(entry):
                    if kept:
                        continue
                    entry["command"] = command
                    kept = True
                remaining.append(entry)
            entries[:] = remaining
        _drop_emptied(groups, settings_groups=_event_groups(settings, event, path) or [])
        if not kept:
            groups.append({"matcher": MATCHER, "hooks": [hook_entry(command)]})
    left_out = tuple(event for event in EVENTS if event not in events)
    _remove_ours(result, settings, left_out, path, keep_events=set(), keep_hooks=True)
    return result


def uninstall(
    settings: dict[str, Any], path: str = "settings", original: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of `settings` without posttool's entries, and without the groups, event lists and
    `hooks` object that only held them, unless `original` (the file before posttool was
    installed, when known) had that event list or `hooks` object."""
    result = copy_json(settings)
    before_hooks = (original or {}).get("hooks")
    keep_events = (
        {event for event in EVENTS if event in before_hooks}
        if isinstance(before_hooks, dict)
        else set()
    )
    _remove_ours(
        result, settings, EVENTS, path, keep_events=keep_events, keep_hooks=before_hooks is not None
    )
    return result


def _remove_ours(
    result: dict[str, Any],
    settings: dict[str, Any],
    events: tuple[str, ...],
    path: str,
    keep_events: set[str],
    keep_hooks: bool,
) -> None:
    hooks = result.get("hooks")
    for event in events:
        groups = _event_groups(result, event, path)
        if not groups:
            continue
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                group["hooks"] = [entry for entry in group["hooks"] if not is_ours(entry)]
        _drop_emptied(groups, settings_groups=_event_groups(settings, event, path) or [])
        if not groups and event not in keep_events and isinstance(hooks, dict):
            del hooks[event]
    if isinstance(hooks, dict) and not hooks and settings.get("hooks") and not keep_hooks:
        del result["hooks"]


def foreign_entries(settings: dict[str, Any], event: str, path: str = "settings") -> int:
    """How many hook entries that are not posttool's the settings hold for `event`."""
    count = 0
    for group in _event_groups(settings, event, path) or []:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            count += sum(1 for entry in group["hooks"] if not is_ours(entry))
    return count


def names_event(settings: dict[str, Any], event: str) -> bool:
    hooks = settings.get("hooks")
    return isinstance(hooks, dict) and event in hooks


def _drop_emptied(groups: list[Any], settings_groups: list[Any]) -> None:
    """Remove groups whose `hooks` list became empty here (one that was already empty stays)."""
    was_empty = [
        isinstance(g, dict) and isinstance(g.get("hooks"), list) and not g["hooks"]
        for g in settings_groups
    ]
    keep = []
    for index, group in enumerate(groups):
        emptied = (
            isinstance(group, dict)
            and group.get("hooks") == []
            and not (index < len(was_empty) and was_empty[index])
        )
        if not emptied:
            keep.append(group)
    groups[:] = keep


def indent_of(text: str | None) -> str | int:
    """The indentation the file already uses (Claude Code writes 2 spaces)."""
    for line in (text or "").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def render(value: dict[str, Any], original: str | None) -> str:
    return json.dumps(value, indent=indent_of(original), ensure_ascii=False) + "\n"
