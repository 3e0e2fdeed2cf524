"""The copies of settings files that install and uninstall keep in `<home>/backups/`.

Before each write the file's previous text is saved as `<name>-<path id>-<stamp>.json`. When
install creates a file that did not exist, an empty `<name>-<path id>-<stamp>.absent` records
that, so uninstall may delete the file again; a file that existed before install is never
deleted. What a `--restore` overwrote is kept as `.replaced`, which a later restore skips, so
restoring twice gives the same file. The newest 20 records of each settings file are kept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from posttool.lib.paths import ensure_private_dir
from posttool.lib.store import write_atomic
from posttool.lib.text import h

FOLDER = "backups"
KEEP = 20
COPY = ".json"
ABSENT = ".absent"
REPLACED = ".replaced"  # what a restore overwrote: kept, but never restored by `--restore`


def stem(path: str) -> str:
    return f"{os.path.basename(path)}-{h(os.path.abspath(path))[:8]}"


def _record(path: str, home: str, now: float, suffix: str, data: bytes) -> str:
    folder = os.path.join(home, FOLDER)
    ensure_private_dir(folder)
    name = stem(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = os.path.join(folder, f"{name}-{stamp}{suffix}")
    number = 1
    while os.path.exists(target):
        target = os.path.join(folder, f"{name}-{stamp}-{number}{suffix}")
        number += 1
    write_atomic(target, data)
    _trim(folder, name)
    return target


def backup(path: str, text: str, home: str, now: float, suffix: str = COPY) -> str:
    """Copy the settings file's current text into `<home>/backups/`; returns the copy's path."""
    return _record(path, home, now, suffix, text.encode("utf-8"))


def mark_created(path: str, home: str, now: float) -> str:
    """Record that install created `path` (it did not exist before)."""
    return _record(path, home, now, ABSENT, b"")


def records(path: str, home: str) -> list[str]:
    """The backup records of `path`, newest first."""
    return _records(os.path.join(home, FOLDER), stem(path))


def _records(folder: str, name: str) -> list[str]:
    prefix = name + "-"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return []
    found = []
    for name in names:
        full = os.path.join(folder, name)
        try:
            found.append((os.stat(full).st_mtime_ns, name, full))
        except OSError:
            continue
    return [full for _mtime, _name, full in sorted(found, reverse=True)]


def _trim(folder: str, name: str) -> None:
    for old in _records(folder, name)[KEEP:]:
        try:
            os.unlink(old)
        except OSError:
            pass


def newest_copy(path: str, home: str) -> str | None:
    """The newest saved text of `path` (what `uninstall --restore` puts back)."""
    return next((r for r in records(path, home) if r.endswith(COPY)), None)


class Before:
    """What the settings file was before posttool was installed into it, as far as the backups
    tell: created by install, a parsed value, or unknown (None, False)."""

    def __init__(
        self, value: dict[str, Any] | None, created: bool, text: str | None = None
    ) -> None:
        self.value = value
        self.created = created
        self.text = text


def before_install(
    path: str, home: str, without_posttool: Callable[[str], dict[str, Any] | None]
) -> Before:
    """The newest record that does not hold posttool: the file as it was before install.
    `without_posttool(text)` is the parsed text, or None when it holds posttool's entries (or
    does not parse)."""
    for record in records(path, home):
        if record.endswith(REPLACED):
            continue
        if record.endswith(ABSENT):
            return Before(None, created=True)
        try:
            with open(record, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
        value = without_posttool(text)
        if value is not None:
            return Before(value, created=False, text=text)
    return Before(None, created=False)
