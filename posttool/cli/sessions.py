"""The session files in a posttool home, as the CLI sees them: found, named, read, removed.

Reading never takes a lock (saves are atomic renames, so a reader sees a whole file); removing
takes the session lock so that a running hook never has its file deleted mid-call.
"""

from __future__ import annotations

import os
import re
from typing import Any

from posttool.cli.terminal import CliError
from posttool.lib import paths
from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.schema import coerce_session
from posttool.lib.sweep import SessionFile, remove_orphan_lock, remove_session, session_files

REMOVE_LOCK_TIMEOUT_S = 2.0
DAY = 86400.0
_CORRUPT = re.compile(r"^(?P<key>.+)\.json\.corrupt-(?P<stamp>\d+)(-\d+)?$")


def pick(home: str, name: str | None) -> SessionFile:
    """The session named by id, key or unique key prefix; the newest when no name is given."""
    files = session_files(home)
    folder = paths.sessions_dir(home)
    if name is None:
        if not files:
            raise CliError(f"no session state yet in {folder}")
        return files[0]
    key = paths.session_key(name)
    exact = [s for s in files if s.key in (key, name)]
    if exact:
        return exact[0]
    prefixed = [s for s in files if s.key.startswith(name)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise CliError(f"{name!r} matches {len(prefixed)} sessions; give more of the id")
    raise CliError(f"no session {name!r} in {folder} (see `posttool state list`)")


def read_doc(path: str) -> dict[str, Any]:
    """The document as stored; a file that does not parse is reported, not changed."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = loads_clean(raw)  # as `run` reads it: old files' lone surrogates become U+FFFD
    except JSONDecodeError as exc:
        raise CliError(f"{path} does not parse ({exc}); the next run keeps it aside") from None
    if not isinstance(doc, dict):
        raise CliError(f"{path} is not a JSON object; the next run keeps it aside")
    return doc


def summary(session: SessionFile, now: float) -> dict[str, Any]:
    """One row of `state list`."""
    try:
        doc = coerce_session(read_doc(session.path))
        readable = True
    except CliError:
        doc = coerce_session({})
        readable = False
    confidence = doc["confidence"]
    return {
        "session": session.key,
        "session_id": doc["session_id"],
        "project_key": doc["project_key"],
        "path": session.path,
        "age_s": round(max(0.0, now - session.mtime), 1),  # as prune and the sweep see it
        "size": session.size,
        "calls": doc["counters"]["calls"],
        "confidence": confidence["value"] if readable else None,
        "tier": confidence["tier"] if readable else None,
        "readable": readable,
    }


def corrupt_files(home: str, key: str | None = None) -> list[str]:
    """Files kept aside because they did not parse (`<key>.json.corrupt-<unix>`)."""
    folder = paths.sessions_dir(home)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    kept = []
    for name in names:
        match = _CORRUPT.match(name)
        if match and (key is None or match.group("key") == key):
            kept.append(os.path.join(folder, name))
    return kept


def remove(session: SessionFile, timeout: float = REMOVE_LOCK_TIMEOUT_S) -> list[str]:
    """Delete a session's file (under its lock) and its kept-aside copies; returns what went."""
    if not remove_session(session.path, timeout=timeout):
        if os.path.exists(session.path):
            raise CliError(f"{session.path} is in use by a running hook; try again")
        removed = []
    else:
        removed = [session.path]
    home = os.path.dirname(os.path.dirname(session.path))
    removed += [path for path in corrupt_files(home, session.key) if _unlinked(path)]
    return removed


def stale(home: str, now: float, older_than_days: float) -> list[str]:
    """Session files, kept-aside copies and orphan locks untouched for the given days."""
    folder = paths.sessions_dir(home)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    limit = older_than_days * DAY
    old = []
    for name in names:
        path = os.path.join(folder, name)
        is_orphan_lock = name.endswith(".json.lock") and not os.path.exists(path[: -len(".lock")])
        session_beside = path[: -len(paths.LAST_EVENT_SUFFIX)] + ".json"
        is_orphan_last = name.endswith(paths.LAST_EVENT_SUFFIX) and not os.path.exists(
            session_beside
        )  # one with its session is removed with it
        if not (name.endswith(".json") or _CORRUPT.match(name) or is_orphan_lock or is_orphan_last):
            continue
        try:
            if now - os.stat(path).st_mtime >= limit:
                old.append(path)
        except OSError:
            continue
    return old


def prune(home: str, now: float, older_than_days: float) -> list[str]:
    removed = []
    for path in stale(home, now, older_than_days):
        if path.endswith(".json"):
            gone = remove_session(path, timeout=0)
        elif path.endswith(".json.lock"):
            gone = remove_orphan_lock(path)
        else:
            gone = _unlinked(path)
        if gone:
            removed.append(path)
    return removed


def _unlinked(path: str) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
