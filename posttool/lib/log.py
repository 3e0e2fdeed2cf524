"""A tiny append-only log file; `logging` costs ~19 ms of imports per call."""

from __future__ import annotations

import os
import time

LOG_NAME = "posttool.log"
MAX_LOG_BYTES = 1_000_000

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
