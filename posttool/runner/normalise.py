"""Normalisation (spec §1.2-1.3): the raw payload becomes one `posttool.lib.event.Event`.

Hooks never see the raw dictionary. Every field exists on every event, with `None` or `""`
where it does not apply, so the shapes of `tool_response` are handled here and only here.
"""

from __future__ import annotations

import os

from posttool.lib import paths
from posttool.lib.event import (
    EVENT_NAMES,
    POST_TOOL_USE,
    POST_TOOL_USE_FAILURE,
    Event,
)
from posttool.lib.fast.jsonfast import dumps
from posttool.lib.text import cut_middle, h

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs ~10 ms of imports on the hot path
    from typing import Any


FAMILIES = {
    "Read": "read",
    "Write": "write",
    "Edit": "edit",
    "MultiEdit": "edit",
    "NotebookEdit": "edit",
    "Bash": "bash",
    "PowerShell": "bash",
    "Grep": "search",
    "Glob": "search",
    "LS": "search",
    "Agent": "agent",
    "Task": "agent",
    "WebFetch": "web_fetch",
    "WebSearch": "web_search",
    "TodoWrite": "todo",
}
FILE_FAMILIES = ("read", "write", "edit")


class InvalidEvent(ValueError):
    """The input is not a PostToolUse / PostToolUseFailure event posttool can act on."""


def tool_family(tool_name: str) -> str:
    family = FAMILIES.get(tool_name)
    if family:
        return family
    if tool_name.startswith("mcp__") and len(tool_name) > 5:
        return "mcp"
    return "other"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _path(value: Any) -> str | None:
    """A path field as text. NUL, which no file system path can hold, becomes U+FFFD: the path
    stays data (shown, recorded) and simply names no file."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _process_cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the folder was removed under the hook
        return os.sep


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


BOM = "\ufeff"


def _unbom(text: str | None) -> str | None:
    """A file's text without a leading UTF-8 byte-order mark: Python and every other parser
    skip it, so the checks that read code must not see it as a character."""
    return text[1:] if text is not None and text.startswith(BOM) else text


def _unbom_first_line(added: list[tuple[int | None, str]]) -> list[tuple[int | None, str]]:
    """The BOM can only open the file: line 1, or the first line of an unnumbered text."""
    if added and added[0][1].startswith(BOM) and added[0][0] in (1, None):
        added[0] = (added[0][0], added[0][1][1:])
    return added


def event_name_of(raw: dict[str, Any]) -> str:
    """The event's name; very old builds omit it (spec §1.1)."""
    name = raw.get("hook_event_name")
    if name is None:
        return (
            POST_TOOL_USE_FAILURE
            if "error" in raw and "tool_response" not in raw
            else POST_TOOL_USE
        )
    if name not in EVENT_NAMES:
        raise InvalidEvent(f"not a PostToolUse event: hook_event_name={str(name)[:60]!r}")
    return name


def validate(raw: Any) -> str:
    """Return the event name, or raise InvalidEvent with a one-line reason."""
    if not isinstance(raw, dict):
        raise InvalidEvent(f"event is a JSON {type(raw).__name__}, not an object")
    tool_name = raw.get("tool_name")
    if not isinstance(tool_name, str) or not tool_name:
        raise InvalidEvent("event has no tool_name")
    return event_name_of(raw)


def mcp_text(response: Any) -> str:
    """Tool output as text, by the MCP rule of spec §1.3."""
    if response is None:
        return ""
    if isinstance(response, str):
        return response
    if isinstance(response, dict):
        if isinstance(response.get("content"), list):
            return mcp_text(response["content"])
        for key in ("text", "result", "output"):
            if isinstance(response.get(key), str):
                return response[key]
        return dumps(response, sort_keys=True)
    if isinstance(response, list):
        parts = []
        for item in response:
            if (
                isinstance(item, dict)
                and item.get("type") == "text"
                and isinstance(item.get("text"), str)
            ):
                parts.append(item["text"])
            elif isinstance(item, str):
                parts.append(item)
            else:
                parts.append(dumps(item))
        return "\n".join(parts)
    return dumps(response)


def walk_patch(patch: Any) -> tuple[list[tuple[int | None, str]], int, int]:
    """From structuredPatch: (added lines with their new numbers, lines added, lines removed)."""
    added: list[tuple[int | None, str]] = []
    removed = 0
    if not isinstance(patch, list):
        return added, 0, 0
    for hunk in patch:
        if not isinstance(hunk, dict) or not isinstance(hunk.get("lines"), list):
            continue
        counter = _int(hunk.get("newStart")) or 1
        for line in hunk["lines"]:
            if not isinstance(line, str) or not line:
                continue
            mark = line[0]
            if mark == "+":
                added.append((counter, line[1:]))
                counter += 1
            elif mark == " ":
                counter += 1
            elif mark == "-":
                removed += 1
    return added, len(added), removed


def build_event(
    raw: dict[str, Any],
    *,
    now: float,
    max_scan_chars: int = 200_000,
    max_parse_bytes: int = 300_000,
    environ: dict[str, str] | None = None,
) -> Event:
    """Normalise a raw payload into an Event (not yet frozen: the runner adds numbering)."""
    event_name = validate(raw)
    ev = Event()
    cut = lambda text: cut_middle(text, max_scan_chars)  # noqa: E731
    ok = event_name == POST_TOOL_USE
    tool_name: str = raw["tool_name"]
    family = tool_family(tool_name)
    tool_input = _dict(raw.get("tool_input"))
    response = raw.get("tool_response") if ok else None
    resp = _dict(response)
    cwd = _path(raw.get("cwd")) or _process_cwd()
    session_id = _str(raw.get("session_id")) or ""

    object.__setattr__(ev, "_frozen", False)
    ev._py_parse = None
    ev.max_parse_bytes = max_parse_bytes
    ev.event_name = event_name
    ev.ok = ok
    ev.session_id = session_id
    ev.session_key = paths.session_key(session_id)
    ev.prompt_id = _str(raw.get("prompt_id")) or None
    ev.transcript_path = _path(raw.get("transcript_path")) or None
    ev.cwd = cwd
    ev.permission_mode = _str(raw.get("permission_mode"))
    ev.effort_level = _str(_dict(raw.get("effort")).get("level"))
    ev.subagent_id = _str(raw.get("agent_id")) or None
    ev.subagent_type = _str(raw.get("agent_type"))
    ev.tool_name = tool_name
    ev.tool_input = tool_input
    ev.tool_response = response
    ev.tool_use_id = _str(raw.get("tool_use_id")) or None
    ev.duration_ms = _int(raw.get("duration_ms"))
    ev.error = _str(raw.get("error")) if not ok else None
    ev.is_interrupt = raw.get("is_interrupt") is True
    ev.family = family
    ev.now = now
    ev.call_index = 0
    ev.turn_index = 0
    ev.turn_key = ""
    ev.new_turn = False
    ev.prepared = None
    root = paths.project_root(cwd, environ)
    ev.project_root = root
    ev.project_key = paths.project_key(root)

    _file_facts(ev, tool_input, resp, family, cwd, root)
    _write_edit_facts(ev, tool_name, tool_input, resp, family, response)
    _read_facts(ev, tool_input, resp, family, cut)
    _bash_facts(ev, tool_input, resp, family, cut)
    _failure_facts(ev, family, cut)
    _agent_facts(ev, tool_input, resp, family, cut)
    _search_web_mcp_facts(ev, tool_name, tool_input, resp, family)
    ev.output_text = cut(_output_text(ev, resp, family, response))
    return ev


def _file_facts(ev: Event, tin: dict, resp: dict, family: str, cwd: str, root: str) -> None:
    path = None
    if family in FILE_FAMILIES:
        path = _path(tin.get("file_path")) or _path(tin.get("notebook_path"))
        path = path or _path(resp.get("filePath")) or _path(_dict(resp.get("file")).get("filePath"))
    if path:
        if not os.path.isabs(path):
            path = os.path.join(cwd, path)
        path = os.path.normpath(path)
        ev.file_path = path
        ev.path_key = os.path.normcase(path)
        ev.display_path = paths.display_path(path, root)
        ev.ext = os.path.splitext(path)[1].lower()
    else:
        ev.file_path = ev.path_key = ev.display_path = None
        ev.ext = ""


def _write_edit_facts(
    ev: Event, tool: str, tin: dict, resp: dict, family: str, response: Any
) -> None:
    ev.write_kind = ev.content_after = ev.content_before = None
    ev.old_text = ev.new_text = ""
    added: list[tuple[int | None, str]] = []
    n_added = n_removed = 0
    if family == "write":
        kind = resp.get("type")
        ev.write_kind = kind if kind in ("create", "update") else None
        ev.content_after = _str(tin.get("content"))
        if ev.content_after is None:
            ev.content_after = _str(resp.get("content"))
        ev.content_before = _str(resp.get("originalFile"))
        ev.new_text = ev.content_after or ""
    elif family == "edit":
        if tool == "MultiEdit":
            edits = [e for e in _list(tin.get("edits")) if isinstance(e, dict)]
            ev.old_text = "\n".join(_text(e.get("old_string")) for e in edits)
            ev.new_text = "\n".join(_text(e.get("new_string")) for e in edits)
        elif tool == "NotebookEdit":
            ev.new_text = _text(tin.get("new_source"))
        else:
            ev.old_text = _text(tin.get("old_string")) or _text(resp.get("oldString"))
            ev.new_text = _text(tin.get("new_string")) or _text(resp.get("newString"))
        original = resp.get("originalFile")
        ev.content_before = _str(original)
        if tool in ("Edit",) and isinstance(original, str):
            old = _text(resp.get("oldString")) or ev.old_text
            new = _text(resp.get("newString")) if "newString" in resp else ev.new_text
            if old and old in original:
                count = -1 if resp.get("replaceAll") is True else 1
                ev.content_after = original.replace(old, new, count)
    if family in ("write", "edit"):
        patch = resp.get("structuredPatch")
        added, n_added, n_removed = walk_patch(patch)
        if not added and family == "write" and ev.write_kind == "create" and ev.content_after:
            added = [(i, line) for i, line in enumerate(ev.content_after.splitlines(), 1)]
            n_added = len(added)
        elif not added and not (isinstance(patch, list) and patch) and ev.new_text:
            added = [(None, line) for line in ev.new_text.splitlines()]
            n_added = len(added)
    ev.content_after = _unbom(ev.content_after)
    ev.content_before = _unbom(ev.content_before)
    ev.new_text = _unbom(ev.new_text) or ""
    ev.added_lines = _unbom_first_line(added)
    ev.lines_added = n_added
    ev.lines_removed = n_removed


def _read_facts(ev: Event, tin: dict, resp: dict, family: str, cut: Any) -> None:
    ev.read_kind = ev.read_num_lines = ev.read_start_line = ev.read_total_lines = None
    ev.read_hash = None
    ev.read_content = ""
    ev.read_is_range = ev.read_is_complete = ev.read_truncated = False
    if family != "read":
        return
    ev.read_is_range = tin.get("offset") is not None or tin.get("limit") is not None
    kind = resp.get("type")
    ev.read_kind = kind if isinstance(kind, str) else None
    if kind != "text":
        return
    file = _dict(resp.get("file"))
    content = _text(file.get("content"))
    ev.read_content = cut(_unbom(content) or "")
    ev.read_hash = h(content)
    ev.read_num_lines = _int(file.get("numLines"))
    ev.read_start_line = _int(file.get("startLine"))
    ev.read_total_lines = _int(file.get("totalLines"))
    num, start, total = ev.read_num_lines, ev.read_start_line, ev.read_total_lines
    if num is not None and total is not None:
        ev.read_is_complete = start == 1 and num >= total
        ev.read_truncated = not ev.read_is_range and num < total


def _bash_facts(ev: Event, tin: dict, resp: dict, family: str, cut: Any) -> None:
    ev.command = ""
    ev.stdout = ev.stderr = ""
    ev.interrupted = ev.background = False
    ev.git_commit = None
    ev.command_facts = None
    ev.command_kinds = frozenset()
    ev.cmd_norm = ev.cmd_shape = ""
    if family != "bash":
        return
    ev.command = _text(tin.get("command"))
    ev.stdout = cut(_text(resp.get("stdout")))
    ev.stderr = cut(_text(resp.get("stderr")))
    ev.interrupted = resp.get("interrupted") is True
    ev.background = tin.get("run_in_background") is True or resp.get("backgroundTaskId") is not None
    commit = _dict(_dict(resp.get("gitOperation")).get("commit"))
    ev.git_commit = commit or None
    if ev.command:
        from posttool.lib.commands import CommandFacts

        facts = CommandFacts(ev.command)
        ev.command_facts = facts
        ev.command_kinds = facts.kinds
        ev.cmd_norm = facts.norm
        ev.cmd_shape = facts.shape


def _failure_facts(ev: Event, family: str, cut: Any) -> None:
    ev.error_text = ev.error_body = ev.error_sig = ""
    ev.exit_code = None
    if ev.ok:
        return
    from posttool.lib.diagnostics import error_signature
    from posttool.lib.failures import parse_failure

    text = ev.error or ""
    code, body = parse_failure(text)
    ev.exit_code = code
    ev.error_text = cut(text)
    ev.error_body = cut(body)
    ev.error_sig = error_signature(family, body if body.strip() else text)


def _agent_facts(ev: Event, tin: dict, resp: dict, family: str, cut: Any) -> None:
    ev.agent_type = ev.agent_prompt = ev.agent_status = None
    ev.agent_result_text = ""
    ev.agent_tool_uses = None
    if family != "agent":
        return
    ev.agent_type = _str(resp.get("agentType")) or _str(tin.get("subagent_type"))
    ev.agent_prompt = _str(tin.get("prompt"))
    ev.agent_status = _str(resp.get("status"))
    ev.agent_tool_uses = _int(resp.get("totalToolUseCount"))
    if ev.agent_status == "completed" and isinstance(resp.get("content"), list):
        texts = [
            item["text"]
            for item in resp["content"]
            if isinstance(item, dict)
            and item.get("type") == "text"
            and isinstance(item.get("text"), str)
        ]
        ev.agent_result_text = cut("\n".join(texts))


def _search_web_mcp_facts(ev: Event, tool: str, tin: dict, resp: dict, family: str) -> None:
    ev.search_pattern = _str(tin.get("pattern")) if family == "search" else None
    ev.search_num_files = _int(resp.get("numFiles")) if family == "search" else None
    ev.url = _str(tin.get("url")) if family == "web_fetch" else None
    ev.http_code = _int(resp.get("code")) if family == "web_fetch" else None
    ev.query = _str(tin.get("query")) if family == "web_search" else None
    ev.mcp_server = ev.mcp_tool = None
    if family == "mcp":
        server, _, name = tool[5:].partition("__")
        ev.mcp_server = server or None
        ev.mcp_tool = name or None


def _output_text(ev: Event, resp: dict, family: str, response: Any) -> str:
    if not ev.ok:
        return ev.error or ""
    if family == "read":
        return ev.read_content
    if family == "bash":
        return ev.stdout + "\n" + ev.stderr
    if family == "agent":
        return ev.agent_result_text
    if family == "web_fetch":
        return _text(resp.get("result"))
    if family == "search":
        filenames = resp.get("filenames")
        joined = (
            "\n".join(f for f in filenames if isinstance(f, str))
            if isinstance(filenames, list)
            else ""
        )
        if ev.tool_name == "Grep" and isinstance(resp.get("content"), str):
            return resp["content"]
        return joined
    return mcp_text(response)
