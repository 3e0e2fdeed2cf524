"""`posttool explain`: read one event (a file, stdin or a session's last one) and print, hook by
hook, what `posttool run` does with it and why."""

from __future__ import annotations

import os
import sys
from typing import BinaryIO, TextIO

from posttool.cli.sessions import pick
from posttool.cli.terminal import CliError, Style
from posttool.lib import paths
from posttool.lib.fast.jsonfast import dumps
from posttool.runner.explain import ExplainError, Explanation, HookTrace, explain

MAX_EVENT_BYTES = 8_000_000
MESSAGE_PREVIEW_LINES = 3


def read_event(home: str, source: str | None, last: bool, session: str | None) -> bytes:
    """The raw event: a session's kept last event, a file, or stdin (`-` or no file)."""
    if last:
        return read_last(home, session)
    if source in (None, "-"):
        stdin: BinaryIO = sys.stdin.buffer
        if stdin.isatty():
            raise CliError("give an EVENT_FILE, --last, or an event on stdin", code=2)
        return stdin.read(MAX_EVENT_BYTES + 1)
    try:
        with open(source, "rb") as handle:
            return handle.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None


def read_last(home: str, session: str | None) -> bytes:
    chosen = pick(home, session)
    path = paths.last_event_path(home, chosen.key)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise CliError(
            f"no last event kept for session {chosen.key} (none since this posttool, or it was "
            "larger than state.last_event_max_bytes)"
        ) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def run_explain(
    home: str,
    source: str | None,
    last: bool,
    session: str | None,
    as_json: bool,
    out: TextIO,
) -> int:
    data = read_event(home, source, last, session)
    if len(data) > MAX_EVENT_BYTES:
        raise CliError(f"the event is larger than {MAX_EVENT_BYTES} bytes")
    try:
        explanation = explain(data, home, dict(os.environ), rewind=last)
    except ExplainError as exc:
        raise CliError(f"{source if source not in (None, '-') else 'stdin'}: {exc}") from None
    if as_json:
        out.write(dumps(explanation.as_dict()) + "\n")
        return 0
    for line in render(explanation, Style.for_stream(out)):
        out.write(line + "\n")
    return 0


def render(explanation: Explanation, style: Style) -> list[str]:
    event = explanation.event
    where = f" {event.display_path}" if event.display_path else ""
    lines = [
        style.bold(f"{event.event_name} {event.tool_name}{where}")
        + style.dim(f"  session {event.session_key}, call {event.call_index}"),
    ]
    lines += [style.warn(f"note: {note}") for note in explanation.notes]
    if explanation.prepare_ms >= 0.05:
        lines.append(style.dim(f"prepare (before the lock): {explanation.prepare_ms:.1f} ms"))
    lines.append("")
    for trace in explanation.traces:
        lines += render_trace(trace, style)
    lines.append("")
    if explanation.answer:
        lines.append(style.bold("the model reads:"))
        lines += [f"  {line}" for line in explanation.answer.split("\n")]
    else:
        lines.append(style.bold("the model reads nothing ({})"))
    if explanation.log:
        lines.append(style.bold("logged:"))
        lines += [f"  {line}" for line in explanation.log]
    return lines


def render_trace(trace: HookTrace, style: Style) -> list[str]:
    head = f"{trace.priority:>4} {trace.name:<28}"
    if trace.status != "ran":
        why = "; ".join(trace.reasons)  # "disabled by …", "off by default …", "suspended …"
        return [
            style.dim(
                f"{head} not matched: {why}" if trace.status == "not matched" else f"{head} {why}"
            )
        ]
    took = f"{trace.ms:.1f} ms" if trace.ms is not None else ""
    outcome = trace.outcome
    if trace.failure:
        outcome = f"failed: {trace.failure}"
    painted = _paint_outcome(outcome, trace, style)
    lines = [f"{head} {painted}  {style.dim(took)}"]
    detail = " " * 6
    if trace.message is not None:
        text = trace.message["text"].split("\n")
        shown = text[:MESSAGE_PREVIEW_LINES]
        more = f" (+{len(text) - len(shown)} lines)" if len(text) > len(shown) else ""
        lines.append(f"{detail}{trace.message['severity']}: {shown[0]}")
        lines += [f"{detail}  {line}" for line in shown[1:]]
        if more:
            lines.append(style.dim(f"{detail}  {more.strip()}"))
    for wait in trace.not_due:
        lines.append(style.dim(f"{detail}not due: {wait}"))
    if trace.changed:
        lines.append(style.dim(f"{detail}changed: {describe_changes(trace.changed)}"))
    return lines


def _paint_outcome(outcome: str, trace: HookTrace, style: Style) -> str:
    if trace.failure:
        return style.bad(outcome)
    if outcome == "spoke":
        return style.ok(outcome)
    if outcome != "silent":
        return style.warn(outcome)
    return outcome


def describe_changes(changed: dict[str, list[str]]) -> str:
    parts = []
    for section, keys in changed.items():
        parts.append(f"{section} ({', '.join(keys)})" if keys else section)
    return "; ".join(parts)
