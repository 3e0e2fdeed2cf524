"""Detectors behind tool_awareness (§4.18): each reads one concrete field of the event."""

from __future__ import annotations

import sys

from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from posttool.lib.commands import CommandFacts

# (pattern, group holding a module name or 0 when the error names none)
# (pattern, group naming the module or 0, a literal every match contains: a body without it is
# ruled out without the regex engine)
API_MISMATCH: tuple[tuple[str, int, str], ...] = (
    (r"AttributeError: module '([\w.]+)' has no attribute", 1, "' has no attribute"),
    (r"ImportError: cannot import name '\w+' from '([\w.]+)'", 1, "cannot import name '"),
    (r"unexpected keyword argument '\w+'", 0, "unexpected keyword argument '"),
    (r"has no exported member", 0, "has no exported member"),
    (r"TypeError: \S+ is not a function", 0, " is not a function"),
)
FILE_VIEWERS = frozenset({"cat", "head", "tail", "less", "more"})
VALUE_OPTIONS = frozenset({"-n", "-c", "--lines", "--bytes"})
FOLLOW_OPTIONS = frozenset({"-f", "-F", "--follow"})
HTTP_CLIENTS = frozenset({"curl", "wget", "http", "https", "xh"})
LOCAL_HOST = r"(?:^|[/@\s'\"])(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?:[:/\s'\"]|$)"
THIN_PHRASES = r"could(?:n't| not) find|no (?:results|matches)"


def api_mismatch(error_body: str) -> tuple[str, str] | None:
    """(the error line, the top-level module it names or '') for an API-mismatch error."""
    for pattern, group, literal in API_MISMATCH:
        if literal not in error_body:
            continue
        match = re.search(pattern, error_body)
        if match is None:
            continue
        start = error_body.rfind("\n", 0, match.start()) + 1
        end = error_body.find("\n", match.end())
        line = error_body[start : end if end >= 0 else len(error_body)].strip()
        module = match.group(group).split(".")[0] if group else ""
        return line, module
    return None


def is_stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names


def is_project_module(module: str, files: dict[str, object]) -> bool:
    """A file the session touched is `<module>.py` or lives in a folder named `<module>`, so
    the module is the project's own code, not an installed library."""
    import os

    for key in files:
        parts = key.replace("\\", "/").split("/")
        if os.path.splitext(parts[-1])[0] == module or module in parts[:-1]:
            return True
    return False


def file_viewer(facts: CommandFacts, command: str, extensions: list[str]) -> str:
    """The tool token when the command is one `cat`/`head`/`tail`/`less`/`more` of exactly one
    file with a code or text extension, with no redirection and not following (`tail -f`)."""
    import os

    if len(facts.segments) != 1 or not facts.words or not facts.words[0]:
        return ""
    words = facts.words[0]
    token = words[0]
    if token not in FILE_VIEWERS or any(c in command for c in "<>`$*?"):
        return ""
    files: list[str] = []
    skip_next = False
    for word in words[1:]:
        if skip_next:
            skip_next = False
        elif word in FOLLOW_OPTIONS:
            return ""
        elif word in VALUE_OPTIONS and token in ("head", "tail"):
            skip_next = True
        elif not word.startswith("-") or word == "-":
            files.append(word)
    if len(files) != 1 or files[0] == "-":
        return ""
    ext = os.path.splitext(files[0])[1].lower()
    return token if ext and ext in extensions else ""


def local_html_fetch(facts: CommandFacts, stdout: str) -> bool:
    """curl/wget/httpie against localhost, 127.0.0.1 or 0.0.0.0 that printed an HTML page."""
    lowered = stdout[:100_000].lower()
    if "<html" not in lowered and "<!doctype" not in lowered:
        return False
    for segment, words in zip(facts.segments, facts.words, strict=True):
        if words and words[0] in HTTP_CLIENTS and re.search(LOCAL_HOST, segment):
            return True
    return False


def thin_agent_answer(text: str, min_chars: int, phrase_max_chars: int) -> bool:
    """The answer is under `min_chars`, or short (under `phrase_max_chars`) and says it found
    nothing. Long answers that mention one thing they could not find are not thin."""
    answer = text.strip()
    if len(answer) < min_chars:
        return True
    if len(answer) >= phrase_max_chars:
        return False
    lowered = answer.lower()  # the substring test spares most answers the regex engine
    if "find" not in lowered and "no " not in lowered:
        return False
    return re.search(THIN_PHRASES, answer, re.IGNORECASE) is not None
