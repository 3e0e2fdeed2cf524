"""User configuration: dotted keys over built-in defaults.

The file is `<home>/config.json`. Keys may be written dotted
(`{"quality_scanner.timeout_s": 5}`) or nested (`{"quality_scanner": {"timeout_s": 5}}`).
Every key is declared once with its default, and the default's kind is the key's type: the
shared keys in `SHARED_DEFAULTS` below, each hook's own keys with the hook
(`@hook(..., defaults={...})`, relative to the hook name). `Config.get(key)` returns the user's
value when it has the declared default's type, else the default; a key nobody declared raises
KeyError, so a read that bypasses the declarations fails in the tests.
"""

from __future__ import annotations

import os

from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.schema import DEFAULT_CAPS

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs ~10 ms of imports on the hot path
    from typing import Any

CONFIG_NAME = "config.json"
REPORTED_NAME = ".config-reported"  # the config file version whose problem is already logged
VALIDATED_NAME = ".config-validated"  # the config file version (and POSTTOOL_DISABLE) last checked
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

# Keys at the top of config.json that are not dotted settings.
TOP_LEVEL_DEFAULTS: dict[str, Any] = {"disable": [], "plugins": [], "commands": []}

# Every key that is not one hook's own: its default, whose kind is the key's type.
SHARED_DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    **TOP_LEVEL_DEFAULTS,
    "runner.hook_budget_ms": 50,
    "runner.suspend_after": 3,
    "output.max_chars": 1000,  # issue 7 §3 (spec: 2000)
    "output.max_message_chars": 700,
    "output.max_message_lines": 7,
    "turn.idle_gap_s": 600,
    "state.lock_timeout_s": 2.0,
    "state.duplicate_window_s": 2.0,
    "state.session_ttl_days": 7,
    "state.max_bytes": 262_144,
    "state.last_event_max_bytes": 262_144,  # `posttool explain --last`; 0 keeps none
    **{f"state.caps.{field}": cap for field, cap in DEFAULT_CAPS.items()},
    "stores.read_cache.ttl_s": 86400.0,
    "stores.read_cache.max_entries": 500,
    "stores.exploration_cache.ttl_s": 86400.0,
    "stores.exploration_cache.max_entries": 100,
    "stores.exploration_cache.max_result_chars": 5000,
    "stores.lessons.ttl_days": 30.0,
    "stores.lessons.max_entries": 200,
    "stores.lint_cache.max_age_days": 7,
    "stores.lint_cache.max_files": 500,
    "metrics.enabled": True,
    "metrics.max_bytes": 0,
    "confidence.start": 75,
    "confidence.turn_max_down": 15,
    "confidence.turn_max_up": 15,
    "confidence.turn_max_up_recovering": 30,
    "confidence.recovery_below": 80,
    "confidence.report_min_move": 12,
    "confidence.report_cooldown_calls": 3,
    "confidence.decay_per_call": 0.25,
    "confidence.evidence_credit": 0.25,
    # [[streak at least, multiplier], ...]; the highest threshold reached wins.
    "confidence.streak_multipliers": [[3, 1.25], [5, 1.5]],
    "confidence.decay_factors.expert": 3.0,
    "confidence.decay_factors.trusted": 2.0,
    "confidence.decay_factors.certainty": 1.0,
    "confidence.decay_factors.working": 0.5,
    "confidence.decay_factors.hypothesis": 0.0,
    "confidence.decay_factors.ignorance": 0.0,
}
SHARED = "shared"

# key -> default, and key -> who declared it ("shared" or a hook name); hooks add theirs when
# their module is imported (`posttool.api.hook`).
DECLARED: dict[str, Any] = dict(SHARED_DEFAULTS)
DECLARED_BY: dict[str, str] = dict.fromkeys(SHARED_DEFAULTS, SHARED)


def declare(defaults: dict[str, Any], owner: str, prefix: str = "") -> None:
    """Declare `prefix + key` for each default; a later declaration of a key replaces it."""
    for key, default in defaults.items():
        if default is None:
            raise ValueError(f"config key {prefix}{key}: a default of None has no type")
        DECLARED[prefix + key] = default
        DECLARED_BY[prefix + key] = owner


class ConfigError(Exception):
    """The config file exists but cannot be used."""


class Config:
    """Read-only view of the user's settings, flattened to dotted keys."""

    __slots__ = ("disabled", "path", "stamp", "values")

    def __init__(
        self,
        values: dict[str, Any] | None = None,
        disabled: frozenset[str] = frozenset(),
        path: str | None = None,
        stamp: str = "",
    ) -> None:
        self.values = values or {}
        self.disabled = disabled
        self.path = path
        self.stamp = stamp  # the file's version and POSTTOOL_DISABLE; "" when neither is set

    def get(self, key: str) -> Any:
        """The user's value of a declared key when it has the default's type, else the default."""
        try:
            default = DECLARED[key]
        except KeyError:
            raise KeyError(f"config key {key!r} is not declared") from None
        if key not in self.values:
            return default  # most keys: ~60 look-ups a call, and a default always fits
        return usable(self.values[key], default)

    def is_set(self, key: str) -> bool:
        """The user gave this key a value of the declared type."""
        return key in self.values and key in DECLARED and fits(self.values[key], DECLARED[key])

    def hook_enabled(self, name: str, default: bool = True) -> bool:
        if name in self.disabled:
            return False
        key = f"{name}.enabled"
        return bool(usable(self.values.get(key, default), DECLARED.get(key, default)))


def usable(value: Any, default: Any) -> Any:
    """`value` when it fits the default's type, else `default`."""
    if not _same_kind(value, default):
        return default
    if type(default) is int and isinstance(value, float):
        # Counts and sizes slice text: `5.0` means 5; `1.5`, NaN or Infinity mean nothing.
        return int(value) if value.is_integer() else default
    return value


def fits(value: Any, default: Any) -> bool:
    if not _same_kind(value, default):
        return False
    return not (type(default) is int and isinstance(value, float) and not value.is_integer())


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
    from_env = environ.get(DISABLE_ENV, "")
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            stamp = _stamp(info)
            parsed = _last_parsed.get(path)
            if parsed is None or parsed[0] != stamp:
                parsed = (stamp, *_parse(path, handle.read()))
                _last_parsed[path] = parsed
    except FileNotFoundError:
        return Config({}, disabled, path, f"no file\n{from_env}" if from_env else "")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    _, values, listed = parsed
    return Config(values, disabled | listed, path, f"{_file_stamp(info)}\n{from_env}")


# `posttool serve` loads the config on every request; the last parse of each file is reused
# while its size, mtime, ctime and inode are unchanged (any write changes its ctime).
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
    if isinstance(listed, list):
        return values, frozenset(str(name) for name in listed)
    if listed is not None:
        values["disable"] = listed  # kept for validation to report; it disables nothing
    return values, frozenset()


def _file_stamp(info: os.stat_result) -> str:
    return f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"


def first_report(home: str, marker_name: str = REPORTED_NAME, stamp: str | None = None) -> bool:
    """True the first time a given version of `<home>/config.json` is reported.

    `run` falls back to the defaults on every call while the file stays broken (the file is
    the user's: it is left where it is); saying so once per version of the file keeps one
    truncated config from writing a log line on every tool call. Validation uses the same
    mechanism with its own marker and a stamp that also holds POSTTOOL_DISABLE.
    """
    if stamp is None:
        try:
            stamp = _file_stamp(os.stat(os.path.join(home, CONFIG_NAME)))
        except OSError as exc:
            stamp = f"stat failed: {exc.errno}"
    marker = os.path.join(home, marker_name)
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
