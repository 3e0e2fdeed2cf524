"""The session document on disk: one exclusive lock from load to save, atomic writes, and
nothing lost (spec §3.1): a file that does not parse is kept aside, a newer schema is never
overwritten."""

from __future__ import annotations

import os
import time

from posttool.lib import paths
from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads_clean
from posttool.lib.log import log
from posttool.lib.schema import (
    SCHEMA_VERSION,
    apply_caps,
    coerce_session,
    is_known_schema,
    new_session,
)
from posttool.lib.text import clean_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 262_144
LOCK_POLL_S = 0.005
LOCK_FIRST_POLL_S = 0.0002


class LockTimeout(Exception):
    """The lock was not acquired in time."""


class FileLock:
    """An exclusive advisory lock on `<path>` (flock on POSIX, msvcrt.locking on Windows)."""

    __slots__ = ("fd", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, timeout: float) -> None:
        """Lock the file now at `path`, waiting up to `timeout` seconds.

        A remover deletes a lock file while holding it, so a waiter that opened the old file
        may win it after it left the path: it must not go on, since a newcomer locks the new
        file at the same time. It checks that the file it holds is still the one at the path,
        and starts over if not.
        """
        deadline = time.monotonic() + timeout
        while True:
            fd = _open_lock_file(self.path)
            try:
                _wait_for_lock(fd, deadline, self.path)
            except BaseException:
                os.close(fd)
                raise
            if _still_at_path(fd, self.path):
                self.fd = fd
                return
            _unlock_fd(fd)
            os.close(fd)

    def release_and_delete(self) -> None:
        """Delete the lock file while still holding it, then release it (see `acquire`)."""
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        self.release()

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            _unlock_fd(self.fd)
        finally:
            os.close(self.fd)
            self.fd = None


def _open_lock_file(path: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        # `cache reset` removes a project folder it emptied; a run that is about to lock a
        # store there puts the folder back rather than losing its update.
        paths.ensure_private_dir(os.path.dirname(path))
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _wait_for_lock(fd: int, deadline: float, path: str) -> None:
    """Poll, first often, then every LOCK_POLL_S: most holders keep a lock for well under a
    millisecond or two, and a fixed 5 ms sleep made every hand-over between two `serve`
    workers (or two `run`s) cost 5 ms."""
    pause = LOCK_FIRST_POLL_S
    while True:
        try:
            _lock_fd(fd)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise LockTimeout(path) from None
            signal_waiting(fd)
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_S)


def signal_waiting(fd: int) -> None:
    """Touch the lock file's mtime: a `posttool serve` that keeps a lock across requests
    (its writes are behind) looks at it and lets the lock go (runner/resident.py)."""
    try:
        os.utime(fd)
    except (OSError, NotImplementedError, TypeError):  # no utime on a descriptor here
        pass


def lock_mtime(lock: FileLock) -> int:
    """The lock file's mtime (ns) as its holder sees it, to notice a waiter's touch."""
    if lock.fd is None:
        return 0
    try:
        return os.fstat(lock.fd).st_mtime_ns
    except OSError:
        return 0


def _still_at_path(fd: int, path: str) -> bool:
    if fcntl is None:  # pragma: no cover - Windows cannot delete an open file
        return True
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (here.st_ino, here.st_dev) == (held.st_ino, held.st_dev)


def _lock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def acquire_or_replace(lock: FileLock, now: float, timeout: float) -> None:
    """Take `lock`. No process can hold a lock on a folder or on a file it cannot open, so such a
    path is set aside once (kept, never deleted) and a new lock file takes its place.
    Raises LockTimeout when the lock is held elsewhere or cannot be replaced."""
    try:
        lock.acquire(timeout)
        return
    except (IsADirectoryError, PermissionError) as exc:
        first = exc
    try:
        kept = keep_aside(lock.path, now)
        lock.acquire(timeout)
    except OSError as again:
        log(f"lock {lock.path}: unusable ({first.strerror}; then {again.strerror})")
        raise LockTimeout(lock.path) from None
    log(f"lock {lock.path}: unusable ({first.strerror}); kept as {kept}")


def write_atomic(path: str, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename over `path` (mode 0600)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dump_json(value: Any) -> bytes:
    """UTF-8 JSON that every later load accepts. Event text is cleaned where it enters, so a
    lone surrogate here is a slip elsewhere: it is replaced by U+FFFD, never written."""
    text = dumps(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return dumps(clean_tree(value)).encode("utf-8")


def keep_aside(path: str, now: float) -> str:
    """Rename an unreadable file to `<path>.corrupt-<unix>`; never deletes anything."""
    target = f"{path}.corrupt-{int(now)}"
    suffix = 1
    while os.path.exists(target):
        target = f"{path}.corrupt-{int(now)}-{suffix}"
        suffix += 1
    os.replace(path, target)
    return target


class SessionStore:
    """Load once, save once, under one exclusive lock held in between."""

    __slots__ = ("_loaded_bytes", "lock", "path", "read_only", "status")

    def __init__(
        self, home: str, session_key: str, ensure_dir: Callable[[str], None] | None = None
    ) -> None:
        folder = paths.sessions_dir(home)
        (ensure_dir or paths.ensure_private_dir)(folder)
        self.path = os.path.join(folder, f"{session_key}.json")
        self.lock = FileLock(self.path + ".lock")
        self.read_only = False
        self.status = "new"
        self._loaded_bytes: bytes | None = None

    def open(
        self, session_id: str, project_key: str, now: float, timeout: float = 2.0
    ) -> dict[str, Any]:
        """Take the lock and return the session document (fresh when missing or unusable)."""
        acquire_or_replace(self.lock, now, timeout)
        try:
            return self._load(session_id, project_key, now)
        except BaseException:
            self.lock.release()
            raise

    def _load(self, session_id: str, project_key: str, now: float) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
                stamp = file_stamp(os.fstat(handle.fileno()))
        except FileNotFoundError:
            return new_session(session_id, project_key, now)
        except OSError as exc:  # a folder, a file posttool may not read, an I/O error
            return self._start_fresh(session_id, project_key, now, f"unreadable ({exc.strerror})")
        try:
            loaded = loads_clean(raw)
        except JSONDecodeError as exc:
            return self._start_fresh(session_id, project_key, now, f"does not parse ({exc})")
        if not isinstance(loaded, dict):
            return self._start_fresh(session_id, project_key, now, "is not a JSON object")
        schema = loaded.get("schema")
        if "schema" in loaded and not is_known_schema(schema):
            reason = f"has schema {str(schema)[:40]!r}, not {SCHEMA_VERSION}"
            return self._start_fresh(session_id, project_key, now, reason, status="unknown_schema")
        self._loaded_bytes = raw
        self.status = "loaded"
        if stamp == self._saved_stamp():
            return loaded  # exactly what the last save wrote: already in the current schema
        doc = coerce_session(migrate(loaded))
        if not doc["created_at"]:
            doc["created_at"] = now
        doc["session_id"] = doc["session_id"] or session_id
        doc["project_key"] = doc["project_key"] or project_key
        return doc

    def _start_fresh(
        self, session_id: str, project_key: str, now: float, reason: str, status: str = "corrupt"
    ) -> dict[str, Any]:
        """Set the file aside (never delete it) and start a fresh session; when even the rename
        fails, run on fresh state that is not saved, so nothing is overwritten."""
        self.status = status
        try:
            kept = keep_aside(self.path, now)
        except OSError as exc:
            log(f"state: {self.path} {reason}; cannot set it aside ({exc.strerror}), not saving")
            self.read_only = True
        else:
            log(f"state: {self.path} {reason}; kept as {kept}, starting fresh")
        return new_session(session_id, project_key, now)

    def save(
        self,
        doc: dict[str, Any],
        caps: dict[str, int] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> bool:
        """Trim and write the document atomically; skipped when read-only or unchanged."""
        if self.read_only:
            return False
        data = self.encode(doc, caps, max_bytes)
        if data == self._loaded_bytes:
            return False
        self._write(data)
        self._loaded_bytes = data
        return True

    def encode(self, doc: dict[str, Any], caps: dict[str, int] | None, max_bytes: int) -> bytes:
        """The document trimmed to its caps, as the bytes to write (caps halved while it is over
        `max_bytes`)."""
        apply_caps(doc, caps)
        data = dump_json(doc)
        if len(data) > max_bytes:
            log(f"state: {self.path} is {len(data)} bytes > {max_bytes}; halving list caps")
            apply_caps(doc, caps, halve=True)
            data = dump_json(doc)
        return data

    def _write(self, data: bytes) -> None:
        write_atomic(self.path, data)
        self.record_saved_stamp()

    # The lock file holds the size, mtime and inode of the document as posttool last wrote it.
    # A load that finds the same file skips re-validating it (~1 ms on a long session); any
    # other writer (an editor, a copy) changes the stamp, and the file is coerced as usual.

    def _saved_stamp(self) -> bytes:
        fd = self.lock.fd
        if fd is None:
            return b""
        try:
            return os.pread(fd, 128, 0)
        except (OSError, AttributeError):  # AttributeError: no pread on Windows
            return b""

    def record_saved_stamp(self) -> None:
        try:
            write_stamp(self.lock, file_stamp(os.stat(self.path)))
        except OSError:
            pass

    def close(self) -> None:
        self.lock.release()


def write_stamp(lock: FileLock, stamp: bytes) -> None:
    """Keep `stamp` in the held lock file: the next load that finds the document so skips
    validating it."""
    if lock.fd is None:
        return
    try:
        os.pwrite(lock.fd, stamp, 0)
        os.ftruncate(lock.fd, len(stamp))
    except (OSError, AttributeError):  # AttributeError: no pwrite on Windows
        pass


def file_stamp(info: os.stat_result) -> bytes:
    return f"{SCHEMA_VERSION} {info.st_size} {info.st_mtime_ns} {info.st_ino}".encode()


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Bring an older document up to SCHEMA_VERSION, one step at a time."""
    version = doc.get("schema")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        doc["schema"] = SCHEMA_VERSION  # pre-versioned files: the template keeps what fits
    return doc


def keep_last_event(home: str, session_key: str, data: bytes, max_bytes: int) -> None:
    """Keep the raw event for `posttool explain --last` (atomically, 0600). An event over
    `max_bytes` is not kept, and the one kept before it is removed: an older event must never
    pass for the last one. `max_bytes` 0 keeps nothing."""
    path = paths.last_event_path(home, session_key)
    try:
        if 0 < len(data) <= max_bytes:
            write_atomic(path, data)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log(f"state: cannot keep the last event in {path}: {exc.strerror}")
