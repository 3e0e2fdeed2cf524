"""Replay events through the state family in process, keeping each call's facts.

The call facts (spec §3.3) are never persisted, so end-to-end runs cannot show them. `Replay`
does what the runner does for the hooks of the state family: it builds the real Event,
numbers the call and the turn with the runner's own `number_call`, and dispatches the matching
hooks with the runner's isolation, over one in-memory session document.
"""

from __future__ import annotations

from typing import Any

from posttool.lib.config import Config, flatten
from posttool.lib.event import Event
from posttool.lib.message import Message
from posttool.lib.schema import new_session
from posttool.lib.state import NoStores, State
from posttool.runner.dispatch import dispatch
from posttool.runner.normalise import build_event
from posttool.runner.registry import load_registry
from posttool.runner.run import number_call
from tests.conftest import START, Session, load_fixture, merge

SUB_AGENT = {"agent_id": "sub-1", "agent_type": "general-purpose"}
Step = tuple[str | dict[str, Any], dict[str, Any]]


def bash_ok(command: str, stdout: str = "", **extra: Any) -> Step:
    return "05", merge(
        {"tool_input": {"command": command}, "tool_response": {"stdout": stdout}}, extra
    )


def bash_fail(command: str, error: str = "Exit code 1\nboom", **extra: Any) -> Step:
    return "06", merge({"tool_input": {"command": command}, "error": error}, extra)


def edit(old: str, new: str, path: str = "app.py", **extra: Any) -> Step:
    """An Edit of `path` replacing `old` by `new` (no patch: added lines come from `new`)."""
    return "03", merge(
        {
            "tool_input": {"file_path": path, "old_string": old, "new_string": new},
            "tool_response": {
                "filePath": path,
                "oldString": old,
                "newString": new,
                "originalFile": f"{old}\n",
                "structuredPatch": [],
            },
        },
        extra,
    )


def write(path: str, content: str, original: str | None = None, **extra: Any) -> Step:
    """A Write create (original None) or update of `path`."""
    kind = "create" if original is None else "update"
    return ("01" if original is None else "04"), merge(
        {
            "tool_input": {"file_path": path, "content": content},
            "tool_response": {
                "type": kind,
                "filePath": path,
                "content": content,
                "originalFile": original,
                "structuredPatch": [],
            },
        },
        extra,
    )


def read(path: str = "app.py", content: str = "x\n", **extra: Any) -> Step:
    lines = content.count("\n") or 1
    return "02", merge(
        {
            "tool_input": {"file_path": path},
            "tool_response": {
                "file": {
                    "filePath": path,
                    "content": content,
                    "numLines": lines,
                    "totalLines": lines,
                }
            },
        },
        extra,
    )


def tool(
    name: str, response: Any = None, tool_input: dict[str, Any] | None = None, **extra: Any
) -> Step:
    """Any other tool, built on fixture 05 with its Bash fields replaced."""
    raw = load_fixture("05")
    raw["tool_name"] = name
    raw["tool_input"] = tool_input or {}
    raw["tool_response"] = response if response is not None else {}
    return merge(raw, extra), {}


class Result:
    __slots__ = ("event", "messages", "state")

    def __init__(self, event: Event, state: State, messages: list[Message]) -> None:
        self.event = event
        self.state = state
        self.messages = messages

    @property
    def call(self) -> dict[str, Any]:
        return self.state.call

    @property
    def log(self) -> dict[str, int]:
        """confidence_log as {rule: applied delta}."""
        return dict(self.state.call["confidence_log"])

    def text(self, label: str = "confidence") -> str:
        return "\n".join(m.text for m in self.messages if (m.label or m.hook) == label)


class Replay:
    """One session of the state family, in memory."""

    def __init__(
        self,
        session: Session,
        config: dict[str, Any] | None = None,
        families: tuple[str, ...] = ("state",),
    ) -> None:
        self.session = session
        self.config = Config(flatten(config or {}))
        self.doc = new_session(session.session_id, "", START)
        self.now = START
        self.families = families
        self.registry = load_registry()
        self.stores = NoStores()  # project stores, in memory, shared by the whole replay

    @property
    def conf(self) -> dict[str, Any]:
        return self.doc["confidence"]

    def send(
        self, fixture: str | dict[str, Any], *, now: float | None = None, **changes: Any
    ) -> Result:
        raw = self.session.event(fixture, **changes)
        self.now = self.now + 1.0 if now is None else now
        event = build_event(raw, now=self.now)
        number_call(event, self.doc, self.config)
        event.freeze()
        state = State(self.doc, self.config, self.stores, now=self.now, call_index=event.call_index)
        hooks = [
            record
            for record in self.registry.matching(event.tool_name, event.event_name)
            if record.family in self.families
        ]
        messages = dispatch(hooks, event, state)
        return Result(event, state, messages)

    def step(self, step: Step, *, now: float | None = None) -> Result:
        fixture, changes = step
        return self.send(fixture, now=now, **changes)

    def run(self, steps: list[Step]) -> list[Result]:
        return [self.step(step) for step in steps]
