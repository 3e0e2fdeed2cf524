"""The state family's record-keeping (spec §4.4): `state_updater` (10) records the call in the
session document and sets the call facts every later hook reads. It never emits.

The confidence hooks of the same family are in `hooks/confidence.py`; what both read about a
call's outcome is in `lib/outcomes.py`.
"""

from __future__ import annotations

import sys

from posttool.api import BOTH_EVENTS, hook
from posttool.lib.event import is_benign
from posttool.lib.fast.lazy import re
from posttool.lib.outcomes import (
    EDIT_FAMILIES,
    JS_EXTENSIONS,
    PY_EXTENSIONS,
    counted_failure,
    is_code_file,
    scan_text,
    tests_passed,
)
from posttool.lib.schema import FILE_RECORD, default_of
from posttool.lib.text import clip, h

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.message import Message
    from posttool.lib.state import State

STATE_SECTIONS = (
    "counters",
    "turn",
    "files",
    "commands",
    "tools_run",
    "errors",
    "libraries",
    "verification",
    "ui",
    "recent_tools",
)
FILE_FAMILIES = ("read", "write", "edit")

# Patterns are plain strings: `re` compiles and caches only those an event needs.
PY_IMPORT = r"^\s*(?:from|import)\s+([A-Za-z_]\w*)"
JS_IMPORT = r"""\bfrom\s*(['"])([^'"\n]+)\1|\brequire\(\s*(['"])([^'"\n]+)\3\s*\)"""
SCREENSHOT_TOOL = r"mcp__.*(screenshot|snapshot).*"
SCREENSHOT_COMMAND = r"\bscreenshot\b|--screenshot\b"


# --- state_updater -------------------------------------------------------------------------


@hook(
    "state_updater",
    matcher=".*",
    priority=10,
    events=BOTH_EVENTS,
    writes=STATE_SECTIONS,
    budget_ms=150,
)
def state_updater(event: Event, state: State) -> Message | None:
    """Record the call (spec §4.4) and set the call facts. Never emits."""
    benign = is_benign(event, state.common("benign_exit1_tools"))
    state.call["benign_failure"] = benign
    counted = counted_failure(event, benign)
    sig = event.error_sig if counted else None
    _update_counters(event, state, counted)
    _update_files(event, state)
    previous_command = state.doc["commands"][-1] if state.doc["commands"] else None
    _update_commands(event, state, benign, sig)
    _update_errors(event, state, sig, previous_command)
    _update_verification(event, state, benign)
    _update_libraries(event, state)
    _update_ui(event, state)
    _append_tool_record(event, state, sig)
    return None


def _update_counters(event: Event, state: State, counted: bool) -> None:
    counters = state.doc["counters"]
    counts = counters["tool_counts"]
    counts[event.tool_name] = counts.get(event.tool_name, 0) + 1
    if counted:
        counters["failures"] += 1
        counters["consecutive_failures"] += 1
    elif event.ok:
        counters["consecutive_failures"] = 0
    if event.is_subagent:
        return
    turn = state.doc["turn"]
    family = event.family
    facts = event.command_facts
    if family in ("read", "search") or (family == "bash" and facts is not None and facts.read_only):
        turn["reads"] += 1
    elif family in EDIT_FAMILIES and event.ok:
        turn["edits"] += 1
    elif family == "agent":
        turn["agent_calls"] += 1


def _update_files(event: Event, state: State) -> None:
    if event.family not in FILE_FAMILIES or not event.ok or not event.path_key:
        return
    c = event.call_index
    files = state.doc["files"]
    record = files.pop(event.path_key, None)  # re-inserted last: most recently touched
    if record is None:
        record = default_of(FILE_RECORD)
    files[event.path_key] = record
    record["path"] = event.file_path or event.path_key
    record["last"] = c
    if event.family == "read":
        record["reads"] += 1
        record["range_reads" if event.read_is_range else "full_reads"] += 1
        record["last_read_call"] = c
        if event.read_is_complete and event.read_hash:
            record["last_read_hash"] = event.read_hash
        return
    pair = _edit_pair(event)
    if pair[0] == "w" and pair[1] is None:
        record["creates"] += 1
    else:
        record["edits"] += 1
    undone = _undone_call(record["pairs"], pair)
    state.call["revert_of"] = None if undone is None or _removes_debug_output(event) else undone
    record["pairs"].append(pair)
    record["last_edit_call"] = c
    record["edit_calls"].append(c)
    state.doc["counters"]["last_edit_call"] = c
    started = state.doc["turn"]["started_call"]
    state.call["file_edits_this_turn"] = sum(1 for call in record["edit_calls"] if call >= started)
    if event.is_python:
        _record_syntax(event, state, record)


def _edit_pair(event: Event) -> list[Any]:
    """`["w", old, new, c]` for a Write (old is null for a create), `["e", …]` for an edit."""
    c = event.call_index
    if event.family == "write":
        kind = event.write_kind or ("update" if event.content_before is not None else "create")
        old = h(event.content_before or "") if kind == "update" else None
        return ["w", old, h(event.content_after or ""), c]
    return ["e", h(event.old_text), h(event.new_text), c]


def _removes_debug_output(event: Event) -> bool:
    """The undoing edit only takes out temporary debug output the earlier one added (a print
    added to look at a value, then removed): cleanup, not going back and forth."""
    from posttool.lib.linechecks import removes_only_debug_output

    if event.family == "edit":
        return removes_only_debug_output(event.old_text or "", event.new_text or "")
    before, after = event.content_before, event.content_after
    return before is not None and after is not None and removes_only_debug_output(before, after)


def _undone_call(pairs: list[list[Any]], pair: list[Any]) -> int | None:
    """The call of the most recent earlier edit of the file that this one undoes."""
    kind, old, new, _ = pair
    for earlier in reversed(pairs):
        if len(earlier) != 4 or earlier[0] != kind:
            continue
        if kind == "e" and old == earlier[2] and new == earlier[1]:
            return earlier[3]
        if kind == "w" and earlier[1] is not None and new == earlier[1]:
            return earlier[3]
    return None


def _record_syntax(event: Event, state: State, record: dict[str, Any]) -> None:
    tree, error = event.py_parse()
    if tree is None and error is None:
        return  # unknown (e.g. an Edit whose result could not be rebuilt): leave it as it was
    if error is not None:
        state.call["syntax_error"] = error
        record["syntax_ok"] = False
        return
    state.call["syntax_fixed"] = record["syntax_ok"] is False
    record["syntax_ok"] = True


def _update_commands(event: Event, state: State, benign: bool, sig: str | None) -> None:
    if event.family != "bash":
        return
    c = event.call_index
    state.doc["commands"].append(
        {
            "c": c,
            "cmd": event.command[:300],
            "norm": event.cmd_norm,
            "kinds": sorted(event.command_kinds),
            "ok": event.ok,
            "exit": event.exit_code,
            "sig": sig,
            "benign": benign,
        }
    )
    facts = event.command_facts
    if facts is None:
        return
    from posttool.lib.commands import task_roles

    tools_run = state.doc["tools_run"]
    for words in facts.words:
        if not words:
            continue
        keys = (words[0], f"{words[0]} {words[1]}") if len(words) > 1 else (words[0],)
        for key in keys:
            tools_run.pop(key, None)
            tools_run[key] = c
        for role in task_roles(words):
            tools_run.pop(f"task:{role}", None)
            tools_run[f"task:{role}"] = c


def _update_errors(
    event: Event, state: State, sig: str | None, previous: dict[str, Any] | None
) -> None:
    c = event.call_index
    errors = state.doc["errors"]
    if sig is not None:
        record = next((e for e in errors if e["sig"] == sig), None)
        if record is None:
            record = {
                "sig": sig,
                "tool": event.tool_name,
                "text": "",
                "first_call": c,
                "last_call": c,
                "count": 0,
                "norm": None,
                "path": None,
                "resolved_call": None,
            }
            errors.append(record)
        record["count"] += 1
        record["last_call"] = c
        record["tool"] = event.tool_name
        record["text"] = clip((event.error_text or "").strip(), 300)
        record["resolved_call"] = None  # seen again: open again
        if event.family == "bash":
            record["norm"] = event.cmd_norm
        elif event.path_key:
            record["path"] = event.path_key
        state.call["error_sig"] = sig
        state.call["error_repeat"] = record["count"]
        if (
            event.family == "bash"
            and previous is not None
            and previous["norm"] == event.cmd_norm
            and not previous["ok"]
            and previous["sig"] is not None
            and state.doc["counters"]["last_edit_call"] < previous["c"]
        ):
            state.call["blind_retry"] = True
        return
    if not event.ok:
        return
    resolved = []
    for record in errors:
        if record["resolved_call"] is not None:
            continue
        same_command = event.family == "bash" and record["norm"] == event.cmd_norm
        same_file = (
            event.family in FILE_FAMILIES
            and bool(event.path_key)
            and (record["path"] == event.path_key)
        )
        if (same_command and event.cmd_norm) or same_file:
            record["resolved_call"] = c
            resolved.append(record["sig"])
    state.call["resolved"] = resolved


def _update_verification(event: Event, state: State, benign: bool) -> None:
    verification = state.doc["verification"]
    if event.family == "bash" and event.command_facts is not None:
        facts = event.command_facts
        interrupted = event.is_interrupt or event.interrupted
        if facts.verification and not interrupted and not event.background:
            from posttool.lib.verification import record_check

            state.call["edits_since_verify_before"] = verification["edits_since_verify"]
            verification.update(
                last_verify_call=event.call_index, edits_since_verify=0, files_since_verify=[]
            )
            tests_first = record_check(verification, event, facts)
            if "test" in facts.kinds:
                _record_test(event, state, tests_passed(event, benign), tests_first)
        elif "run" in facts.kinds and not interrupted and not event.background:
            _record_program_run(event, state)
        return
    if event.family in EDIT_FAMILIES and event.ok and is_code_file(event, state):
        _record_agent_edit(event, state)
        verification["edits_since_verify"] += 1
        files = verification["files_since_verify"]
        path = event.display_path or event.path_key or ""
        if path in files:
            files.remove(path)
        files.append(path)


def _record_program_run(event: Event, state: State) -> None:
    """Running the program the agent just edited (`python report.py`, `go run .`) checks those
    edits as a script without tests can be checked."""
    agents = state.doc["verification"].get("agents")
    record = agents.get(event.subagent_id or "") if isinstance(agents, dict) else None
    if not isinstance(record, dict) or not record.get("edits"):
        return  # nothing of this agent's to check: the module is not even imported
    from posttool.lib.verification import record_program_run

    record_program_run(state.doc["verification"], event)


def _record_agent_edit(event: Event, state: State) -> None:
    """The edit counts for the agent that made it, unless it is in a skip path (generated or
    vendored code, `node_modules/`, `dist/`)."""
    from posttool.lib.paths_match import is_skip_path, is_test_path, match_path
    from posttool.lib.verification import record_edit

    path = match_path(event)
    if not is_skip_path(state, path):
        record_edit(state.doc["verification"], event, is_test_path(state, path))


def _record_test(event: Event, state: State, passed: bool | None, tests_first: bool) -> None:
    verification = state.doc["verification"]
    previous_call = verification["last_test_call"]
    previous_ok = verification["last_test_ok"]
    verification["last_test_call"] = event.call_index
    verification["last_test_cmd"] = event.cmd_norm
    if passed is True:
        verification.update(last_test_ok=True, fix_iterations=0)
    elif passed is False:
        if previous_ok is not False:
            verification["fix_iterations"] = 1
        elif previous_call is not None and state.doc["counters"]["last_edit_call"] > previous_call:
            verification["fix_iterations"] += 1
        verification.update(last_test_ok=False, last_failed_test_call=event.call_index)
    _record_fail_streak(event, state, passed, tests_first)


def _record_fail_streak(
    event: Event, state: State, passed: bool | None, tests_first: bool = False
) -> None:
    """Failures counted per test run (`commands.run_under_test`), so that "X has failed N times" is
    about X. A pass clears its own run's count; a pass of the whole suite (a run that names no
    target, such as `pytest -q`) clears every count. A first failure right after only test
    files were edited is the red step of test-first work and starts the count at 0."""
    if passed is None or event.command_facts is None:
        return
    from posttool.lib.commands import run_under_test

    verification = state.doc["verification"]
    streaks = verification.setdefault("fail_streaks", {})  # a file from before the field
    agent = event.subagent_id or ""
    key = run_under_test(event.command_facts)
    if agent:  # a sub-agent's runs are its own: another agent never hears of them
        key = f"{agent} {key}"
    if passed:
        if _names_no_target(event.command_facts):
            streaks.clear()
        streaks.pop(key, None)
        return
    streak = streaks.pop(key, None)
    if not isinstance(streak, dict) or not isinstance(streak.get("n"), int):
        streak = {"n": 0 if tests_first else 1, "call": None, "cmd": ""}
    elif isinstance(streak.get("call"), int) and (
        state.doc["counters"]["last_edit_call"] > streak["call"]
    ):
        streak["n"] += 1
    streak.update(call=event.call_index, cmd=event.cmd_norm, agent=agent)
    streaks[key] = streak
    verification["fix_iterations"] = streak["n"]


def _names_no_target(facts: Any) -> bool:
    """`pytest -q`, `npm test`, `go test ./...`: the whole suite, not a chosen file or test."""
    from posttool.lib.commands import segment_kind

    for words in facts.words:
        if words and segment_kind(words) == "test":
            args = [w for w in words[1:] if not w.startswith("-") and ">" not in w]
            if any(a not in ("test", "tests", "run", "./...", ".") for a in args):
                return False
    return True


def python_imports(text: str) -> list[str]:
    """Top-level modules of `import x` / `from x import` lines (PY_IMPORT, without `re`)."""
    names = []
    for line in text.splitlines():
        stripped = line.lstrip()
        for keyword in ("import", "from"):
            if not stripped.startswith(keyword):
                continue
            rest = stripped[len(keyword) :]
            if not rest[:1].isspace():
                continue
            rest = rest.lstrip()
            end = 0
            while end < len(rest) and (rest[end].isalnum() or rest[end] == "_"):
                end += 1
            name = rest[:end]
            if name and (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
                names.append(name)
    return names


def _update_libraries(event: Event, state: State) -> None:
    if event.family not in EDIT_FAMILIES or not event.ok or not event.added_lines:
        return
    if event.ext in PY_EXTENSIONS:
        text = scan_text(event, state)
        stdlib = sys.stdlib_module_names
        names = [name for name in python_imports(text) if name not in stdlib]
    elif event.ext in JS_EXTENSIONS:
        text = scan_text(event, state)
        names = []
        for match in re.finditer(JS_IMPORT, text):
            target = match.group(2) or match.group(4) or ""
            if not target or target[0] in "./" or target.startswith("node:"):
                continue
            parts = target.split("/")
            names.append("/".join(parts[:2]) if target[0] == "@" else parts[0])
    else:
        return
    libraries = state.doc["libraries"]
    for name in names:
        if name and name not in libraries:
            libraries[name] = event.call_index


def _update_ui(event: Event, state: State) -> None:
    if not event.ok:
        return
    if event.family == "mcp":
        shot = re.fullmatch(SCREENSHOT_TOOL, event.tool_name, re.IGNORECASE) is not None
    elif event.family == "bash":  # the substring test spares most commands the regex engine
        shot = "screenshot" in event.command and bool(re.search(SCREENSHOT_COMMAND, event.command))
    else:
        return
    if shot:
        state.doc["ui"].update(last_screenshot_call=event.call_index, edits_since_shot=0, files=[])


def _append_tool_record(event: Event, state: State, sig: str | None) -> None:
    pair = None
    if event.family == "edit" and event.ok:
        pair = [h(event.old_text), h(event.new_text)]
    state.doc["recent_tools"].append(
        {
            "c": event.call_index,
            "turn": event.turn_index,
            "tool": event.tool_name,
            "fam": event.family,
            "path": event.path_key,
            "ok": event.ok,
            "kinds": sorted(event.command_kinds),
            "shape": event.cmd_shape,
            "sig": sig,
            "pair": pair,
            "unchanged": bool(state.call["read_unchanged"]),
            "agent": event.subagent_id or "",
        }
    )
