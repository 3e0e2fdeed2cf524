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


def _hits(rule: str, pattern: str, texts: list[str], index: int, in_try: bool) -> bool:
    line = texts[index]
    if re.search(pattern, line) is None:
        return False
    if rule == "json_unguarded":
        return not in_try and not _guarded(texts, index) and not _local_file_json(line)
    if rule == "no_timeout":
        return not _call_has_timeout(texts, index)
    if rule == "index_call_result":
        return not _never_empty_index(line) and not _conditional(line) and not _fixed_tuple(line)
    if rule == "env_required":
        return not _sets_environ(line)
    return True


CALL_LINES = 8  # a call spread over lines (black's style): its arguments are this many lines on


def _call_has_timeout(texts: list[str], index: int) -> bool:
    """`timeout` among the call's arguments, also when they continue on the next lines:
    `requests.get(\n    url,\n    timeout=10,\n)`."""
    depth = 0
    for text in texts[index : index + CALL_LINES]:
        if "timeout" in text:
            return True
        depth += text.count("(") - text.count(")")
        if depth <= 0:
            return False
    return False


def _sets_environ(line: str) -> bool:
    """`os.environ["X"] = v` or `del os.environ["X"]` sets the variable; it assumes nothing."""
    stripped = line.strip()
    if stripped.startswith("del "):
        return True
    at = stripped.find("os.environ[")
    close = stripped.find("]", at)
    rest = stripped[close + 1 :].lstrip() if at >= 0 and close >= 0 else ""
    return at == 0 and rest.startswith("=") and not rest.startswith("==")


# Calls that return a tuple of fixed length: indexing their result never raises.
FIXED_TUPLE_CALLS = frozenset(
    {
        "splitext", "partition", "rpartition", "divmod", "unpack", "unpack_from", "exc_info",
        "guess_type", "mkstemp", "mkdtemp", "getstatusoutput", "frexp", "modf", "where",
        "nonzero", "splitdrive", "normcase", "split",
    }
)  # fmt: skip


def _fixed_tuple(line: str) -> bool:
    """Every indexed call on the line returns a fixed-length tuple (`os.path.splitext(p)[0]`,
    `x.partition("=")[2]`, `np.where(m)[0]`). `split` counts only as `os.path.split`: a string's
    `split(sep)[1]` can raise."""
    names = _indexed_call_names(line)
    return bool(names) and all(
        name in FIXED_TUPLE_CALLS and (name != "split" or qualified.endswith("path.split"))
        for name, qualified in names
    )


def _indexed_call_names(line: str) -> list[tuple[str, str]]:
    """(name, dotted name) of each call whose result is indexed (`f(...)[n]`) on the line."""
    found = []
    for match in re.finditer(r"\)\s*\[\s*-?\d+\s*\]", line):
        depth = 0
        at = match.start()
        while at >= 0:
            depth += {")": 1, "(": -1}.get(line[at], 0)
            if depth == 0:
                break
            at -= 1
        end = at
        while at > 0 and (line[at - 1].isalnum() or line[at - 1] in "_."):
            at -= 1
        qualified = line[at:end]
        found.append((qualified.rsplit(".", 1)[-1], qualified))
    return found


def _in_try_block(lines: list[str], line_no: int | None) -> bool:
    """The line sits inside a `try` block of the file as written (the edit may add one line to
    a block that was already guarded): an enclosing `try:` / `try {` less indented than it,
    within the function."""
    if line_no is None or not 1 <= line_no <= len(lines):
        return False
    line = lines[line_no - 1]
    indent = len(line) - len(line.lstrip())
    for previous in reversed(lines[max(0, line_no - 40) : line_no - 1]):
        stripped = previous.lstrip()
        if not stripped:
            continue
        level = len(previous) - len(stripped)
        if level >= indent:
            continue
        if stripped.startswith(("try:", "try {", "try{")) or stripped == "try":
            return True
        if stripped.startswith(("def ", "async def ", "class ", "function ", "export ")):
            return False
        indent = level
    return False


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
    file_lines: list[str] | None = None,
) -> Iterator[tuple[int | None, str, str]]:
    """(line number, rule, line text) for every rule an added line matches, in line order.
    `file_lines` (the file after the edit, when known) show the `try` around an added line.

    Comment lines are skipped: a commented-out `os.environ["X"]` assumes nothing.
    """
    texts = [text for _, text in added_lines]
    for index, (line_no, text) in enumerate(added_lines):
        stripped = text.lstrip()
        if not stripped or stripped.startswith(COMMENT_PREFIXES):
            continue
        if not may_match(text) or re.search(ANY_RULE, text) is None:
            continue
        in_try = file_lines is not None and _in_try_block(file_lines, line_no)
        for rule, pattern, _ in RULES:
            if _hits(rule, pattern, texts, index, in_try):
                yield line_no, rule, text
