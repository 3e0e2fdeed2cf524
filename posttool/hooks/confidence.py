"""The confidence hooks (spec §4.2-4.5): confidence_decay, confidence_reducer,
confidence_increaser and thinking_quality_boost; the score itself is in lib/confidence.py."""

from __future__ import annotations

from posttool.api import BOTH_EVENTS, hook
from posttool.lib import confidence
from posttool.lib.config import declare
from posttool.lib.event import is_benign
from posttool.lib.fast.lazy import re
from posttool.lib.outcomes import (
    EDIT_FAMILIES,
    JS_EXTENSIONS,
    PY_EXTENSIONS,
    counted_failure,
    is_code_file,
    is_test_path,
    scan_text,
    tests_passed,
)
from posttool.lib.text import h

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.message import Message
    from posttool.lib.state import State

EVIDENCE_FAMILIES = ("read", "search", "web_search", "web_fetch", "agent")
READ_ONLY_KINDS = frozenset({"inspect", "noop"})
LINT_KINDS = frozenset({"lint", "typecheck"})
PY_SILENT_EXCEPT = (
    r"^[ \t]*except[ \t]*(\(?[ \t]*(Base)?Exception[ \t]*\)?([ \t]+as[ \t]+\w+)?)?[ \t]*:"
    r"([ \t]*(pass|\.\.\.)[ \t]*$|[ \t]*(#[^\n]*)?\n[ \t]*(pass|\.\.\.)[ \t]*$)"
)
JS_SILENT_CATCH = r"\bcatch\s*(\([^()\n]*\))?\s*\{\s*\}"
BACKUP_NAME = r"\.(bak|orig|old|backup)$|[._-](old|new|copy|backup|v\d+)\.\w+$"
GIT_COMMIT_LINE = r"^\[[^\]]+ [0-9a-f]{7,}\]"
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


def _rule_defaults() -> dict[str, Any]:
    """`confidence.<group>.<name>.{enabled,delta,cooldown_calls}` (spec §3.6) and the rest."""
    declared: dict[str, Any] = {}
    for group, rules in (("reducers", REDUCERS), ("increasers", INCREASERS)):
        for name, delta, cooldown in rules:
            declared[f"{group}.{name}.enabled"] = True
            declared[f"{group}.{name}.delta"] = delta
            declared[f"{group}.{name}.cooldown_calls"] = cooldown
    for name, every in EVERY.items():
        declared[f"reducers.{name}.every"] = every
    declared["increasers.targeted_read.min_total_lines"] = 300
    return declared


# Shared by the three confidence hooks, so declared under `confidence.`, not under one hook.
declare(_rule_defaults(), "confidence", prefix="confidence.")


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


def rule_setting(state: State, group: str, name: str, key: str) -> Any:
    return state.config.get(f"confidence.{group}.{name}.{key}")


def _every(state: State, name: str, value: int) -> bool:
    every = rule_setting(state, "reducers", name, "every")
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
    if code and _every(state, "unverified_edits", _own_unverified_edits(state)):
        fired.append("unverified_edits")
    return fired


def _own_unverified_edits(state: State) -> int:
    """The main model's code edits since its own last check (its sub-agents' edits and checks
    are theirs: lib/verification.py); these hooks speak to the main model only."""
    from posttool.lib.verification import agent_record

    return int(agent_record(state.doc["verification"], "")["edits"])


def _run_rule(event: Event, state: State, group: str, name: str, delta: int) -> int | None:
    """Apply one rule if enabled and off cooldown: the applied delta, or None if it did not
    fire."""
    if not rule_setting(state, group, name, "enabled"):
        return None
    cooldown = rule_setting(state, group, name, "cooldown_calls")
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
    for name, _, _ in REDUCERS:
        if name not in triggered:
            continue
        delta = rule_setting(state, "reducers", name, "delta")
        if delta >= 0:
            continue
        applied = _run_rule(event, state, "reducers", name, int(delta))
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
    min_lines = rule_setting(state, "increasers", "targeted_read", "min_total_lines")
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
    delta = rule_setting(state, "increasers", name, "delta")
    if delta <= 0:
        return False
    applied = _run_rule(
        event, state, "increasers", name, confidence.boosted(int(delta), multiplier)
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
    defaults={
        "max_per_turn": 6,
        "max_per_call": 3,
        "tail_bytes": 65536,
        "min_block_chars": 200,
        "max_blocks": 3,
        "max_per_block": 2,
    },
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
        per_turn = int(state.cfg("max_per_turn"))
        points = min(
            points, int(state.cfg("max_per_call")), max(0, per_turn - thinking["turn_points"])
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
        event.transcript_path or "", size, int(state.cfg("tail_bytes")), '"thinking"'
    )
    oldest = state.doc["created_at"] - 5
    min_chars = int(state.cfg("min_block_chars"))
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
    max_blocks = int(state.cfg("max_blocks"))
    per_block = int(state.cfg("max_per_block"))
    scored = blocks[-max_blocks:] if max_blocks > 0 else []
    return sum(score_block(text, per_block) for _, text in scored)
