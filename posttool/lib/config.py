"""User configuration: dotted keys over built-in defaults.

The file is `<home>/config.json`. Keys may be written dotted
(`{"quality_scanner.timeout_s": 5}`) or nested (`{"quality_scanner": {"timeout_s": 5}}`).
Every default lives next to the code that uses it; `Config.get(key, default)` returns the
user's value when it has the default's type, else the default.
"""

from __future__ import annotations

import os

from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs ~10 ms of imports on the hot path
    from typing import Any

CONFIG_NAME = "config.json"
REPORTED_NAME = ".config-reported"  # the config file version whose problem is already logged
DISABLE_ENV = "POSTTOOL_DISABLE"

CODE_EXTENSIONS = [
    ".py",
    ".pyi",
    ".js",
    ".jsx",
    ".ts",
    ".tsx",
    ".mjs",
    ".cjs",
    ".go",
    ".rs",
    ".java",
    ".kt",
    ".rb",
    ".php",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".cs",
    ".swift",
    ".scala",
    ".sh",
    ".bash",
    ".lua",
    ".vue",
    ".svelte",
]

COMMON_DEFAULTS: dict[str, Any] = {
    "common.code_extensions": CODE_EXTENSIONS,
    "common.test_path_regex": (
        r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*\.py$|_test\.(py|go)$"
        r"|\.(test|spec)\.[cm]?[jt]sx?$"
    ),
    "common.skip_path_regex": (
        r"(^|/)(\.git|node_modules|\.venv|venv|site-packages|__pycache__|dist|build"
        r"|\.mypy_cache|\.ruff_cache)/"
    ),
    "common.max_scan_chars": 200_000,
    "common.max_parse_bytes": 300_000,
    "common.benign_exit1_tools": ["grep", "rg", "ag", "diff", "cmp", "test", "[", "which", "pgrep"],
}


class ConfigError(Exception):
    """The config file exists but cannot be used."""


class Config:
    """Read-only view of the user's settings, flattened to dotted keys."""

    __slots__ = ("disabled", "path", "values")

    def __init__(
        self,
        values: dict[str, Any] | None = None,
        disabled: frozenset[str] = frozenset(),
        path: str | None = None,
    ) -> None:
        self.values = values or {}
        self.disabled = disabled
        self.path = path

    def get(self, key: str, default: Any = None) -> Any:
        if default is None and key in COMMON_DEFAULTS:
            default = COMMON_DEFAULTS[key]
        value = self.values.get(key, default)
        if default is not None and not _same_kind(value, default):
            return default
        if type(default) is int and isinstance(value, float):
            # Counts and sizes slice text: `5.0` means 5; `1.5`, NaN or Infinity mean nothing.
            return int(value) if value.is_integer() else default
        return value

    def hook_enabled(self, name: str, default: bool = True) -> bool:
        if name in self.disabled:
            return False
        return bool(self.get(f"{name}.enabled", default))


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys; leaves (including lists) are kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def disabled_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> frozenset[str]:
    raw = environ.get(DISABLE_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def load_config(home: str, environ: dict[str, str] | os._Environ[str] = os.environ) -> Config:
    """The config at `<home>/config.json`; a missing file means all defaults.

    Raises ConfigError for a file that is not a JSON object; the runner logs it and carries on
    with defaults, the CLI reports it.
    """
    path = os.path.join(home, CONFIG_NAME)
    disabled = disabled_from_env(environ)
    try:
        with open(path, "rb") as handle:
            stamp = _stamp(os.fstat(handle.fileno()))
            parsed = _last_parsed.get(path)
            if parsed is None or parsed[0] != stamp:
                parsed = (stamp, *_parse(path, handle.read()))
                _last_parsed[path] = parsed
    except FileNotFoundError:
        return Config({}, disabled, path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    _, values, listed = parsed
    return Config(values, disabled | listed, path)


# perf: `posttool serve` loads the config on every request; the last parse of each file is
# reused while its size, mtime, ctime and inode are unchanged (any write changes its ctime).
_last_parsed: dict[str, tuple[tuple[int, ...], dict[str, Any], frozenset[str]]] = {}


def _stamp(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _parse(path: str, raw: bytes) -> tuple[dict[str, Any], frozenset[str]]:
    """The flattened values and the `disable` list of a config file's bytes."""
    try:
        tree = loads_clean(raw)
    except JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    values = flatten(tree)
    listed = values.pop("disable", None)
    names = frozenset(str(name) for name in listed) if isinstance(listed, list) else frozenset()
    return values, names


def first_report(home: str) -> bool:
    """True the first time a given version of `<home>/config.json` is reported as unusable.

    `run` falls back to the defaults on every call while the file stays broken (the file is
    the user's: it is left where it is); saying so once per version of the file keeps one
    truncated config from writing a log line on every tool call.
    """
    try:
        info = os.stat(os.path.join(home, CONFIG_NAME))
        stamp = f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"
    except OSError as exc:
        stamp = f"stat failed: {exc.errno}"
    marker = os.path.join(home, REPORTED_NAME)
    try:
        with open(marker, encoding="utf-8") as handle:
            if handle.read() == stamp:
                return False
    except (OSError, ValueError):
        pass
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, stamp.encode())
        finally:
            os.close(fd)
    except OSError:
        pass
    return True
