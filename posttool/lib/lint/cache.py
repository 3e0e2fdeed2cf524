"""quality_scanner's lint settings, tool identity and result cache (spec §4.13, §3.4 lint cache).

Runs ruff (a subprocess) and radon (in-process, in a thread) on one written Python file,
concurrently and under one deadline, before the session lock is taken, and caches the result
by content. Imported only when a scannable file was written: never for a Read or Bash event.

Shapes (plain lists, so they round-trip through JSON unchanged):
- a ruff finding is `[code, row, message, fixable]`; `code` is `"syntax"` for a syntax error;
- a radon block is `[name, rank, lineno, endline, complexity]`.
`scan_file` returns `{"hash", "ruff", "radon", "cached"}`; a tool that could not run is `None`.
"""

from __future__ import annotations

import os
import stat
import sys
import time

from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads_clean
from posttool.lib.log import log
from posttool.lib.paths import ensure_private_dir, is_within, lint_cache_dir
from posttool.lib.text import sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.config import Config

    Finding = list[Any]
    Block = list[Any]

HOOK = "quality_scanner"
CACHE_VERSION = 1
DEFAULT_MIN_RANK = "C"
MAX_KEPT = 50  # findings and blocks kept per file (the `scan.findings` cap)
MAX_MESSAGE_CHARS = 200
MAX_CACHE_FILE_BYTES = 262_144
RANKS = "ABCDEF"
SYNTAX = "syntax"
SYNTAX_CODES = frozenset({"invalid-syntax", "syntax-error", "E999"})
RUFF_ARGS = ("check", "--output-format=json", "--no-cache", "--force-exclude")
SAFE_FIXES = frozenset({"safe", "automatic"})
RUFF_CONFIG_NAMES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
MAX_CONFIG_LEVELS = 40
# ruff's classic default rules. ruff 0.16 widened its defaults to hundreds of rules (import
# order, bugbear...); a hook speaking on every write would drown the model in style notes, so a
# project without ruff configuration of its own gets this set. A configured project gets its own.
DEFAULT_SELECT = ("E4", "E7", "E9", "F")
REFRESH_MTIME_AFTER_S = 86_400  # a hit older than this bumps the entry's mtime (pruned by age)
STALE_TMP_S = 3_600
NEVER_DAYS = 1_000_000  # age pruning is the daily sweep's; a write enforces the count only


class Settings:
    """The hook's knobs (spec §4.13), each with its default."""

    __slots__ = (
        "default_select",
        "max_file_bytes",
        "min_rank",
        "radon_cmd",
        "ruff_cmd",
        "timeout_s",
    )

    def __init__(self, config: Config) -> None:
        self.timeout_s = max(0.05, float(config.get(f"{HOOK}.timeout_s")))
        self.max_file_bytes = int(config.get(f"{HOOK}.max_file_bytes"))
        self.ruff_cmd: str = config.get(f"{HOOK}.ruff_cmd")
        self.radon_cmd: str = config.get(f"{HOOK}.radon_cmd")
        rank = str(config.get(f"{HOOK}.min_rank")).upper()
        self.min_rank = rank if len(rank) == 1 and rank in RANKS else DEFAULT_MIN_RANK
        select = config.get(f"{HOOK}.default_select")
        self.default_select = [str(code) for code in select]


def read_source(path: str, max_bytes: int) -> tuple[bytes, tuple[int, int, int]] | None:
    """The bytes of a regular file of at most `max_bytes`, and its (inode, size, mtime) stamp.

    Opened non-blocking and checked with `fstat` on the open descriptor, so a FIFO or a device
    swapped in between a check and the read is never read.
    """
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_NOFOLLOW", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            return None
        return data, (info.st_ino, info.st_size, info.st_mtime_ns)
    except OSError:
        return None
    finally:
        os.close(fd)


def unchanged_since(path: str, before: tuple[int, int, int]) -> bool:
    """True when the file still looks as it did when read (so ruff linted the hashed bytes)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (info.st_ino, info.st_size, info.st_mtime_ns) == before


# --- tools and their identity -------------------------------------------------------------


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def resolve_executable(cmd: str) -> str | None:
    """A configured command: a path (used as is when executable) or a name looked up on PATH."""
    if not cmd:
        return None
    cmd = os.path.expanduser(cmd)
    if os.path.dirname(cmd):
        return os.path.abspath(cmd) if _is_executable(cmd) else None
    import shutil

    return shutil.which(cmd)


def resolve_ruff(ruff_cmd: str = "") -> str | None:
    """`ruff_cmd` when configured; else the ruff installed beside the running interpreter
    (ruff is a dependency of posttool); else `ruff` on PATH."""
    if ruff_cmd:
        return resolve_executable(ruff_cmd)
    if os.path.isabs(sys.executable or ""):
        beside = os.path.join(
            os.path.dirname(sys.executable), "ruff.exe" if os.name == "nt" else "ruff"
        )
        if _is_executable(beside):
            return beside
    return resolve_executable("ruff")


def installed_radon_version() -> str | None:
    """radon's version when it is importable in-process (the package `__init__` is tiny; the
    analysis modules, which pull in `ast`, are imported only on a cache miss)."""
    try:
        import radon
    except ImportError:
        return None
    return str(getattr(radon, "__version__", "unknown"))


def _stamp(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{os.path.realpath(path)}:{info.st_mtime_ns}:{info.st_size}"


def config_stamps(start_dir: str) -> list[str]:
    """The ruff configuration files that may apply to a file in `start_dir`: every
    pyproject.toml / ruff.toml / .ruff.toml from there up to the filesystem root, and the
    user-level ones. Only `stat` is used; editing any of them changes the cache key."""
    stamps = []
    current = os.path.abspath(start_dir)
    for _ in range(MAX_CONFIG_LEVELS):
        for name in RUFF_CONFIG_NAMES:
            candidate = os.path.join(current, name)
            if os.path.isfile(candidate):
                stamps.append(_stamp(candidate))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for name in RUFF_CONFIG_NAMES:
        candidate = os.path.join(xdg, "ruff", name)
        if os.path.isfile(candidate):
            stamps.append(_stamp(candidate))
    return stamps


def tool_identity(
    ruff: str | None,
    radon_version: str | None,
    radon_cli: str | None,
    min_rank: str,
    file_path: str,
    cwd: str,
    select: list[str] = [],  # noqa: B006 - read only
) -> str:
    """What besides the bytes decides the result. Never runs `--version`."""
    radon = f"py-{radon_version}" if radon_version else (_stamp(radon_cli) if radon_cli else "none")
    configs = config_stamps(os.path.dirname(file_path))
    if not is_within(file_path, cwd):  # ruff's fallback settings come from its working dir
        configs += config_stamps(cwd)
    parts = [
        f"v{CACHE_VERSION}",
        "ruff=" + (_stamp(ruff) if ruff else "none"),
        "radon=" + radon,
        "min_rank=" + min_rank,
        "select=" + ",".join(select),
        *configs,
    ]
    return "\n".join(parts)


def cache_key(path_key: str, data: bytes, identity: str) -> str:
    """SHA-256 of `path_key + NUL + file bytes + NUL + tool identity` (spec §3.4)."""
    digest = sha256(path_key.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(data)
    digest.update(b"\0")
    digest.update(identity.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


# --- running the tools under one deadline -------------------------------------------------


def cache_path(home: str, key: str) -> str:
    return os.path.join(lint_cache_dir(home), key[:2], key + ".json")


def _valid_findings(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(f, list)
        and len(f) == 4
        and isinstance(f[0], str)
        and isinstance(f[1], int)
        and isinstance(f[2], str)
        and isinstance(f[3], bool)
        for f in value
    )


def _valid_blocks(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(b, list)
        and len(b) == 5
        and isinstance(b[0], str)
        and isinstance(b[1], str)
        and all(isinstance(n, int) for n in b[2:])
        for b in value
    )


def cache_read(home: str, key: str) -> tuple[list[Finding] | None, list[Block] | None] | None:
    """(ruff, radon) from the cache, or None on a miss or an entry that does not validate."""
    path = cache_path(home, key)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        raw = os.read(fd, MAX_CACHE_FILE_BYTES) if stat.S_ISREG(info.st_mode) else b""
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        doc = loads_clean(raw)
    except JSONDecodeError:
        doc = None
    if not (
        isinstance(doc, dict)
        and doc.get("v") == CACHE_VERSION
        and (doc.get("ruff") is None or _valid_findings(doc.get("ruff")))
        and (doc.get("radon") is None or _valid_blocks(doc.get("radon")))
    ):
        log(f"{HOOK}: ignoring an unusable lint cache entry {key[:16]}…")
        return None
    if time.time() - info.st_mtime > REFRESH_MTIME_AFTER_S:  # keep entries in use from pruning
        _touch(path)
    return doc["ruff"], doc["radon"]


def cache_write(
    home: str,
    key: str,
    ruff: list[Finding] | None,
    radon: list[Block] | None,
    max_files: int | None = None,
) -> None:
    """Write an entry once: a private temp file in the shard, then an atomic rename.

    With `max_files`, the oldest entries beyond it go at once: the daily sweep alone let a busy
    day grow the cache far past its cap. A write follows a ruff run, so the scan of the cache
    (a millisecond or two for 500 entries) is paid only on a miss.
    """
    final = cache_path(home, key)
    if os.path.exists(final):
        return
    shard = os.path.dirname(final)
    tmp = os.path.join(shard, f".{key[:16]}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    payload = dumps({"v": CACHE_VERSION, "ruff": ruff, "radon": radon}).encode("utf-8")
    try:
        for directory in (os.path.dirname(lint_cache_dir(home)), lint_cache_dir(home), shard):
            ensure_private_dir(directory)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except OSError as exc:
        log(f"{HOOK}: cannot write lint cache entry: {exc}")
        _unlink(tmp)
        return
    if max_files is not None:
        prune_lint_cache(home, time.time(), max_age_days=NEVER_DAYS, max_files=max_files)


def prune_lint_cache(home: str, now: float, max_age_days: int = 7, max_files: int = 500) -> int:
    """The daily sweep: delete entries whose mtime is older than `max_age_days`, then the
    oldest ones beyond `max_files`, plus stale temp files and empty shards. Returns how many
    entries were deleted."""
    root = lint_cache_dir(home)
    try:
        shards = [entry.path for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return 0
    max_age_s = max(0, max_age_days) * 86_400
    removed = 0
    kept: list[tuple[float, str]] = []
    for shard in sorted(shards):
        try:
            entries = list(os.scandir(shard))
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if entry.name.endswith(".tmp"):
                if now - mtime > STALE_TMP_S:
                    _unlink(entry.path)
            elif entry.name.endswith(".json"):
                if now - mtime > max_age_s:
                    removed += _unlink(entry.path)
                else:
                    kept.append((mtime, entry.path))
    kept.sort()
    for _, path in kept[: max(0, len(kept) - max(0, max_files))]:
        removed += _unlink(path)
    for shard in shards:
        _rmdir_if_empty(shard)
    return removed


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
    except OSError:
        return 0
    return 1


def _rmdir_if_empty(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        return


def _touch(path: str) -> None:
    try:
        os.utime(path)
    except OSError:
        return
