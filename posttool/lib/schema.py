"""The session document (spec §3.2): defaults, coercion of what was loaded, and caps.

A template describes each field by its default value. Coercion keeps what has the right type,
resets what does not, and drops unknown keys, so a hand-edited or half-written file never
reaches a hook in a shape it does not expect.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
CONFIDENCE_START = 75


class MapOf:
    """A JSON object whose values all follow `item` (a template, a default value, or a type)."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


class ListOf:
    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


class Nullable:
    """A value that is None or of `kind` (int, float, str, bool)."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind


NUMBER = (int, float)

TOOL_RECORD = {
    "c": 0,
    "turn": 0,
    "tool": "",
    "fam": "",
    "path": Nullable(str),
    "ok": True,
    "kinds": ListOf(str),
    "shape": "",
    "sig": Nullable(str),
    "pair": Nullable(list),
    "unchanged": False,
    "agent": "",  # the sub-agent that made the call; "" for the main model
}
FILE_RECORD = {
    "path": "",
    "reads": 0,
    "full_reads": 0,
    "range_reads": 0,
    "last_read_call": Nullable(int),
    "last_read_hash": Nullable(str),
    "creates": 0,
    "edits": 0,
    "last_edit_call": Nullable(int),
    "edit_calls": ListOf(int),
    "pairs": ListOf(list),
    "syntax_ok": Nullable(bool),
    "last": 0,
}
COMMAND_RECORD = {
    "c": 0,
    "cmd": "",
    "norm": "",
    "kinds": ListOf(str),
    "ok": True,
    "exit": Nullable(int),
    "sig": Nullable(str),
    "benign": False,
}
ERROR_RECORD = {
    "sig": "",
    "tool": "",
    "text": "",
    "first_call": 0,
    "last_call": 0,
    "count": 0,
    "norm": Nullable(str),
    "path": Nullable(str),
    "resolved_call": Nullable(int),
}
# A test run's failures since it last passed, counted like `fix_iterations` (one per failure with
# edits before it), keyed by `commands.run_under_test`; `cmd` is the command as last run.
FAIL_STREAK = {"n": 0, "call": Nullable(int), "cmd": "", "agent": ""}
# One agent's (`""`: the main model) code edits since its last check (`test_edits` of them to
# test files, `new_tests` test files created), and its last test runs
# (`whole`: the run checks the whole project; else `targets`, see lib/verification.py).
TEST_RUN = {"cmd": "", "whole": False, "targets": ListOf(str)}
AGENT_CHECKS = {
    "edits": 0,
    "test_edits": 0,
    "new_tests": 0,
    "files": ListOf(str),
    "verify_call": Nullable(int),
    "runs": ListOf(TEST_RUN),
    "last": 0,
}
SCAN_RECORD = {"hash": "", "findings": ListOf(list), "complex": ListOf(list)}
HEALTH_RECORD = {
    "runs": 0,
    "errors": 0,
    "overruns": 0,
    "consecutive": 0,
    "suspended": False,
    "total_ms": 0.0,
    "max_ms": 0.0,
    "last_error": "",
}

SESSION_TEMPLATE: dict[str, Any] = {
    "schema": SCHEMA_VERSION,
    "session_id": "",
    "project_key": "",
    "created_at": 0.0,
    "updated_at": 0.0,
    "last_call_at": Nullable(float),
    "seen_tool_use_ids": ListOf(str),
    "turn": {
        "index": 0,
        "key": "",
        "started_call": 0,
        "started_at": 0.0,
        "reads": 0,
        "edits": 0,
        "agent_calls": 0,
    },
    "counters": {
        "calls": 0,
        "failures": 0,
        "consecutive_failures": 0,
        "last_edit_call": 0,
        "tool_counts": MapOf(int),
    },
    "recent_tools": ListOf(TOOL_RECORD),
    "files": MapOf(FILE_RECORD),
    "commands": ListOf(COMMAND_RECORD),
    "tools_run": MapOf(int),
    "errors": ListOf(ERROR_RECORD),
    "libraries": MapOf(int),
    "verification": {
        "last_verify_call": Nullable(int),
        "last_test_call": Nullable(int),
        "last_test_ok": Nullable(bool),
        "last_test_cmd": "",
        "last_failed_test_call": Nullable(int),
        "edits_since_verify": 0,
        "files_since_verify": ListOf(str),
        "fix_iterations": 0,
        "fail_streaks": MapOf(FAIL_STREAK),
        "agents": MapOf(AGENT_CHECKS),
    },
    "ui": {"edits_since_shot": 0, "files": ListOf(str), "last_screenshot_call": Nullable(int)},
    "confidence": {
        "value": CONFIDENCE_START,
        "tier": "certainty",
        "acc": 0.0,
        "streak": 0,
        "turn_key": "",
        "turn_up": 0,
        "turn_down": 0,
        "last_reported_value": CONFIDENCE_START,
        "last_reported_tier": "certainty",
        "last_report_call": Nullable(int),
        "pending": MapOf(list),
        "history": ListOf(list),
    },
    "cooldowns": MapOf(list),
    "thinking": {"seen": ListOf(str), "last_size": 0, "turn_key": "", "turn_points": 0},
    # reads_since_progress is weighted (an unchanged re-read counts twice); calls is the count
    "info_gain": {"reads_since_progress": 0, "files": ListOf(str), "warned_at": 0, "calls": 0},
    "scan": MapOf(SCAN_RECORD),
    "learn": {"lint_codes": MapOf(int)},
    "hook_health": MapOf(HEALTH_RECORD),
}

# (field path, cap) for every list and map (spec §3.2); overridable as state.caps.<field>.
DEFAULT_CAPS: dict[str, int] = {
    "seen_tool_use_ids": 64,
    "counters.tool_counts": 60,
    "recent_tools": 20,
    "files": 200,
    "files.edit_calls": 10,
    "files.pairs": 10,
    "commands": 30,
    "tools_run": 80,
    "errors": 20,
    "libraries": 100,
    "verification.files_since_verify": 20,
    "verification.fail_streaks": 10,
    "verification.agents": 10,
    "ui.files": 10,
    "confidence.pending": 20,
    "confidence.history": 20,
    "cooldowns": 300,
    "thinking.seen": 200,
    "info_gain.files": 10,
    "scan": 50,
    "scan.findings": 50,
    "learn.lint_codes": 50,
}


def is_known_schema(value: Any) -> bool:
    """Exactly a version this posttool writes: `1`, never `1.0`, `"1"`, `true` or `2`."""
    return type(value) is int and value == SCHEMA_VERSION


def default_of(spec: Any) -> Any:
    if isinstance(spec, dict):
        return {key: default_of(value) for key, value in spec.items()}
    if isinstance(spec, MapOf):
        return {}
    if isinstance(spec, ListOf):
        return []
    if isinstance(spec, Nullable):
        return None
    return spec


def new_session(session_id: str, project_key: str, now: float) -> dict[str, Any]:
    doc = default_of(SESSION_TEMPLATE)
    doc["session_id"] = session_id
    doc["project_key"] = project_key
    doc["created_at"] = now
    doc["updated_at"] = now
    return doc


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, NUMBER) and not isinstance(value, bool)
    return isinstance(value, type(default))


def coerce(value: Any, spec: Any) -> Any:
    """`value` reshaped to `spec`: wrong types become defaults, unknown keys are dropped."""
    if isinstance(spec, dict):
        source = value if isinstance(value, dict) else {}
        return {key: coerce(source.get(key, _MISSING), sub) for key, sub in spec.items()}
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return {}
        return {
            str(key): coerce(item, spec.item)
            for key, item in value.items()
            if _item_fits(item, spec.item)
        }
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return []
        return [coerce(item, spec.item) for item in value if _item_fits(item, spec.item)]
    if isinstance(spec, Nullable):
        if value is None or value is _MISSING:
            return None
        if spec.kind is float:
            return float(value) if _fits(value, 0.0) else None
        return value if _fits(value, spec.kind()) else None
    if isinstance(spec, type):
        return value
    if value is _MISSING or not _fits(value, spec):
        return default_of(spec)
    return float(value) if isinstance(spec, float) else value


def _item_fits(item: Any, spec: Any) -> bool:
    if isinstance(spec, dict):
        return isinstance(item, dict)
    if isinstance(spec, type):
        return isinstance(item, spec) and not (spec is int and isinstance(item, bool))
    return True


_MISSING = object()


def coerce_session(doc: Any) -> dict[str, Any]:
    return coerce(doc, SESSION_TEMPLATE)


def cap_of(caps: dict[str, int], field: str, halve: bool) -> int:
    cap = caps.get(field, DEFAULT_CAPS[field])
    return max(1, cap // 2) if halve else cap


def apply_caps(
    doc: dict[str, Any], caps: dict[str, int] | None = None, halve: bool = False
) -> None:
    """Trim every list and map in place by its rule (spec §3.2)."""
    caps = caps or {}

    def cap(field: str) -> int:
        return cap_of(caps, field, halve)

    doc["seen_tool_use_ids"] = doc["seen_tool_use_ids"][-cap("seen_tool_use_ids") :]
    counters = doc["counters"]
    counters["tool_counts"] = _keep_largest(
        counters["tool_counts"], cap("counters.tool_counts"), key=lambda kv: kv[1]
    )
    doc["recent_tools"] = doc["recent_tools"][-cap("recent_tools") :]
    for record in doc["files"].values():
        record["edit_calls"] = record["edit_calls"][-cap("files.edit_calls") :]
        record["pairs"] = record["pairs"][-cap("files.pairs") :]
    doc["files"] = _keep_largest(doc["files"], cap("files"), key=lambda kv: kv[1]["last"])
    doc["commands"] = doc["commands"][-cap("commands") :]
    doc["tools_run"] = _keep_largest(doc["tools_run"], cap("tools_run"), key=lambda kv: kv[1])
    errors = doc["errors"]
    if len(errors) > cap("errors"):
        errors.sort(key=lambda e: (e["resolved_call"] is None, e["last_call"]))
        doc["errors"] = sorted(errors[-cap("errors") :], key=lambda e: e["first_call"])
    doc["libraries"] = _keep_largest(doc["libraries"], cap("libraries"), key=lambda kv: -kv[1])
    verification = doc["verification"]
    verification["files_since_verify"] = verification["files_since_verify"][
        -cap("verification.files_since_verify") :
    ]
    verification["fail_streaks"] = _keep_largest(
        verification.get("fail_streaks", {}),
        cap("verification.fail_streaks"),
        key=lambda kv: kv[1]["call"] or 0,
    )
    verification["agents"] = _keep_largest(
        verification.get("agents", {}),
        cap("verification.agents"),
        key=lambda kv: kv[1].get("last", 0) if isinstance(kv[1], dict) else 0,
    )
    doc["ui"]["files"] = doc["ui"]["files"][-cap("ui.files") :]
    confidence = doc["confidence"]
    confidence["pending"] = _keep_largest(
        confidence["pending"],
        cap("confidence.pending"),
        key=lambda kv: abs(kv[1][1]) if len(kv[1]) > 1 and isinstance(kv[1][1], NUMBER) else 0,
    )
    confidence["history"] = confidence["history"][-cap("confidence.history") :]
    doc["cooldowns"] = _trim_cooldowns(doc["cooldowns"], cap("cooldowns"), doc["updated_at"])
    thinking = doc["thinking"]
    thinking["seen"] = thinking["seen"][-cap("thinking.seen") :]
    doc["info_gain"]["files"] = doc["info_gain"]["files"][-cap("info_gain.files") :]
    for record in doc["scan"].values():
        record["findings"] = record["findings"][: cap("scan.findings")]
    scan_keys = list(doc["scan"])  # insertion order: writers re-insert a path to refresh it
    for key in scan_keys[: max(0, len(scan_keys) - cap("scan"))]:
        del doc["scan"][key]
    learn = doc["learn"]
    learn["lint_codes"] = _keep_largest(
        learn["lint_codes"], cap("learn.lint_codes"), key=lambda kv: kv[1]
    )


def _keep_largest(mapping: dict[str, Any], cap: int, key: Any) -> dict[str, Any]:
    if len(mapping) <= cap:
        return mapping
    kept = sorted(mapping.items(), key=key, reverse=True)[:cap]
    kept_keys = {k for k, _ in kept}
    return {k: v for k, v in mapping.items() if k in kept_keys}


def _trim_cooldowns(cooldowns: dict[str, list], cap: int, now: float) -> dict[str, list]:
    def stamp(entry: list) -> float:
        return entry[0] if entry and isinstance(entry[0], NUMBER) else 0.0

    fresh = {k: v for k, v in cooldowns.items() if now - stamp(v) < 86400}
    if len(fresh) < len(cooldowns) and len(cooldowns) > cap:
        cooldowns = fresh
    return _keep_largest(cooldowns, cap, key=lambda kv: stamp(kv[1]))


def copy_json(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars); faster than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    if isinstance(value, tuple):
        return tuple(copy_json(v) for v in value)
    if isinstance(value, set):
        return set(value)
    return value
