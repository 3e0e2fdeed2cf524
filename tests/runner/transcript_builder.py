"""Small Claude Code session transcripts in the real format, with made-up content.

The line shapes are copied from real `~/.claude/projects/<project>/<session>.jsonl` files: an
`assistant` line per `tool_use` block, a `user` line with the `tool_result` block and the
`toolUseResult` object, `isSidechain` lines for older sub-agents, and `progress` lines of type
`agent_progress` for newer ones. The tool_response shapes are those of tests/fixtures.
"""

from __future__ import annotations

import gzip
import itertools
import json
import lzma
from pathlib import Path
from typing import Any

START = "2026-03-14T18:00:00"
_ids = itertools.count(1)


def stamp(second: int) -> str:
    minutes, seconds = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-03-14T{18 + hours:02d}:{minutes:02d}:{seconds:02d}.000Z"


class Transcript:
    def __init__(self, cwd: str, session_id: str = "sess-replay-1", version: str = "2.1.76"):
        self.cwd = cwd
        self.session_id = session_id
        self.version = version
        self.lines: list[dict[str, Any]] = []
        self.second = 0
        self.last_uuid: str | None = None

    def _base(self, kind: str, **extra: Any) -> dict[str, Any]:
        self.second += 2
        uuid = f"u-{next(_ids):06d}"
        line = {
            "parentUuid": self.last_uuid,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": self.version,
            "gitBranch": "main",
            "type": kind,
            "uuid": uuid,
            "timestamp": stamp(self.second),
        }
        line.update(extra)
        self.last_uuid = uuid
        return line

    def prompt(self, text: str, prompt_id: str | None = "p-1") -> Transcript:
        extra = {"promptId": prompt_id} if prompt_id else {}
        self.lines.append(self._base("user", message={"role": "user", "content": text}, **extra))
        return self

    def call(
        self,
        name: str,
        tool_input: dict[str, Any],
        result: str,
        tool_use_result: Any = None,
        *,
        is_error: bool = False,
        use_id: str | None = None,
        **line_extra: Any,
    ) -> str:
        """An assistant tool_use line and the user tool_result line answering it."""
        use_id = use_id or f"toolu_{next(_ids):08d}"
        use = {"type": "tool_use", "id": use_id, "name": name, "input": tool_input}
        assistant = {"role": "assistant", "type": "message", "content": [use]}
        self.lines.append(self._base("assistant", message=assistant, **line_extra))
        block = {"tool_use_id": use_id, "type": "tool_result", "content": result}
        if is_error:
            block["is_error"] = True
        extra = dict(line_extra)
        if tool_use_result is not None:
            extra["toolUseResult"] = tool_use_result
        elif is_error:
            extra["toolUseResult"] = f"Error: {result}"
        self.lines.append(self._base("user", message={"role": "user", "content": [block]}, **extra))
        return use_id

    def bash(self, command: str, stdout: str = "", **line_extra: Any) -> str:
        response = {"stdout": stdout, "stderr": "", "interrupted": False, "isImage": False}
        return self.call("Bash", {"command": command}, stdout, response, **line_extra)

    def write(self, path: str, content: str) -> str:
        response = {
            "type": "create",
            "filePath": path,
            "content": content,
            "structuredPatch": [],
            "originalFile": None,
        }
        return self.call(
            "Write",
            {"file_path": path, "content": content},
            f"File created successfully at: {path}",
            response,
        )

    def edit(self, path: str, original: str, old: str, new: str) -> str:
        response = {
            "filePath": path,
            "oldString": old,
            "newString": new,
            "originalFile": original,
            "structuredPatch": [],
            "userModified": False,
            "replaceAll": False,
        }
        return self.call(
            "Edit",
            {"file_path": path, "old_string": old, "new_string": new},
            f"The file {path} has been updated successfully.",
            response,
        )

    def read(self, path: str, content: str) -> str:
        lines = content.splitlines()
        numbered = "\n".join(f"{i:>6}→{line}" for i, line in enumerate(lines, 1))
        response = {
            "type": "text",
            "file": {
                "filePath": path,
                "content": content,
                "numLines": len(lines),
                "startLine": 1,
                "totalLines": len(lines),
            },
        }
        return self.call("Read", {"file_path": path}, numbered, response)

    def raw(self, line: dict[str, Any]) -> Transcript:
        self.lines.append(line)
        return self

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)

    def save(self, path: Path) -> Path:
        data = self.text().encode()
        if path.name.endswith(".xz"):
            path.write_bytes(lzma.compress(data))
        elif path.name.endswith(".gz"):
            path.write_bytes(gzip.compress(data))
        else:
            path.write_bytes(data)
        return path
