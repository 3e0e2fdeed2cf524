"""The project stores (read_cache, exploration_cache, lessons) and the lint cache, as the CLI
sees them: per project, with live/expired counts by the same TTL rules the runner applies."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from posttool.lib import paths
from posttool.lib.config import Config
from posttool.lib.fast.jsonfast import loads_clean
from posttool.lib.stores import STORE_ORDER, live_entries, store_rules
from posttool.lib.sweep import remove_session as remove_locked_file

REMOVE_LOCK_TIMEOUT_S = 2.0


def project_keys(home: str) -> list[str]:
    try:
        return sorted(os.listdir(os.path.join(home, "projects")))
    except FileNotFoundError:
        return []


def store_path(home: str, project_key: str, name: str) -> str:
    return os.path.join(paths.project_dir(home, project_key), f"{name}.json")


def read_store(path: str) -> tuple[dict[str, Any], str | None]:
    """(entries, problem): a missing store is empty; one that does not parse says so."""
    try:
        with open(path, "rb") as handle:
            data = loads_clean(handle.read())
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"unreadable ({exc})"
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        return {}, "not a store document"
    return data["entries"], None


def describe_store(
    home: str, project_key: str, name: str, config: Config, now: float
) -> dict[str, Any]:
    path = store_path(home, project_key, name)
    entries, problem = read_store(path)
    field, ttl, cap = store_rules(name, config)
    live = live_entries(entries, field, ttl, now)
    newest = sorted(live.values(), key=lambda e: e.get(field, 0), reverse=True)
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    return {
        "store": name,
        "path": path,
        "exists": os.path.exists(path),
        "problem": problem,
        "size": size,
        "entries": len(entries),
        "live": len(live),
        "expired": len(entries) - len(live),
        "cap": cap,
        "ttl_s": ttl,
        "newest": [dict(entry, age_s=round(now - entry.get(field, now), 1)) for entry in newest],
    }


def describe_project(home: str, project_key: str, config: Config, now: float) -> dict[str, Any]:
    stores = [describe_store(home, project_key, name, config, now) for name in STORE_ORDER]
    return {
        "project_key": project_key,
        "folder": paths.project_dir(home, project_key),
        "hint": _path_hint(stores),
        "stores": stores,
    }


def _path_hint(stores: list[dict[str, Any]]) -> str | None:
    """A file path seen in the read cache: the store folders are named by hash only."""
    for store in stores:
        if store["store"] == "read_cache":
            for entry in store["newest"]:
                if isinstance(entry.get("path"), str):
                    return entry["path"]
    return None


def lint_cache(home: str) -> dict[str, Any]:
    folder = paths.lint_cache_dir(home)
    count = size = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                size += os.stat(os.path.join(root, name)).st_size
                count += 1
            except OSError:
                continue
    return {"path": folder, "files": count, "size": size}


def clear_project(home: str, project_key: str) -> list[str]:
    """Delete one project's store files (each under its lock) and the folder if left empty."""
    removed = []
    for name in STORE_ORDER:
        path = store_path(home, project_key, name)
        if os.path.exists(path) and remove_locked_file(path, timeout=REMOVE_LOCK_TIMEOUT_S):
            removed.append(path)
    folder = paths.project_dir(home, project_key)
    with contextlib.suppress(OSError):
        os.rmdir(folder)
    return removed


def clear_lint_cache(home: str) -> list[str]:
    """Delete the lint cache's entry files (written once by rename, so no lock is needed)."""
    folder = paths.lint_cache_dir(home)
    removed = []
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
        if root != folder:
            with contextlib.suppress(OSError):
                os.rmdir(root)
    return removed
