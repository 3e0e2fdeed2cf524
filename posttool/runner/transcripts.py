"""Reading whole Claude Code session transcripts for `posttool replay` (not the run path).

A transcript (`~/.claude/projects/<project>/<session>.jsonl`, optionally `.xz` or `.gz`) holds
one JSON object a line. Tool calls are `tool_use` blocks of `assistant` lines, answered by
`tool_result` blocks of later `user` lines that carry the `toolUseResult` object Claude Code
gave its hooks as `tool_response`. Sub-agent calls appear either as lines with `isSidechain`
(older builds, in the same file), as `progress` lines of type `agent_progress` (newer builds)
or as the lines of a sub-agent's own file (`agentId`).

`read_transcript` yields one `Line` per line in file order, each with the calls it completed;
anything odd is counted in `Problems`, never raised. (`posttool.lib.transcript` is something
else: the bounded tail read of the run path.)
"""

from __future__ import annotations

import gzip
import heapq
import json
import lzma
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from posttool.lib.transcript import parse_timestamp

TRANSCRIPT_SUFFIXES = (".jsonl", ".jsonl.xz", ".jsonl.gz")
CALL_TYPES = frozenset({"user", "assistant", "progress"})  # the line types that carry calls
# Claude Code's own tools, past and present; anything else that is not `mcp__…` is "unknown".
KNOWN_TOOLS = frozenset(
    {
        "Agent", "AskUserQuestion", "Bash", "BashOutput", "Edit", "EnterPlanMode",
        "EnterWorktree", "ExitPlanMode", "ExitWorktree", "Glob", "Grep", "KillBash", "KillShell",
        "LS", "LSP", "ListMcpResourcesTool", "Monitor", "MultiEdit", "NotebookEdit",
        "NotebookRead", "PowerShell", "Read", "ReadMcpResourceTool", "Skill", "SlashCommand",
        "Task", "TaskCreate", "TaskGet", "TaskList", "TaskOutput", "TaskStop", "TaskUpdate",
        "TodoRead", "TodoWrite", "ToolSearch", "WebFetch", "WebSearch", "Write",
        "exit_plan_mode",
    }
)  # fmt: skip
# Errors Claude Code reports before a tool runs (input validation, a PreToolUse block, a user
# refusal): no PostToolUse(Failure) event is sent for them (see tests/fixtures/README.md).
NEVER_RAN_MARKERS = (
    "String to replace not found in file",
    "of the string to replace, but replace_all is false",
    "File has not been read yet",
    "File has been modified since read",
    "File has been unexpectedly modified",
    "operation blocked by hook",
    "hook error:",
    "doesn't want to proceed with this tool use",
    "InputValidationError",
    "No changes to make: old_string and new_string are exactly the same",
)
GENERAL_PURPOSE = "general-purpose"
INTERRUPT_MARKER = "[Request interrupted by user"
TOOL_USE_ERROR_TAGS = ("<tool_use_error>", "</tool_use_error>")


@dataclass
class Problems:
    """Counts of what could not be replayed as is, by kind (reported, never raised)."""

    counts: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # expected, not a fault of the input

    def add(self, kind: str, count: int = 1) -> None:
        self.counts[kind] += count

    def note(self, kind: str, count: int = 1) -> None:
        self.notes[kind] += count


@dataclass
class Call:
    """One completed tool call, as the hook event Claude Code would have sent for it."""

    session_id: str
    tool_use_id: str
    tool_name: str
    tool_input: dict[str, Any]
    ok: bool
    response: Any  # `toolUseResult`, or a response rebuilt from the tool_result text
    error: str  # the failure text (PostToolUseFailure only)
    interrupted: bool
    at: float  # the result's timestamp, epoch seconds
    duration_ms: int | None
    cwd: str
    prompt_id: str | None
    permission_mode: str | None
    effort: dict[str, Any] | None
    agent_id: str | None
    agent_type: str | None
    rebuilt: bool  # no toolUseResult: the response was rebuilt from the tool_result text


@dataclass
class Line:
    """One transcript line: its text (for the replayed transcript) and the calls it completed."""

    text: str
    session_id: str
    calls: list[Call]
    at: float  # its timestamp, else the last one before it in its file (for merging files)


@dataclass
class _Pending:
    name: str
    input: dict[str, Any]
    at: float | None
    effort: dict[str, Any] | None


@dataclass
class _Context:
    """What a line inherits from earlier lines of the same file."""

    fallback_session: str
    pending: dict[str, _Pending] = field(default_factory=dict)
    sidechain_agent: dict[str, str] = field(default_factory=dict)  # uuid -> agent id
    agent_types: dict[str, str | None] = field(default_factory=dict)  # agent id -> type
    task_types: dict[str, str | None] = field(default_factory=dict)  # tool_use id -> type
    prompt_types: dict[str, str | None] = field(default_factory=dict)  # Task prompt -> type
    agent_prompts: dict[str, str] = field(default_factory=dict)  # agent id -> its first prompt
    prompt_id: str | None = None
    permission_mode: str | None = None
    last_at: float | None = None
    line_at: float = 0.0
    cwd: str = ""
    entries: int = 0


def is_transcript_name(name: str) -> bool:
    return name.endswith(TRANSCRIPT_SUFFIXES)


def subagent_files(path: str) -> list[str]:
    """Newer builds keep each sub-agent's lines in `<session>/subagents/agent-<id>.jsonl` next
    to the session's own file."""
    folder = os.path.join(os.path.dirname(path), session_name(path), "subagents")
    if not os.path.isdir(folder):
        return []
    return transcript_files(folder)


def transcript_files(path: str) -> list[str]:
    """The transcript files a path names: itself, or the `.jsonl*` files of a folder, sorted."""
    if os.path.isdir(path):
        return sorted(
            os.path.join(path, name)
            for name in os.listdir(path)
            if is_transcript_name(name) and os.path.isfile(os.path.join(path, name))
        )
    return [path]


def open_text(path: str) -> Any:
    if path.endswith(".xz"):
        return lzma.open(path, "rt", encoding="utf-8", errors="replace")
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def session_name(path: str) -> str:
    name = os.path.basename(path)
    for suffix in (".xz", ".gz", ".jsonl"):
        name = name.removesuffix(suffix)
    return name


def read_session(paths: list[str], problems: Problems) -> Iterator[Line]:
    """The lines of a session's file and of its sub-agents' files, merged by time. Sub-agent
    files learn their agent's type from the session's Task calls; their lines are not part of
    the session's own transcript (`text` is empty)."""
    if len(paths) == 1:
        yield from read_transcript(paths[0], problems)
        return
    shared = _Context(fallback_session=session_name(paths[0]))
    streams = [read_transcript(paths[0], problems, shared)]
    streams += [_without_text(read_transcript(p, problems, shared)) for p in paths[1:]]
    yield from heapq.merge(*streams, key=lambda line: line.at)


def _without_text(lines: Iterator[Line]) -> Iterator[Line]:
    for line in lines:
        line.text = ""
        yield line


def read_transcript(
    path: str, problems: Problems, shared: _Context | None = None
) -> Iterator[Line]:
    """Every line of one transcript file, with the calls each completed, in order."""
    context = _Context(fallback_session=session_name(path))
    if shared is not None:  # what one file's Task calls tell another about its sub-agents
        context.agent_types = shared.agent_types
        context.task_types = shared.task_types
        context.prompt_types = shared.prompt_types
        context.agent_prompts = shared.agent_prompts
    raw_lines = _raw_lines(path, problems)
    previous: str | None = None
    for text in raw_lines:
        if previous is not None:
            line = _parse_line(previous, context, problems, last=False)
            if line is not None:
                yield line
        previous = text
    if previous is not None:
        line = _parse_line(previous, context, problems, last=True)
        if line is not None:
            yield line
    if context.entries == 0:
        problems.add("not a transcript (no transcript line)")
    if context.pending:
        problems.note("tool_use without a result (session ended first)", len(context.pending))


def _raw_lines(path: str, problems: Problems) -> Iterator[str]:
    try:
        with open_text(path) as handle:
            yield from handle
    except (OSError, EOFError, lzma.LZMAError) as exc:
        problems.add(f"unreadable file ({type(exc).__name__})")


def _parse_line(text: str, context: _Context, problems: Problems, last: bool) -> Line | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        entry = json.loads(stripped)
    except ValueError:
        if last and not text.endswith("\n"):
            problems.add("truncated last line")
        else:
            problems.add("line that is not JSON")
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        problems.add("line that is not a transcript entry")
        return None
    context.entries += 1
    session = _str(entry.get("sessionId")) or context.fallback_session
    calls = (
        list(_calls_of(entry, context, problems, session)) if entry["type"] in CALL_TYPES else []
    )
    at = parse_timestamp(entry.get("timestamp"))
    if at is not None:
        context.line_at = at
    return Line(text=stripped + "\n", session_id=session, calls=calls, at=context.line_at)


def _calls_of(
    entry: dict[str, Any], context: _Context, problems: Problems, session: str
) -> Iterator[Call]:
    if entry.get("type") == "progress":
        data = entry.get("data")
        if isinstance(data, dict) and data.get("type") == "agent_progress":
            yield from _agent_progress(entry, data, context, problems, session)
        return
    agent_id, agent_type = _agent_of(entry, context)
    yield from _blocks(entry, entry, context, problems, session, agent_id, agent_type)


def _agent_progress(
    entry: dict[str, Any],
    data: dict[str, Any],
    context: _Context,
    problems: Problems,
    session: str,
) -> Iterator[Call]:
    """A newer build's copy of one sub-agent message inside the main transcript."""
    inner = data.get("message")
    if not isinstance(inner, dict):
        return
    agent_id = _str(data.get("agentId")) or _str(entry.get("parentToolUseID")) or "agent"
    if agent_id not in context.agent_types:
        parent = _str(entry.get("parentToolUseID")) or ""
        context.agent_types[agent_id] = context.task_types.get(parent)
    merged = dict(entry)
    for key in ("timestamp", "toolUseResult", "uuid"):
        if key in inner:
            merged[key] = inner[key]
        elif key == "toolUseResult":
            merged.pop(key, None)
    yield from _blocks(
        merged, inner, context, problems, session, agent_id, context.agent_types[agent_id]
    )


def _agent_of(entry: dict[str, Any], context: _Context) -> tuple[str | None, str | None]:
    """(agent id, agent type) of a sub-agent line, else (None, None)."""
    explicit = _str(entry.get("agentId")) or _str(entry.get("agent_id"))
    uuid = _str(entry.get("uuid")) or ""
    if not entry.get("isSidechain") and not explicit:
        return None, None
    if explicit:
        agent_id = explicit
    else:  # older builds: a sidechain is a chain of lines from its own root prompt
        parent = _str(entry.get("parentUuid")) or ""
        agent_id = context.sidechain_agent.get(parent) or f"sidechain-{uuid[:8] or 'root'}"
    if uuid:
        context.sidechain_agent[uuid] = agent_id
    if agent_id not in context.agent_prompts:
        context.agent_prompts[agent_id] = _prompt_text(entry) or ""
    if context.agent_types.get(agent_id) is None:
        # looked up on every line: a sub-agent file's first line may be read (by the merge of
        # files) before the session's line with the Task that started it
        prompt = context.agent_prompts[agent_id]
        context.agent_types[agent_id] = context.prompt_types.get(prompt) if prompt else None
    return agent_id, context.agent_types[agent_id]


def _blocks(
    entry: dict[str, Any],
    message_holder: dict[str, Any],
    context: _Context,
    problems: Problems,
    session: str,
    agent_id: str | None,
    agent_type: str | None,
) -> Iterator[Call]:
    at = parse_timestamp(entry.get("timestamp"))
    if at is not None:
        context.last_at = at
    context.cwd = _str(entry.get("cwd")) or context.cwd
    if entry.get("type") == "user" and agent_id is None:
        context.prompt_id = _str(entry.get("promptId")) or context.prompt_id
        context.permission_mode = _str(entry.get("permissionMode")) or context.permission_mode
    message = message_holder.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return
    kind = message_holder.get("type")
    for block in content:
        if not isinstance(block, dict):
            continue
        if kind == "assistant" and block.get("type") == "tool_use":
            _remember_use(block, entry, context, at)
        elif kind == "user" and block.get("type") == "tool_result":
            call = _answer(block, entry, context, problems, session, agent_id, agent_type)
            if call is not None:
                yield call


def _remember_use(
    block: dict[str, Any], entry: dict[str, Any], context: _Context, at: float | None
) -> None:
    use_id = _str(block.get("id"))
    if not use_id:
        return
    name = _str(block.get("name")) or ""
    raw_input = block.get("input")
    tool_input: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
    effort = entry.get("effort") if isinstance(entry.get("effort"), dict) else None
    context.pending[use_id] = _Pending(name, tool_input, at, effort)
    if name in ("Task", "Agent"):
        # builds before sub-agent types ran every Task as the general-purpose agent
        subagent_type = _str(tool_input.get("subagent_type")) or GENERAL_PURPOSE
        context.task_types[use_id] = subagent_type
        prompt = _str(tool_input.get("prompt"))
        if prompt:
            context.prompt_types[prompt] = subagent_type


def _answer(
    block: dict[str, Any],
    entry: dict[str, Any],
    context: _Context,
    problems: Problems,
    session: str,
    agent_id: str | None,
    agent_type: str | None,
) -> Call | None:
    use_id = _str(block.get("tool_use_id")) or ""
    use = context.pending.pop(use_id, None)
    if use is None:
        problems.add("tool_result without a matching tool_use")
        return None
    if not use.name.startswith("mcp__") and use.name not in KNOWN_TOOLS:
        problems.add(f"unknown tool {use.name[:40] or '(no name)'}")
    text = result_text(block.get("content"))
    is_error = block.get("is_error") is True
    if is_error and any(marker in text for marker in NEVER_RAN_MARKERS):
        problems.note("rejected before running (no hook event)")
        return None
    at = context.last_at if context.last_at is not None else use.at
    if at is None:
        problems.add("tool_result without a timestamp")
        at = 0.0
    has_result = "toolUseResult" in entry
    response = entry.get("toolUseResult") if has_result else rebuild_response(use, text)
    duration = int((at - use.at) * 1000) if use.at is not None and at >= use.at else None
    return Call(
        session_id=session,
        tool_use_id=use_id,
        tool_name=use.name,
        tool_input=use.input,
        ok=not is_error,
        response=None if is_error else response,
        error=strip_error_tags(text) if is_error else "",
        interrupted=is_error and text.startswith(INTERRUPT_MARKER),
        at=at,
        duration_ms=duration,
        cwd=context.cwd,
        prompt_id=_str(entry.get("promptId")) or context.prompt_id,
        permission_mode=context.permission_mode,
        effort=use.effort,
        agent_id=agent_id,
        agent_type=agent_type,
        rebuilt=not has_result and not is_error,
    )


def result_text(content: Any) -> str:
    """The text of a tool_result's `content` (a string or a list of text blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            item["text"]
            for item in content
            if isinstance(item, dict) and isinstance(item.get("text"), str)
        )
    return ""


def strip_error_tags(text: str) -> str:
    for tag in TOOL_USE_ERROR_TAGS:
        text = text.replace(tag, "")
    return text.strip()


def rebuild_response(use: _Pending, text: str) -> Any:
    """A tool_response in the shape Claude Code sends, from the tool_result text, when the line
    has no `toolUseResult` (sub-agent copies in `progress` lines often do not)."""
    if use.name == "Bash":
        return {"stdout": text, "stderr": "", "interrupted": False, "isImage": False}
    if use.name == "Glob":
        names = [line for line in text.splitlines() if line.strip()]
        return {"filenames": names, "numFiles": len(names), "truncated": False}
    if use.name == "Read":
        content = strip_line_numbers(text)
        start = use.input.get("offset") if isinstance(use.input.get("offset"), int) else 1
        file_info = {
            "filePath": _str(use.input.get("file_path")) or "",
            "content": content,
            "numLines": len(content.splitlines()),
            "startLine": start,
        }
        return {"type": "text", "file": file_info}
    return text


def strip_line_numbers(text: str) -> str:
    """`     1→line` (Read's numbered output) back to `line`."""
    lines = []
    for line in text.split("\n"):
        number, arrow, rest = line.partition("→")
        lines.append(rest if arrow and number.strip().isdigit() else line)
    return "\n".join(lines)


def _prompt_text(entry: dict[str, Any]) -> str | None:
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return result_text(content) or None
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
