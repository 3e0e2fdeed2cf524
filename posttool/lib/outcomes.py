"""What a tool call's outcome means, shared by state_updater and the confidence hooks: counted
failures, code and test files, and whether a test command passed (spec §4.4)."""

from __future__ import annotations

from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.event import Event
    from posttool.lib.state import State


EDIT_FAMILIES = ("write", "edit")
JS_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
PY_EXTENSIONS = (".py", ".pyi")
CHAIN_MASKS = ("||", ";", "\n")
TEST_FAILED = (r"\b[1-9]\d* (failed|errors?)\b", r"^FAIL", r"test result: FAILED")
TEST_PASSED = (
    r"\b\d+ passed\b",
    r"Tests?:.*\b\d+ passed\b",
    r"^ok\s",
    r"test result: ok\.",
)


# --- shared helpers ------------------------------------------------------------------------


def counted_failure(event: Event, benign: bool) -> bool:
    """A failure that counts (spec §4.4): neither benign nor an interrupt."""
    return not event.ok and not benign and not event.is_interrupt


def is_code_file(event: Event, state: State) -> bool:
    from posttool.lib.paths_match import is_code_ext

    return is_code_ext(state, event.ext)


def is_test_path(event: Event, state: State) -> bool:
    from posttool.lib.paths_match import is_test_path as test_path
    from posttool.lib.paths_match import match_path

    return test_path(state, match_path(event))


def scan_text(event: Event, state: State) -> str:
    """The added lines as one text, bounded by `common.max_scan_chars`."""
    return event.added_text[: state.common("max_scan_chars")]


def exit_masked(command: str) -> bool:
    """The exit code may not be the test's: the test segment pipes into another command, or a
    `||`, `;` or newline follows it. (`pytest && a | b` is not masked: a failing test stops
    the chain.)"""
    from posttool.lib.commands import segment_kind, segment_words, segments_with_separators

    test_at = None
    for index, (segment, before) in enumerate(segments_with_separators(command)):
        if test_at is not None:
            if before in CHAIN_MASKS or (before == "|" and index == test_at + 1):
                return True
        elif segment_kind(segment_words(segment)) == "test":
            test_at = index
    return False


def passing_summary(text: str) -> bool | None:
    """True for a passing summary with no failure, False for a failure, None for neither."""
    if any(re.search(pattern, text, re.MULTILINE) for pattern in TEST_FAILED):
        return False
    if any(re.search(pattern, text, re.MULTILINE) for pattern in TEST_PASSED):
        return True
    return None


def tests_passed(event: Event, benign: bool) -> bool | None:
    """Did the test command of this Bash call pass? None when it cannot be known."""
    if not event.ok:
        return False if counted_failure(event, benign) else None
    if event.background or event.interrupted:
        return None
    if exit_masked(event.command):
        return passing_summary(event.stdout + "\n" + event.stderr)
    return True
