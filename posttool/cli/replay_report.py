"""What `posttool replay` prints: the answers the model would have read, then the figures."""

from __future__ import annotations

import json
from typing import Any, TextIO

from posttool.cli.terminal import Style, table
from posttool.runner.replay import Answer, ReplayResult

CONTEXT_INDENT = "    "


def per_100(value: int, calls: int) -> float:
    return round(value * 100 / calls, 1) if calls else 0.0


def hook_rows(result: ReplayResult) -> list[tuple[str, int, int, float]]:
    """(label, times spoken, characters, share of all characters), most characters first."""
    total = result.characters
    rows = [
        (label, tally.spoken, tally.characters, tally.characters / total if total else 0.0)
        for label, tally in result.hooks.items()
    ]
    rows.sort(key=lambda row: (-row[2], row[0]))
    return rows


def to_json(result: ReplayResult) -> dict[str, Any]:
    calls = result.calls
    return {
        "files": result.files,
        "sessions": len(result.sessions),
        "calls": calls,
        "subagent_calls": result.subagent_calls,
        "failures": result.failures,
        "answers_with_context": result.answers_with_context,
        "characters": result.characters,
        "per_100_calls": {
            "answers_with_context": per_100(result.answers_with_context, calls),
            "characters": per_100(result.characters, calls),
        },
        "hooks": {
            label: {"spoken": spoken, "characters": chars, "share": round(share, 4)}
            for label, spoken, chars, share in hook_rows(result)
        },
        "problems": dict(sorted(result.problems.counts.items())),
        "notes": dict(sorted(result.problems.notes.items())),
        "subagent_answers": result.subagent_share()[0],
        "subagent_characters": result.subagent_share()[1],
        "rebuilt_responses": result.rebuilt_responses,
        "files_materialised": result.files_materialised,
        "log": {**result.log, "distinct": [[n, text] for text, n in result.log["distinct"]]},
        "answers": [answer_json(answer) for answer in result.answers],
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "file": answer.file,
        "call": answer.number,
        "session_id": answer.session_id,
        "tool": answer.tool_name,
        "summary": answer.summary,
        "ok": answer.ok,
        "subagent": answer.subagent,
        "context": answer.context,
        "hooks": [[label, chars] for label, chars in answer.parts],
    }


def write_json(result: ReplayResult, out: TextIO) -> None:
    out.write(json.dumps(to_json(result), ensure_ascii=False, indent=1) + "\n")


def write_text(result: ReplayResult, out: TextIO, style: Style) -> None:
    write_answers(result.answers, out, style)
    write_summary(result, out, style)


def write_answers(answers: list[Answer], out: TextIO, style: Style) -> None:
    current_file = None
    for answer in answers:
        if answer.file != current_file:
            current_file = answer.file
            out.write(style.bold(f"== {answer.file}") + "\n")
        out.write(call_line(answer, style) + "\n")
        for line in answer.context.split("\n") if answer.context else ():
            out.write(CONTEXT_INDENT + line + "\n")


def call_line(answer: Answer, style: Style) -> str:
    marks = []
    if not answer.ok:
        marks.append(style.bad("failed"))
    if answer.subagent:
        marks.append(f"sub-agent {answer.agent_type or '?'}")
    mark = f" ({', '.join(marks)})" if marks else ""
    return f"#{answer.number} {style.bold(answer.tool_name)}{mark} {style.dim(answer.summary)}"


def write_summary(result: ReplayResult, out: TextIO, style: Style) -> None:
    calls = result.calls
    out.write("\n")
    out.write(
        f"Replayed {result.files} file(s), {len(result.sessions)} session(s), {calls} call(s) "
        f"({result.subagent_calls} in sub-agents, {result.failures} failed).\n"
    )
    rows = [
        [label, str(spoken), str(chars), f"{share * 100:.1f}%"]
        for label, spoken, chars, share in hook_rows(result)
    ]
    rows.append(["total", str(result.answers_with_context), str(result.characters), "100.0%"])
    header = ["hook", "spoken", "characters", "share"]
    for line in table(rows, style, header, right=frozenset({1, 2, 3})):
        out.write(line + "\n")
    out.write(
        f"Per 100 calls: {per_100(result.answers_with_context, calls)} answers with context, "
        f"{per_100(result.characters, calls)} characters.\n"
    )
    sub_answers, sub_chars = result.subagent_share()
    out.write(f"Of these, to sub-agents: {sub_answers} answers, {sub_chars} characters.\n")
    problems = result.problems.counts
    if problems:
        out.write("Problems: " + "; ".join(f"{k} ×{n}" for k, n in sorted(problems.items())))
        out.write("\n")
    else:
        out.write("Problems: none.\n")
    notes = result.problems.notes
    if notes:
        out.write("Notes: " + "; ".join(f"{k} ×{n}" for k, n in sorted(notes.items())) + "\n")
    write_log(result.log, out, style)


def write_log(log: dict[str, Any], out: TextIO, style: Style) -> None:
    out.write(
        f"posttool.log: {log['internal_errors']} internal error(s), {log['hook_errors']} hook "
        f"error(s), {log['overruns']} budget overrun(s), {log['suspensions']} suspension(s), "
        f"{log['other_lines']} other line(s).\n"
    )
    for text, count in log["distinct"]:
        out.write(f"  {count:>4} × {style.warn(text)}\n")
