"""Damaged inputs for the `posttool run` fuzz tests: mutated real events and damaged files.

Everything is drawn from one `random.Random`-like object, so the same generator serves the
many-events driver (seeded `random.Random`, reproducible from the seed hypothesis reports) and
the real-process test (hypothesis' `st.randoms()`, which also shrinks).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from posttool.cli.bench import rewrite
from posttool.lib.paths import project_key
from posttool.lib.schema import new_session
from tests.conftest import START, fixture_names, load_fixture

SESSION_ID = "fuzz-sess"
WEIRD_TEXT = [
    "\ud800",
    "\udfff",
    "\ud83d",  # the first half of an emoji: what a cut tool output leaves
    "\ude00",
    "\x00",
    "a\x00b",
    "\U0001f600",
    "",
    " ",
    "..",
    "/",
    "\\",
    "\n",
    "\r\n",
    "é",
    "\u2028",
    "\ufeff",
    "\x1b[31m",
    '"',
    "{",
    "]]]",
    "Exit code 1\n",
    "Traceback (most recent call last):\n",
]
TOOL_NAMES = [
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "Bash",
    "Grep",
    "Glob",
    "LS",
    "Agent",
    "Task",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "mcp__srv__tool",
    "mcp__",
    "Unknown",
]
FIELD_NAMES = [
    "file_path",
    "notebook_path",
    "content",
    "old_string",
    "new_string",
    "edits",
    "command",
    "offset",
    "limit",
    "pattern",
    "url",
    "prompt",
    "subagent_type",
    "run_in_background",
    "replace_all",
    "stdout",
    "stderr",
    "interrupted",
    "filePath",
    "file",
    "type",
    "structuredPatch",
    "originalFile",
    "oldString",
    "newString",
    "replaceAll",
    "numLines",
    "startLine",
    "totalLines",
    "status",
    "agentType",
    "totalToolUseCount",
    "gitOperation",
    "numFiles",
    "filenames",
    "code",
    "result",
    "lines",
    "newStart",
    "text",
]
TOP_FIELDS = [
    "hook_event_name",
    "tool_name",
    "tool_input",
    "tool_response",
    "error",
    "is_interrupt",
    "session_id",
    "cwd",
    "transcript_path",
    "tool_use_id",
    "prompt_id",
    "permission_mode",
    "agent_id",
    "agent_type",
    "duration_ms",
    "effort",
]
DEEP_MARK = "\u0001deep\u0001"
DEPTHS = [2, 50, 400, 900, 980, 999, 1000, 1001, 1100, 5000]
SCHEMAS: list[Any] = [2, 2.0, "2", 1.5, True, "1", 1.0, 0, None, [1], 99]
CONFIG_KEYS = [
    "common.max_scan_chars",
    "common.max_parse_bytes",
    "common.skip_path_regex",
    "common.code_extensions",
    "output.max_chars",
    "output.max_message_chars",
    "output.max_message_lines",
    "runner.hook_budget_ms",
    "state.lock_timeout_s",
    "turn.idle_gap_s",
    "state_updater.window",
    "confidence_reducer.window",
    "thinking_quality_boost.tail_bytes",
    "quality_scanner.extensions",
    "disable",
]
CONFIG_VALUES: list[Any] = [0, -1, 1.5, 2.0, 10**30, 1e308, "(", [1, None], {"a": 1}, True, None]


class FuzzContext:
    """Where one fuzz run's files live."""

    def __init__(self, home: Path, project: Path) -> None:
        self.home = home
        self.project = project
        self.transcript = project.parent / "transcript.jsonl"
        key = project_key(str(project))
        self.session_file = home / "sessions" / f"{SESSION_ID}.json"
        stores = home / "projects" / key
        self.files = {
            "session": self.session_file,
            "lock": home / "sessions" / f"{SESSION_ID}.json.lock",
            "config": home / "config.json",
            "read_cache": stores / "read_cache.json",
            "exploration_cache": stores / "exploration_cache.json",
            "lessons": stores / "lessons.json",
            "read_cache_lock": stores / "read_cache.json.lock",
            "transcript": self.transcript,
        }
        self.fixtures = [
            rewrite(load_fixture(name), str(project), str(project.parent))
            for name in fixture_names()
        ]
        self.count = 0

    def clean_event(self, fixture: int = 1) -> dict[str, Any]:
        """A valid event of this session (fixture 02, a Read, by default)."""
        self.count += 1
        raw = json.loads(json.dumps(self.fixtures[fixture]))
        raw.update(session_id=SESSION_ID, tool_use_id=f"toolu_fuzz_{self.count}")
        raw["transcript_path"] = str(self.transcript)
        raw["cwd"] = str(self.project)
        return raw


def weird_text(rng: random.Random) -> str:
    parts = [rng.choice(WEIRD_TEXT) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        parts.append("".join(chr(rng.randint(32, 0x10FFFF)) for _ in range(rng.randint(0, 8))))
    rng.shuffle(parts)
    return "".join(parts)


def weird_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return weird_text(rng)
    if roll < 0.55:
        return rng.choice([None, True, False, 0, -1, 1, 2**31, 10**40, 1.5, -0.0, 1e308])
    if roll < 0.7 and depth < 3:
        return [weird_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.85 and depth < 3:
        keys = FIELD_NAMES + WEIRD_TEXT
        return {rng.choice(keys): weird_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if roll < 0.92:
        return DEEP_MARK
    return rng.choice(FIELD_NAMES)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON tree, to pick a place to change."""
    found: list[tuple[Any, Any]] = []
    pending = [value]
    while pending:
        node = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in items:
            found.append((node, key))
            if isinstance(item, (dict, list)):
                pending.append(item)
    return found


def mutate(raw: dict[str, Any], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        action = rng.random()
        slots = _slots(raw)
        if action < 0.3 and slots:
            node, key = rng.choice(slots)
            node[key] = weird_value(rng)
        elif action < 0.55:
            strings = [(n, k) for n, k in slots if isinstance(n[k], str)]
            if strings:
                node, key = rng.choice(strings)
                text = node[key]
                at = rng.randint(0, len(text))
                node[key] = text[:at] + weird_text(rng) + text[at:]
        elif action < 0.7:
            target = rng.choice([raw, raw.get("tool_input"), raw.get("tool_response")])
            if isinstance(target, dict):
                target[rng.choice(FIELD_NAMES + TOP_FIELDS)] = weird_value(rng)
        elif action < 0.8:
            raw["tool_name"] = rng.choice(TOOL_NAMES)
        elif action < 0.9 and slots:
            node, key = rng.choice(slots)
            if isinstance(node, dict):
                del node[key]
        else:
            raw[rng.choice(TOP_FIELDS)] = weird_value(rng)


def serialise(raw: Any, rng: random.Random) -> bytes:
    """JSON as Claude Code writes it (lone surrogates as `\\udXXX` escapes), sometimes raw
    UTF-8 with surrogates, deep nesting spliced in, or the bytes cut or damaged."""
    ascii_only = rng.random() < 0.7
    text = json.dumps(raw, ensure_ascii=ascii_only)
    mark = json.dumps(DEEP_MARK, ensure_ascii=ascii_only)
    while mark in text:
        depth = rng.choice(DEPTHS)
        text = text.replace(mark, "[" * depth + "]" * depth, 1)
    data = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.06:
        data = data[: rng.randint(0, len(data))]
    elif roll < 0.1 and data:
        at = rng.randrange(len(data))
        data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    return data


def make_event(ctx: FuzzContext, rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    if roll < 0.1:
        return serialise(weird_value(rng), rng)
    raw = ctx.clean_event(rng.randrange(len(ctx.fixtures)))
    if rng.random() < 0.85:
        mutate(raw, rng)
    return serialise(raw, rng)


def old_session_bytes(rng: random.Random) -> bytes:
    """A session file as earlier versions wrote it: lone surrogates kept by `surrogatepass`."""
    doc = new_session(SESSION_ID, "p", START)
    doc["counters"]["calls"] = rng.randint(1, 50)
    doc["commands"] = [{"c": 1, "cmd": "echo \ud83d", "norm": weird_text(rng), "kinds": []}]
    doc["turn"]["key"] = weird_text(rng)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def damaged_json(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.3:
        return old_session_bytes(rng)
    if roll < 0.55:
        doc: Any = new_session(SESSION_ID, "p", START)
        doc["schema"] = rng.choice(SCHEMAS)
        if rng.random() < 0.5:
            doc = {"schema": rng.choice(SCHEMAS), "entries": {}}
        return json.dumps(doc).encode()
    if roll < 0.8:
        whole = old_session_bytes(rng) if rng.random() < 0.5 else b'{"schema": 1, "entries": {}}'
        return whole[: rng.randint(0, len(whole) - 1)]
    if roll < 0.9:
        return serialise(weird_value(rng), rng)
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))


def make_damage(ctx: FuzzContext, rng: random.Random) -> tuple[str, Path, bytes]:
    """(kind, path, argument) for the fuzz driver: W write, D folder, T truncate."""
    name = rng.choice(sorted(ctx.files))
    path = ctx.files[name]
    roll = rng.random()
    if name == "transcript":
        line = json.dumps({"type": "assistant", "message": {"content": [{"thinking": "x"}]}})
        cut = line[: rng.randint(1, len(line) - 1)]
        return "W", path, (line + "\n" + cut).encode()
    if name == "config" and roll < 0.5:
        odd = {rng.choice(CONFIG_KEYS): rng.choice(CONFIG_VALUES) for _ in range(3)}
        return "W", path, json.dumps(odd).encode()
    if roll < 0.2:
        return "D", path, b""
    if roll < 0.4:
        return "T", path, str(rng.randint(0, 999)).encode()
    return "W", path, damaged_json(rng)


def apply_damage(kind: str, path: Path, arg: bytes) -> None:
    """What the driver does for one damage record, for tests that start `posttool run`."""
    from tests.runner.fuzz_driver import damage

    damage(kind.encode(), bytes(path) + b"\0" + arg)


def step_record(kind: str, payload: bytes) -> bytes:
    return kind.encode() + b"%010d" % len(payload) + payload


def batch_steps(
    ctx: FuzzContext, rng: random.Random, count: int, damage_share: float
) -> tuple[bytes, str]:
    """The driver's input for one batch: `count` mutated events with damage between them,
    then a clean event; and that last event's tool_use_id."""
    steps = []
    for _ in range(count):
        if rng.random() < damage_share:
            kind, path, arg = make_damage(ctx, rng)
            steps.append(step_record(kind, bytes(path) + b"\0" + arg))
        steps.append(step_record("E", make_event(ctx, rng)))
    last = ctx.clean_event()
    steps.append(step_record("E", json.dumps(last).encode()))
    return b"".join(steps), last["tool_use_id"]
