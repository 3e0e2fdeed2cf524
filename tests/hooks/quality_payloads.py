"""Event payloads for the quality hook tests, built on the real fixtures.

Write and Edit events carry a `structuredPatch` computed with difflib, in the shape Claude Code
sends (hunks of `newStart` plus lines prefixed ` `, `-` or `+`), so added line numbers are real.
"""

from __future__ import annotations

import difflib
from typing import Any

from tests.conftest import Session


def patch(before: str, after: str) -> list[dict[str, Any]]:
    a, b = before.splitlines(), after.splitlines()
    hunks = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(3):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [" " + line for line in a[a1:a2]]
                continue
            lines += ["-" + line for line in a[a1:a2]]
            lines += ["+" + line for line in b[b1:b2]]
        hunks.append(
            {
                "oldStart": i1 + 1,
                "oldLines": i2 - i1,
                "newStart": j1 + 1,
                "newLines": j2 - j1,
                "lines": lines,
            }
        )
    return hunks


def path_in(session: Session, rel: str) -> str:
    return str(session.project / rel)


def write(session: Session, rel: str, content: str, before: str | None = None, **extra: Any) -> str:
    """A Write of `rel`: a create when `before` is None, else an update of `before`."""
    path = path_in(session, rel)
    response: dict[str, Any] = {"filePath": path, "content": content}
    if before is None:
        response.update(type="create", structuredPatch=[])
        return session.send(
            "01",
            tool_input={"file_path": path, "content": content},
            tool_response=response,
            **extra,
        )
    response.update(type="update", structuredPatch=patch(before, content), originalFile=before)
    return session.send(
        "04", tool_input={"file_path": path, "content": content}, tool_response=response, **extra
    )


def edit(session: Session, rel: str, original: str, old: str, new: str, **extra: Any) -> str:
    """An Edit of `rel` replacing the first `old` in `original` by `new`."""
    assert old in original, "the Edit must apply"
    path = path_in(session, rel)
    after = original.replace(old, new, 1)
    return session.send(
        "03",
        tool_input={"file_path": path, "old_string": old, "new_string": new},
        tool_response={
            "filePath": path,
            "oldString": old,
            "newString": new,
            "originalFile": original,
            "structuredPatch": patch(original, after),
        },
        **extra,
    )


def bash(session: Session, command: str, stdout: str = "", **extra: Any) -> str:
    return session.send(
        "05",
        tool_input={"command": command},
        tool_response={"stdout": stdout, "stderr": ""},
        **extra,
    )


def bash_fail(session: Session, command: str, body: str, code: int = 1, **extra: Any) -> str:
    return session.send(
        "06", tool_input={"command": command}, error=f"Exit code {code}\n{body}", **extra
    )


def read(session: Session, rel: str, content: str, **extra: Any) -> str:
    path = path_in(session, rel)
    lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    return session.send(
        "02",
        tool_input={"file_path": path},
        tool_response={
            "file": {
                "filePath": path,
                "content": content,
                "numLines": lines,
                "startLine": 1,
                "totalLines": lines,
            }
        },
        **extra,
    )


def labelled(output: str, hook: str) -> list[str]:
    """The message blocks of `hook` in an additionalContext (headline plus its lines)."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("["):
            if current is not None:
                blocks.append("\n".join(current))
            current = [line] if line.startswith(f"[{hook}] ") else None
        elif current is not None:
            current.append(line)
    if current is not None:
        blocks.append("\n".join(current))
    return blocks


def call_hook(
    name: str,
    raw: dict[str, Any],
    *,
    doc: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    call_index: int = 1,
    now: float = 1_800_000_000.0,
) -> tuple[Any, Any]:
    """Run one hook directly on a raw payload and a hand-built session document.

    Returns (the Message or None, the State), for unit tests of what end-to-end runs hide
    (severity, state written by the hook).
    """
    from posttool.lib.config import Config, flatten
    from posttool.lib.schema import new_session
    from posttool.lib.state import State
    from posttool.runner.normalise import build_event
    from posttool.runner.registry import load_registry

    event = build_event(raw, now=now)
    event.set_runner_fact("call_index", call_index)
    event.freeze()
    state = State(
        doc or new_session("s", event.project_key, now),
        Config(flatten(config or {})),
        now=now,
        call_index=call_index,
    )
    state.hook = name
    return load_registry().by_name[name].fn(event, state), state
