"""The six narrow rules of assumption_check (spec §4.9): added code that silently assumes a
non-empty result, valid input or a present environment."""

from __future__ import annotations

from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

# (rule, pattern applied to one added line, the assumption it states). Patterns have no nested
# quantifiers, so one line costs linear time whatever it holds.
RULES: tuple[tuple[str, str, str], ...] = (
    ("index_call_result", r"\)\s*\[\s*-?\d+\s*\]", "the call returns a non-empty sequence"),
    ("json_unguarded", r"\bjson\.loads?\(|\bJSON\.parse\(", "the input is valid JSON"),
    ("env_required", r"os\.environ\[|process\.env\.\w+!", "the environment variable is set"),
    (
        "no_timeout",
        r"\brequests\.(?:get|post|put|patch|delete|head)\(|urlopen\(",
        "the server answers promptly",
    ),
    (
        "match_unchecked",
        r"\bre\.(?:match|search|fullmatch)\(.*\)\.group\(",
        "the pattern always matches",
    ),
    ("nested_keys", r"\[[\"'][^\"'\]]+[\"']\]\[[\"']", "the nested keys exist"),
)
ASSUMPTION = {name: text for name, _, text in RULES}
ANY_RULE = "|".join(f"(?:{pattern})" for _, pattern, _ in RULES)  # one search rules out a line
GUARD_WINDOW = 3  # json_unguarded: a `try`/`catch` this many added lines back counts as a guard
COMMENT_PREFIXES = ("#", "//", "/*", "* ")


# Each rule but `index_call_result` needs one of these substrings; that one needs `)` followed
# (after blanks) by `[`. A line with neither is ruled out without the regex engine.
RULE_WORDS = (
    "json.load",
    "JSON.parse(",
    "os.environ[",
    "process.env.",
    "requests.",
    "urlopen(",
    ".group(",
    "][",
)


def may_match(line: str) -> bool:
    if any(word in line for word in RULE_WORDS):
        return True
    close = line.find(")")
    while close != -1:
        after = line[close + 1 :].lstrip()
        if after.startswith("["):
            return True
        close = line.find(")", close + 1)
    return False


def _guarded(texts: list[str], index: int) -> bool:
    """A `try` or `catch` on this added line or one of the GUARD_WINDOW added lines before it."""
    for text in texts[max(0, index - GUARD_WINDOW) : index + 1]:
        if re.search(r"\b(?:try|catch)\b", text):
            return True
    return False


def _hits(rule: str, pattern: str, texts: list[str], index: int) -> bool:
    line = texts[index]
    if re.search(pattern, line) is None:
        return False
    if rule == "json_unguarded":
        return not _guarded(texts, index)
    if rule == "no_timeout":
        return "timeout" not in line
    return True


def find_assumptions(
    added_lines: list[tuple[int | None, str]],
) -> Iterator[tuple[int | None, str, str]]:
    """(line number, rule, line text) for every rule an added line matches, in line order.

    Comment lines are skipped: a commented-out `os.environ["X"]` assumes nothing.
    """
    texts = [text for _, text in added_lines]
    for index, (line_no, text) in enumerate(added_lines):
        stripped = text.lstrip()
        if not stripped or stripped.startswith(COMMENT_PREFIXES):
            continue
        if not may_match(text) or re.search(ANY_RULE, text) is None:
            continue
        for rule, pattern, _ in RULES:
            if _hits(rule, pattern, texts, index):
                yield line_no, rule, text
