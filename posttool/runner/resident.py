"""`posttool serve`'s documents kept in memory and written behind the answer.

A `posttool run` process loads each document it needs, and writes it back before it exits. The
server keeps the parsed document (a session, a project store) of each file it has used, in a
`Slot`, and hands the writes to one writer thread, so neither the parse before a call nor the
write after it is on the request path.

What stays true for everyone else:
- A slot's file lock is held from the moment a call takes the document until the writer has
  written the call's bytes: a `posttool run` beside the server, or another worker, waits for the
  write, then reads the file. The in-memory copy is reused only while the server held the lock
  all along (a write pending) or the file is exactly the one the server wrote or read (its size,
  mtime and inode), so a write by anyone else is always read back.
- One call at a time uses a slot (its mutex, the in-process twin of the file lock); calls on
  other sessions run in parallel.
- Writes are coalesced: a document committed twice before the writer got to it is written once,
  with the newer bytes. The last-event file is coalesced the same way; metrics lines are
  appended together, in order.
- `close()` writes everything pending and releases every lock (SIGTERM). A server killed with
  SIGKILL loses at most the writes still pending, the last few milliseconds of calls.
"""

from __future__ import annotations

import os
import threading
import time
from functools import partial

from posttool.lib import paths
from posttool.lib.log import append_metric, log
from posttool.lib.schema import apply_caps
from posttool.lib.store import (
    LOCK_POLL_S,
    FileLock,
    LockTimeout,
    SessionStore,
    acquire_or_replace,
    file_stamp,
    keep_last_event,
    lock_mtime,
    write_atomic,
    write_stamp,
)
from posttool.lib.stores import (
    STORE_LOCK_TIMEOUT_S,
    ProjectStores,
    _OpenStore,
    live_entries,
    store_rules,
)
from posttool.runner import registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.config import Config


WRITE_DELAY_S = 0.02  # how long the writer gathers commits before it writes them
ENTRY_POINTS_MAX_AGE_S = 1.0


class Slot:
    """One file's document in memory, its file lock, and the bytes waiting to be written."""

    __slots__ = (
        "doc",
        "encode",
        "guard",
        "in_use",
        "is_session",
        "last_bytes",
        "lock",
        "lock_seen",
        "mutex",
        "path",
        "pending",
        "stamp",
        "writing",
    )

    def __init__(self, path: str, is_session: bool) -> None:
        self.path = path
        self.is_session = is_session  # its stamp also goes to the lock file, as `run` does
        self.mutex = threading.Lock()  # held by the one call using the document
        self.guard = threading.Lock()  # short: pending, in_use and the file lock's hand-over
        self.writing = threading.Lock()  # one write of this file at a time (one temp name)
        self.lock = FileLock(path + ".lock")
        self.doc: Any = None  # as last committed or read; None when it may be half-changed
        self.last_bytes: bytes | None = None  # the bytes `doc` was read from or committed as
        self.stamp: bytes | None = None  # the file as the server last wrote or read it
        self.pending: bytes | None = None  # committed, not yet written
        # committed, not yet encoded: the writer makes the bytes of a batch's last commit once
        self.encode: Callable[[], bytes] | None = None
        self.in_use = False
        self.lock_seen = 0  # the lock file's mtime when this process last held or wrote it

    def current_doc(self) -> Any:
        """The in-memory document when it is the file's content (call with the lock held)."""
        if self.doc is None:
            return None
        if self.pending is not None or self.encode is not None:
            return self.doc  # the lock was held since the commit: nobody else wrote
        try:
            return self.doc if stamp_of(self.path) == self.stamp else None
        except OSError:
            return None


def stamp_of(path: str) -> bytes:
    return file_stamp(os.stat(path))


class Resident:
    """The slots of one server process and its writer thread (started on first use, so that
    each pre-forked worker has its own)."""

    def __init__(self, write_delay_s: float = WRITE_DELAY_S, keep_stores: bool = True) -> None:
        self._guard = threading.Lock()
        self._slots: dict[str, Slot] = {}
        self._ensured: set[str] = set()
        self._checked: dict[str, float] = {}
        self._entry_points: dict[str, tuple[float, list[tuple[str, str]]]] = {}
        self._write_delay_s = write_delay_s
        # Project stores are shared by every session of a project: pre-forked workers each
        # need them on most calls, so there they are read and written per call, as by `run`.
        self.keep_stores = keep_stores
        self._hurry = False  # flush() or close(): write now, without the delay
        self._called = False  # the writer was woken for work it has not taken yet
        self._wake = threading.Condition()
        self._docs: dict[str, Slot] = {}  # slots with bytes to write, oldest first
        self._files: dict[
            tuple[str, str], tuple[bytes, int]
        ] = {}  # last-event files: latest bytes, cap
        self._metrics: list[tuple[str, bytes, int]] = []  # (home, line, max bytes)
        self._writer: threading.Thread | None = None
        self._busy = False
        self._closing = False

    def ensure_dir(self, path: str) -> None:
        """`paths.ensure_private_dir` once per folder and process: a request stats no folder
        it has seen. A folder removed later (`state reset`) is made again where a lock file
        is opened in it."""
        if path not in self._ensured:
            paths.ensure_private_dir(path)
            self._ensured.add(path)

    def entry_points(self, home: str) -> list[tuple[str, str]]:
        """`registry.entry_points`, looked at most once a second: it stats every folder of
        sys.path and reads its cache file, on every request otherwise. A plug-in package
        installed while the server runs is seen within the second."""
        now = time.monotonic()
        known = self._entry_points.get(home)
        if known is not None and now - known[0] < ENTRY_POINTS_MAX_AGE_S:
            return known[1]
        found = registry.entry_points(home)
        self._entry_points[home] = (now, found)
        return found

    def due(self, what: str, every_s: float) -> bool:
        """True at most once per `every_s` seconds for `what` (checks a request can skip)."""
        now = time.monotonic()
        with self._guard:
            last = self._checked.get(what)
            if last is not None and now - last < every_s:
                return False
            self._checked[what] = now
            return True

    # --- taking and giving back a document ---------------------------------------------------

    def slot(self, path: str, is_session: bool = False) -> Slot:
        with self._guard:
            found = self._slots.get(path)
            if found is None:
                found = self._slots[path] = Slot(path, is_session)
            return found

    def take(self, path: str, now: float, timeout: float, is_session: bool = False) -> Slot:
        """The slot of `path`, its mutex and file lock held by the caller. LockTimeout when
        another call (or process) keeps it longer than `timeout`."""
        slot = self.slot(path, is_session)
        if not slot.mutex.acquire(timeout=timeout):
            raise LockTimeout(path)
        try:
            if self._someone_waits(slot):
                self._let_go(slot)
            with slot.guard:
                slot.in_use = True
                held = slot.lock.fd is not None
            if not held:
                acquire_or_replace(slot.lock, now, timeout)
                slot.lock_seen = lock_mtime(slot.lock)
            elif slot.doc is None:
                # A call that stopped half-way left bytes of the one before it to write: the
                # file must hold them before this call reads it.
                self._write_slot(slot)
        except BaseException:
            with slot.guard:
                slot.in_use = False
            slot.mutex.release()
            raise
        return slot

    @staticmethod
    def _someone_waits(slot: Slot) -> bool:
        """Another process (a `run`, a worker, `state reset`) touched the lock file while this
        one kept it across calls (call with the mutex held)."""
        with slot.guard:
            kept = slot.lock.fd is not None
        return kept and lock_mtime(slot.lock) != slot.lock_seen

    def _let_go(self, slot: Slot) -> None:
        """Write what is pending now and release the file lock, then pause long enough for a
        waiter to take it (waiters poll at least every LOCK_POLL_S): under steady requests the
        lock would otherwise never be free (call with the mutex held, not in use)."""
        self._encode_slot(slot, have_mutex=True)
        self._write_slot(slot)
        with slot.guard:
            if slot.lock.fd is not None and slot.pending is None and slot.encode is None:
                slot.lock.release()
        time.sleep(LOCK_POLL_S * 2)

    def give_back(
        self,
        slot: Slot,
        doc: Any,
        data: bytes | None,
        committed: bool,
        encode: Callable[[], bytes] | None = None,
    ) -> None:
        """End a call's use of `slot`. `committed`: `doc` is the document as the call left it,
        and `data` its bytes when they differ from the file's (None: nothing to write), or
        `encode` makes them (the writer calls it, under the slot's mutex)."""
        with slot.guard:
            if committed:
                slot.doc = doc
                if data is not None:
                    slot.last_bytes = data
                    slot.pending = data
                if encode is not None:
                    slot.encode = encode
            else:
                slot.doc = None  # a call that stopped half-way may have changed it
                if slot.encode is not None:
                    slot.encode = None
                    log(
                        f"serve: {slot.path}: a call failed half-way; the state of the calls "
                        "since the last write is dropped with it"
                    )
            slot.in_use = False
            if slot.pending is None and slot.encode is None:
                slot.lock.release()
        if committed and (data is not None or encode is not None):
            with self._wake:
                self._docs.pop(slot.path, None)
                self._docs[slot.path] = slot
                self._call_writer()
        slot.mutex.release()

    # --- writes that need no lock --------------------------------------------------------------

    def keep_last_event(self, home: str, session_key: str, data: bytes, max_bytes: int) -> None:
        with self._wake:
            self._files[(home, session_key)] = (data, max_bytes)
            self._call_writer()

    def append_metric(self, home: str, line: bytes, max_bytes: int) -> None:
        with self._wake:
            self._metrics.append((home, line, max_bytes))
            self._call_writer()

    # --- the writer --------------------------------------------------------------------------

    def _call_writer(self) -> None:
        """Wake the writer for new work, once per batch (call under _wake): waking it on every
        commit cost each request a thread switch."""
        if self._called:
            return
        self._called = True
        self._start_writer()
        self._wake.notify()

    def _start_writer(self) -> None:
        """Start the writer thread in this process if it is not running (call under _wake)."""
        if self._writer is not None and self._writer.is_alive():
            return
        self._writer = threading.Thread(target=self._write_loop, name="posttool-writer")
        self._writer.daemon = True  # close() drains it; a daemon never holds the exit back
        self._writer.start()

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                while not (self._docs or self._files or self._metrics or self._closing):
                    self._wake.wait()
                if not (self._docs or self._files or self._metrics):
                    return  # closing, and nothing left
                if not (self._hurry or self._closing):
                    # Commits that arrive meanwhile are written with these, once: each rename
                    # over a file flushes it, and a write per request slowed every request.
                    self._wake.wait(self._write_delay_s)
                self._called = False
                docs = list(self._docs.values())
                files = list(self._files.items())
                metrics = self._metrics
                self._docs, self._files, self._metrics = {}, {}, []
                self._busy = True
            try:
                for slot in docs:
                    self._encode_slot(slot)
                    self._write_slot(slot)
                for (home, session_key), (data, max_bytes) in files:
                    keep_last_event(home, session_key, data, max_bytes)
                self._append_metrics(metrics)
            except Exception as exc:  # the writer must outlive any one bad write
                log(f"serve: write behind failed: {type(exc).__name__}: {exc}")
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    @staticmethod
    def _encode_slot(slot: Slot, have_mutex: bool = False) -> None:
        """Make the bytes of the slot's last commit, while no call changes its document."""
        if not have_mutex:
            with slot.mutex:
                Resident._encode_slot(slot, have_mutex=True)
            return
        with slot.guard:
            encode, slot.encode = slot.encode, None
        if encode is None:
            return
        data = encode()
        with slot.guard:
            if data != slot.last_bytes:
                slot.last_bytes = data
                slot.pending = data
            elif slot.pending is None and not slot.in_use:
                slot.lock.release()  # unchanged after all: nothing to write

    def _write_slot(self, slot: Slot) -> None:
        with slot.writing:
            with slot.guard:
                data = slot.pending
            if data is None:
                return
            try:
                write_atomic(slot.path, data)
                stamp: bytes | None = stamp_of(slot.path)
            except OSError as exc:
                log(f"serve: cannot write {slot.path}: {exc.strerror}")
                stamp = None
            self._written(slot, data, stamp)

    @staticmethod
    def _written(slot: Slot, data: bytes, stamp: bytes | None) -> None:
        with slot.guard:
            slot.stamp = stamp
            if stamp is not None and slot.is_session:
                write_stamp(slot.lock, stamp)
                slot.lock_seen = lock_mtime(slot.lock)  # its own touch is no waiter's
            if slot.pending is data:
                slot.pending = None
                if stamp is None:
                    slot.doc = None  # the file is not what memory holds: read it next time
                if not slot.in_use and slot.encode is None:
                    slot.lock.release()

    @staticmethod
    def _append_metrics(metrics: list[tuple[str, bytes, int]]) -> None:
        by_home: dict[str, tuple[list[bytes], int]] = {}
        for home, line, max_bytes in metrics:
            lines, _ = by_home.get(home, ([], 0))
            lines.append(line)
            by_home[home] = (lines, max_bytes)
        for home, (lines, max_bytes) in by_home.items():
            try:
                append_metric(home, b"".join(lines), max_bytes)
            except OSError:
                pass

    def flush(self) -> None:
        """Wait until everything committed so far is written."""
        with self._wake:
            self._hurry = True
            self._wake.notify_all()
            try:
                while self._docs or self._files or self._metrics or self._busy:
                    if self._writer is None or not self._writer.is_alive():
                        self._start_writer()
                    self._wake.wait(0.05)
            finally:
                self._hurry = False

    def close(self) -> None:
        """Write everything pending, stop the writer and release every file lock."""
        self.flush()
        with self._wake:
            self._closing = True
            self._wake.notify_all()
            writer = self._writer
        if writer is not None:
            writer.join()
        with self._guard:
            slots = list(self._slots.values())
        for slot in slots:
            with slot.guard:
                if not slot.in_use:
                    slot.lock.release()


class ResidentSessionStore(SessionStore):
    """A `SessionStore` whose document comes from, and goes back to, the server's slot."""

    def __init__(self, home: str, session_key: str, resident: Resident) -> None:
        super().__init__(home, session_key, resident.ensure_dir)
        self.resident = resident
        self.slot: Slot | None = None
        self.doc: Any = None
        self.encoder: Callable[[], bytes] | None = None  # set once the call has committed

    def open(
        self, session_id: str, project_key: str, now: float, timeout: float = 2.0
    ) -> dict[str, Any]:
        slot = self.resident.take(self.path, now, timeout, is_session=True)
        self.slot = slot
        self.lock = slot.lock
        try:
            doc = slot.current_doc()
            if doc is not None:
                self._loaded_bytes = slot.last_bytes
                self.status = "loaded"
            else:
                doc = self._load(session_id, project_key, now)
                remember_read(slot, self._loaded_bytes)
        except BaseException:
            self.close()
            raise
        self.doc = doc
        return doc

    def save(
        self, doc: dict[str, Any], caps: dict[str, int] | None = None, max_bytes: int = 262_144
    ) -> bool:
        """Commit `doc`: trimmed to its caps now, as `run` does, and encoded by the writer, once
        for all the calls of a batch (an 18 KB session costs ~0.1 ms to encode)."""
        if self.read_only:
            return False
        apply_caps(doc, caps)
        self.doc = doc
        self.encoder = partial(self.encode, doc, caps, max_bytes)
        return True

    def close(self) -> None:
        slot, self.slot = self.slot, None
        if slot is not None:
            committed = self.encoder is not None
            self.resident.give_back(slot, self.doc, None, committed, self.encoder)


def remember_read(slot: Slot, data: bytes | None) -> None:
    """After a read from the file: its bytes and stamp, so that the next call can reuse it."""
    slot.last_bytes = data
    try:
        slot.stamp = stamp_of(slot.path) if data is not None else None
    except OSError:
        slot.stamp = None


class ResidentProjectStores(ProjectStores):
    """`ProjectStores` whose entries come from, and go back to, the server's slots."""

    def __init__(
        self, home: str, project_key: str, config: Config, now: float, resident: Resident
    ) -> None:
        super().__init__(home, project_key, config, now)
        self.resident = resident
        self._slots: dict[str, Slot] = {}
        self._data: dict[str, bytes] = {}
        self._committed = False

    def _load(self, name: str) -> _OpenStore:
        self.resident.ensure_dir(self.folder)
        path = self.path_of(name)
        try:
            slot = self.resident.take(path, self.now, STORE_LOCK_TIMEOUT_S)
        except (LockTimeout, OSError) as exc:
            log(f"store {name}: lock not acquired ({exc}); read-only for this call")
            return self._read(name, _OpenStore(path))
        self._slots[name] = slot
        opened = _OpenStore(path)
        opened.lock = slot.lock
        opened.writable = True
        entries = slot.current_doc()
        if entries is not None:
            field, ttl, _ = store_rules(name, self.config)
            opened.entries = live_entries(entries, field, ttl, self.now)
            opened.loaded_bytes = slot.last_bytes
            return opened
        opened = self._read(name, opened)
        remember_read(slot, opened.loaded_bytes)
        return opened

    def save_all(self) -> None:
        super().save_all()
        self._committed = True

    def _write(self, name: str, opened: _OpenStore, data: bytes, entries: dict[str, Any]) -> None:
        opened.entries = entries
        self._data[name] = data

    def close(self) -> None:
        slots, self._slots = self._slots, {}
        for name, slot in slots.items():
            opened = self._open.get(name)
            entries = opened.entries if opened is not None else None
            committed = self._committed and opened is not None and opened.writable
            self.resident.give_back(slot, entries, self._data.get(name), committed)
