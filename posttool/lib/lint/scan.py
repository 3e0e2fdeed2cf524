"""quality_scanner's fast half (spec §4.13): which findings this edit introduced, the `scan`
record kept per file, and the message. Pure: it compares `event.prepared` (see lib/lint.py)
with `state.doc["scan"]` and never runs or reads anything.

The stored record is `{hash, findings: [[code, row, message]], complex: [[name, rank, line]]}`.
"""

from __future__ import annotations

from posttool.lib.message import Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.state import State

    Finding = list[Any]  # [code, row, message, fixable]
    Block = list[Any]  # [name, rank, lineno, endline, complexity]

SYNTAX = "syntax"
ALWAYS_NEW_PREFIXES = ("F4", "F8")  # unused imports, undefined or unused names
CONFIG_KEY = "ruff_config_invalid"
ONCE = 1 << 30  # calls: a cooldown no session outlives


def is_severe(code: str) -> bool:
    return code == SYNTAX or code.startswith(("F", "E9"))


def new_ruff(
    current: list[Finding], stored: list[list[Any]] | None, added: set[int]
) -> list[Finding]:
    """Spec "New findings". With a stored list, a finding is new when its (code, message)
    occurs more often now than before; of several identical ones, those on added lines (then
    the earliest) are the new ones. Without one, a finding is new on an added line, or anywhere
    for F4/F8 codes."""
    if stored is None:
        return [f for f in current if f[1] in added or f[0].startswith(ALWAYS_NEW_PREFIXES)]
    before: dict[tuple[str, str], int] = {}
    for item in stored:
        if len(item) >= 3:
            key = (item[0], item[2])
            before[key] = before.get(key, 0) + 1
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in current:
        groups.setdefault((finding[0], finding[2]), []).append(finding)
    new: list[Finding] = []
    for key, group in groups.items():
        extra = len(group) - before.get(key, 0)
        if extra > 0:
            new.extend(sorted(group, key=lambda f: (f[1] not in added, f[1]))[:extra])
    new.sort(key=lambda f: (f[1], f[0], f[2]))
    return new


def new_complex(
    blocks: list[Block], stored: list[list[Any]] | None, added: set[int]
) -> list[Block]:
    """Radon blocks overlapping an added line, unless the same function was already stored at
    this rank or worse (so editing inside a known-complex function does not repeat it)."""
    known: dict[str, str] = {}
    for item in stored or ():
        if len(item) >= 2 and isinstance(item[0], str) and isinstance(item[1], str):
            known[item[0]] = max(item[1], known.get(item[0], ""))
    new = []
    for block in blocks:
        name, rank, lineno, endline = block[0], block[1], block[2], block[3]
        if not any(lineno <= line <= endline for line in added):
            continue
        if name in known and known[name] >= rank:
            continue
        new.append(block)
    return new


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def ruff_bullet(finding: Finding) -> str:
    code, row, message, _ = finding
    return f"L{row} {code} {message}"


def complex_bullet(block: Block) -> str:
    name, rank, lineno, _, complexity = block
    return f"L{lineno} {name}: cyclomatic complexity {complexity} (rank {rank})"


def build_message(
    path: str, ruff: list[Finding], blocks: list[Block], total: int, max_findings: int
) -> Message | None:
    """`{path}: {n} new ruff finding(s), {m} complex function(s)` plus up to `max_findings`
    bullets (severe ruff findings first) and a count of the findings not shown."""
    if not ruff and not blocks:
        return None
    parts = []
    if ruff:
        parts.append(_plural(len(ruff), "new ruff finding"))
    if blocks:
        parts.append(_plural(len(blocks), "complex function"))
    # Issue 7 §3: the fix command once in the headline instead of on every fixable bullet.
    fixable = sum(1 for f in ruff if f[3])
    if fixable:
        parts[0] += f" ({fixable} fixed by `ruff check --fix`)"
    ordered = sorted(ruff, key=lambda f: (not is_severe(f[0]), f[1]))
    lines = [ruff_bullet(f) for f in ordered] + [complex_bullet(b) for b in blocks]
    shown = lines[: max(0, max_findings)]
    text = "\n".join([f"{path}: {', '.join(parts)}", *(f"- {line}" for line in shown)])
    others = max(0, total - len(shown))
    if others:
        text += f"\n({_plural(others, 'other finding')} in this file not shown)"
    if any(is_severe(f[0]) for f in ruff):
        severity = "action"
    elif ruff:
        severity = "warn"
    else:
        severity = "info"
    return Message(text, severity)


def _list_or_none(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def report(event: Event, state: State) -> Message | None:
    """The hook body for bytes that changed since their last scan (the hook applies the skip
    rule itself, without importing this module): compare, re-insert `scan[path_key]`, set
    `scan_new_codes`, build the text."""
    prepared: dict[str, Any] = event.prepared
    key = event.path_key
    scan = state.doc["scan"]
    previous = scan.pop(key, None)  # re-inserted below: insertion order is oldest-first
    digest = prepared.get("hash")
    digest = digest if isinstance(digest, str) else ""
    ruff = _list_or_none(prepared.get("ruff"))
    radon = _list_or_none(prepared.get("radon"))
    added = event.added_line_numbers()
    found = ruff or []
    if any(f[0] == SYNTAX for f in found) and _syntax_reported_elsewhere(event, state):
        found = [f for f in found if f[0] != SYNTAX]
    stored_findings = previous["findings"] if previous is not None else None
    stored_complex = previous["complex"] if previous is not None else None
    new_findings = new_ruff(found, stored_findings, added) if ruff is not None else []
    new_blocks = new_complex(radon, stored_complex, added) if radon is not None else []
    codes = [f[0] for f in new_findings if f[0] != SYNTAX]
    state.call["scan_new_codes"] = list(dict.fromkeys(codes))
    message = build_message(
        event.display_path or event.file_path or key or "",
        new_findings,
        new_blocks,
        len(found) + len(radon or []),
        state.cfg("max_findings"),
    )
    if ruff is not None or previous is not None:  # a file ruff never managed to lint is not kept
        scan[key] = {
            # a partial result keeps no hash, so the same bytes are looked at again next time
            "hash": digest if ruff is not None and radon is not None else "",
            "findings": [f[:3] for f in ruff] if ruff is not None else stored_findings,
            "complex": [b[:3] for b in radon] if radon is not None else stored_complex or [],
        }
    return _with_config_note(message, prepared.get("ruff_config_error"), state)


def _with_config_note(message: Message | None, reason: Any, state: State) -> Message | None:
    """Once per session: the project's ruff configuration is invalid (ruff refuses to run with
    it), so the findings come from posttool's defaults. Otherwise ruff would fall silent and
    the model would never hear why."""
    if not isinstance(reason, str) or not reason or not state.ready(CONFIG_KEY, calls=ONCE):
        return message
    state.mark(CONFIG_KEY)
    note = (
        f"The project's ruff configuration is invalid ({reason}); ruff ran with posttool's "
        "defaults instead. Fix the configuration so ruff applies the project's rules."
    )
    if message is None:
        return Message(note, "warn")
    severity = message.severity if message.severity == "action" else "warn"
    return Message(f"{message.text}\n{note}", severity)


def _syntax_reported_elsewhere(event: Event, state: State) -> bool:
    """code_quality_gate reports syntax errors itself when it is enabled and the shared parse
    failed; quality_scanner then drops its own syntax findings."""
    if not state.config.hook_enabled("code_quality_gate"):
        return False
    return event.py_parse()[1] is not None
