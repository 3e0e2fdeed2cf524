"""The project's `.claude/posttool.json`, layered over the user's `<home>/config.json`.

Settings from the project file win over the user's; its `disable` list adds to theirs. What
would run code (its `plugins`, its `commands`, and any `*_cmd` setting such as
`quality_scanner.ruff_cmd`) is used only once the user has trusted the file with
`posttool trust`; until then it is dropped, with one log line per version of the file.
"""

from __future__ import annotations

import os

from posttool.lib.config import Config, flatten
from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.log import log
from posttool.lib.store import write_atomic
from posttool.lib.trust import content_hash, is_trusted

PROJECT_PLUGINS = "<project>.plugins"
PROJECT_COMMANDS = "<project>.commands"
PROJECT_ROOT = "<project>.root"
REPORTED_NAME = ".project-config-reported"  # project files whose problem is already logged


class ProjectLayer:
    """What one project file says, split into plain settings and what runs code."""

    __slots__ = ("code_keys", "commands", "data", "disable", "path", "plugins", "values")

    def __init__(self, path: str, data: bytes, tree: dict[str, object]) -> None:
        self.path = path
        self.data = data
        values = {k: v for k, v in flatten(tree).items() if not k.startswith("<")}
        disable = values.pop("disable", None)
        self.disable = [str(name) for name in disable] if isinstance(disable, list) else []
        self.plugins = values.pop("plugins", None)
        self.commands = values.pop("commands", None)
        self.code_keys = sorted(key for key in values if key.endswith("_cmd"))
        self.values = values

    @property
    def root(self) -> str:
        return os.path.dirname(os.path.dirname(self.path))

    @property
    def runs_code(self) -> bool:
        return bool(self.plugins or self.commands or self.code_keys)


def read_layer(path: str) -> ProjectLayer:
    """Raises OSError or ValueError (not JSON, not an object)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        tree = loads_clean(data)
    except JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(tree, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return ProjectLayer(path, data, tree)


def with_project_layer(config: Config, path: str, home: str) -> Config:
    """`config` with the project file's settings on top. Never raises."""
    try:
        layer = read_layer(path)
    except (OSError, ValueError) as exc:
        _report_once(home, path, b"", f"project config: {exc}; ignored")
        return config
    values = dict(config.values)
    values.update(layer.values)
    values[PROJECT_ROOT] = layer.root
    if layer.runs_code:
        if is_trusted(home, path, layer.data):
            values[PROJECT_PLUGINS] = layer.plugins
            values[PROJECT_COMMANDS] = layer.commands
        else:
            for key in layer.code_keys:
                values.pop(key, None)
                if key in config.values:
                    values[key] = config.values[key]
            _report_once(
                home,
                path,
                layer.data,
                f"project config {path} is not trusted: its plug-ins, commands and *_cmd "
                f"settings are ignored; to allow them, run `posttool trust {path}`",
            )
    return Config(values, config.disabled | frozenset(layer.disable), config.path)


def _report_once(home: str, path: str, data: bytes, line: str) -> None:
    stamp = f"{os.path.realpath(path)} {content_hash(data)}"
    marker = os.path.join(home, REPORTED_NAME)
    try:
        with open(marker, encoding="utf-8") as handle:
            seen = handle.read().splitlines()
    except (OSError, ValueError):
        seen = []
    if stamp in seen:
        return
    log(line)
    try:
        write_atomic(marker, ("\n".join([*seen[-50:], stamp]) + "\n").encode("utf-8", "replace"))
    except OSError:
        pass
