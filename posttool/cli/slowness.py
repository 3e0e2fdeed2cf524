"""What doctor can see that makes a hook command slow: an old console-script wrapper, missing
bytecode, a version-manager shim, a `site` that runs many `.pth` files, PYTHONDONTWRITEBYTECODE
reaching an interpreter that honours it."""

from __future__ import annotations

import ast
import os
import subprocess

from posttool.cli import bytecode
from posttool.cli.launcher import read_head, shim_reason

SLOW_RATIO = 2.5
MANY_PTH = 5
PROBE = (
    "import sys, site, os\n"
    "try:\n"
    "    import posttool\n"
    "    where = os.path.dirname(os.path.abspath(posttool.__file__))\n"
    "except ImportError:\n"
    "    where = None\n"
    "print(repr({'package': where, 'cache_tag': sys.implementation.cache_tag,\n"
    "            'site': [p for p in site.getsitepackages() if os.path.isdir(p)]}))\n"
)


class Interpreter:
    """Facts about the interpreter of a hook command, from running it once."""

    def __init__(self, package: str | None, cache_tag: str | None, site_dirs: list[str]) -> None:
        self.package = package
        self.cache_tag = cache_tag
        self.site_dirs = site_dirs


def probe(python: str) -> Interpreter:
    """`-B`: looking must not write the bytecode whose absence it is looking for."""
    try:
        done = subprocess.run(
            [python, "-I", "-B", "-c", PROBE], capture_output=True, timeout=30, check=True
        )
        found = ast.literal_eval(done.stdout.decode("utf-8", "replace").strip())
        return Interpreter(found["package"], found["cache_tag"], list(found["site"]))
    except (OSError, subprocess.SubprocessError, ValueError, SyntaxError, KeyError, TypeError):
        return Interpreter(None, None, [])


def stale_bytecode(found: Interpreter) -> list[str]:
    if not found.package or not found.cache_tag:
        return []
    return bytecode.stale(found.package, found.cache_tag)


def _has_flag(prefix: list[str], letters: str) -> bool:
    """Whether the interpreter options (single-dash, possibly combined: `-IS`) hold a letter."""
    return any(
        word.startswith("-") and not word.startswith("--") and any(c in word[1:] for c in letters)
        for word in prefix[1:]
        if word != "-m"
    )


def isolated(prefix: list[str]) -> bool:
    """Whether the command's interpreter ignores PYTHON* variables (-I or -E)."""
    return _has_flag(prefix, "IE")


def skips_site(prefix: list[str]) -> bool:
    return _has_flag(prefix, "S")


def wrapper_cause(prefix: list[str]) -> str | None:
    """A console-script wrapper (pip's imports `re` on every call)."""
    if len(prefix) != 1:
        return None
    imports_re = b"import re" in read_head(prefix[0])
    return f"the hook starts the console-script wrapper {prefix[0]}" + (
        ", which imports `re` on every call" if imports_re else ""
    )


def pth_cause(found: Interpreter) -> str | None:
    files: list[str] = []
    for folder in found.site_dirs:
        try:
            files.extend(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".pth"))
        except OSError:
            continue
    importing = [path for path in files if _runs_code(path)]
    if len(files) < MANY_PTH and not importing:
        return None
    return f"`site` reads {len(files)} .pth file(s) on every start" + (
        f", {len(importing)} of which run code (e.g. {importing[0]})" if importing else ""
    )


def _runs_code(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith(("import ", "import\t")) for line in handle)
    except OSError:
        return False


def causes(
    prefix: list[str],
    found: Interpreter,
    stale: list[str],
    environ: dict[str, str] | os._Environ[str] = os.environ,
) -> list[str]:
    """Every cause of slowness doctor can see in this command, most likely first."""
    seen = []
    shim = shim_reason(prefix[0])
    if shim:
        seen.append(shim)
    wrapper = wrapper_cause(prefix)
    if wrapper:
        seen.append(wrapper)
    if stale:
        seen.append(f"{len(stale)} module(s) of posttool have no current bytecode")
    if environ.get("PYTHONDONTWRITEBYTECODE") and not isolated(prefix):
        seen.append(
            "PYTHONDONTWRITEBYTECODE is set and the command does not isolate the interpreter "
            "(-I), so missing bytecode is compiled again on every call"
        )
    if not skips_site(prefix):
        pth = pth_cause(found)
        if pth:
            seen.append(pth)
    return seen
