"""auto_learn (spec §4.20), of the tracking family: errors this project has seen before and
what fixed them, kept in the `lessons` project store across sessions.
"""

from __future__ import annotations

import os

from posttool.api import hook
from posttool.lib import paths
from posttool.lib.event import is_benign
from posttool.lib.fast.lazy import re
from posttool.lib.message import Message, bullets
from posttool.lib.text import age, clip, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.state import State


LESSON_CHARS = 200
LESSON_SESSIONS = 5


def _is_counted_failure(event: Event, state: State) -> bool:
    """Spec §4.4: a failure that is neither benign nor an interrupt."""
    if event.ok or event.is_interrupt:
        return False
    if state.call.get("benign_failure"):
        return False
    return not is_benign(event, state.common("benign_exit1_tools"))


# --- auto_learn (60) ----------------------------------------------------------------------


@hook(
    "auto_learn",
    matcher=".*",
    priority=60,
    writes=("learn",),
    stores=("lessons",),
    defaults={"surface_cooldown_s": 3600, "lint_recurrence": 3, "lesson_min_age_s": 600},
)
def auto_learn(event: Event, state: State) -> Message | None:
    """Lessons per project from errors and recurring lint codes; bring one back when the same
    error shows up in another session.

    The lessons store is opened only on a counted failure, a resolution, or a lint recurrence,
    so a plain success never loads it. Lint codes are counted once per call each.
    """
    if not event.ok:
        if _is_counted_failure(event, state):
            return _learn_failure(event, state)
        return None
    resolved = state.call.get("resolved") or []
    if resolved:
        _record_resolution(event, state, resolved)
    codes = state.call.get("scan_new_codes") or []
    if codes:
        return _learn_lint(event, state, codes)
    return None


def _learn_failure(event: Event, state: State) -> Message | None:
    sig = state.call.get("error_sig") or event.error_sig
    if not sig:
        return None
    text, excerpt = lesson_text(event, sig, state.doc["files"])
    store = state.store("lessons")
    entry = store.get(sig)
    session = event.session_key
    message = None
    if isinstance(entry, dict):
        sessions = [s for s in entry.get("sessions") or [] if isinstance(s, str)]
        if (
            session not in sessions
            and _is_past(entry, state)
            and state.ready(sig, seconds=state.cfg("surface_cooldown_s"))
        ):
            message = _lesson_message(state, entry, text)
            state.mark(sig)
        entry["count"] = _int(entry.get("count")) + 1
        entry["last_seen"] = state.now
        entry["sessions"] = [s for s in sessions if s != session][-(LESSON_SESSIONS - 1) :]
        entry["sessions"].append(session)
        entry["excerpt"] = excerpt
        if not isinstance(entry.get("text"), str) or not entry["text"]:
            entry["text"] = text
    else:
        store[sig] = _new_lesson(sig, text, excerpt, state.now, session)
    return message


def _is_past(entry: dict[str, Any], state: State) -> bool:
    """Seen long enough ago to be a lesson: the same failure a parallel agent met seconds ago is
    news the model already has, not experience (issue 7 §3)."""
    last_seen = entry.get("last_seen")
    if not isinstance(last_seen, (int, float)):
        return True
    return state.now - last_seen >= state.cfg("lesson_min_age_s")


def _lesson_message(state: State, entry: dict[str, Any], current: str) -> Message:
    """The count and age are the store's; the text is this failure's own, so the lesson names
    this call's file or command, not the one that was stored first (the signature hides it)."""
    count = _int(entry.get("count"))
    last_seen = entry.get("last_seen")
    elapsed = state.now - last_seen if isinstance(last_seen, (int, float)) else 0.0
    lesson = entry.get("text") if isinstance(entry.get("text"), str) else ""
    text = f"Seen before in this project ({count}×, last {age(elapsed)} ago): {current or lesson}"
    resolved_by = entry.get("resolved_by")
    if isinstance(resolved_by, str) and resolved_by:
        text += f"\nLast time it was resolved by: `{resolved_by}`"
    return Message(text, "action")


def _new_lesson(sig: str, text: str, excerpt: str, now: float, session: str) -> dict[str, Any]:
    return {
        "sig": sig,
        "text": clip(text, LESSON_CHARS),
        "excerpt": clip(excerpt, LESSON_CHARS),
        "count": 1,
        "first_seen": now,
        "last_seen": now,
        "sessions": [session],
        "resolved_by": None,
    }


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _record_resolution(event: Event, state: State, resolved: list[str]) -> None:
    if event.family == "bash" and event.command:
        how = one_line(event.command, LESSON_CHARS)
    elif event.display_path:
        how = one_line(f"{event.tool_name} {event.display_path}", LESSON_CHARS)
    else:
        how = event.tool_name
    store = state.store("lessons")
    for sig in resolved:
        entry = store.get(sig)
        if isinstance(entry, dict):
            entry["resolved_by"] = how


def _learn_lint(event: Event, state: State, codes: list[str]) -> Message | None:
    counts = state.doc["learn"]["lint_codes"]
    threshold = state.cfg("lint_recurrence")
    # Each agent's own count: "introduced 3 times" must be what this agent did.
    agent = f"{event.subagent_id} " if event.subagent_id else ""
    reached: list[tuple[str, int, str]] = []
    for code in dict.fromkeys(c for c in codes if isinstance(c, str) and c):
        key = agent + code
        counts[key] = counts.get(key, 0) + 1
        if counts[key] >= threshold and state.ready(f"lint:{key}", seconds=86400):
            reached.append((code, counts[key], _ruff_message(state, event, code)))
    if not reached:
        return None
    store = state.store("lessons")
    session = event.session_key
    for code, _, ruff_message in reached:
        state.mark(f"lint:{agent}{code}")
        sig = f"lint:{code}"
        text = f"{code} keeps being introduced" + (f" ({ruff_message})" if ruff_message else "")
        entry = store.get(sig)
        if isinstance(entry, dict):
            sessions = [
                s for s in entry.get("sessions") or [] if isinstance(s, str) and s != session
            ]
            entry["count"] = _int(entry.get("count")) + 1
            entry["last_seen"] = state.now
            entry["sessions"] = [*sessions[-(LESSON_SESSIONS - 1) :], session]
            entry["excerpt"] = clip(ruff_message, LESSON_CHARS)
        else:
            store[sig] = _new_lesson(sig, text, ruff_message, state.now, session)
    lines = [
        f"{code} has been introduced {n} times this session" + (f" ({message})" if message else "")
        for code, n, message in reached
    ]
    if len(lines) == 1:
        return Message(f"{lines[0]}; address the cause, not each instance.", "info")
    return Message(
        bullets(
            "Rule codes introduced repeatedly this session; address the cause, not each instance:",
            lines[:5],
        ),
        "info",
    )


def _ruff_message(state: State, event: Event, code: str) -> str:
    """The message of a finding with `code`, from this file's scan (quality_scanner, 36)."""
    scan = state.doc["scan"].get(event.path_key or "")
    for finding in scan.get("findings", []) if isinstance(scan, dict) else []:
        if isinstance(finding, list) and len(finding) >= 3 and finding[0] == code:
            return one_line(str(finding[2]), 120)
    return ""


def lesson_text(event: Event, sig: str, files: dict[str, object] | None = None) -> tuple[str, str]:
    """(lesson, excerpt) for a failure: the first matching pattern of spec §4.20. `files` are
    the session's, to tell the project's own modules from installed ones."""
    text = event.error_text
    found = _missing_module(text)
    if found:
        module, at = found
        line = _line_at(text, at)
        if _is_own_module(module, line, event, files or {}):
            return _own_module_missing(module, event), line
        return (
            f"`{module}` is not importable by the interpreter `{_interpreter(event)}` used; "
            "install it or use the project's environment.",
            line,
        )
    # Each pattern below is tried only when its literal is present: most failures then never
    # need the regex engine (~6 ms of imports).
    match = "cannot import name '" in text and re.search(
        r"ImportError: cannot import name '(\w+)' from '([\w.]+)'", text
    )
    if match:
        line = _line_at(text, match.start())
        if _is_own_module(match[2], line, event, files or {}):
            return f"`{match[2]}` is the project's own module and has no `{match[1]}`.", line
        return f"`{match[2]}` has no `{match[1]}` in the installed version.", line
    at = text.find(": command not found")
    if at > 0 and not text[at - 1].isspace():
        # the token before the literal; a regex like `(\S+): command not found` would be
        # quadratic on a long run of non-space characters
        start = max(text.rfind(sep, 0, at) for sep in (" ", "\n", "\t", "\r")) + 1
        return f"`{clip(text[start:at], 100)}` is not on PATH here.", _line_at(text, at)
    at = text.find("Permission denied")
    if at >= 0:
        line = _line_at(text, at)
        return f"Permission denied: {one_line(line, 150)}.", line
    at = _line_starting(text, "fatal: ")
    if at >= 0:
        end = text.find("\n", at)
        message = text[at + len("fatal: ") : end if end >= 0 else len(text)]
        return f"git: {one_line(message, 180).rstrip('.')}.", _line_at(text, at)
    at = text.find("File does not exist")
    if at >= 0:
        where = event.display_path or "that path"
        return (
            f"`{where}` does not exist; list the directory before guessing paths.",
            _line_at(text, at),
        )
    match = "Error: " in text and re.search(r"(SyntaxError|IndentationError): (.*)", text)
    if match:
        return _syntax_lesson(event, text, match), _line_at(text, match.start())
    from posttool.lib.diagnostics import error_line

    return sig, one_line(error_line(event.error_body or text), LESSON_CHARS)


def _is_own_module(module: str, line: str, event: Event, files: dict[str, object]) -> bool:
    """The module is the project's code, not an installed library (see tool_awareness)."""
    from posttool.lib import awareness

    top = module.split(".")[0]
    return (
        awareness.is_project_module(top, files)
        or awareness.is_module_under_root(top, event.project_root)
        or awareness.error_file_in_project(line.strip(), event.project_root)
    )


def _own_module_missing(module: str, event: Event) -> str:
    """A missing module of the project itself: a name the project does not have, or the
    project's package not on the path (run from elsewhere, or not installed)."""
    root = event.project_root
    relative = module.replace(".", os.sep)
    if "." in module and not any(
        os.path.exists(os.path.join(base, relative + suffix))
        for base in (root, os.path.join(root, "src"))
        for suffix in (".py", os.sep + "__init__.py", "")
    ):
        return f"`{module}` does not exist in the project; check the module's name and path."
    return (
        f"`{module}` is the project's own module but `{_interpreter(event)}` could not import it; "
        "run it from the project root or install the project (`pip install -e .`)."
    )


def _line_starting(text: str, prefix: str) -> int:
    """Where the first line that starts with `prefix` begins, or -1 (`(?m)^prefix`)."""
    if text.startswith(prefix):
        return 0
    at = text.find("\n" + prefix)
    return at + 1 if at >= 0 else -1


MISSING_MODULE = "ModuleNotFoundError: No module named '"


def _missing_module(text: str) -> tuple[str, int] | None:
    """(module, position) of the first `ModuleNotFoundError: No module named '<m>'` whose
    name is 1-200 characters with no quote or blank: the spec's pattern, scanned by hand."""
    at = text.find(MISSING_MODULE)
    while at >= 0:
        start = at + len(MISSING_MODULE)
        end = text.find("'", start)
        name = text[start:end] if end >= 0 else ""
        if 1 <= len(name) <= 200 and not any(c.isspace() for c in name):
            return name, at
        at = text.find(MISSING_MODULE, at + 1)
    return None


def _syntax_lesson(event: Event, text: str, match: re.Match[str]) -> str:
    locations = re.findall(r'File "([^"\n]+)", line (\d+)', text[: match.start()])
    if locations:
        file, line = locations[-1]
        if os.path.isabs(file):
            file = paths.display_path(os.path.normpath(file), event.project_root)
        return f"{match[1]} in {file}:{line}."
    return f"{match[1]}: {one_line(match[2], 150)}."


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return one_line(text[start : end if end >= 0 else len(text)], LESSON_CHARS)


def _interpreter(event: Event) -> str:
    """The interpreter a failing command ran: its first `python*` token, else its tool token."""
    facts = event.command_facts
    if facts is None:
        return event.tool_name
    for segment in facts.segments:
        for token in segment.split()[:6]:
            token = token.strip("'\"")
            name = os.path.basename(token)
            for prefix in ("python", "pypy"):
                if name.startswith(prefix) and all(c in "0123456789." for c in name[len(prefix) :]):
                    return token
    tokens = facts.tokens()
    return tokens[0] if tokens else event.tool_name
