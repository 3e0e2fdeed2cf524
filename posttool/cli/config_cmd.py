"""`posttool hooks --config` (every key, its default and current value) and
`posttool config check` (what is wrong in config.json, with a "did you mean")."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO

from posttool.lib.config import (
    DECLARED,
    DECLARED_BY,
    Config,
    ConfigError,
    disabled_from_env,
    fits,
    load_config,
)
from posttool.lib.config_check import find_problems, suggestion
from posttool.runner.registry import Registry, load_registry

DEFAULT = "default"
CONFIG_FILE = "config.json"


def config_rows(
    config: Config, registry: Registry, from_env: frozenset[str]
) -> list[dict[str, Any]]:
    """One row per declared key: who declared it, its default, its current value and where
    that value comes from."""
    rows = []
    for key in sorted(DECLARED, key=lambda k: (DECLARED_BY[k] != "shared", DECLARED_BY[k], k)):
        default = DECLARED[key]
        current, source = _current(key, default, config, registry, from_env)
        rows.append(
            {
                "key": key,
                "declared_by": DECLARED_BY[key],
                "default": default,
                "current": current,
                "source": source,
            }
        )
    return rows


def _current(
    key: str, default: Any, config: Config, registry: Registry, from_env: frozenset[str]
) -> tuple[Any, str]:
    if key == "disable":
        listed = sorted(config.disabled - from_env)
        return listed, CONFIG_FILE if listed else DEFAULT
    head, _, rest = key.partition(".")
    if rest == "enabled" and head in registry.by_name and head in config.disabled:
        return False, "POSTTOOL_DISABLE" if head in from_env else f"{CONFIG_FILE}: disable"
    if key not in config.values:
        return default, DEFAULT
    if not fits(config.values[key], default):
        return default, f"{DEFAULT}: the value in {CONFIG_FILE} has the wrong type"
    return config.get(key), CONFIG_FILE


def config_list(home: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    registry = load_registry()
    try:
        config = load_config(home)
    except ConfigError as exc:
        err.write(f"posttool: {exc}\n")
        return 1
    rows = config_rows(config, registry, disabled_from_env())
    if as_json:
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    width = max(len(row["key"]) for row in rows)
    owner = None
    for row in rows:
        if row["declared_by"] != owner:
            owner = row["declared_by"]
            out.write(f"{'' if owner == rows[0]['declared_by'] else chr(10)}[{owner}]\n")
        line = f"  {row['key']:<{width}}  {_compact(row['current'])}"
        if row["source"] != DEFAULT and row["current"] != row["default"]:
            line += f"  ({row['source']}; default {_compact(row['default'])})"
        elif row["source"] != DEFAULT:
            line += f"  ({row['source']})"
        out.write(line + "\n")
    return 0


def _compact(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def config_check(home: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Exit 0 when the config has nothing wrong, 1 otherwise."""
    registry = load_registry()
    path = os.path.join(home, CONFIG_FILE)
    try:
        config = load_config(home)
    except ConfigError as exc:
        if as_json:
            problem = {"kind": "unreadable", "key": "", "problem": str(exc), "suggestion": None}
            out.write(json.dumps({"path": path, "ok": False, "problems": [problem]}, indent=2))
            out.write("\n")
        else:
            err.write(f"posttool: {exc}\n")
        return 1
    problems = find_problems(config, registry.by_name)
    found = [problem.as_dict(suggestion(problem)) for problem in problems]
    if as_json:
        out.write(json.dumps({"path": path, "ok": not found, "problems": found}, indent=2) + "\n")
        return 1 if found else 0
    if not found:
        what = path if os.path.exists(path) else f"no {path}; defaults apply"
        out.write(f"config ok: {what}\n")
        return 0
    out.write(f"{path}: {len(found)} problem{'s' if len(found) != 1 else ''}\n")
    for row in found:
        hint = f" (did you mean {row['suggestion']!r}?)" if row["suggestion"] else ""
        out.write(f"- {row['problem']}{hint}\n")
    return 1


def problem_summary(home: str) -> tuple[int, str]:
    """For doctor: how many problems the config has and the first one, with its suggestion."""
    registry = load_registry()
    problems = find_problems(load_config(home), registry.by_name)
    if not problems:
        return 0, ""
    first = problems[0]
    hint = suggestion(first)
    return len(problems), first.text + (f" (did you mean {hint!r}?)" if hint else "")
