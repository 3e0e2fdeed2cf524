"""The normalised event (spec §1.2-1.3): built once by the runner, read by every hook.

Hooks never see the raw dictionary. Every field exists on every event, with `None` or `""`
where it does not apply; `posttool.runner.normalise` fills them from the raw payload.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs ~10 ms of imports on the hot path
    from typing import Any

    from posttool.lib.commands import CommandFacts


POST_TOOL_USE = "PostToolUse"
POST_TOOL_USE_FAILURE = "PostToolUseFailure"
EVENT_NAMES = (POST_TOOL_USE, POST_TOOL_USE_FAILURE)
PY_EXTENSIONS = (".py", ".pyi")


class Event:
    """One tool call, normalised. Immutable once the runner has finished building it."""

    __slots__ = (
        "_frozen",
        "_py_parse",
        "added_lines",
        "agent_prompt",
        "agent_result_text",
        "agent_status",
        "agent_tool_uses",
        "agent_type",
        "background",
        "call_index",
        "cmd_norm",
        "cmd_shape",
        "command",
        "command_facts",
        "command_kinds",
        "content_after",
        "content_before",
        "cwd",
        "display_path",
        "duration_ms",
        "effort_level",
        "error",
        "error_body",
        "error_sig",
        "error_text",
        "event_name",
        "exit_code",
        "ext",
        "family",
        "file_path",
        "git_commit",
        "http_code",
        "interrupted",
        "is_interrupt",
        "lines_added",
        "lines_removed",
        "max_parse_bytes",
        "mcp_server",
        "mcp_tool",
        "new_text",
        "new_turn",
        "now",
        "ok",
        "old_text",
        "output_text",
        "path_key",
        "permission_mode",
        "prepared",
        "project_key",
        "project_root",
        "prompt_id",
        "query",
        "read_content",
        "read_hash",
        "read_is_complete",
        "read_is_range",
        "read_kind",
        "read_num_lines",
        "read_start_line",
        "read_total_lines",
        "read_truncated",
        "search_num_files",
        "search_pattern",
        "session_id",
        "session_key",
        "stderr",
        "stdout",
        "subagent_id",
        "subagent_type",
        "tool_input",
        "tool_name",
        "tool_response",
        "tool_use_id",
        "transcript_path",
        "turn_index",
        "turn_key",
        "url",
        "write_kind",
    )

    # The fields, all set by `posttool.runner.normalise.build_event` (runner facts after it).
    _frozen: bool
    _py_parse: tuple[Any, tuple[int, str] | None] | None
    event_name: str
    tool_name: str
    family: str
    ok: bool
    now: float
    session_id: str
    session_key: str
    tool_use_id: str | None
    transcript_path: str | None
    prompt_id: str | None
    permission_mode: str | None
    effort_level: str | None
    subagent_id: str | None
    subagent_type: str | None
    duration_ms: int | None
    is_interrupt: bool
    cwd: str
    project_root: str
    project_key: str
    tool_input: dict[str, Any]
    tool_response: Any
    max_parse_bytes: int
    # files (Read, Write, Edit)
    file_path: str | None
    path_key: str | None
    display_path: str | None
    ext: str
    write_kind: str | None
    content_after: str | None
    content_before: str | None
    old_text: str
    new_text: str
    added_lines: list[tuple[int | None, str]]
    lines_added: int
    lines_removed: int
    read_kind: str | None
    read_content: str
    read_hash: str | None
    read_num_lines: int | None
    read_start_line: int | None
    read_total_lines: int | None
    read_is_range: bool
    read_is_complete: bool
    read_truncated: bool
    # Bash
    command: str
    command_facts: CommandFacts | None
    command_kinds: frozenset[str]
    cmd_norm: str
    cmd_shape: str
    stdout: str
    stderr: str
    background: bool
    interrupted: bool
    git_commit: dict[str, Any] | None
    # failures
    error: str | None
    error_text: str
    error_body: str
    error_sig: str
    exit_code: int | None
    # agents, web, search, MCP
    agent_type: str | None
    agent_prompt: str | None
    agent_status: str | None
    agent_result_text: str
    agent_tool_uses: int | None
    url: str | None
    http_code: int | None
    query: str | None
    search_pattern: str | None
    search_num_files: int | None
    mcp_server: str | None
    mcp_tool: str | None
    output_text: str
    # set by the runner after building
    call_index: int
    turn_index: int
    turn_key: str
    new_turn: bool
    prepared: Any

    def set_runner_fact(self, name: str, value: Any) -> None:
        """For the runner only: call/turn numbering and `prepared` arrive after building."""
        object.__setattr__(self, name, value)

    def freeze(self) -> None:
        """From now on, setting a field raises. The event becomes a `FrozenEvent`, so building
        one (~90 fields) pays no check per field."""
        object.__setattr__(self, "_frozen", True)
        object.__setattr__(self, "__class__", FrozenEvent)

    @property
    def is_subagent(self) -> bool:
        return self.subagent_id is not None

    @property
    def is_python(self) -> bool:
        return self.ext in PY_EXTENSIONS

    @property
    def added_text(self) -> str:
        return "\n".join(text for _, text in self.added_lines)

    def added_line_numbers(self) -> set[int]:
        return {line for line, _ in self.added_lines if line is not None}

    def py_parse(self) -> tuple[Any, tuple[int, str] | None]:
        """(tree, None), (None, (line, message)), or (None, None) when unknown. Cached."""
        cached = self._py_parse
        if cached is not None:
            return cached
        result: tuple[Any, tuple[int, str] | None] = (None, None)
        content = self.content_after
        if (
            self.ext in PY_EXTENSIONS
            and isinstance(content, str)
            and len(content) <= self.max_parse_bytes
        ):
            from posttool.lib.fast.astlite import parse

            try:
                result = (parse(content), None)
            except SyntaxError as exc:
                result = (None, (exc.lineno or 1, exc.msg or "invalid syntax"))
            except (ValueError, RecursionError, MemoryError) as exc:
                result = (None, (1, str(exc)[:120] or "cannot parse"))
        object.__setattr__(self, "_py_parse", result)
        return result

    def __repr__(self) -> str:
        return f"Event({self.event_name} {self.tool_name} {self.tool_use_id})"


class FrozenEvent(Event):
    """An `Event` after `freeze()`: hooks read it, never change it."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Event is immutable (tried to set {name})")


def is_benign(ev: Event, benign_tools: list[str]) -> bool:
    """Spec §1.4: an exit-1 Bash failure of a probing tool with at most one line of output."""
    if ev.ok or ev.family != "bash" or ev.command_facts is None:
        return False
    from posttool.lib.commands import is_benign_failure

    return is_benign_failure(
        ev.command, ev.command_facts, ev.exit_code, ev.error_body, benign_tools
    )
