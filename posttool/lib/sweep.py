"""The session files in a posttool home, and the daily clean-up of old sessions and old
lint-cache entries (the CLI's `state` commands list and remove sessions through the same
functions)."""

from __future__ import annotations

import os

from posttool.lib import paths
from posttool.lib.log import log
from posttool.lib.store import FileLock, LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.config import Config

DAY = 86400
STALE_TEMP_S = 600.0


def touch(path: str, now: float) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.utime(path, (now, now))


class SessionFile:
    """One `<home>/sessions/<key>.json`."""

    __slots__ = ("key", "mtime", "path", "size")

    def __init__(self, path: str, mtime: float, size: int) -> None:
        self.path = path
        self.key = os.path.basename(path)[: -len(".json")]
        self.mtime = mtime
        self.size = size


def session_files(home: str) -> list[SessionFile]:
    """Every session file, newest first."""
    folder = paths.sessions_dir(home)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if not name.endswith(".json"):
            continue
        path = os.path.join(folder, name)
        try:
            info = os.stat(path)
        except OSError:
            continue
        found.append(SessionFile(path, info.st_mtime, info.st_size))
    return sorted(found, key=lambda s: (s.mtime, s.key), reverse=True)


def stale_sessions(home: str, now: float, ttl_days: float) -> list[str]:
    return sorted(f.path for f in session_files(home) if now - f.mtime >= ttl_days * DAY)


def remove_session(path: str, timeout: float = 0) -> bool:
    """Delete a session file and its lock, unless a run holds the lock for `timeout` seconds.

    The lock file is deleted while held (`FileLock.release_and_delete`): a run that was
    waiting on it notices and locks the new file instead, so no two runs ever hold the
    session at once.
    """
    lock = FileLock(path + ".lock")
    try:
        lock.acquire(timeout)
    except (LockTimeout, OSError):
        return False
    try:
        remove_last_event(path)
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    finally:
        lock.release_and_delete()


def remove_last_event(session_path: str) -> None:
    """The event kept beside `<key>.json` for `explain --last` goes with its session."""
    try:
        os.unlink(session_path[: -len(".json")] + paths.LAST_EVENT_SUFFIX)
    except OSError:
        pass


def remove_orphan_lock(lock_path: str) -> bool:
    """Delete `<file>.lock` whose `<file>` does not exist, unless a run holds it (a first call
    holds the lock of a session file it has not written yet)."""
    lock = FileLock(lock_path)
    try:
        lock.acquire(0)
    except (LockTimeout, OSError):
        return False
    if os.path.exists(lock_path[: -len(".lock")]):
        lock.release()
        return False
    lock.release_and_delete()
    return True


def is_own_temp_name(name: str) -> bool:
    """`<name>.json.tmp-<pid>` or `<key>.last-event.tmp-<pid>`, the temp names
    `store.write_atomic` uses, and nothing else."""
    for marker in (".json.tmp-", f"{paths.LAST_EVENT_SUFFIX}.tmp-"):
        stem, sep, pid = name.rpartition(marker)
        if stem and sep and pid.isdigit():
            return True
    return False


def temp_folders(home: str) -> list[str]:
    """Where posttool saves with `write_atomic`: sessions and each project's stores."""
    folders = [paths.sessions_dir(home)]
    projects = os.path.join(home, "projects")
    try:
        folders += [
            entry.path for entry in os.scandir(projects) if entry.is_dir(follow_symlinks=False)
        ]
    except OSError:
        pass
    return folders


def remove_stale_temp_files(home: str, now: float, older_than_s: float = STALE_TEMP_S) -> int:
    """Delete temp files left by saves that were killed before their rename.

    A save renames its temp file within milliseconds, so one untouched for minutes belongs to a
    process that is gone. Only posttool's own temp name is matched.
    """
    removed = 0
    for folder in temp_folders(home):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not is_own_temp_name(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime < older_than_s:
                    continue
                os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    return removed


def sweep(home: str, now: float, config: Config) -> None:
    touch(os.path.join(home, ".last-sweep"), now)
    temps = remove_stale_temp_files(home, now)
    if temps:
        log(f"sweep: removed {temps} temp file(s) of interrupted saves")
    ttl_days = config.get("state.session_ttl_days")
    removed = [p for p in stale_sessions(home, now, ttl_days) if remove_session(p)]
    if removed:
        log(f"sweep: removed {len(removed)} session file(s) untouched for {ttl_days} days")
    from posttool.lib.metrics import prune as prune_metrics

    prune_metrics(home, now, ttl_days)
    try:
        from posttool.lib.lint.cache import prune_lint_cache
    except ImportError:
        return
    pruned = prune_lint_cache(
        home,
        now,
        max_age_days=config.get("stores.lint_cache.max_age_days"),
        max_files=config.get("stores.lint_cache.max_files"),
    )
    if pruned:
        log(f"sweep: pruned {pruned} lint cache entries")
