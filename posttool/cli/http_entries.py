"""posttool's `"type": "http"` entries in a Claude Code settings file: how one looks, how to
find, add and remove them (the settings half of `install --http`; see `http_wiring`)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from posttool.cli import settings as claude_settings
from posttool.cli.terminal import CliError
from posttool.lib.schema import copy_json

HOOK_PATH = "/posttool"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
TIMEOUT_S = claude_settings.TIMEOUT_S


def is_ours_http(entry: Any) -> bool:
    if not isinstance(entry, dict) or entry.get("type") != "http":
        return False
    url = entry.get("url")
    if not isinstance(url, str):
        return False
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname in LOOPBACK_NAMES and parsed.path == HOOK_PATH


def http_entry(url: str, token: str) -> dict[str, Any]:
    return {
        "type": "http",
        "url": url,
        "headers": {"Authorization": f"Bearer {token}"},
        "timeout": TIMEOUT_S,
    }


def hook_url(server_url: str) -> str:
    return server_url.rstrip("/") + HOOK_PATH


def without_http(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy without posttool's http entries (and the groups and lists only they filled)."""
    result = copy_json(settings)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    for event in claude_settings.EVENTS:
        groups = hooks.get(event)
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(entries, list) and any(is_ours_http(e) for e in entries):
                group["hooks"] = [e for e in entries if not is_ours_http(e)]
                if not group["hooks"]:
                    continue
            kept.append(group)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks and settings.get("hooks"):
        del result["hooks"]
    return result


def with_http(settings: dict[str, Any], url: str, token: str, path: str) -> dict[str, Any]:
    """`settings` with posttool's command and http entries replaced by one http entry per
    event."""
    try:
        result = without_http(claude_settings.uninstall(settings, path))
    except claude_settings.SettingsError as exc:
        raise CliError(str(exc)) from None
    hooks = result.setdefault("hooks", {})
    for event in claude_settings.EVENTS:
        hooks.setdefault(event, []).append(
            {"matcher": claude_settings.MATCHER, "hooks": [http_entry(url, token)]}
        )
    return result


def find_http(settings: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return found
    for event in claude_settings.EVENTS:
        for group in hooks.get(event) or []:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                found.extend((event, e) for e in group["hooks"] if is_ours_http(e))
    return found
