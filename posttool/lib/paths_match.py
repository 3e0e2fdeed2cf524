"""Which files the quality hooks look at: code files, test paths and skip paths (`common.*`).

Paths are matched in their display form (relative to the project root with `/` separators when
inside it), so a project that happens to live under a folder named `build/` or `tests/` is not
skipped wholesale: only the part of the path inside the project counts.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.state import State
    from posttool.runner.event import Event


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


def is_test_path(state: State, path: str) -> bool:
    return search(state.common("test_path_regex"), path)


def is_skip_path(state: State, path: str) -> bool:
    return search(state.common("skip_path_regex"), path)


def code_target(event: Event, state: State, *, skip_tests: bool = False) -> bool:
    """The event's file is a code file outside the skip paths (and the test paths if asked)."""
    if not event.file_path or not is_code_ext(state, event.ext):
        return False
    path = match_path(event)
    if is_skip_path(state, path):
        return False
    return not (skip_tests and is_test_path(state, path))
