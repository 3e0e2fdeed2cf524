"""Is posttool's bytecode there and current, and compiling it when it is not.

Without a current `.pyc` beside each module, every `posttool run` compiles posttool again
(4–6× the bare interpreter instead of ~2×): uv installs without `--compile-bytecode`, and
interpreters started with PYTHONDONTWRITEBYTECODE=1 never write the cache themselves.
"""

from __future__ import annotations

import os

HEADER_BYTES = 16
HASH_BASED = 0b01


def pyc_path(source: str, cache_tag: str) -> str:
    folder, name = os.path.split(source)
    return os.path.join(folder, "__pycache__", f"{name[:-3]}.{cache_tag}.pyc")


def is_current(source: str, cache_tag: str) -> bool:
    """Whether the timestamp `.pyc` of `source` matches its mtime and size (a hash-based one is
    checked by the interpreter itself and counts as current)."""
    try:
        with open(pyc_path(source, cache_tag), "rb") as handle:
            header = handle.read(HEADER_BYTES)
        info = os.stat(source)
    except OSError:
        return False
    if len(header) < HEADER_BYTES:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & HASH_BASED:
        return True
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    return mtime == int(info.st_mtime) & 0xFFFFFFFF and size == info.st_size & 0xFFFFFFFF


def sources(package_dir: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))
    return found


def stale(package_dir: str, cache_tag: str) -> list[str]:
    """The modules under `package_dir` whose bytecode is missing or out of date."""
    return [source for source in sources(package_dir) if not is_current(source, cache_tag)]


def writable(package_dir: str) -> bool:
    """Whether the `__pycache__` folders of the package can be created or written."""
    for source in sources(package_dir):
        folder = os.path.dirname(source)
        cache = os.path.join(folder, "__pycache__")
        target = cache if os.path.isdir(cache) else folder
        if not os.access(target, os.W_OK):
            return False
    return True


def compile_package(package_dir: str) -> str:
    """Compile what is stale with the running interpreter; returns one line saying what
    happened. Timestamp pycs are forced: with SOURCE_DATE_EPOCH set, compileall would write
    checked-hash ones, which hash every source file on every import."""
    import sys

    tag = sys.implementation.cache_tag
    todo = stale(package_dir, tag)
    if not todo:
        return f"bytecode: up to date ({package_dir})"
    if not writable(package_dir):
        return (
            f"bytecode: {len(todo)} module(s) of {package_dir} have no current bytecode and the "
            "folder is not writable, so every call compiles them; ask its owner to run "
            f"`{sys.executable} -m compileall -q {package_dir}`"
        )
    import compileall
    import py_compile

    compileall.compile_dir(
        package_dir,
        quiet=2,
        invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
    )
    left = stale(package_dir, tag)
    if left:
        return f"bytecode: {len(left)} module(s) of {package_dir} could not be compiled"
    return f"bytecode: compiled {len(todo)} module(s) of {package_dir}"
