"""`posttool replay`: feed recorded sessions through the same `handle()` as `posttool run`.

Each completed tool call of a transcript becomes the event Claude Code would have sent
(PostToolUse with `tool_response` = `toolUseResult`, or PostToolUseFailure with `error`), run in
order under a temporary home with the call's own timestamp as the clock. Nothing recorded is
executed: commands are never run, only their recorded results are fed. Files are materialised
in a temporary mirror of the filesystem (`<tmp>/fs/<absolute path>`) from Write contents, Edit
originals + the edit, and whole-file Reads, so quality_scanner lints copies, never the user's
files. Paths are mapped into the mirror on the way in and back out of what the model reads.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from posttool.lib.message import Message
from posttool.lib.paths import is_within
from posttool.lib.text import one_line
from posttool.runner.merge import utf16_len
from posttool.runner.run import Door, handle
from posttool.runner.transcripts import Call, Problems, read_session, subagent_files

FOOTER_LABEL = "posttool"
# Hooks that would start programs: never in a replay (`bd sync` may commit and push).
NEVER_IN_REPLAY = ("beads_auto_sync",)
MAX_MATERIALISED_BYTES = 5_000_000
PROGRESS_AFTER = 300
PROGRESS_EVERY = 500
SUMMARY_CHARS = 90


@dataclass
class Answer:
    """One replayed call and what the model would have read after it."""

    file: str
    number: int  # the call's number in this replay, from 1
    session_id: str
    tool_name: str
    summary: str
    ok: bool
    agent_type: str | None
    subagent: bool
    context: str  # additionalContext with the real paths, "" when posttool said nothing
    parts: list[tuple[str, int]]  # (label, characters) of each message in the context


@dataclass
class HookTally:
    spoken: int = 0
    characters: int = 0


@dataclass
class ReplayResult:
    files: int = 0
    sessions: set[str] = field(default_factory=set)
    calls: int = 0
    subagent_calls: int = 0
    failures: int = 0
    rebuilt_responses: int = 0
    files_materialised: int = 0
    answers: list[Answer] = field(default_factory=list)
    hooks: dict[str, HookTally] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    log: dict[str, Any] = field(default_factory=dict)
    home: str = ""

    @property
    def answers_with_context(self) -> int:
        return sum(1 for answer in self.answers if answer.context)

    @property
    def characters(self) -> int:
        return sum(tally.characters for tally in self.hooks.values())

    def subagent_share(self) -> tuple[int, int]:
        """(answers with context, characters) that went to sub-agents, not the main model."""
        spoken = [answer for answer in self.answers if answer.subagent and answer.context]
        return len(spoken), sum(chars for answer in spoken for _, chars in answer.parts)


class Sandbox:
    """The temporary home, the mirrored file tree and the replayed transcripts."""

    def __init__(self) -> None:
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="posttool-replay-"))
        self.home = os.path.join(self.root, "home")
        self.tree = os.path.join(self.root, "fs")
        self.transcripts = os.path.join(self.root, "transcripts")
        # the home is left for posttool to create: a folder it did not make is not its own
        for folder in (self.tree, self.transcripts):
            os.makedirs(folder, mode=0o700, exist_ok=True)

    def mapped(self, path: str, cwd: str) -> str:
        """Where `path` (absolute, or relative to `cwd`) lives in the mirror."""
        full = path if os.path.isabs(path) else os.path.join(cwd or "/", path)
        inside = os.path.normpath(os.path.join(self.tree, os.path.normpath(full).lstrip("/")))
        return inside if is_within(inside, self.tree) else self.tree

    def unmapped(self, text: str) -> str:
        """Text as the model would have read it: mirror paths back to the real ones."""
        return text.replace(self.tree, "") if self.tree in text else text

    def read(self, path: str) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as handle_:
                return handle_.read()
        except (OSError, ValueError):
            return None

    def write(self, path: str, content: str) -> bool:
        if not is_within(path, self.tree) or path == self.tree:
            return False
        if len(content) > MAX_MATERIALISED_BYTES:
            return False
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            if os.path.islink(path):
                os.unlink(path)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle_:
                handle_.write(content)
        except (OSError, ValueError):
            return False
        return True

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class Replayer:
    """Replays transcript files one after the other into one sandbox."""

    def __init__(self, sandbox: Sandbox, keep_all: bool, progress: TextIO | None = None) -> None:
        self.sandbox = sandbox
        self.keep_all = keep_all
        self.progress = progress
        self.result = ResultBuilder(keep_all)
        self.seen_ids: set[str] = set()
        self.project_dirs: dict[str, str] = {}  # session id -> mapped CLAUDE_PROJECT_DIR
        self.total_files = 0
        self.file_index = 0

    def replay_files(self, files: list[str]) -> ReplayResult:
        self.total_files = len(files)
        for index, path in enumerate(files, 1):
            self.file_index = index
            self.replay_session([path, *subagent_files(path)])
        result = self.result.result
        result.files = len(files)
        result.home = self.sandbox.home
        result.log = read_log(self.sandbox.home, self.sandbox.root)
        if self.progress is not None and result.calls > PROGRESS_AFTER:
            self.progress.write(f"replay: {result.calls} calls, {len(files)} files, done\n")
        return result

    def replay_session(self, paths: list[str]) -> None:
        """One session file (and its sub-agents' files), its lines in order of time."""
        name = os.path.basename(paths[0])
        copy = os.path.join(self.sandbox.transcripts, f"{self.file_index:04d}-{_safe(name)}")
        problems = self.result.result.problems
        with open(copy, "w", encoding="utf-8", errors="surrogateescape") as transcript:
            for line in read_session(paths, problems):
                for call in line.calls:
                    transcript.flush()
                    self.replay_call(call, name, copy)
                transcript.write(line.text)

    def replay_call(self, call: Call, file_name: str, transcript_path: str) -> None:
        if call.tool_use_id in self.seen_ids:
            self.result.result.problems.note("tool_use_id seen before (skipped)")
            return
        self.seen_ids.add(call.tool_use_id)
        sandbox = self.sandbox
        if call.rebuilt:
            self.result.result.problems.note("no toolUseResult (tool_response rebuilt from text)")
        if materialise(call, sandbox):
            self.result.result.files_materialised += 1
        project_dir = self.project_dirs.setdefault(
            call.session_id, sandbox.mapped(call.cwd or "/", "/")
        )
        try:
            os.makedirs(project_dir, mode=0o700, exist_ok=True)
        except (OSError, ValueError):  # a recorded file stands where the folder would be
            pass
        payload = build_payload(call, sandbox, transcript_path)
        environ = {"CLAUDE_PROJECT_DIR": project_dir, "POSTTOOL_DISABLE": ",".join(NEVER_IN_REPLAY)}
        messages: list[Message] = []
        answer = handle(
            json.dumps(payload).encode("utf-8", "surrogatepass"),
            home=sandbox.home,
            now=call.at,
            environ=environ,
            door=Door(mode="replay", on_messages=messages.extend),
        )
        context = sandbox.unmapped(additional_context(answer))
        self.result.add(call, file_name, summarise(call), context, messages)
        self._progress()

    def _progress(self) -> None:
        calls = self.result.result.calls
        if self.progress is None or calls <= PROGRESS_AFTER or calls % PROGRESS_EVERY:
            return
        self.progress.write(
            f"replay: {calls} calls, file {self.file_index} of {self.total_files}\n"
        )
        self.progress.flush()


class ResultBuilder:
    def __init__(self, keep_all: bool) -> None:
        self.keep_all = keep_all
        self.result = ReplayResult()

    def add(
        self, call: Call, file_name: str, summary: str, context: str, messages: list[Message]
    ) -> None:
        result = self.result
        result.calls += 1
        result.sessions.add(call.session_id)
        result.subagent_calls += call.agent_id is not None
        result.failures += not call.ok
        result.rebuilt_responses += call.rebuilt
        labels = {message.label or message.hook for message in messages} | {FOOTER_LABEL}
        parts = attribute(context, labels)
        for label, characters in parts:
            tally = result.hooks.setdefault(label, HookTally())
            tally.spoken += 1
            tally.characters += characters
        if context or self.keep_all:
            result.answers.append(
                Answer(
                    file=file_name,
                    number=result.calls,
                    session_id=call.session_id,
                    tool_name=call.tool_name,
                    summary=summary,
                    ok=call.ok,
                    agent_type=call.agent_type,
                    subagent=call.agent_id is not None,
                    context=context,
                    parts=parts,
                )
            )


def attribute(context: str, labels: Iterable[str]) -> list[tuple[str, int]]:
    """(label, characters) per message of a merged answer. A message starts with `[label] ` at
    the start of a line; the newline joining it to the previous one is counted with it, so the
    parts add up to the length of the whole context (in UTF-16 units, as Claude Code counts)."""
    if not context:
        return []
    prefixes = tuple((f"[{label}] ", label) for label in labels)
    parts: list[list[Any]] = []
    for line in context.split("\n"):
        label = next((name for prefix, name in prefixes if line.startswith(prefix)), None)
        if label is not None or not parts:
            parts.append([label or "(unattributed)", line])
        else:
            parts[-1][1] += "\n" + line
    return [(label, utf16_len(text) + (1 if i else 0)) for i, (label, text) in enumerate(parts)]


def additional_context(answer: str) -> str:
    try:
        value = json.loads(answer)
    except ValueError:
        return ""
    output = value.get("hookSpecificOutput") if isinstance(value, dict) else None
    text = output.get("additionalContext") if isinstance(output, dict) else None
    return text if isinstance(text, str) else ""


def build_payload(call: Call, sandbox: Sandbox, transcript_path: str) -> dict[str, Any]:
    """The hook event Claude Code would have sent, with paths mapped into the mirror."""
    cwd = call.cwd or "/"
    payload: dict[str, Any] = {
        "session_id": call.session_id,
        "transcript_path": transcript_path,
        "cwd": sandbox.mapped(cwd, "/"),
        "hook_event_name": "PostToolUse" if call.ok else "PostToolUseFailure",
        "tool_name": call.tool_name,
        "tool_input": map_input(call.tool_input, sandbox, cwd),
        "tool_use_id": call.tool_use_id,
    }
    optional = {
        "prompt_id": call.prompt_id,
        "permission_mode": call.permission_mode,
        "effort": call.effort,
        "duration_ms": call.duration_ms,
        "agent_id": call.agent_id,
        "agent_type": call.agent_type if call.agent_id else None,
    }
    payload.update({key: value for key, value in optional.items() if value is not None})
    if call.ok:
        payload["tool_response"] = map_response(call.response, sandbox, cwd)
    else:
        payload["error"] = call.error
        payload["is_interrupt"] = call.interrupted
    return payload


PATH_INPUTS = ("file_path", "notebook_path", "path")


def map_input(tool_input: dict[str, Any], sandbox: Sandbox, cwd: str) -> dict[str, Any]:
    mapped = dict(tool_input)
    for key in PATH_INPUTS:
        if isinstance(mapped.get(key), str) and mapped[key]:
            mapped[key] = sandbox.mapped(mapped[key], cwd)
    return mapped


def map_response(response: Any, sandbox: Sandbox, cwd: str) -> Any:
    if not isinstance(response, dict):
        return response
    mapped = dict(response)
    if isinstance(mapped.get("filePath"), str) and mapped["filePath"]:
        mapped["filePath"] = sandbox.mapped(mapped["filePath"], cwd)
    file_info = mapped.get("file")
    if isinstance(file_info, dict) and isinstance(file_info.get("filePath"), str):
        mapped["file"] = {**file_info, "filePath": sandbox.mapped(file_info["filePath"], cwd)}
    if isinstance(mapped.get("filenames"), list):
        mapped["filenames"] = [
            sandbox.mapped(name, cwd) if isinstance(name, str) and name else name
            for name in mapped["filenames"]
        ]
    return mapped


def materialise(call: Call, sandbox: Sandbox) -> bool:
    """Put the file a successful Write/Edit/MultiEdit/whole Read leaves behind into the mirror."""
    if not call.ok:
        return False
    response = call.response if isinstance(call.response, dict) else {}
    path = _text(call.tool_input.get("file_path")) or _text(response.get("filePath"))
    if call.tool_name == "Read":
        raw_file = response.get("file")
        file_info: dict[str, Any] = raw_file if isinstance(raw_file, dict) else {}
        path = path or _text(file_info.get("filePath"))
    if not path:
        return False
    target = sandbox.mapped(path, call.cwd or "/")
    content = content_after(call, response, lambda: sandbox.read(target))
    return content is not None and sandbox.write(target, content)


def content_after(
    call: Call, response: dict[str, Any], current: Callable[[], str | None]
) -> str | None:
    tool_input = call.tool_input
    if call.tool_name == "Write":
        content = tool_input.get("content")
        return content if isinstance(content, str) else _text(response.get("content")) or None
    if call.tool_name == "Edit":
        base = response.get("originalFile")
        base = base if isinstance(base, str) else current()
        edit = (
            _text(tool_input.get("old_string")),
            _text(tool_input.get("new_string")),
            tool_input.get("replace_all") is True or response.get("replaceAll") is True,
        )
        return apply_edits(base, [edit])
    if call.tool_name == "MultiEdit":
        base = response.get("originalFileContents", response.get("originalFile"))
        base = base if isinstance(base, str) else current()
        listed = tool_input.get("edits")
        edits = [
            (_text(e.get("old_string")), _text(e.get("new_string")), e.get("replace_all") is True)
            for e in (listed if isinstance(listed, list) else [])
            if isinstance(e, dict)
        ]
        return apply_edits(base, edits)
    if call.tool_name == "Read":
        return whole_read(response)
    return None


def apply_edits(base: str | None, edits: list[tuple[str, str, bool]]) -> str | None:
    """The file after the edits, or None when it cannot be known."""
    if base is None:
        if len(edits) == 1 and edits[0][0] == "":  # an Edit with an empty old_string creates
            return edits[0][1]
        return None
    text = base
    for old, new, replace_all in edits:
        if old == "" and text == "":
            text = new
        elif old and old in text:
            text = text.replace(old, new, -1 if replace_all else 1)
        else:
            return None
    return text


def whole_read(response: dict[str, Any]) -> str | None:
    """The file's content when the Read returned all of it."""
    file_info = response.get("file")
    if response.get("type") != "text" or not isinstance(file_info, dict):
        return None
    content, total = file_info.get("content"), file_info.get("totalLines")
    num, start = file_info.get("numLines"), file_info.get("startLine", 1)
    if not isinstance(content, str) or not isinstance(total, int) or not isinstance(num, int):
        return None
    return content if start == 1 and num >= total else None


def summarise(call: Call) -> str:
    """One line naming what the call did."""
    tool_input = call.tool_input
    for key in ("command", "file_path", "notebook_path", "pattern", "url", "query"):
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return one_line(value, SUMMARY_CHARS)
    value = tool_input.get("description") or tool_input.get("prompt")
    return one_line(value, SUMMARY_CHARS) if isinstance(value, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]


# --- the log the replay left behind ----------------------------------------------------------


def read_log(home: str, root: str) -> dict[str, Any]:
    """What posttool logged during the replay: counted by kind, with the distinct messages."""
    kinds: Counter[str] = Counter()
    distinct: Counter[str] = Counter()
    for path in (os.path.join(home, "posttool.log.1"), os.path.join(home, "posttool.log")):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle_:
                lines = handle_.read().splitlines()
        except OSError:
            continue
        for line in lines:
            message = line.split(" ", 2)[2] if line.count(" ") >= 2 else line
            kind = log_kind(message)
            kinds[kind] += 1
            distinct[f"{kind}: {normalise_log(message, root)}"] += 1
    return {
        "internal_errors": kinds["internal error"],
        "hook_errors": kinds["hook error"],
        "overruns": kinds["overrun"],
        "suspensions": kinds["suspension"],
        "other_lines": kinds["other"],
        "distinct": distinct.most_common(),
    }


def log_kind(message: str) -> str:
    if "internal error" in message:
        return "internal error"
    if not message.startswith("hook "):
        return "other"
    if "overran its budget" in message:
        return "overrun"
    if "suspended for this session" in message:
        return "suspension"
    return "hook error"


def normalise_log(message: str, root: str) -> str:
    """One log message with what varies (temp paths, numbers) masked, for grouping."""
    text = message.replace(root, "<tmp>").replace("\\n", " ")
    masked = "".join("N" if ch.isdigit() else ch for ch in text)
    while "NN" in masked:
        masked = masked.replace("NN", "N")
    return masked[:240]


def replay(paths: list[str], keep_all: bool, keep_home: bool) -> ReplayResult:
    """Replay every transcript file (in the order given) into one fresh sandbox."""
    sandbox = Sandbox()
    try:
        return Replayer(sandbox, keep_all, progress=sys.stderr).replay_files(paths)
    finally:
        if not keep_home:
            sandbox.remove()
