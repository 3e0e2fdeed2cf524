"""The tracking family of hooks (spec §4.19-4.23): patterns across calls and sessions.

Everything here works from what `state_updater` (priority 10) recorded for this call and the
ones before it: `recent_tools`, `files` and the call facts. Only `auto_learn` touches a project
store (`lessons`), and only `beads_auto_sync` starts a process.
"""

from __future__ import annotations

import os

from posttool.lib import paths
from posttool.lib.lazy import re
from posttool.lib.message import Message, bullets
from posttool.lib.text import age, clip, h, join_limited, one_line
from posttool.runner.event import is_benign
from posttool.runner.registry import SUCCESS_ONLY, hook

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.state import State
    from posttool.runner.event import Event

EDIT_FAMILIES = ("write", "edit")
SIMILAR_EXCLUDED_KINDS = frozenset({"test", "git_commit", "git_push"})
LESSON_CHARS = 200
LESSON_SESSIONS = 5


# --- helpers shared by the family ---------------------------------------------------------


def _records(state: State) -> list[dict[str, Any]]:
    """`recent_tools`, oldest first; includes this call's record once state_updater ran."""
    return state.doc["recent_tools"]


def _current_record(state: State) -> dict[str, Any] | None:
    records = _records(state)
    if records and records[-1].get("c") == state.call_index:
        return records[-1]
    return None


def _show(state: State, event: Event, path_key: str) -> str:
    """The display path of a `files` key (spec: display paths)."""
    if path_key == event.path_key and event.display_path:
        return event.display_path
    record = state.doc["files"].get(path_key)
    path = record.get("path") if isinstance(record, dict) else None
    return paths.display_path(path or path_key, event.project_root)


def _is_counted_failure(event: Event, state: State) -> bool:
    """Spec §4.4: a failure that is neither benign nor an interrupt."""
    if event.ok or event.is_interrupt:
        return False
    if state.call.get("benign_failure"):
        return False
    return not is_benign(event, state.common("benign_exit1_tools"))


# --- scratch_enforcer (55) ----------------------------------------------------------------


@hook("scratch_enforcer", matcher=".*", priority=55)
def scratch_enforcer(event: Event, state: State) -> Message | None:
    """Hand-repeated work that one script would do.

    `similar_commands` counts *distinct* commands (by `norm`) of one shape: the same command
    run again after each edit is an edit-run loop, and a script would not replace it.
    """
    if event.is_subagent:
        return None
    if event.family == "bash":
        return _similar_commands(event, state)
    if event.family == "edit" and event.ok:
        return _same_edit(event, state)
    return None


def _similar_commands(event: Event, state: State) -> Message | None:
    facts = event.command_facts
    shape = event.cmd_shape
    if facts is None or not shape or facts.read_only or facts.kinds & SIMILAR_EXCLUDED_KINDS:
        return None
    window = state.cfg("window", 8)
    threshold = state.cfg("similar_commands", 5)
    first = state.call_index - window
    norms = {c["c"]: c.get("norm", "") for c in state.doc["commands"]}
    norms[state.call_index] = event.cmd_norm
    calls = [
        r["c"]
        for r in _records(state)
        if r["c"] > first and r["fam"] == "bash" and r["shape"] == shape
    ]
    matched = {norms.get(c, f"#{c}") for c in calls} | {event.cmd_norm}
    key = f"similar_commands:{shape}"
    if len(matched) < threshold or not state.ready(key, calls=state.cfg("cooldown_calls", 20)):
        return None
    count = _repeated_work(event, state, calls)
    if count < threshold:
        return None
    state.mark(key)
    return Message(
        f"{count} similar `{shape} …` commands in the last {window} calls; one small "
        "script or loop can do the rest in a single call.",
        "info",
    )


def _repeated_work(event: Event, state: State, calls: list[int]) -> int:
    """How many of these commands are one job with trivially varying arguments: distinct
    hand-written text (`gh issue close 22 --comment "…"`) makes each command its own work."""
    from posttool.lib.repetition import repeated_count

    texts = {c["c"]: c.get("cmd") or c.get("norm", "") for c in state.doc["commands"]}
    texts[state.call_index] = event.command
    return repeated_count([texts.get(c, "") for c in calls] + [event.command])


def _same_edit(event: Event, state: State) -> Message | None:
    record = _current_record(state)
    pair = record.get("pair") if record else None
    if not pair:
        pair = [h(event.old_text), h(event.new_text)]
    window = state.cfg("edit_window", 10)
    first = state.call_index - window
    files: dict[str, None] = {}
    for r in _records(state):
        if r["c"] > first and r["ok"] and r["fam"] == "edit" and r["pair"] == pair and r["path"]:
            files[r["path"]] = None
    if event.path_key:
        files[event.path_key] = None
    key = f"same_edit:{pair[0]}:{pair[1]}"
    if len(files) < state.cfg("same_edit_files", 3):
        return None
    if not state.ready(key, calls=state.cfg("cooldown_calls", 20)):
        return None
    state.mark(key)
    shown = join_limited([f"`{_show(state, event, k)}`" for k in files], 3)
    return Message(
        f"The same replacement was applied by hand to {len(files)} files ({shown}); do the "
        "remaining ones with one scripted replace, then review the diff.",
        "info",
    )


# --- auto_learn (60) ----------------------------------------------------------------------


@hook("auto_learn", matcher=".*", priority=60, writes=("learn",), stores=("lessons",))
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
    text, excerpt = lesson_text(event, sig)
    store = state.store("lessons")
    entry = store.get(sig)
    session = event.session_key
    message = None
    if isinstance(entry, dict):
        sessions = [s for s in entry.get("sessions") or [] if isinstance(s, str)]
        if session not in sessions and state.ready(
            sig, seconds=state.cfg("surface_cooldown_s", 3600)
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


def _lesson_message(state: State, entry: dict[str, Any], fallback: str) -> Message:
    count = _int(entry.get("count"))
    last_seen = entry.get("last_seen")
    elapsed = state.now - last_seen if isinstance(last_seen, (int, float)) else 0.0
    lesson = entry.get("text") if isinstance(entry.get("text"), str) else ""
    text = f"Seen before in this project ({count}×, last {age(elapsed)} ago): {lesson or fallback}"
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
    threshold = state.cfg("lint_recurrence", 3)
    reached: list[tuple[str, int, str]] = []
    for code in dict.fromkeys(c for c in codes if isinstance(c, str) and c):
        counts[code] = counts.get(code, 0) + 1
        if counts[code] >= threshold and state.ready(f"lint:{code}", seconds=86400):
            reached.append((code, counts[code], _ruff_message(state, event, code)))
    if not reached:
        return None
    store = state.store("lessons")
    session = event.session_key
    for code, _, ruff_message in reached:
        state.mark(f"lint:{code}")
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


def lesson_text(event: Event, sig: str) -> tuple[str, str]:
    """(lesson, excerpt) for a failure: the first matching pattern of spec §4.20."""
    text = event.error_text
    found = _missing_module(text)
    if found:
        module, at = found
        return (
            f"`{module}` is not importable by the interpreter `{_interpreter(event)}` used; "
            "install it or use the project's environment.",
            _line_at(text, at),
        )
    # Each pattern below is tried only when its literal is present: most failures then never
    # need the regex engine (~6 ms of imports).
    match = "cannot import name '" in text and re.search(
        r"ImportError: cannot import name '(\w+)' from '([\w.]+)'", text
    )
    if match:
        return (
            f"`{match[2]}` has no `{match[1]}` in the installed version.",
            _line_at(text, match.start()),
        )
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
    from posttool.lib.commands import error_line

    return sig, one_line(error_line(event.error_body or text), LESSON_CHARS)


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


# --- velocity_tracker (65) ----------------------------------------------------------------


@hook("velocity_tracker", matcher="Read|Edit|Write|Bash|Glob|Grep", priority=65)
def velocity_tracker(event: Event, state: State) -> Message | None:
    """Spinning: undone edits, edit-run cycles that keep failing, identical failures and
    re-reads of unchanged files. Works from state only; reads no file."""
    if event.is_subagent:
        return None
    for detector in (_back_and_forth, _churn, _repeat_error, _reread):
        found = detector(event, state)
        if found is not None:
            key, message = found
            if state.ready(key, calls=state.cfg("cooldown_calls", 10)):
                state.mark(key)
                return message
    return None


def _is_edit(record: dict[str, Any], path_key: str) -> bool:
    return record["fam"] in EDIT_FAMILIES and record["ok"] and record["path"] == path_key


def _back_and_forth(event: Event, state: State) -> tuple[str, Message] | None:
    undone = state.call.get("revert_of")
    if undone is None or not event.path_key:
        return None
    path = _show(state, event, event.path_key)
    return f"back_and_forth:{event.path_key}", Message(
        f"{path}: this edit undoes the one from {state.call_index - undone} calls ago. Decide "
        "which version is right, and why, before editing again.",
        "warn",
    )


def _churn(event: Event, state: State) -> tuple[str, Message] | None:
    if not (event.ok and event.family in EDIT_FAMILIES and event.path_key):
        return None
    window = state.cfg("churn_window", 10)
    recent = [r for r in _records(state) if r["c"] > state.call_index - window]
    edits = sum(1 for r in recent if _is_edit(r, event.path_key))
    failed = sum(1 for r in recent if r["sig"])
    if edits < state.cfg("churn_edits", 4) or failed < state.cfg("churn_failures", 2):
        return None
    path = _show(state, event, event.path_key)
    return f"churn:{event.path_key}", Message(
        f"{path} edited {edits} times in the last {window} calls while commands keep failing. "
        "Step back: re-read the error and the code path, and form one hypothesis before the "
        "next edit.",
        "warn",
    )


def _repeat_error(event: Event, state: State) -> tuple[str, Message] | None:
    sig = state.call.get("error_sig")
    if event.ok or not sig:
        return None
    window = _records(state)[-state.cfg("window_calls", 12) :]
    same = [r for r in window if r["sig"] == sig]
    if len(same) < state.cfg("repeat_error_count", 3):
        return None
    from posttool.lib.commands import error_line

    excerpt = one_line(error_line(event.error_body or event.error_text), 100).replace("`", "'")
    first = same[0]["c"]
    edited = any(r["c"] > first and r["fam"] in EDIT_FAMILIES and r["ok"] for r in window)
    if edited:
        text = (
            f"{len(same)} edit→run cycles ended in the same error: `{excerpt}`. The edits are "
            "not reaching the cause; re-read the full error, check the assumption behind the "
            "fix, or try a different approach."
        )
    else:
        text = (
            f"The same failure {len(same)} times: `{excerpt}`. Re-running will not change it; "
            "change something first."
        )
    return f"repeat_error:{sig}", Message(text, "action")


def _reread(event: Event, state: State) -> tuple[str, Message] | None:
    key = event.path_key
    if not (event.ok and event.read_is_complete and state.call.get("read_unchanged") and key):
        return None
    window = _records(state)[-state.cfg("window_calls", 12) :]
    last_edit = max((r["c"] for r in window if _is_edit(r, key)), default=0)
    reads = [
        r
        for r in window
        if r["fam"] == "read" and r["ok"] and r["path"] == key and r["c"] > last_edit
    ]
    if len(reads) < state.cfg("reread_count", 3):
        return None
    span = state.call_index - reads[0]["c"] + 1
    path = _show(state, event, key)
    return f"reread:{key}", Message(
        f"{path} was read {len(reads)} times in {span} calls and has not changed; work from "
        "what you already read.",
        "info",
    )


# --- info_gain_tracker (70) ---------------------------------------------------------------

PROGRESS_TOOLS = ("AskUserQuestion", "ExitPlanMode", "TodoWrite")


@hook("info_gain_tracker", matcher=".*", priority=70, writes=("info_gain",))
def info_gain_tracker(event: Event, state: State) -> Message | None:
    """Long runs of reading and searching with no action. Fires at 12, 24, … weighted reads.

    The message names the 4 files read most recently (in reading order), then `…` if there
    were more.
    """
    if event.is_subagent:
        return None
    if event.permission_mode == "plan" and state.cfg("skip_in_plan_mode", True):
        return None
    gain = state.doc["info_gain"]
    family = event.family
    facts = event.command_facts
    if (
        (event.ok and family in EDIT_FAMILIES)
        or (family == "bash" and facts is not None and not facts.read_only)
        or family in ("agent", "todo")
        or event.tool_name in PROGRESS_TOOLS
    ):
        gain["reads_since_progress"] = 0
        gain["files"] = []
        gain["warned_at"] = 0
        return None
    if not (
        family in ("read", "search", "web_fetch", "web_search")
        or (family == "bash" and facts is not None and facts.read_only)
    ):
        return None
    weight = state.cfg("unchanged_weight", 2) if state.call.get("read_unchanged") else 1
    gain["reads_since_progress"] += weight
    if family == "read" and event.display_path:
        files = [f for f in gain["files"] if f != event.display_path]
        files.append(event.display_path)
        gain["files"] = files[-10:]
    count = gain["reads_since_progress"]
    warn_reads = state.cfg("warn_reads", 12)
    if count < warn_reads or count < gain["warned_at"] + warn_reads:
        return None
    gain["warned_at"] = count
    files = [f"`{path}`" for path in gain["files"]]
    shown = join_limited(files[-4:], 4) + (", …" if len(files) > 4 else "")
    listed = f" ({shown})" if files else ""
    severity = "warn" if count >= state.cfg("strong_reads", 20) else "info"
    return Message(
        f"{count} read/search calls since the last edit or command{listed}. If you know enough, "
        "act; otherwise name the one question the next read must answer.",
        severity,
    )


# --- beads_auto_sync (72) -----------------------------------------------------------------


@hook(
    "beads_auto_sync",
    matcher="Bash",
    priority=72,
    events=SUCCESS_ONLY,
    may_spawn=True,
    enabled=False,
)
def beads_auto_sync(event: Event, state: State) -> Message | None:
    """After a successful commit or push in a beads project, start `bd sync` detached.

    Opt-in (`bd sync` may commit and push). Never waits and keeps no handle to the child.
    """
    if not event.ok or event.background:
        return None
    committed = isinstance(event.git_commit, dict) and event.git_commit.get("kind") == "committed"
    if not (committed or event.command_kinds & {"git_commit", "git_push"}):
        return None
    if "--dry-run" in event.command or "bd sync" in event.command:
        return None
    root = event.project_root
    if not os.path.isdir(os.path.join(root, ".beads")):
        return None
    bd_cmd = state.cfg("bd_cmd", ["bd"])
    if not bd_cmd or not all(isinstance(part, str) for part in bd_cmd):
        return None
    if not state.ready("sync", seconds=state.cfg("cooldown_s", 300)):
        return None
    import shutil

    executable = shutil.which(bd_cmd[0])
    if executable is None:
        return None
    if not _spawn_detached([executable, *bd_cmd[1:], "sync"], root):
        return None
    state.mark("sync")
    if not state.cfg("announce", True):
        return None
    return Message("Started `bd sync` in the background after the commit.", "info")


def _spawn_detached(argv: list[str], cwd: str) -> bool:
    import subprocess

    options: dict[str, Any] = {}
    if os.name == "nt":
        options["creationflags"] = (
            subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        )
    else:
        options["start_new_session"] = True
    try:
        subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            **options,
        )
    except (OSError, ValueError) as exc:
        from posttool.lib.log import log

        log(f"beads_auto_sync: cannot start {argv[0]} sync: {exc}")
        return False
    return True
