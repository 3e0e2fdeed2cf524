"""The tracking family of hooks (spec §4.19-4.23): patterns across calls and sessions.

Everything here works from what `state_updater` (priority 10) recorded for this call and the
ones before it: `recent_tools`, `files` and the call facts. Only `auto_learn` (in its own module,
hooks/auto_learn.py) touches a project store (`lessons`), and only `beads_auto_sync` starts a
process.
"""

from __future__ import annotations

import os

from posttool.api import SUCCESS_ONLY, hook
from posttool.lib import paths
from posttool.lib.message import Message
from posttool.lib.text import h, join_limited, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.state import State


EDIT_FAMILIES = ("write", "edit")
SIMILAR_EXCLUDED_KINDS = frozenset({"test", "git_commit", "git_push"})


# --- helpers shared by the family ---------------------------------------------------------


def _records(state: State) -> list[dict[str, Any]]:
    """The main model's calls in `recent_tools`, oldest first; includes this call's record once
    state_updater ran. Both hooks of the family speak to the main model only, and what a
    sub-agent read, ran or edited is not in its context: three reads of a file by an Explore
    agent are not the main model re-reading it."""
    return [r for r in state.doc["recent_tools"] if not r.get("agent")]


def _current_record(state: State) -> dict[str, Any] | None:
    records = _records(state)
    if records and records[-1].get("c") == state.call_index:
        return records[-1]
    return None


def _show(state: State, event: Event, path_key: str) -> str:
    """The display path of a `files` key (spec: display paths)."""
    if path_key == event.path_key and event.display_path:
        return event.display_path
    record = state.doc["files"].get(path_key)
    path = record.get("path") if isinstance(record, dict) else None
    return paths.display_path(path or path_key, event.project_root)


# --- scratch_enforcer (55) ----------------------------------------------------------------


@hook(
    "scratch_enforcer",
    matcher=".*",
    priority=55,
    defaults={
        "window": 8,
        "similar_commands": 5,
        "edit_window": 10,
        "same_edit_files": 3,
        "cooldown_calls": 20,
    },
)
def scratch_enforcer(event: Event, state: State) -> Message | None:
    """Hand-repeated work that one script would do.

    `similar_commands` counts *distinct* commands (by `norm`) of one shape: the same command
    run again after each edit is an edit-run loop, and a script would not replace it.
    """
    if event.is_subagent:
        return None
    if event.family == "bash":
        return _similar_commands(event, state)
    if event.family == "edit" and event.ok:
        return _same_edit(event, state)
    return None


def _similar_commands(event: Event, state: State) -> Message | None:
    facts = event.command_facts
    shape = event.cmd_shape
    if facts is None or not shape or facts.read_only or facts.kinds & SIMILAR_EXCLUDED_KINDS:
        return None
    window = state.cfg("window")
    threshold = state.cfg("similar_commands")
    first = state.call_index - window
    norms = {c["c"]: c.get("norm", "") for c in state.doc["commands"]}
    norms[state.call_index] = event.cmd_norm
    calls = [
        r["c"]
        for r in _records(state)
        if r["c"] > first and r["fam"] == "bash" and r["shape"] == shape
    ]
    matched = {norms.get(c, f"#{c}") for c in calls} | {event.cmd_norm}
    key = f"similar_commands:{shape}"
    if len(matched) < threshold or not state.ready(key, calls=state.cfg("cooldown_calls")):
        return None
    count = _repeated_work(event, state, calls)
    if count < threshold:
        return None
    state.mark(key)
    return Message(
        f"{count} similar `{shape} …` commands in the last {window} calls; one small "
        "script or loop can do the rest in a single call.",
        "info",
    )


def _repeated_work(event: Event, state: State, calls: list[int]) -> int:
    """How many of these commands are one job with trivially varying arguments: distinct
    hand-written text (`gh issue close 22 --comment "…"`) makes each command its own work."""
    from posttool.lib.repetition import repeated_count

    texts = {c["c"]: c.get("cmd") or c.get("norm", "") for c in state.doc["commands"]}
    texts[state.call_index] = event.command
    return repeated_count([texts.get(c, "") for c in calls] + [event.command])


def _same_edit(event: Event, state: State) -> Message | None:
    record = _current_record(state)
    pair = record.get("pair") if record else None
    if not pair:
        pair = [h(event.old_text), h(event.new_text)]
    window = state.cfg("edit_window")
    first = state.call_index - window
    files: dict[str, None] = {}
    for r in _records(state):
        if r["c"] > first and r["ok"] and r["fam"] == "edit" and r["pair"] == pair and r["path"]:
            files[r["path"]] = None
    if event.path_key:
        files[event.path_key] = None
    key = f"same_edit:{pair[0]}:{pair[1]}"
    if len(files) < state.cfg("same_edit_files"):
        return None
    if not state.ready(key, calls=state.cfg("cooldown_calls")):
        return None
    state.mark(key)
    shown = join_limited([f"`{_show(state, event, k)}`" for k in files], 3)
    return Message(
        f"The same replacement was applied by hand to {len(files)} files ({shown}); do the "
        "remaining ones with one scripted replace, then review the diff.",
        "info",
    )


# --- velocity_tracker (65) ----------------------------------------------------------------


@hook(
    "velocity_tracker",
    matcher="Read|Edit|Write|Bash|Glob|Grep",
    priority=65,
    defaults={
        "cooldown_calls": 10,
        "churn_window": 10,
        "churn_edits": 4,
        "churn_failures": 2,
        "window_calls": 12,
        "repeat_error_count": 3,
        "reread_count": 3,
    },
)
def velocity_tracker(event: Event, state: State) -> Message | None:
    """Spinning: undone edits, edit-run cycles that keep failing, identical failures and
    re-reads of unchanged files. Works from state only; reads no file."""
    if event.is_subagent:
        return None
    for detector in (_back_and_forth, _churn, _repeat_error, _reread):
        found = detector(event, state)
        if found is not None:
            key, message = found
            if state.ready(key, calls=state.cfg("cooldown_calls")):
                state.mark(key)
                return message
    return None


def _is_edit(record: dict[str, Any], path_key: str) -> bool:
    return record["fam"] in EDIT_FAMILIES and record["ok"] and record["path"] == path_key


def _back_and_forth(event: Event, state: State) -> tuple[str, Message] | None:
    undone = state.call.get("revert_of")
    if undone is None or not event.path_key:
        return None
    path = _show(state, event, event.path_key)
    return f"back_and_forth:{event.path_key}", Message(
        f"{path}: this edit undoes the one from {state.call_index - undone} calls ago. Decide "
        "which version is right, and why, before editing again.",
        "warn",
    )


def _churn(event: Event, state: State) -> tuple[str, Message] | None:
    if not (event.ok and event.family in EDIT_FAMILIES and event.path_key):
        return None
    window = state.cfg("churn_window")
    recent = [r for r in _records(state) if r["c"] > state.call_index - window]
    edits = sum(1 for r in recent if _is_edit(r, event.path_key))
    failed = sum(1 for r in recent if r["sig"])
    if edits < state.cfg("churn_edits") or failed < state.cfg("churn_failures"):
        return None
    path = _show(state, event, event.path_key)
    return f"churn:{event.path_key}", Message(
        f"{path} edited {edits} times in the last {window} calls while commands keep failing. "
        "Step back: re-read the error and the code path, and form one hypothesis before the "
        "next edit.",
        "warn",
    )


def _repeat_error(event: Event, state: State) -> tuple[str, Message] | None:
    sig = state.call.get("error_sig")
    if event.ok or not sig:
        return None
    window = _records(state)[-state.cfg("window_calls") :]
    same = [r for r in window if r["sig"] == sig]
    if len(same) < state.cfg("repeat_error_count"):
        return None
    from posttool.lib.diagnostics import error_line

    excerpt = one_line(error_line(event.error_body or event.error_text), 100).replace("`", "'")
    first = same[0]["c"]
    everyone = state.doc["recent_tools"]  # a sub-agent's fix is an edit between the runs too
    edited = any(r["c"] > first and r["fam"] in EDIT_FAMILIES and r["ok"] for r in everyone)
    if edited:
        text = (
            f"{len(same)} edit→run cycles ended in the same error: `{excerpt}`. Re-read the "
            "full error and check the assumption behind the fix before the next edit."
        )
    else:
        text = (
            f"The same failure {len(same)} times: `{excerpt}`. Re-running will not change it; "
            "change something first."
        )
    return f"repeat_error:{sig}", Message(text, "action")


def _reread(event: Event, state: State) -> tuple[str, Message] | None:
    key = event.path_key
    if not (event.ok and event.read_is_complete and state.call.get("read_unchanged") and key):
        return None
    window = _records(state)[-state.cfg("window_calls") :]
    everyone = state.doc["recent_tools"]  # an edit by a sub-agent changes the file too
    last_edit = max((r["c"] for r in everyone if _is_edit(r, key)), default=0)
    reads = [
        r
        for r in window
        if r["fam"] == "read" and r["ok"] and r["path"] == key and r["c"] > last_edit
    ]
    if len(reads) < state.cfg("reread_count"):
        return None
    span = state.call_index - reads[0]["c"] + 1
    path = _show(state, event, key)
    return f"reread:{key}", Message(
        f"{path} was read {len(reads)} times in {span} calls and has not changed; work from "
        "what you already read.",
        "info",
    )


# --- info_gain_tracker (70) ---------------------------------------------------------------

PROGRESS_TOOLS = ("AskUserQuestion", "ExitPlanMode", "TodoWrite")


@hook(
    "info_gain_tracker",
    matcher=".*",
    priority=70,
    writes=("info_gain",),
    defaults={
        "skip_in_plan_mode": True,
        "unchanged_weight": 2,
        "warn_reads": 20,
    },
)
def info_gain_tracker(event: Event, state: State) -> Message | None:
    """A long run of reading and searching with no edit, command, test or answer (a new user
    prompt) in between. Speaks once per run, at 20 weighted reads (issue 7 §3: the spec's
    "every 12" repeated itself and fired on ordinary orientation).

    The message names the 3 files read most recently (in reading order), then `…` if there
    were more.
    """
    if event.is_subagent:
        return None
    if event.permission_mode == "plan" and state.cfg("skip_in_plan_mode"):
        return None
    gain = state.doc["info_gain"]
    if event.new_turn:  # the model answered the user: a new run of reading starts here
        gain.update(reads_since_progress=0, files=[], warned_at=0, calls=0)
    family = event.family
    facts = event.command_facts
    if (
        (event.ok and family in EDIT_FAMILIES)
        or (family == "bash" and facts is not None and not facts.read_only)
        or family in ("agent", "todo")
        or event.tool_name in PROGRESS_TOOLS
    ):
        gain.update(reads_since_progress=0, files=[], warned_at=0, calls=0)
        return None
    if not (
        family in ("read", "search", "web_fetch", "web_search")
        or (family == "bash" and facts is not None and facts.read_only)
    ):
        return None
    # Twice only for a file this streak already read: the read cache also remembers reads
    # by sub-agents and by earlier sessions, which are not a re-read by this model.
    reread = state.call.get("read_unchanged") and event.display_path in gain["files"]
    gain["reads_since_progress"] += state.cfg("unchanged_weight") if reread else 1
    gain["calls"] = gain.get("calls", 0) + 1  # a session file from before the field
    if family == "read" and event.display_path:
        files = [f for f in gain["files"] if f != event.display_path]
        files.append(event.display_path)
        gain["files"] = files[-10:]
    count = gain["reads_since_progress"]
    if gain["warned_at"] or count < state.cfg("warn_reads"):
        return None
    gain["warned_at"] = count
    files = [f"`{path}`" for path in gain["files"]]
    shown = join_limited(files[-3:], 3) + (", …" if len(files) > 3 else "")
    listed = f" (last: {shown})" if files else ""
    return Message(
        f"{gain['calls']} reads/searches with no edit or command{listed}. Act on what you know, or "
        "name the one question the next read must answer.",
        "info",
        key=f"streak:{state.call_index - count}:{shown}",  # a new streak is new facts
    )


# --- beads_auto_sync (72) -----------------------------------------------------------------


@hook(
    "beads_auto_sync",
    matcher="Bash",
    priority=72,
    events=SUCCESS_ONLY,
    may_spawn=True,
    enabled=False,
    defaults={"bd_cmd": ["bd"], "cooldown_s": 300, "announce": True},
)
def beads_auto_sync(event: Event, state: State) -> Message | None:
    """After a successful commit or push in a beads project, start `bd sync` detached.

    Opt-in (`bd sync` may commit and push). Never waits and keeps no handle to the child.
    """
    if not event.ok or event.background:
        return None
    committed = isinstance(event.git_commit, dict) and event.git_commit.get("kind") == "committed"
    if not (committed or event.command_kinds & {"git_commit", "git_push"}):
        return None
    if "--dry-run" in event.command or "bd sync" in event.command:
        return None
    root = event.project_root
    if not os.path.isdir(os.path.join(root, ".beads")):
        return None
    bd_cmd = state.cfg("bd_cmd")
    if not bd_cmd or not all(isinstance(part, str) for part in bd_cmd):
        return None
    if not state.ready("sync", seconds=state.cfg("cooldown_s")):
        return None
    import shutil

    executable = shutil.which(bd_cmd[0])
    if executable is None:
        return None
    if not _spawn_detached([executable, *bd_cmd[1:], "sync"], root):
        return None
    state.mark("sync")
    if not state.cfg("announce"):
        return None
    # Each start is news of its own (not a repeat of the last one).
    return Message(
        "Started `bd sync` in the background after the commit.", "info", key=str(state.call_index)
    )


def _spawn_detached(argv: list[str], cwd: str) -> bool:
    import subprocess

    options: dict[str, Any] = {}
    if os.name == "nt":
        options["creationflags"] = (
            subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        )
    else:
        options["start_new_session"] = True
    try:
        subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            **options,
        )
    except (OSError, ValueError) as exc:
        from posttool.lib.log import log

        log(f"beads_auto_sync: cannot start {argv[0]} sync: {exc}")
        return False
    return True
