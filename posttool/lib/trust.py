"""Which project configuration files the user has trusted to run code through posttool.

A project's `.claude/posttool.json` may name plug-ins and command hooks; a cloned repository
must not run them on its own. `posttool trust PATH` records the file's real path and the
SHA-256 of its content in `<home>/trusted.json`; a file whose content changed needs trusting
again. A trust file that does not parse is kept aside (`.corrupt-<unix>`) and trusts nothing.
"""

from __future__ import annotations

import os
import time

from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.store import dump_json, keep_aside, write_atomic
from posttool.lib.text import sha256_hex

TRUST_NAME = "trusted.json"


def trust_path(home: str) -> str:
    return os.path.join(home, TRUST_NAME)


def content_hash(data: bytes) -> str:
    return sha256_hex(data)


def trusted_files(home: str) -> dict[str, str]:
    """Real path → content hash of every trusted file."""
    path = trust_path(home)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return {}
    try:
        tree = loads_clean(raw)
    except JSONDecodeError:
        tree = None
    files = tree.get("files") if isinstance(tree, dict) else None
    if not isinstance(files, dict):
        try:
            keep_aside(path, time.time())
        except OSError:
            pass
        return {}
    return {key: value for key, value in files.items() if isinstance(value, str)}


def is_trusted(home: str, path: str, data: bytes) -> bool:
    return trusted_files(home).get(os.path.realpath(path)) == content_hash(data)


def _save(home: str, files: dict[str, str]) -> None:
    write_atomic(trust_path(home), dump_json({"files": dict(sorted(files.items()))}))


def trust(home: str, path: str) -> str:
    """Trust the current content of `path`; returns its real path. Raises OSError."""
    real = os.path.realpath(path)
    with open(real, "rb") as handle:
        data = handle.read()
    files = trusted_files(home)
    files[real] = content_hash(data)
    _save(home, files)
    return real


def revoke(home: str, path: str) -> bool:
    """Forget `path` (as given or as its real path); False when it was not trusted."""
    files = trusted_files(home)
    removed = False
    for key in {path, os.path.realpath(path), os.path.abspath(path)}:
        removed = files.pop(key, None) is not None or removed
    if removed:
        _save(home, files)
    return removed
