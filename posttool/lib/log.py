"""posttool's two append-only files: the log of what went wrong (`posttool.log`; `logging`
costs ~19 ms of imports per call) and the metrics log, one JSON line per call
(`metrics.jsonl`, read by `posttool stats`; see posttool.lib.metrics). Both are written on
every call, so this module imports `os`, `time` and `jsonfast` only."""

from __future__ import annotations

import os
import time

from posttool.lib.fast.jsonfast import dumps

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.event import Event
    from posttool.lib.message import Message

LOG_NAME = "posttool.log"
MAX_LOG_BYTES = 1_000_000
METRICS_NAME = "metrics.jsonl"
METRICS_MAX_BYTES = 2_000_000

_log_path: str | None = None


def configure(home: str | None) -> None:
    global _log_path
    _log_path = os.path.join(home, LOG_NAME) if home else None


def log(message: str) -> None:
    """Append one line to the log. Never raises: logging must not break a run."""
    if _log_path is None:
        return
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    line = f"{stamp} pid={os.getpid()} {message}".replace("\n", "\\n")
    try:
        _rotate_if_large(_log_path)
        fd = os.open(_log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line[:4000] + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass


def _rotate_if_large(path: str) -> None:
    try:
        if os.stat(path).st_size > MAX_LOG_BYTES:
            os.replace(path, path + ".1")
    except OSError:
        pass


# --- the metrics log ------------------------------------------------------------------------


def _health_counts(doc: dict[str, Any]) -> dict[str, tuple[int, int, bool]]:
    return {
        name: (record.get("errors", 0), record.get("overruns", 0), record.get("suspended", False))
        for name, record in doc["hook_health"].items()
    }


class CallRecorder:
    """Collects one call's facts while dispatch runs, then appends them as one record.

    Failures, overruns and suspensions are read off `hook_health` (before and after), so the
    dispatcher needs no extra bookkeeping; every failure is also a rollback of that hook's state.
    """

    __slots__ = ("_before", "_doc", "_forward", "timings")

    def __init__(self, doc: dict[str, Any], forward: Callable[[str, float], None] | None) -> None:
        self._doc = doc
        self._forward = forward
        self._before = _health_counts(doc)
        self.timings: dict[str, float] = {}

    def on_timing(self, name: str, ms: float) -> None:
        self.timings[name] = round(ms, 3)
        if self._forward is not None:
            self._forward(name, ms)

    def record(
        self, event: Event, messages: list[Message], chars: int, started: float, mode: str
    ) -> dict[str, Any]:
        failed: list[str] = []
        overran: list[str] = []
        suspended: list[str] = []
        for name, (errors, overruns, was_suspended) in _health_counts(self._doc).items():
            old_errors, old_overruns, old_suspended = self._before.get(name, (0, 0, False))
            if errors > old_errors:
                failed.append(name)
            if overruns > old_overruns:
                overran.append(name)
            if was_suspended and not old_suspended:
                suspended.append(name)
        record: dict[str, Any] = {
            "t": round(time.time(), 3),
            "s": event.session_key,
            "tool": event.tool_name,
            "ev": event.event_name,
            "mode": mode,
            "ms": round((time.perf_counter() - started) * 1000, 3),
            "hooks": self.timings,
            "spoke": {message.hook: len(message.text) for message in messages},
            "chars": chars,
        }
        if failed:
            record["failed"] = failed
        if overran:
            record["overran"] = overran
        if suspended:
            record["suspended"] = suspended
        return record

    def write(
        self,
        home: str,
        event: Event,
        messages: list[Message],
        chars: int,
        started: float,
        mode: str,
        config: Config,
        append: Callable[[str, bytes, int], None] | None = None,
    ) -> None:
        """Append the record (with `append`: hand it over, as `serve` does to its writer);
        never raises (metrics must not break a call)."""
        try:
            line = dumps(self.record(event, messages, chars, started, mode)) + "\n"
            (append or append_metric)(
                home, line.encode("utf-8", "replace"), config.get("metrics.max_bytes")
            )
        except (OSError, ValueError, TypeError):
            pass


def append_metric(home: str, line: bytes, max_bytes: int = 0) -> None:
    path = os.path.join(home, METRICS_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > (max_bytes if max_bytes > 0 else METRICS_MAX_BYTES):
        os.replace(path, path + ".1")
