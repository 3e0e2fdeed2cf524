"""The state family of hooks (spec §4.4-4.8): the one pass that records what happened, and the
confidence score built on top of it.

- `state_updater` (10) records the call in the session document and sets the call facts every
  later hook reads. It never emits.
- `confidence_decay` (11), `confidence_reducer` (12), `confidence_increaser` (14) and
  `thinking_quality_boost` (16) move the confidence score through the limiter of
  `posttool.lib.confidence`; the last of them that runs reports the change.
"""

from __future__ import annotations

import sys

from posttool.lib import confidence
from posttool.lib.lazy import re
from posttool.lib.schema import FILE_RECORD, default_of
from posttool.lib.text import clip, h
from posttool.runner.event import is_benign
from posttool.runner.registry import BOTH_EVENTS, hook

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.message import Message
    from posttool.lib.state import State
    from posttool.runner.event import Event

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
EDIT_FAMILIES = ("write", "edit")
EVIDENCE_FAMILIES = ("read", "search", "web_search", "web_fetch", "agent")
READ_ONLY_KINDS = frozenset({"inspect", "noop"})
LINT_KINDS = frozenset({"lint", "typecheck"})
JS_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
PY_EXTENSIONS = (".py", ".pyi")
CHAIN_MASKS = ("||", ";", "\n")

# Patterns are plain strings: `re` compiles and caches only those an event needs.
PY_IMPORT = r"^\s*(?:from|import)\s+([A-Za-z_]\w*)"
JS_IMPORT = r"""\bfrom\s*(['"])([^'"\n]+)\1|\brequire\(\s*(['"])([^'"\n]+)\3\s*\)"""
SCREENSHOT_TOOL = r"mcp__.*(screenshot|snapshot).*"
SCREENSHOT_COMMAND = r"\bscreenshot\b|--screenshot\b"
PY_SILENT_EXCEPT = (
    r"^[ \t]*except[ \t]*(\(?[ \t]*(Base)?Exception[ \t]*\)?([ \t]+as[ \t]+\w+)?)?[ \t]*:"
    r"([ \t]*(pass|\.\.\.)[ \t]*$|[ \t]*(#[^\n]*)?\n[ \t]*(pass|\.\.\.)[ \t]*$)"
)
JS_SILENT_CATCH = r"\bcatch\s*(\([^()\n]*\))?\s*\{\s*\}"
BACKUP_NAME = r"\.(bak|orig|old|backup)$|[._-](old|new|copy|backup|v\d+)\.\w+$"
GIT_COMMIT_LINE = r"^\[[^\]]+ [0-9a-f]{7,}\]"
TEST_FAILED = (r"\b[1-9]\d* (failed|errors?)\b", r"^FAIL", r"test result: FAILED")
TEST_PASSED = (
    r"\b\d+ passed\b",
    r"Tests?:.*\b\d+ passed\b",
    r"^ok\s",
    r"test result: ok\.",
)
THINKING_CATEGORIES = (
    r"\b(I (read|checked|looked at|ran)|the (code|file|test|output|error|log|traceback) "
    r"(shows|says)|according to|line \d+)\b",
    r"\b(let me (verify|check|test|run)|to confirm|run the (tests?|check)|reproduce)\b",
    r"\b(root cause|the (bug|issue|problem) is|caused by|fails because|because the)\b",
)

# (name, delta, cooldown_calls); the first six are the failure class, at most one per call.
REDUCERS = (
    ("user_interrupt", -3, 3),
    ("test_failure", -6, 0),
    ("build_failure", -5, 0),
    ("lint_failure", -2, 0),
    ("bash_failure", -4, 0),
    ("tool_failure", -3, 0),
    ("repeated_error", -4, 3),
    ("blind_retry", -4, 0),
    ("failure_streak", -6, 0),
    ("edit_revert", -6, 5),
    ("edit_churn", -4, 0),
    ("syntax_error", -5, 0),
    ("stub_written", -3, 5),
    ("silent_except", -3, 5),
    ("backup_file", -4, 0),
    ("unverified_edits", -4, 0),
)
# The first three are one class (at most one per call).
INCREASERS = (
    ("test_pass", 5, 2),
    ("build_pass", 3, 3),
    ("lint_clean", 2, 3),
    ("failure_recovered", 5, 0),
    ("verified_after_edits", 2, 3),
    ("syntax_fixed", 2, 0),
    ("git_commit", 3, 5),
    ("targeted_read", 1, 3),
    ("agent_delegation", 2, 5),
    ("research", 1, 3),
    ("ask_user", 3, 5),
    ("plan_approved", 3, 10),
    ("todo_completed", 2, 2),
)
REDUCER_NAMES = frozenset(name for name, _, _ in REDUCERS)
# "reaches a multiple of N" thresholds, configurable as confidence.reducers.<name>.every.
EVERY = {"failure_streak": 3, "edit_churn": 6, "unverified_edits": 8}


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
    state.call["revert_of"] = _undone_call(record["pairs"], pair)
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
            state.call["edits_since_verify_before"] = verification["edits_since_verify"]
            verification.update(
                last_verify_call=event.call_index, edits_since_verify=0, files_since_verify=[]
            )
            if "test" in facts.kinds:
                _record_test(event, state, tests_passed(event, benign))
        return
    if event.family in EDIT_FAMILIES and event.ok and is_code_file(event, state):
        verification["edits_since_verify"] += 1
        files = verification["files_since_verify"]
        path = event.display_path or event.path_key or ""
        if path in files:
            files.remove(path)
        files.append(path)


def _record_test(event: Event, state: State, passed: bool | None) -> None:
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
    _record_fail_streak(event, state, passed)


def _record_fail_streak(event: Event, state: State, passed: bool | None) -> None:
    """Failures counted per test run (`commands.run_under_test`), so that "X has failed N times" is
    about X. A pass clears its own run's count; a pass of the whole suite (a run that names no
    target, such as `pytest -q`) clears every count."""
    if passed is None or event.command_facts is None:
        return
    from posttool.lib.commands import run_under_test

    verification = state.doc["verification"]
    streaks = verification.setdefault("fail_streaks", {})  # a file from before the field
    key = run_under_test(event.command_facts)
    if passed:
        if _names_no_target(event.command_facts):
            streaks.clear()
        streaks.pop(key, None)
        return
    streak = streaks.pop(key, None)
    if not isinstance(streak, dict) or not isinstance(streak.get("n"), int):
        streak = {"n": 1, "call": None, "cmd": ""}
    elif isinstance(streak.get("call"), int) and (
        state.doc["counters"]["last_edit_call"] > streak["call"]
    ):
        streak["n"] += 1
    streak.update(call=event.call_index, cmd=event.cmd_norm)
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
        shot = "screenshot" in event.command and re.search(SCREENSHOT_COMMAND, event.command)
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
        }
    )


# --- confidence_decay ----------------------------------------------------------------------


def is_evidence(event: Event) -> bool:
    """Successes of Read, search, WebSearch, WebFetch and Agent, and read-only Bash commands."""
    if not event.ok:
        return False
    if event.family in EVIDENCE_FAMILIES:
        return True
    facts = event.command_facts
    return event.family == "bash" and facts is not None and facts.read_only


@hook("confidence_decay", matcher=".*", priority=11, events=BOTH_EVENTS, writes=("confidence",))
def confidence_decay(event: Event, state: State) -> Message | None:
    """Slow decay, stronger at high confidence, offset by evidence gathering (spec §4.5)."""
    if event.is_subagent:
        return None
    conf = confidence.begin(event, state)
    factor = confidence.decay_factor(state, confidence.tier(conf["value"]))
    acc = conf["acc"] - confidence.setting(state, "confidence.decay_per_call") * factor
    if is_evidence(event):
        acc += confidence.setting(state, "confidence.evidence_credit")
    acc = round(acc, 9)
    whole = int(acc)  # truncated toward zero; the fraction is kept
    conf["acc"] = round(acc - whole, 9)
    if whole < 0:
        confidence.apply(event, state, "decay", whole)
    elif whole > 0:
        confidence.apply(event, state, "evidence", whole)
    return confidence.report_if_reporter(event, state)


# --- confidence_reducer --------------------------------------------------------------------


def rule_setting(state: State, group: str, name: str, key: str, default: Any) -> Any:
    return state.config.get(f"confidence.{group}.{name}.{key}", default)


def _every(state: State, name: str, value: int) -> bool:
    every = rule_setting(state, "reducers", name, "every", EVERY[name])
    return value > 0 and every > 0 and value % every == 0


def _failure_class(event: Event, benign: bool) -> str | None:
    if (not event.ok and event.is_interrupt) or (
        event.ok and event.family == "bash" and event.interrupted
    ):
        return "user_interrupt"
    if event.ok or benign:
        return None
    if event.family != "bash":
        return "tool_failure"
    kinds = event.command_kinds
    if "test" in kinds:
        return "test_failure"
    if kinds & {"build", "typecheck"}:
        return "build_failure"
    if kinds - READ_ONLY_KINDS == {"lint"}:
        return "lint_failure"
    return "bash_failure"


def reducer_triggers(event: Event, state: State) -> list[str]:
    """The reducer rules whose triggers hold for this call, in table order."""
    call = state.call
    benign = is_benign(event, state.common("benign_exit1_tools"))
    fired = []
    failure = _failure_class(event, benign)
    if failure:
        fired.append(failure)
    if (
        call["error_repeat"] >= 2
        and call["error_sig"]
        and any(
            e["sig"] == call["error_sig"] and e["resolved_call"] is None
            for e in state.doc["errors"]
        )
    ):
        fired.append("repeated_error")
    if call["blind_retry"]:
        fired.append("blind_retry")
    if counted_failure(event, benign) and _every(
        state, "failure_streak", state.doc["counters"]["consecutive_failures"]
    ):
        fired.append("failure_streak")
    if call["revert_of"] is not None:
        fired.append("edit_revert")
    if _every(state, "edit_churn", call["file_edits_this_turn"]):
        fired.append("edit_churn")
    if call["syntax_error"]:
        fired.append("syntax_error")
    if event.ok and event.family in EDIT_FAMILIES:
        fired.extend(_written_code_triggers(event, state))
    return fired


def _has_placeholder(text: str) -> bool:
    from posttool.lib.linechecks import is_placeholder

    return any(is_placeholder(line) for line in text.splitlines())


def _may_be_backup_name(name: str) -> bool:
    """Every BACKUP_NAME alternative needs one of these words or a digit (`v2`)."""
    lowered = name.lower()
    words = ("bak", "orig", "old", "new", "copy", "backup")
    return any(word in lowered for word in words) or any(c.isdigit() for c in name)


def _written_code_triggers(event: Event, state: State) -> list[str]:
    fired = []
    code = is_code_file(event, state)
    text = scan_text(event, state) if code else ""
    if code and _has_placeholder(text) and not is_test_path(event, state):
        fired.append("stub_written")
    # The substring tests spare most edits the regex engine.
    if (
        event.ext in PY_EXTENSIONS
        and "except" in text
        and re.search(PY_SILENT_EXCEPT, text, re.MULTILINE)
    ) or (event.ext in JS_EXTENSIONS and "catch" in text and re.search(JS_SILENT_CATCH, text)):
        fired.append("silent_except")
    if event.family == "write" and event.write_kind == "create" and event.file_path:
        name = event.file_path.replace("\\", "/").rsplit("/", 1)[-1]
        if _may_be_backup_name(name) and re.search(BACKUP_NAME, name):
            fired.append("backup_file")
    if code and _every(state, "unverified_edits", state.doc["verification"]["edits_since_verify"]):
        fired.append("unverified_edits")
    return fired


def _run_rule(
    event: Event, state: State, group: str, name: str, delta: int, cooldown: int
) -> int | None:
    """Apply one rule if enabled and off cooldown: the applied delta, or None if it did not
    fire."""
    if not rule_setting(state, group, name, "enabled", True):
        return None
    cooldown = rule_setting(state, group, name, "cooldown_calls", cooldown)
    if cooldown > 0 and not state.ready(name, calls=cooldown):
        return None
    return confidence.apply(event, state, name, delta)


@hook("confidence_reducer", matcher=".*", priority=12, events=BOTH_EVENTS, writes=("confidence",))
def confidence_reducer(event: Event, state: State) -> Message | None:
    """Deterministic penalties for failure and thrash signals (spec §4.6)."""
    if event.is_subagent:
        return None
    conf = confidence.begin(event, state)
    triggered = set(reducer_triggers(event, state))
    fired = False
    for name, delta, cooldown in REDUCERS:
        if name not in triggered:
            continue
        delta = rule_setting(state, "reducers", name, "delta", delta)
        if delta >= 0:
            continue
        applied = _run_rule(event, state, "reducers", name, int(delta), cooldown)
        if applied is None:
            continue
        fired = True
        if applied:
            state.mark(name)
    if fired:
        conf["streak"] = 0
    return confidence.report_if_reporter(event, state)


# --- confidence_increaser ------------------------------------------------------------------


def _success_class(event: Event, benign: bool) -> str | None:
    """`test_pass`, `build_pass` or `lint_clean`; "" when a masked test run showed no passing
    summary (then no increaser fires at all)."""
    if not event.ok or event.family != "bash" or event.background or event.interrupted:
        return None
    kinds = event.command_kinds
    if "test" in kinds:
        return "test_pass" if tests_passed(event, benign) is True else ""
    if "build" in kinds:
        return "build_pass"
    rest = kinds - READ_ONLY_KINDS
    if rest and rest <= LINT_KINDS:
        return "lint_clean"
    return None


def _todo_completed(event: Event) -> bool:
    response = event.tool_response if isinstance(event.tool_response, dict) else {}
    new, old = response.get("newTodos"), response.get("oldTodos")
    if not isinstance(new, list):
        return False
    done_before = (
        {
            item.get("content")
            for item in old or []
            if isinstance(item, dict) and item.get("status") == "completed"
        }
        if isinstance(old, list)
        else set()
    )
    return any(
        isinstance(item, dict)
        and item.get("status") == "completed"
        and item.get("content") not in done_before
        for item in new
    )


def increaser_triggers(event: Event, state: State) -> list[str]:
    """The additive increaser rules whose triggers hold, in table order (the class rule and
    `verified_after_edits`, which depends on it, are decided by the hook)."""
    if not event.ok:
        return []
    call = state.call
    fired = []
    if call["resolved"]:
        fired.append("failure_recovered")
    if call["syntax_fixed"]:
        fired.append("syntax_fixed")
    commit = event.git_commit or {}
    if commit.get("kind") == "committed" or (
        "git_commit" in event.command_kinds
        and re.search(GIT_COMMIT_LINE, event.stdout, re.MULTILINE)
    ):
        fired.append("git_commit")
    min_lines = rule_setting(state, "increasers", "targeted_read", "min_total_lines", 300)
    if (
        event.family == "read"
        and event.read_is_range
        and (event.read_total_lines or 0) >= (min_lines)
    ):
        fired.append("targeted_read")
    if event.family == "agent":
        fired.append("agent_delegation")
    if event.family == "web_search" or (
        event.family == "web_fetch" and event.http_code is not None and event.http_code < 400
    ):
        fired.append("research")
    if event.tool_name == "AskUserQuestion":
        fired.append("ask_user")
    if event.tool_name == "ExitPlanMode":
        fired.append("plan_approved")
    if event.family == "todo" and _todo_completed(event):
        fired.append("todo_completed")
    return fired


@hook("confidence_increaser", matcher=".*", priority=14, events=BOTH_EVENTS, writes=("confidence",))
def confidence_increaser(event: Event, state: State) -> Message | None:
    """Rewards for objective success signals (spec §4.7)."""
    if event.is_subagent:
        return None
    conf = confidence.begin(event, state)
    benign = is_benign(event, state.common("benign_exit1_tools"))
    success_class = _success_class(event, benign)
    if success_class == "":
        return confidence.report_if_reporter(event, state)
    multiplier = confidence.streak_multiplier(state, conf["streak"])
    fired_names = []
    names = increaser_triggers(event, state)
    if success_class and _fire_increaser(event, state, success_class, multiplier):
        fired_names.append(success_class)
        if state.call["edits_since_verify_before"] >= 1:
            # table order: failure_recovered, then verified_after_edits, then the rest
            at = 1 if names[:1] == ["failure_recovered"] else 0
            names.insert(at, "verified_after_edits")
    for name in names:
        if _fire_increaser(event, state, name, multiplier):
            fired_names.append(name)
    reduced = any(name in REDUCER_NAMES for name, _ in state.call["confidence_log"])
    if fired_names and not reduced:
        conf["streak"] += 1
    return confidence.report_if_reporter(event, state)


def _fire_increaser(event: Event, state: State, name: str, multiplier: float) -> bool:
    base = next(rule for rule in INCREASERS if rule[0] == name)
    delta = rule_setting(state, "increasers", name, "delta", base[1])
    if delta <= 0:
        return False
    applied = _run_rule(
        event, state, "increasers", name, confidence.boosted(int(delta), multiplier), base[2]
    )
    if applied is None:
        return False
    state.mark(name)
    return True


# --- thinking_quality_boost ----------------------------------------------------------------


@hook(
    "thinking_quality_boost",
    matcher=".*",
    priority=16,
    events=BOTH_EVENTS,
    writes=("confidence", "thinking"),
    budget_ms=100,
)
def thinking_quality_boost(event: Event, state: State) -> Message | None:
    """Reward new thinking blocks that cite evidence, plan verification or name a diagnosis
    (spec §4.8); then report the confidence change of this call."""
    if event.is_subagent:
        return None
    confidence.begin(event, state)
    thinking = state.doc["thinking"]
    if thinking["turn_key"] != event.turn_key:
        thinking.update(turn_key=event.turn_key, turn_points=0)
    from posttool.lib.transcript import size_of

    size = size_of(event.transcript_path)
    if size is not None and size != thinking["last_size"]:
        points = _score_new_blocks(event, state, size)
        per_turn = int(state.cfg("max_per_turn", 6))
        points = min(
            points, int(state.cfg("max_per_call", 3)), max(0, per_turn - thinking["turn_points"])
        )
        if points > 0:
            confidence.apply(event, state, "thinking_quality", points)
            thinking["turn_points"] += points
        thinking["last_size"] = size
    return confidence.report_if_reporter(event, state)


def new_thinking_blocks(event: Event, state: State, size: int) -> list[tuple[str, str]]:
    """(hash, text) of the unseen, long-enough thinking blocks of this session in the tail."""
    from posttool.lib.transcript import parse_timestamp, tail_entries

    entries = tail_entries(
        event.transcript_path or "", size, int(state.cfg("tail_bytes", 65536)), '"thinking"'
    )
    oldest = state.doc["created_at"] - 5
    min_chars = int(state.cfg("min_block_chars", 200))
    seen = set(state.doc["thinking"]["seen"])
    blocks: list[tuple[str, str]] = []
    for entry in entries:
        if entry.get("type") != "assistant":
            continue
        stamp = parse_timestamp(entry.get("timestamp"))
        if stamp is None or stamp < oldest:
            continue
        message = entry.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "thinking":
                continue
            text = block.get("thinking")
            if not isinstance(text, str) or len(text.strip()) < min_chars:
                continue
            digest = h(text)
            if digest not in seen:
                seen.add(digest)
                blocks.append((digest, text))
    return blocks


def score_block(text: str, max_per_block: int) -> int:
    """One point per category present (evidence, verification, diagnosis), capped."""
    points = sum(1 for pattern in THINKING_CATEGORIES if re.search(pattern, text, re.IGNORECASE))
    return min(points, max_per_block)


def _score_new_blocks(event: Event, state: State, size: int) -> int:
    blocks = new_thinking_blocks(event, state, size)
    state.doc["thinking"]["seen"].extend(digest for digest, _ in blocks)
    max_blocks = int(state.cfg("max_blocks", 3))
    per_block = int(state.cfg("max_per_block", 2))
    scored = blocks[-max_blocks:] if max_blocks > 0 else []
    return sum(score_block(text, per_block) for _, text in scored)
