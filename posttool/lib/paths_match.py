"""Which files the quality hooks look at: code files, test paths and skip paths (`common.*`).

Paths are matched in their display form (relative to the project root with `/` separators when
inside it), so a project that happens to live under a folder named `build/` or `tests/` is not
skipped wholesale: only the part of the path inside the project counts.
"""

from __future__ import annotations

from posttool.lib.config import COMMON_DEFAULTS
from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.event import Event
    from posttool.lib.state import State


def match_path(event: Event) -> str:
    """The path the `common.*_path_regex` keys are matched against ('' when there is none)."""
    return (event.display_path or "").replace("\\", "/")


def search(pattern: object, text: str) -> bool:
    """`re.search` that treats an unusable pattern from the user's config as matching nothing."""
    if not isinstance(pattern, str) or not pattern:
        return False
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def is_code_ext(state: State, ext: str) -> bool:
    exts = state.common("code_extensions")
    return bool(ext) and isinstance(exts, (list, tuple)) and ext in exts


DEFAULT_SKIP_REGEX = COMMON_DEFAULTS["common.skip_path_regex"]
# The folder names of the default skip regex `(^|/)(name|...)/`: with the default, a folder
# test answers exactly as the regex would, without compiling it on every call.
DEFAULT_SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        "dist",
        "build",
        ".mypy_cache",
        ".ruff_cache",
    }
)
DEFAULT_TEST_REGEX = COMMON_DEFAULTS["common.test_path_regex"]
TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec"})
JS_TEST_EXTENSIONS = frozenset(
    f"{prefix}{lang}s{jsx}" for prefix in ("", "c", "m") for lang in "jt" for jsx in ("", "x")
)


def is_default_test_path(path: str) -> bool:
    """What DEFAULT_TEST_REGEX says of `path`, without compiling it: a `test(s)`, `__tests__`
    or `spec` folder, `test_*.py`, `*_test.py|go`, or `*.test|spec.[cm]?[jt]sx?`."""
    *folders, name = path.split("/")
    if any(folder in TEST_DIRS for folder in folders):
        return True
    if name.startswith("test_") and name.endswith(".py"):
        return True
    if name.endswith(("_test.py", "_test.go")):
        return True
    parts = name.split(".")
    return len(parts) >= 3 and parts[-2] in ("test", "spec") and parts[-1] in JS_TEST_EXTENSIONS


def test_path_matches(pattern: object, path: str) -> bool:
    if pattern == DEFAULT_TEST_REGEX:
        return is_default_test_path(path)
    return search(pattern, path)


def skip_path_matches(pattern: object, path: str) -> bool:
    if pattern == DEFAULT_SKIP_REGEX:
        return any(part in DEFAULT_SKIP_DIRS for part in path.split("/")[:-1])
    return search(pattern, path)


def is_test_path(state: State, path: str) -> bool:
    return test_path_matches(state.common("test_path_regex"), path)


def is_skip_path(state: State, path: str) -> bool:
    return skip_path_matches(state.common("skip_path_regex"), path)


def code_target(event: Event, state: State, *, skip_tests: bool = False) -> bool:
    """The event's file is a code file outside the skip paths (and the test paths if asked)."""
    if not event.file_path or not is_code_ext(state, event.ext):
        return False
    path = match_path(event)
    if is_skip_path(state, path):
        return False
    return not (skip_tests and is_test_path(state, path))
