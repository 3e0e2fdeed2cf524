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
APPENDED_EXTENSIONS = frozenset({".log", ".jsonl"})  # files written at their end
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


INSTALLED_DIRS = ("site-packages", "dist-packages", "node_modules")
# `Module '"./types"' has no exported member 'X'`: the module TypeScript names
TS_MODULE = r"""Module '"([^"']+)"' has no exported member"""
RELATIVE_PREFIXES = (".", "/", "@/", "~/", "#", "$")


def is_installed_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return any(folder in parts for folder in INSTALLED_DIRS)


def is_project_module(module: str, files: dict[str, object]) -> bool:
    """A file the session touched outside installed packages is `<module>.py` or lives in a
    folder named `<module>`, so the module is the project's own code, not an installed
    library."""
    import os

    for key in files:
        parts = key.replace("\\", "/").split("/")
        named = os.path.splitext(parts[-1])[0] == module or module in parts[:-1]
        if named and not is_installed_path(key):
            return True
    return False


def is_module_under_root(module: str, root: str) -> bool:
    """`<root>/<module>/`, `<root>/<module>.py` or a src layout's `<root>/src/<module>/`."""
    import os

    if not root or not module.isidentifier():
        return False
    return (
        os.path.isdir(os.path.join(root, module))
        or os.path.isfile(os.path.join(root, module + ".py"))
        or os.path.isdir(os.path.join(root, "src", module))
    )


def error_file_in_project(error_line: str, root: str) -> bool:
    """The file an ImportError names (`… from 'pkg.mod' (/p/src/pkg/mod.py)`) is inside the
    project and not an installed copy."""
    import os

    start = error_line.rfind(" (")
    if not root or start < 0 or not error_line.endswith(")"):
        return False
    path = os.path.normcase(os.path.normpath(error_line[start + 2 : -1]))
    inside = path.startswith(os.path.normcase(os.path.normpath(root)) + os.sep)
    return inside and not is_installed_path(path) and ".venv" not in path.split(os.sep)


def library_evidence(error_body: str, error_line: str, libraries: dict[str, int]) -> bool:
    """For a mismatch that names no module (an unexpected keyword argument, `x is not a
    function`, a missing export): the error points into an installed package, names one by
    its import name (`Module '"zod"'`), or calls through a library the session imports
    (`requests.get(…)` on the failing line). A project's own function is more often the one
    whose signature changed."""
    if "exported member" in error_line:
        match = re.search(TS_MODULE, error_line)
        return match is not None and not match.group(1).startswith(RELATIVE_PREFIXES)
    if any(folder in error_body for folder in INSTALLED_DIRS):
        return True
    return any(root in libraries for root in _called_roots(error_body, error_line))


def _called_roots(error_body: str, error_line: str) -> set[str]:
    """The first names of dotted calls in the failing expression: `axios.gett` in `TypeError:
    axios.gett is not a function`, or the last source line of a Python traceback."""
    roots: set[str] = set()
    match = re.search(r"TypeError: ([\w$.]+) is not a function", error_line)
    if match:
        roots.add(match.group(1).split(".")[0])
    frame = error_body.rfind('  File "')
    if frame >= 0:
        lines = error_body[frame:].splitlines()
        source = lines[1] if len(lines) > 1 else ""
        roots.update(re.findall(r"\b([A-Za-z_]\w*)\.\w+\(", source))
    return roots


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
    if token == "tail" and ext in APPENDED_EXTENSIONS:
        return ""  # the end of a log is what tail is for; Read needs its length first
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
