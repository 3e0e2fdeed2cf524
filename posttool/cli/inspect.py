"""`posttool state ...`, `posttool cache ...` and `posttool hooks`: what posttool remembers and
what it will run, for a person (aligned text) or a machine (`--json`)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

from posttool.cli import caches, sessions
from posttool.cli.terminal import Style, human_age, human_size, table
from posttool.lib.config import Config, ConfigError, disabled_from_env, load_config
from posttool.lib.paths import project_dir, project_key, project_root, sessions_dir
from posttool.lib.schema import coerce_session

SHOW_FILES = 8
SHOW_ERRORS = 5
SHOW_ENTRIES = 10


def config_or_defaults(home: str, err: TextIO | None = None) -> Config:
    """The user's config; a broken file is reported and defaults are used, as the runner does."""
    try:
        return load_config(home)
    except ConfigError as exc:
        (err or sys.stderr).write(f"posttool: warning: {exc}; using defaults\n")
        return Config({}, disabled_from_env())


def dump(value: Any, out: TextIO) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _when(stamp: float, now: float) -> str:
    if not stamp:
        return "-"
    clock = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
    return f"{clock} ({human_age(now - stamp)} ago)"


# --- state -----------------------------------------------------------------------------------


def state_path(home: str, name: str | None, out: TextIO) -> int:
    out.write(sessions.pick(home, name).path + "\n")
    return 0


def state_show(home: str, name: str | None, as_json: bool, out: TextIO) -> int:
    session = sessions.pick(home, name)
    doc = sessions.read_doc(session.path)
    if as_json:
        dump(doc, out)
        return 0
    style = Style.for_stream(out)
    for line in describe_session(session, coerce_session(doc), time.time(), style):
        out.write(line + "\n")
    return 0


def describe_session(
    session: sessions.SessionFile, doc: dict[str, Any], now: float, style: Style
) -> list[str]:
    counters = doc["counters"]
    confidence = doc["confidence"]
    lines = [
        f"{style.bold('session')}     {doc['session_id'] or session.key}",
        f"file        {session.path} ({human_size(session.size)})",
        f"project     {doc['project_key'] or '-'}",
        f"created     {_when(doc['created_at'], now)}",
        f"updated     {_when(doc['updated_at'], now)}",
        f"calls       {counters['calls']} ({counters['failures']} failed, "
        f"{counters['consecutive_failures']} in a row now), turn {doc['turn']['index']}",
        f"confidence  {confidence['value']} ({confidence['tier']})" + _history(confidence),
    ]
    tools = sorted(counters["tool_counts"].items(), key=lambda kv: (-kv[1], kv[0]))
    if tools:
        lines.append("tools       " + ", ".join(f"{name} {count}" for name, count in tools[:10]))
    lines.extend(_files(doc))
    lines.extend(_errors(doc, style))
    lines.append(_verification(doc))
    lines.extend(_health(doc, style))
    active = len(doc["cooldowns"])
    lines.append(f"cooldowns   {active} recorded")
    return lines


def _history(confidence: dict[str, Any]) -> str:
    values = [
        str(item[1])
        for item in confidence["history"][-8:]
        if isinstance(item, list) and len(item) > 1
    ]
    return f"; recent: {' → '.join(values)}" if values else ""


def _files(doc: dict[str, Any]) -> list[str]:
    files = sorted(doc["files"].values(), key=lambda r: r["last"], reverse=True)
    if not files:
        return []
    lines = [f"files       {len(files)} tracked, most recent first:"]
    for record in files[:SHOW_FILES]:
        syntax = {True: "", False: ", syntax error", None: ""}[record["syntax_ok"]]
        lines.append(
            f"  {record['path']}  reads {record['reads']}, edits {record['edits']}{syntax}"
        )
    return lines


def _errors(doc: dict[str, Any], style: Style) -> list[str]:
    open_errors = [e for e in doc["errors"] if e["resolved_call"] is None]
    if not doc["errors"]:
        return []
    lines = [
        f"errors      {len(open_errors)} open, {len(doc['errors']) - len(open_errors)} resolved"
    ]
    for error in open_errors[-SHOW_ERRORS:]:
        text = error_line(error["text"])
        lines.append(
            f"  {style.warn('-')} [{error['tool']}] {text} (×{error['count']}, "
            f"last at call {error['last_call']})"
        )
    return lines


def error_line(text: str) -> str:
    """`Exit code 1: ModuleNotFoundError: ...`: the status line and the last line, which is
    where a traceback names the error."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    if len(lines) > 1 and lines[0].startswith("Exit code"):
        return f"{lines[0]}: {lines[-1]}"[:120]
    return " ".join(lines)[:120]


def _verification(doc: dict[str, Any]) -> str:
    verification = doc["verification"]
    result = {True: "passed", False: "failed", None: "none yet"}[verification["last_test_ok"]]
    last = verification["last_test_cmd"]
    return (
        f"verified    {verification['edits_since_verify']} edit(s) since the last check; "
        f"last test: {result}" + (f" (`{last[:60]}`)" if last else "")
    )


def _health(doc: dict[str, Any], style: Style) -> list[str]:
    troubled = [
        (name, record)
        for name, record in sorted(doc["hook_health"].items())
        if record["errors"] or record["overruns"] or record["suspended"]
    ]
    if not troubled:
        return ["hooks       no failures"]
    lines = [f"hooks       {len(troubled)} with failures:"]
    for name, record in troubled:
        flag = style.bad(" SUSPENDED") if record["suspended"] else ""
        lines.append(
            f"  {name}: {record['errors']} error(s), {record['overruns']} overrun(s)"
            f"{flag}; last: {record['last_error'][:80]}"
        )
    return lines


def state_list(home: str, as_json: bool, out: TextIO) -> int:
    now = time.time()
    rows = [sessions.summary(s, now) for s in sessions.session_files(home)]
    if as_json:
        dump(rows, out)
        return 0
    style = Style.for_stream(out)
    if not rows:
        out.write(f"no session state yet in {sessions_dir(home)}\n")
        return 0
    body = [
        [
            row["session"],
            human_age(row["age_s"]),
            human_size(row["size"]),
            str(row["calls"]),
            f"{row['confidence']} {row['tier']}" if row["readable"] else "unreadable",
            row["project_key"] or "-",
        ]
        for row in rows
    ]
    header = ["SESSION", "AGE", "SIZE", "TOOLS", "CONFIDENCE", "PROJECT"]
    for line in table(body, style, header, right=frozenset({1, 2, 3})):
        out.write(line + "\n")
    kept = sessions.corrupt_files(home)
    if kept:
        out.write(
            style.dim(f"{len(kept)} unreadable file(s) kept aside in {sessions_dir(home)}") + "\n"
        )
    return 0


def state_reset(home: str, name: str | None, every: bool, out: TextIO) -> int:
    targets = sessions.session_files(home) if every else [sessions.pick(home, name)]
    removed = []
    for session in targets:
        removed.extend(sessions.remove(session))
    if every:
        for path in sessions.corrupt_files(home):
            try:
                os.unlink(path)
                removed.append(path)
            except OSError:
                pass
    _report_removed(removed, out, "no session state to remove")
    return 0


def state_prune(home: str, older_than_days: float | None, out: TextIO) -> int:
    if older_than_days is None:
        older_than_days = config_or_defaults(home).get("state.session_ttl_days")
    removed = sessions.prune(home, time.time(), older_than_days)
    _report_removed(removed, out, f"nothing older than {older_than_days:g} day(s) to prune")
    return 0


def _report_removed(removed: list[str], out: TextIO, nothing: str) -> None:
    if not removed:
        out.write(nothing + "\n")
    for path in removed:
        out.write(f"removed {path}\n")


# --- caches ----------------------------------------------------------------------------------


def current_project_key(project: str | None) -> str:
    return project_key(project_root(os.path.abspath(project or os.getcwd())))


def cache_show(home: str, project: str | None, every: bool, as_json: bool, out: TextIO) -> int:
    config = config_or_defaults(home)
    now = time.time()
    keys = caches.project_keys(home) if every else [current_project_key(project)]
    projects = [caches.describe_project(home, key, config, now) for key in keys]
    lint = caches.lint_cache(home)
    if as_json:
        dump({"projects": projects, "lint_cache": lint}, out)
        return 0
    style = Style.for_stream(out)
    if not projects:
        out.write(f"no project stores yet in {os.path.join(home, 'projects')}\n")
    for described in projects:
        for line in describe_project(described, style, detail=not every):
            out.write(line + "\n")
    out.write(
        f"{style.bold('lint cache')}  {lint['files']} file(s), {human_size(lint['size'])} "
        f"in {lint['path']}\n"
    )
    return 0


def describe_project(project: dict[str, Any], style: Style, detail: bool) -> list[str]:
    hint = f" (e.g. {project['hint']})" if project["hint"] else ""
    lines = [f"{style.bold('project')} {project['project_key']}{hint}", f"  {project['folder']}"]
    for store in project["stores"]:
        state = store["problem"] or (
            f"{store['live']} live, {store['expired']} expired, "
            f"cap {store['cap']}, {human_size(store['size'])}"
            if store["exists"]
            else "empty"
        )
        lines.append(f"  {style.bold(store['store'])}: {state}")
        if detail:
            lines.extend(
                f"    {entry_line(store['store'], e)}" for e in store["newest"][:SHOW_ENTRIES]
            )
    return lines


def entry_line(store: str, entry: dict[str, Any]) -> str:
    age = human_age(entry.get("age_s", 0))
    if store == "read_cache":
        return f"{entry.get('path', '?')}  {entry.get('lines', '?')} lines, read {age} ago"
    if store == "exploration_cache":
        prompt = " ".join(str(entry.get("prompt", "")).split())[:70]
        return (
            f'{entry.get("agent_type", "?")}: "{prompt}"  hits {entry.get("hits", 0)}, '
            f"stored {age} ago"
        )
    text = " ".join(str(entry.get("text") or entry.get("sig", "")).split())[:80]
    return f"×{entry.get('count', 0)} {text}  (last seen {age} ago)"


def cache_path(home: str, project: str | None, out: TextIO) -> int:
    out.write(project_dir(home, current_project_key(project)) + "\n")
    return 0


def cache_reset(home: str, project: str | None, every: bool, out: TextIO) -> int:
    keys = caches.project_keys(home) if every else [current_project_key(project)]
    removed = []
    for key in keys:
        removed.extend(caches.clear_project(home, key))
    if every:
        removed.extend(caches.clear_lint_cache(home))
    _report_removed(removed, out, "no cached data to remove")
    return 0


# --- hooks -----------------------------------------------------------------------------------


def hook_rows(home: str) -> list[dict[str, Any]]:
    from posttool.cli.userhooks import full_registry

    registry, config = full_registry(home, config_or_defaults(home), os.getcwd())
    from_env = disabled_from_env()
    rows = []
    for record in registry.hooks:
        enabled = config.hook_enabled(record.name, record.enabled)
        replaces = registry.replaced.get(record.name)
        rows.append(
            {
                "name": record.name,
                "family": record.family,
                "priority": record.priority,
                "matcher": record.pattern,
                "events": sorted(record.events),
                "enabled": enabled,
                "why": _why(record.name, record.enabled, enabled, config, from_env),
                **({"replaces": f"built-in {replaces} hook"} if replaces else {}),
            }
        )
    return rows


def _why(name: str, default: bool, enabled: bool, config: Config, from_env: frozenset[str]) -> str:
    if name in from_env:
        return "POSTTOOL_DISABLE"
    if name in config.disabled:
        return "config: disable"
    if config.is_set(f"{name}.enabled") and config.get(f"{name}.enabled") != default:
        return f"config: {name}.enabled"
    return "default"


def hooks_list(home: str, as_json: bool, out: TextIO) -> int:
    rows = hook_rows(home)
    if as_json:
        dump(rows, out)
        return 0
    style = Style.for_stream(out)
    short = {"PostToolUse": "PTU", "PostToolUseFailure": "PTUF"}
    body = [
        [
            row["name"],
            row["family"],
            str(row["priority"]),
            row["matcher"],
            ",".join(short[e] for e in row["events"]),
            (style.ok("yes") if row["enabled"] else style.warn("no"))
            + (f" ({row['why']})" if row["why"] != "default" or not row["enabled"] else "")
            + (f" (replaces the {row['replaces']})" if "replaces" in row else ""),
        ]
        for row in rows
    ]
    header = ["HOOK", "FAMILY", "PRI", "MATCHER", "EVENTS", "ENABLED"]
    for line in table(body, style, header, right=frozenset({2})):
        out.write(line + "\n")
    out.write(style.dim("PTU = PostToolUse, PTUF = PostToolUseFailure") + "\n")
    return 0
