"""The narrow rules of assumption_check (spec §4.9): added code that silently assumes a
non-empty result, valid input or a present environment. The spec's sixth rule, `nested_keys`
(`cfg["a"]["b"]`), was removed: on real code the keys were checked on the line before or were a
known data shape (docs/precision-rules.md)."""

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
        return not _guarded(texts, index) and not _local_file_json(line)
    if rule == "no_timeout":
        return "timeout" not in line
    if rule == "index_call_result":
        return not _never_empty_index(line) and not _conditional(line)
    return True


# Evidence for the exemptions below is in docs/precision-rules.md.
SPLIT_INDEX = r"\.r?split\(\s*[^)\s][^)]*\)\s*\[\s*(?:0|-1)\s*\]"


def _never_empty_index(line: str) -> bool:
    """`s.split(sep)[0]` and `[-1]` never raise: splitting on a separator always gives at
    least one part. (`s.split()[0]`, on whitespace, can: it is still reported.) Every call
    indexed on the line must be such a split for the line to be exempt."""
    calls = len(re.findall(r"\)\s*\[\s*-?\d+\s*\]", line))
    return calls > 0 and len(re.findall(SPLIT_INDEX, line)) == calls


def _conditional(line: str) -> bool:
    """The line checks its own assumption: `x[0] if x else None`, `x ? x[0] : d`."""
    return (" if " in line and " else " in line) or (" ? " in line and " : " in line)


def _local_file_json(line: str) -> bool:
    """JSON read from a file on disk (`json.load(f)`, `JSON.parse(fs.readFileSync(…))`): the
    project's own data or configuration, where a crash on a corrupt file is the usual choice."""
    if "json.load(" in line and "json.loads(" not in line:
        return True
    return "readFileSync(" in line and "JSON.parse(" in line


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
