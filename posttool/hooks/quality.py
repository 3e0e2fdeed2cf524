"""The quality family's edit checks (spec §4.9-4.14): assumption_check, verification_reminder,
ui_verification_gate, code_quality_gate and state_mutation_guard. quality_scanner has its own
module (hooks/quality_scanner.py), and the suggestion hooks theirs (hooks/suggestions.py).

Each hook reads the event and what state_updater recorded for this call, and says at most one
short thing. None of them reads a file or starts a process. Their detection logic lives in lib
modules that are imported only when a hook needs them, so a Read or Bash event never loads the
AST or edit checks:
- lib/paths_match: code files, test paths and skip paths (`common.*`);
- lib/assumptions: assumption_check's rules;
- lib/pyast: the AST checks of code_quality_gate and state_mutation_guard (one shared tree,
  `event.py_parse()`);
- lib/linechecks: placeholders and the JavaScript/TypeScript line checks.
"""

from __future__ import annotations

from posttool.api import SUCCESS_ONLY, hook
from posttool.lib.fast.lazy import re
from posttool.lib.message import Message, bullets
from posttool.lib.text import join_limited, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast

    from posttool.lib.event import Event
    from posttool.lib.state import State


JS_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")


def _at(line: int | None) -> str:
    """`L12 ` for a known line number; nothing when the edit gave no line numbers."""
    return f"L{line} " if line is not None else ""


def _bounded_added(event: Event, state: State) -> list[tuple[int | None, str]]:
    from posttool.lib.linechecks import bounded

    return bounded(event.added_lines, state.common("max_scan_chars"))


# --- assumption_check (§4.9) ------------------------------------------------------------------


@hook(
    "assumption_check",
    matcher="Edit|Write",
    priority=22,
    events=SUCCESS_ONLY,
    defaults={"skip_tests": True, "min_added_chars": 30, "max_findings": 2, "cooldown_s": 1800},
)
def assumption_check(event: Event, state: State) -> Message | None:
    """Added code that silently assumes a non-empty result, valid JSON, a set variable...

    `min_added_chars` defaults to 30, not the 40 of the spec's trigger line: the spec's own
    example (an Edit adding `row = cur.execute(q).fetchall()[0]`, 34 characters) must fire,
    and the examples win. A `try`/`catch` on the JSON line itself also counts as a guard, and
    comment lines are never findings.
    """
    from posttool.lib.paths_match import code_target

    if not code_target(event, state, skip_tests=state.cfg("skip_tests"), skip_generated=True):
        return None
    added = _bounded_added(event, state)
    if len("\n".join(text for _, text in added)) < state.cfg("min_added_chars"):
        return None
    from posttool.lib.assumptions import ASSUMPTION, find_assumptions

    limit = state.cfg("max_findings")
    cooldown = state.cfg("cooldown_s")
    taken: list[tuple[int | None, str, str]] = []
    after = event.content_after
    file_lines = after.splitlines() if after is not None else None
    for line_no, rule, text in find_assumptions(added, file_lines):
        if len(taken) >= limit:
            break
        if any(rule == r for _, r, _ in taken):
            continue
        if state.ready(f"{event.path_key}:{rule}", seconds=cooldown):
            taken.append((line_no, rule, text))
    if not taken:
        return None
    lines = []
    for line_no, rule, text in taken:
        state.mark(f"{event.path_key}:{rule}")
        lines.append(
            f"{_at(line_no)}`{one_line(text, 60)}`: assumes {ASSUMPTION[rule]}; guard it or "
            "assert it if it is not guaranteed."
        )
    return Message(bullets(f"Assumptions in {event.display_path} (added lines):", lines), "info")


# --- verification_reminder (§4.10) ------------------------------------------------------------


@hook(
    "verification_reminder",
    matcher="Edit|Write|MultiEdit",
    priority=25,
    events=SUCCESS_ONLY,
    defaults={
        "fix_iterations": 2,
        "fix_cooldown_calls": 1000,
        "edits_threshold": 5,
        "cooldown_calls": 10,
    },
)
def verification_reminder(event: Event, state: State) -> Message | None:
    """After repeated failing test runs with edits in between (A), or a run of unverified code
    edits (B), remind the model to verify. Reads only what state_updater recorded."""
    from posttool.lib.paths_match import code_target

    if not code_target(event, state):
        return None
    from posttool.lib.verification import agent_key, agent_record, covering_run

    verification = state.doc["verification"]
    agent = agent_key(event)
    streak = _longest_fail_streak(verification, state.cfg("fix_iterations"), agent)
    if streak is not None:
        key = f"fix:{streak['call']}"
        if state.ready(key, calls=state.cfg("fix_cooldown_calls")):
            state.mark(key)
            failed = one_line(streak["cmd"], 120)
            shown = f"`{failed}`" if failed else "The test command"
            return Message(
                f"{shown} has failed {streak['n']} times with edits in between; re-run it now "
                "and read the whole failure before changing more.",
                "action",
                key=f"{key}:{streak['n']}",  # a further failure is a new fact
            )
    # The agent's own edits and checks: each agent has its own context and its own task.
    record = agent_record(verification, agent)
    edits = record["edits"]
    if edits < state.cfg("edits_threshold"):
        return None
    cooldown_key = f"unverified:{agent}" if agent else "unverified"
    if not state.ready(cooldown_key, calls=state.cfg("cooldown_calls")):
        return None
    state.mark(cooldown_key)
    command = one_line(covering_run(record), 60)
    check = f"`{command}`" if command else "the relevant tests or checks"
    # Said once per stretch of unverified edits: the facts change only when a check runs.
    return Message(
        f"{edits} code edits since the last test/build/lint run; run {check} before calling "
        "this done.",
        "warn",
        key=f"unverified:{agent}:{record['verify_call']}",
    )


def _longest_fail_streak(verification: dict, threshold: int, agent: str = "") -> dict | None:
    """The test run of this agent that has failed most often (at least `threshold` times) with
    edits in between and has not passed since; counts are per run (`commands.run_under_test`),
    so failures of different commands never add up."""
    streaks = verification.get("fail_streaks")
    if not isinstance(streaks, dict):
        return None
    best = None
    for streak in streaks.values():
        if not isinstance(streak, dict) or not isinstance(streak.get("n"), int):
            continue
        if streak.get("agent", "") != agent:
            continue
        if streak["n"] >= threshold and (best is None or streak["n"] >= best["n"]):
            best = streak
    return best


# --- ui_verification_gate (§4.11) -------------------------------------------------------------

UI_EXTENSIONS = [".css", ".scss", ".sass", ".less", ".styl", ".vue", ".svelte", ".html"]
UI_JSX = r"className=|style=\{\{|styled\.|css`|sx=\{|@apply"


@hook(
    "ui_verification_gate",
    matcher="Edit|Write|MultiEdit",
    priority=30,
    events=SUCCESS_ONLY,
    writes=("ui",),
    defaults={
        "escalate_after": 5,
        "ui_extensions": UI_EXTENSIONS,
        "cooldown_calls": 20,
        "screenshot_grace_calls": -1,  # -1: as many as cooldown_calls
    },
)
def ui_verification_gate(event: Event, state: State) -> Message | None:
    """Count UI edits since the last screenshot and remind the model to look at the result.

    A screenshot (recorded by state_updater) re-arms the reminder, and also grants a grace of
    `screenshot_grace_calls` (default: `cooldown_calls`, 20) calls: the spec's example has a
    CSS edit right after a screenshot stay silent, since the model is evidently checking.
    """
    if not _is_ui_edit(event, state):
        return None
    ui = state.doc["ui"]
    ui["edits_since_shot"] += 1
    path = event.display_path or event.path_key or ""
    if path in ui["files"]:
        ui["files"].remove(path)
    ui["files"].append(path)
    del ui["files"][:-10]
    if not _ui_reminder_due(state, ui):
        return None
    state.mark("remind")
    severity = "warn" if ui["edits_since_shot"] >= state.cfg("escalate_after") else "info"
    files = join_limited(list(reversed(ui["files"])), 3)
    return Message(
        f"UI files changed with no screenshot since ({files}). Check the rendered result (a "
        "browser or screenshot tool, if available) before calling the UI change done.",
        severity,
        key=f"since:{ui['last_screenshot_call']}:{files}",  # a screenshot makes it news again
    )


def _is_ui_edit(event: Event, state: State) -> bool:
    """A UI file outside the skip paths and the test paths: a component test's `className` or
    an HTML fixture under `tests/` is checked by running the tests, not by looking."""
    from posttool.lib.paths_match import is_skip_path, is_test_path, match_path

    path = match_path(event)
    if not event.file_path or is_skip_path(state, path) or is_test_path(state, path):
        return False
    extensions = state.cfg("ui_extensions")
    if event.ext in extensions:
        return True
    if event.ext not in (".jsx", ".tsx"):
        return False
    return any(re.search(UI_JSX, text) for _, text in _bounded_added(event, state))


def _ui_reminder_due(state: State, ui: dict) -> bool:
    cooldown = state.cfg("cooldown_calls")
    shot = ui["last_screenshot_call"]
    grace = state.cfg("screenshot_grace_calls")
    if shot is not None and state.call_index - shot < (grace if grace >= 0 else cooldown):
        return False
    entry = state.doc["cooldowns"].get(f"{state.hook}|remind")
    reminded = entry[1] if isinstance(entry, list) and len(entry) >= 2 else None
    if shot is not None and isinstance(reminded, int) and reminded < shot:
        return True  # a screenshot since the last reminder re-arms it
    return state.ready("remind", calls=cooldown)


# --- code_quality_gate (§4.12) ----------------------------------------------------------------

MAX_LINE_FINDINGS = 20  # per line check and edit: more are never shown, and cost time
MAX_AST_NODES = 12_000  # posttool.lib.pyast.MAX_NODES, which must not load for a Read
IO_CALLS = [
    "execute", "query", "objects.get", "objects.filter", "fetchone", "fetchall", "session.get",
    "requests.get", "requests.post", "urlopen",
]  # fmt: skip


@hook(
    "code_quality_gate",
    matcher="Edit|Write",
    priority=35,
    events=SUCCESS_ONLY,
    budget_ms=100,
    defaults={
        "cooldown_s": 1800,
        "max_findings": 4,
        "io_calls": IO_CALLS,
        "max_nesting": 4,
        "max_ast_nodes": MAX_AST_NODES,
        "god_file_lines": 500,
    },
)
def code_quality_gate(event: Event, state: State) -> Message | None:
    """Costly patterns in the code just written, each reported only where it overlaps the
    added lines (syntax errors and god files concern the whole file)."""
    from posttool.lib.paths_match import code_target, is_test_path, match_path

    if not code_target(event, state, skip_generated=True):
        return None
    # (line, check, one-line advice, cooldown key or None)
    findings: list[tuple[int | None, str, str, str | None]] = []
    tree = None
    if event.is_python:
        tree, error = event.py_parse()
        if error is not None:
            advice = f"{error[1]}; the file does not parse"
            findings.append((error[0], "syntax_error", advice, None))
        elif tree is not None:
            findings += _python_quality(event, state, tree)
    elif event.ext in JS_EXTENSIONS:
        findings += _js_quality(event, state)
    if not is_test_path(state, match_path(event)):  # long test files and test stubs are normal
        findings += _god_file(event, state)
        findings += _placeholders(event, state, tree)

    cooldown = state.cfg("cooldown_s")
    ready: list[tuple[int | None, str, str, str | None]] = []
    keys: set[str] = set()
    for finding in findings:
        key = finding[3]
        if key is not None and (key in keys or not state.ready(key, seconds=cooldown)):
            continue
        if key is not None:
            keys.add(key)
        ready.append(finding)
    if not ready:
        return None
    ready.sort(key=lambda f: (f[1] != "syntax_error", f[0] or 0))
    shown = ready[: state.cfg("max_findings")]
    for _, _, _, key in shown:
        if key is not None:
            state.mark(key)
    count = len(ready)
    headline = (
        f"{event.display_path}: {count} code-quality finding{'s' if count != 1 else ''} in the "
        "changed lines:"
    )
    severity = "action" if any(f[1] == "syntax_error" for f in ready) else "warn"
    return Message(bullets(headline, _grouped_lines(shown)), severity)


def _grouped_lines(shown: list[tuple[int | None, str, str, str | None]]) -> list[str]:
    """One bullet per (check, advice), naming every line it applies to: the same stub three
    times is one finding at three places, not three findings (issue 7 §3)."""
    groups: dict[tuple[str, str], list[int | None]] = {}
    for line, check, advice, _ in shown:
        groups.setdefault((check, advice), []).append(line)
    out = []
    for (check, advice), lines in groups.items():
        where = ", ".join(f"L{n}" for n in lines if n is not None)
        out.append(f"{where + ' ' if where else ''}{check}: {advice}")
    return out


def _python_quality(
    event: Event, state: State, tree: ast.Module
) -> list[tuple[int | None, str, str, str | None]]:
    from posttool.lib.pyast import quality_findings

    found = quality_findings(
        tree,
        event.added_line_numbers(),
        state.cfg("io_calls"),
        state.cfg("max_nesting"),
        state.cfg("max_ast_nodes"),
    )
    return [(f.line, f.check, f.detail, f"{event.path_key}:{f.check}:{f.key_name}") for f in found]


def _js_quality(event: Event, state: State) -> list[tuple[int | None, str, str, str | None]]:
    from itertools import islice

    from posttool.lib.linechecks import await_in_loops

    added = _bounded_added(event, state)
    findings: list[tuple[int | None, str, str, str | None]] = []
    for line, _, for_each in islice(await_in_loops(added), MAX_LINE_FINDINGS):
        advice = (
            "`await` inside `.forEach` is not awaited by the loop; use `for … of`, or "
            "`await Promise.all(items.map(...))`"
            if for_each
            else "`await` in a loop runs the calls one after another; if they are independent, "
            "start them together and `await Promise.all(...)`"
        )
        findings.append((line, "await_in_loop", advice, _line_key(event, "await_in_loop", line)))
    return findings


def _line_key(event: Event, check: str, line: int | None) -> str:
    return f"{event.path_key}:{check}:L{line if line is not None else '?'}"


def _god_file(event: Event, state: State) -> list[tuple[int | None, str, str, str | None]]:
    """The edit took the file past `god_file_lines`: created that long, or crossing it now."""
    limit = state.cfg("god_file_lines")
    after = event.content_after
    if after is None:
        return []
    total = len(after.splitlines())
    if total <= limit:
        return []
    before = event.content_before
    created = event.write_kind == "create"
    if not created and (before is None or len(before.splitlines()) > limit):
        return []
    advice = f"the file now has {total} lines; split it by responsibility before it grows further"
    return [(limit + 1, "god_file", advice, f"{event.path_key}:god_file:file")]


def _placeholders(
    event: Event, state: State, tree: ast.Module | None
) -> list[tuple[int | None, str, str, str | None]]:
    """Stubs in added lines. In Python, a stub inside an `@abstractmethod` is the point of the
    method and is not reported; the cooldown key names the function when there is one."""
    from posttool.lib.linechecks import placeholders
    from posttool.lib.text import h

    findings: list[tuple[int | None, str, str, str | None]] = []
    for line, text in placeholders(_bounded_added(event, state)):
        if len(findings) >= MAX_LINE_FINDINGS:
            break
        where = f"L{line}" if line is not None else h(text.strip())
        if tree is not None and line is not None:
            from posttool.lib.pyast import enclosing_function

            function, abstract = enclosing_function(tree, line)
            if abstract:
                continue
            where = function or where
        advice = (
            f"`{one_line(text, 50)}` is a stub; implement it, or say plainly that it is unfinished"
        )
        findings.append((line, "placeholder", advice, f"{event.path_key}:placeholder:{where}"))
    return findings


# --- state_mutation_guard (§4.14) -------------------------------------------------------------


@hook(
    "state_mutation_guard",
    matcher="Edit|Write",
    priority=37,
    events=SUCCESS_ONLY,
    budget_ms=100,
    defaults={"max_ast_nodes": MAX_AST_NODES, "cooldown_s": 1800, "max_findings": 2},
)
def state_mutation_guard(event: Event, state: State) -> Message | None:
    """Shared mutable defaults and in-place mutation bugs in Python and React code.

    A mutable default is reported when the edit touched the function and the body mutates the
    parameter (observable sharing), or when the default itself is on an added line.
    """
    from posttool.lib.paths_match import is_skip_path, match_path

    if not event.file_path or is_skip_path(state, match_path(event)):
        return None
    # (line, check, name for the cooldown key, text)
    findings: list[tuple[int | None, str, str, str]] = []
    if event.is_python:
        tree, _ = event.py_parse()
        if tree is None:
            return None
        from posttool.lib.pymutation import mutation_findings

        added = event.added_line_numbers()
        for f in mutation_findings(tree, added, state.cfg("max_ast_nodes")):
            findings.append((f.line, f.check, f.scope, f.detail))
    elif event.ext in JS_EXTENSIONS:
        findings += _react_mutations(event, state)
    else:
        return None
    cooldown = state.cfg("cooldown_s")
    shown = []
    for line, check, name, text in findings:
        key = f"{event.path_key}:{check}:{name}"
        if state.ready(key, seconds=cooldown):
            state.mark(key)
            shown.append(f"{_at(line)}{text}")
            if len(shown) >= state.cfg("max_findings"):
                break
    if not shown:
        return None
    return Message(bullets(f"{event.display_path}:", shown), "warn")


def _react_mutations(event: Event, state: State) -> list[tuple[int | None, str, str, str]]:
    from posttool.lib.linechecks import copy_hint, mutate_then_set, this_state_assignments

    added = _bounded_added(event, state)
    findings: list[tuple[int | None, str, str, str]] = []
    for line, name, method, setter in mutate_then_set(added):
        text = (
            f"`{name}` is mutated, then passed to `{setter}`: React sees the same reference and "
            f"may not re-render. Copy first (`{copy_hint(name, method)}`)."
        )
        findings.append((line, "state_mutate_then_set", name, text))
    for line, field in this_state_assignments(added):
        text = (
            f"`this.state.{field} = …` changes state in place: React does not re-render. Use "
            f"`this.setState({{ {field}: … }})`."
        )
        findings.append((line, "this_state_assign", field, text))
    return sorted(findings, key=lambda f: f[0] or 0)
