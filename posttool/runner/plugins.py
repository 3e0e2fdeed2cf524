"""User hooks beside the built-ins: Python plug-ins and command hooks, in one registry.

Plug-ins come from three places, in this order: installed packages advertising the entry-point
group `posttool.hooks`, the user's `"plugins"` in `<home>/config.json`, and a trusted project
file's `"plugins"`. An entry is a module name (`my_pkg.hooks`) or a `.py` file (`~` expanded;
a relative path is taken from the folder of the config file that names it). Command hooks
(`commandhooks.py`) follow each layer's plug-ins.

A user hook whose name is a built-in's replaces the built-in (`Registry.replaced` says so); a
project hook replaces a user hook of the same name; two hooks of one name in the same layer
are a duplicate, and the later is skipped. Anything that cannot load or register is skipped
and described in `Registry.problems`; every other hook still runs.
"""

from __future__ import annotations

import os
import sys

from posttool.api import MARK, HookSpec
from posttool.lib.text import sha256_hex
from posttool.runner.commandhooks import command_records
from posttool.runner.projectconfig import PROJECT_COMMANDS, PROJECT_PLUGINS, PROJECT_ROOT
from posttool.runner.registry import (
    HookRecord,
    RegistrationError,
    Registry,
    entry_points,
    records_from_module,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

    from posttool.lib.config import Config

PLUGIN_FAMILY = "plugin"


def with_user_hooks(base: Registry, config: Config, home: str, project_dir: str) -> Registry:
    """`base` (the built-ins) with every user hook added or replacing one of them."""
    problems = list(base.problems)
    layers: list[list[HookRecord]] = [
        entry_point_records(home, problems),
        plugin_records(config.values.get("plugins"), home, problems)
        + command_records(config.values.get("commands"), project_dir, problems),
    ]
    project_root = config.values.get(PROJECT_ROOT)
    if isinstance(project_root, str):
        layers.append(
            plugin_records(config.values.get(PROJECT_PLUGINS), project_root, problems)
            + command_records(config.values.get(PROJECT_COMMANDS), project_dir, problems)
        )
    by_name = dict(base.by_name)
    replaced = dict(base.replaced)
    for layer in layers:
        seen: set[str] = set()
        for record in layer:
            if record.name in seen:
                problems.append(f"duplicate hook name {record.name!r} ({record.family}); skipped")
                continue
            seen.add(record.name)
            builtin = base.by_name.get(record.name)
            if builtin is not None:
                replaced[record.name] = builtin.family
            by_name[record.name] = record
    return Registry(by_name.values(), problems, replaced)


# --- Python plug-ins -------------------------------------------------------------------------


def plugin_records(entries: object, base_dir: str, problems: list[str]) -> list[HookRecord]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        problems.append(f"plugins: expected a list of module names or files, got {entries!r}")
        return []
    records: list[HookRecord] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            problems.append(f"plug-in {entry!r}: not a module name or a file; skipped")
            continue
        try:
            module = import_plugin(entry.strip(), base_dir)
        except Exception as exc:
            problems.append(f"plug-in {entry}: {type(exc).__name__}: {exc}; skipped")
            continue
        found = records_from_module(module, PLUGIN_FAMILY, problems)
        if not found:
            problems.append(f"plug-in {entry}: declares no @hook")
        records.extend(found)
    return records


def is_file_entry(entry: str) -> bool:
    return entry.endswith(".py") or "/" in entry or entry.startswith("~")


def import_plugin(entry: str, base_dir: str) -> ModuleType:
    """The module a plug-in entry names, imported once per process."""
    if not is_file_entry(entry):
        __import__(entry)
        return sys.modules[entry]
    path = os.path.expanduser(entry)
    if not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    path = os.path.realpath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no file {path}")
    stem = os.path.splitext(os.path.basename(path))[0]
    name = f"posttool_plugin_{stem}_{sha256_hex(path.encode('utf-8', 'surrogatepass'))[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    import importlib.util  # only when a plug-in file is configured

    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


# --- entry points ----------------------------------------------------------------------------


def entry_point_records(home: str, problems: list[str]) -> list[HookRecord]:
    records: list[HookRecord] = []
    for dist, value in entry_points(home):
        module_name, _, attr = value.partition(":")
        try:
            __import__(module_name.strip())
            target: Any = sys.modules[module_name.strip()]
            for part in attr.strip().split(".") if attr.strip() else ():
                target = getattr(target, part)
        except Exception as exc:
            problems.append(f"entry point {value} ({dist}): {type(exc).__name__}: {exc}; skipped")
            continue
        spec = getattr(target, MARK, None)
        if isinstance(spec, HookSpec):
            try:
                records.append(HookRecord(spec, PLUGIN_FAMILY, target))
            except RegistrationError as exc:
                problems.append(f"{exc} (entry point {value}); skipped")
        else:
            records.extend(records_from_module(target, PLUGIN_FAMILY, problems))
    return records
