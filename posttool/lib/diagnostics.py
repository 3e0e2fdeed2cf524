"""Which line of a failure is the error, and which file it points at (error signatures).

Compilers and linters print more than the error: Go a `# package` header before its
`file.go:12:3: message` lines, ruff and rustc a code frame (`94 |     raise …`, `^^^`) under a
`CODE message` line and its `--> file:row:col`, test runners a summary (`Found 3 errors.`).
The signature of a failure is the error's message with its varying parts masked plus the file
its location names, so two different errors (or one error in two files) never share one.

String operations only: a failure must not pay for `re` (see commands.py).
"""

from __future__ import annotations

from posttool.lib.failures import (
    SIGNATURE_SCAN_LINES,
    SIGNATURE_SOURCE_CHARS,
    is_errorish,
    is_exception_line,
    mask_hex_words,
)

FILE_CHARS = 40  # the end of the path is what tells two files apart
# The spec masks every digit run (`\d+`); a digit run inside a word is a rule code (`F401`,
# `TS2345`) and is kept. `mask_numbers` implements this pattern (the tests check it):
_NUMBERS = r"(?<!\w)\d+"
FRAME_MARKS = frozenset("^~-_=|+ ")
TOOL_ERROR_OPEN, TOOL_ERROR_CLOSE = "<tool_use_error>", "</tool_use_error>"  # newer Claude Code


def is_frame_line(line: str) -> bool:
    """A quoted source line or a marker under it (`94 |     x = 1`, `   |     ^^^`), or Go's
    `# package` header: context around an error, never the error itself."""
    stripped = line.strip()
    if not stripped:
        return True
    if stripped.startswith("# ") or FRAME_MARKS.issuperset(stripped):
        return True
    gutter, bar, _ = stripped.partition("|")
    return bool(bar) and (not gutter.strip() or gutter.strip().isdecimal())


def _location_end(token: str) -> int:
    """Where the path ends in `path:12`, `path:12:5:`, `path(12,5):` or `path::test_name`;
    -1 when the token is not a location."""
    for marker in ("::", "("):
        at = token.find(marker)
        if at > 0 and (marker == "::" or token[at + 1 : at + 2].isdecimal()):
            return at
    at = token.find(":")
    while at > 0:
        if token[at + 1 : at + 2].isdecimal():
            return at
        at = token.find(":", at + 1)
    return -1


def location_file(token: str) -> str:
    """The file a location token names (`./pkg/a.go:3:1:` → `pkg/a.go`), or ''."""
    end = _location_end(token)
    if end <= 0:
        return ""
    path = token[:end].strip("\"'`()[]<>")
    path = path.removeprefix("./")
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.strip(".") or path.startswith("<"):
        return ""  # `line:12`, `<string>`: not a file
    return path


def _diagnostic(lines: list[str], index: int) -> tuple[str, str] | None:
    """(message, file) when line `index` is a located diagnostic: `file:row[:col]: message`
    (Go, gcc, mypy, eslint's unix format, pytest's `path::test`), or a message line followed
    by `--> file:row:col` (ruff, rustc)."""
    line = lines[index].strip()[:SIGNATURE_SOURCE_CHARS]
    first, _, rest = line.partition(" ")
    where = location_file(first)
    if where:
        message = rest.strip().lstrip(": ")  # `a.go:1: : # pkg`: a header, not a message
        return (message, where) if message and not is_frame_line(message) else None
    for after in lines[index + 1 : index + 3]:
        stripped = after.strip()
        if stripped.startswith("--> "):
            where = location_file(stripped[4:].strip())
            return (line, where) if where else None
        if stripped:
            return None
    return None


def _traceback_file(lines: list[str]) -> str:
    """The file of a Python traceback's last frame (`File "/p/app.py", line 3, in f`)."""
    for line in reversed(lines):
        stripped = line.strip()
        if stripped.startswith('File "'):
            path, _, rest = stripped[6:].partition('"')
            if rest.startswith(", line") and not path.startswith("<"):
                return path
            return ""
    return ""


def pick_error(body: str) -> tuple[str, str]:
    """(the error's line, the file it points at or '').

    In order: a Python traceback's last line (and its last frame's file); the first located
    diagnostic that says error (else the first located diagnostic); the first error-ish line
    that is not a quoted source line or header; the first such line; the first non-empty line.
    Bounded like spec §1.4: the last/first `SIGNATURE_SCAN_LINES` lines are looked at, each on
    its first `SIGNATURE_SOURCE_CHARS` characters.
    """
    lines = body.replace(TOOL_ERROR_OPEN, "").replace(TOOL_ERROR_CLOSE, "").splitlines()
    tail = lines[-SIGNATURE_SCAN_LINES:]
    for line in reversed(tail):
        probe = line.strip()[:SIGNATURE_SOURCE_CHARS]
        if is_exception_line(probe):
            return probe, _traceback_file(tail)
    head = lines[:SIGNATURE_SCAN_LINES]
    located = [found for i in range(len(head)) if (found := _diagnostic(head, i))]
    if located:
        return next((d for d in located if is_errorish(d[0])), located[0])
    content = [line for line in head if not is_frame_line(line[:SIGNATURE_SOURCE_CHARS])]
    for line in content:
        if is_errorish(line[:SIGNATURE_SOURCE_CHARS]):
            return line, _file_in(line)
    chosen = content[0] if content else next((line for line in head if line.strip()), "")
    return chosen, _file_in(chosen)


def _file_in(line: str) -> str:
    """The first located file a line names (`FAILED tests/test_a.py::test_x - …`)."""
    for token in line[:SIGNATURE_SOURCE_CHARS].split():
        where = location_file(token)
        if where:
            return where
    return ""


def mask_numbers(text: str) -> str:
    """Digit runs → `<n>`, except inside a code or name that starts with a letter (`F401`,
    `TS2345`, `E0425`, `utf8`): those tell errors apart and do not vary."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if not char.isdecimal():
            out.append(char)
            i += 1
            continue
        end = i
        while end < len(text) and text[end].isdecimal():
            end += 1
        in_word = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        out.append(text[i:end] if in_word else "<n>")
        i = end
    return "".join(out)


def file_suffix(path: str) -> str:
    """` @…/dir/file.py`: the end of the path, where files differ."""
    if not path:
        return ""
    path = path.replace("\\", "/").lower()
    return f" @{path[-FILE_CHARS:]}"


def error_line(body: str) -> str:
    """The line an error signature is taken from (spec §1.4, step 1, refined in
    `diagnostics.pick_error`: located diagnostics first, never a quoted source line)."""
    return pick_error(body)[0]


def error_signature(family: str, body: str) -> str:
    """Family-prefixed signature of an error text: the error's message, lower-cased, with
    paths, hex words and free-standing numbers masked, plus the file it points at
    (` @src/app.py`) when it names one (spec §1.4, refined: see docs/decisions.md)."""
    line, where = pick_error(body)
    # Token by token, not `re.sub(r"\S*[/\\]\S*")`, which is quadratic on a long token.
    # The signature keeps 120 characters; normalising more of a huge line only costs time.
    tokens = line[:SIGNATURE_SOURCE_CHARS].lower().split()
    text = " ".join("<path>" if "/" in tok or "\\" in tok else tok for tok in tokens)
    text = mask_numbers(mask_hex_words(text))
    suffix = file_suffix(where)
    text = " ".join(text.split())[: 120 - len(suffix)] + suffix
    return f"{family}:{text}"
