"""The normalised event (spec §1.2-1.3): built once by the runner, read by every hook.

Hooks never see the raw dictionary. Every field exists on every event, with `None` or `""`
where it does not apply; `posttool.runner.normalise` fills them from the raw payload.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs ~10 ms of imports on the hot path
    from typing import Any


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

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"Event is immutable (tried to set {name})")
        object.__setattr__(self, name, value)

    def set_runner_fact(self, name: str, value: Any) -> None:
        """For the runner only: call/turn numbering and `prepared` arrive after building."""
        object.__setattr__(self, name, value)

    def freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

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


def is_benign(ev: Event, benign_tools: list[str]) -> bool:
    """Spec §1.4: an exit-1 Bash failure of a probing tool with at most one line of output."""
    if ev.ok or ev.family != "bash" or ev.command_facts is None:
        return False
    from posttool.lib.commands import is_benign_failure

    return is_benign_failure(
        ev.command, ev.command_facts, ev.exit_code, ev.error_body, benign_tools
    )
