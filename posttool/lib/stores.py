"""Project stores (spec §3.4): read_cache, exploration_cache and lessons, one JSON file each
under `<home>/projects/<project_key>/`, loaded only when a hook that declares one is about to
run, each under its own lock until the call saves."""

from __future__ import annotations

import os

from posttool.lib import paths
from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.log import log
from posttool.lib.store import (
    FileLock,
    LockTimeout,
    acquire_or_replace,
    dump_json,
    keep_aside,
    write_atomic,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.config import Config

STORE_SCHEMA = 1
STORE_LOCK_TIMEOUT_S = 1.0
DAY = 86400.0

# name: (timestamp field, ttl config key, cap config key); the defaults are in lib/config.py.
STORE_RULES: dict[str, tuple[str, str, str]] = {
    "read_cache": ("read_at", "stores.read_cache.ttl_s", "stores.read_cache.max_entries"),
    "exploration_cache": (
        "stored_at",
        "stores.exploration_cache.ttl_s",
        "stores.exploration_cache.max_entries",
    ),
    "lessons": ("last_seen", "stores.lessons.ttl_days", "stores.lessons.max_entries"),
}
STORE_ORDER = tuple(STORE_RULES)


def store_rules(name: str, config: Config) -> tuple[str, float, int]:
    """(timestamp field, ttl in seconds, cap) for a store, with the user's overrides."""
    field, ttl_key, cap_key = STORE_RULES[name]
    ttl = float(config.get(ttl_key))
    if ttl_key.endswith("_days"):
        ttl *= DAY
    return field, ttl, int(config.get(cap_key))


def live_entries(entries: dict[str, Any], field: str, ttl: float, now: float) -> dict[str, Any]:
    def fresh(entry: Any) -> bool:
        stamp = entry.get(field) if isinstance(entry, dict) else None
        return isinstance(stamp, (int, float)) and now - stamp < ttl

    return {key: entry for key, entry in entries.items() if fresh(entry)}


class _OpenStore:
    __slots__ = ("entries", "loaded_bytes", "lock", "path", "writable")

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = FileLock(path + ".lock")
        self.entries: dict[str, Any] = {}
        self.loaded_bytes: bytes | None = None
        self.writable = False


class ProjectStores:
    """Lazy handles on one project's stores for the duration of one call."""

    def __init__(self, home: str, project_key: str, config: Config, now: float) -> None:
        self.folder = paths.project_dir(home, project_key)
        self.config = config
        self.now = now
        self._open: dict[str, _OpenStore] = {}

    def entries(self, name: str) -> dict[str, Any]:
        if name not in STORE_RULES:
            raise KeyError(f"unknown project store {name!r}")
        opened = self._open.get(name)
        if opened is None:
            opened = self._load(name)
            self._open[name] = opened
        return opened.entries

    def path_of(self, name: str) -> str:
        return os.path.join(self.folder, f"{name}.json")

    def _load(self, name: str) -> _OpenStore:
        paths.ensure_private_dir(self.folder)
        opened = _OpenStore(self.path_of(name))
        try:
            acquire_or_replace(opened.lock, self.now, STORE_LOCK_TIMEOUT_S)
            opened.writable = True
        except (LockTimeout, OSError) as exc:
            log(f"store {name}: lock not acquired ({exc}); read-only for this call")
        return self._read(name, opened)

    def _read(self, name: str, opened: _OpenStore) -> _OpenStore:
        """Fill `opened` from its file (the caller holds its lock, or it is read-only)."""
        try:
            with open(opened.path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return opened
        except OSError as exc:  # a folder, a file posttool may not read
            self._set_aside(name, opened, f"unreadable ({exc.strerror})")
            return opened
        try:
            data = loads_clean(raw)
        except JSONDecodeError as exc:
            self._set_aside(name, opened, f"does not parse ({exc})")
            return opened
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            self._set_aside(name, opened, "is not a store document")
            return opened
        schema = data.get("schema")
        if type(schema) is not int or schema != STORE_SCHEMA:
            self._set_aside(name, opened, f"has schema {str(schema)[:40]!r}, not {STORE_SCHEMA}")
            return opened
        opened.loaded_bytes = raw
        field, ttl, _ = store_rules(name, self.config)
        opened.entries = live_entries(data["entries"], field, ttl, self.now)
        return opened

    def _set_aside(self, name: str, opened: _OpenStore, reason: str) -> None:
        """Keep the file as `<file>.corrupt-<unix>` and start empty; a store this call could not
        lock, or whose file cannot be moved, is left as it is and not written."""
        if not opened.writable:
            log(f"store {name}: {reason}; left in place (not locked by this call)")
            return
        try:
            kept = keep_aside(opened.path, self.now)
        except OSError as exc:
            opened.writable = False
            log(f"store {name}: {reason}; cannot set it aside ({exc.strerror}), read-only")
            return
        log(f"store {name}: {reason}; kept as {kept}")

    def is_loaded(self, name: str) -> bool:
        return name in self._open

    def save_all(self) -> None:
        for name, opened in self._open.items():
            if not opened.writable:
                continue
            field, ttl, cap = store_rules(name, self.config)
            entries = live_entries(opened.entries, field, ttl, self.now)
            if len(entries) > cap:
                newest = sorted(entries.items(), key=lambda kv: kv[1].get(field, 0))[-cap:]
                entries = dict(newest)
            data = dump_json({"schema": STORE_SCHEMA, "entries": entries})
            if data != opened.loaded_bytes:
                self._write(name, opened, data, entries)

    def _write(self, name: str, opened: _OpenStore, data: bytes, entries: dict[str, Any]) -> None:
        write_atomic(opened.path, data)

    def close(self) -> None:
        for opened in self._open.values():
            opened.lock.release()
