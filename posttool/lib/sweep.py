"""The daily clean-up: old session files and old lint-cache entries."""

from __future__ import annotations

import os

from posttool.lib import paths
from posttool.lib.log import log
from posttool.lib.store import FileLock, LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.config import Config

DAY = 86400


def touch(path: str, now: float) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.utime(path, (now, now))


def stale_sessions(home: str, now: float, ttl_days: float) -> list[str]:
    folder = paths.sessions_dir(home)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    stale = []
    for name in names:
        if not name.endswith(".json"):
            continue
        path = os.path.join(folder, name)
        try:
            if now - os.stat(path).st_mtime >= ttl_days * DAY:
                stale.append(path)
        except OSError:
            continue
    return sorted(stale)


def remove_session(path: str, timeout: float = 0) -> bool:
    """Delete a session file and its lock, unless a run holds the lock for `timeout` seconds."""
    lock = FileLock(path + ".lock")
    try:
        lock.acquire(timeout)
    except (LockTimeout, OSError):
        return False
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    finally:
        lock.release()
        try:
            os.unlink(path + ".lock")
        except OSError:
            pass


def sweep(home: str, now: float, config: Config) -> None:
    touch(os.path.join(home, ".last-sweep"), now)
    ttl_days = config.get("state.session_ttl_days", 7)
    removed = [p for p in stale_sessions(home, now, ttl_days) if remove_session(p)]
    if removed:
        log(f"sweep: removed {len(removed)} session file(s) untouched for {ttl_days} days")
    try:
        from posttool.lib.lint import prune_lint_cache
    except ImportError:
        return
    pruned = prune_lint_cache(
        home,
        now,
        max_age_days=config.get("stores.lint_cache.max_age_days", 7),
        max_files=config.get("stores.lint_cache.max_files", 500),
    )
    if pruned:
        log(f"sweep: pruned {pruned} lint cache entries")
