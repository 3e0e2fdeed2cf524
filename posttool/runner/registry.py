"""Hook records and the registry built from the family modules (the marks come from api).

The decorator only marks a function and returns it unchanged (as pluggy does); the registry is
built by `load_registry`, which imports the families from one explicit list and validates every
record there: duplicate names and matchers that do not compile are refused at registration,
never discovered at call time.
"""

from __future__ import annotations

import os
import sys

from posttool.api import MARK, HookSpec
from posttool.lib.event import EVENT_NAMES
from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads
from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

FAMILY_MODULES = ("cache", "state", "quality", "tracking")
# Each built-in hook module (posttool/hooks/<module>.py) and the family its hooks belong to.
HOOK_MODULES = (
    ("cache", "cache"),
    ("state", "state"),
    ("confidence", "state"),
    ("quality", "quality"),
    ("quality_scanner", "quality"),
    ("suggestions", "quality"),
    ("tracking", "tracking"),
    ("auto_learn", "tracking"),
)


class RegistrationError(Exception):
    """A hook declaration is invalid (duplicate name, bad matcher, unknown event...)."""


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _is_name_alternation(pattern: str) -> bool:
    """`Read|Edit|Write`: names of letters, digits and `_` joined by `|`."""
    return all(name and _NAME_CHARS.issuperset(name) for name in pattern.split("|"))


class NameMatcher:
    """A matcher written as plain names (`Read|Edit|Write`) or `.*`: its full match is set
    membership, so it needs no regex compile on every call (compiles cost ~0.2 ms each)."""

    __slots__ = ("names", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.names = None if pattern == ".*" else frozenset(pattern.split("|"))

    def fullmatch(self, tool_name: str) -> bool:
        return "\n" not in tool_name if self.names is None else tool_name in self.names


def compile_matcher(pattern: str) -> Any:
    """A full-match matcher for a tool name; RegistrationError if the pattern cannot compile."""
    if pattern == ".*" or _is_name_alternation(pattern):
        return NameMatcher(pattern)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RegistrationError(f"matcher {pattern!r}: {exc}") from None


class HookRecord:
    """A registered hook: frozen once built."""

    __slots__ = (
        "budget_ms",
        "enabled",
        "events",
        "family",
        "fn",
        "matcher",
        "may_spawn",
        "name",
        "pattern",
        "prepare",
        "priority",
        "stores",
        "writes",
    )

    name: str
    family: str
    fn: Callable[..., Any]
    pattern: str
    matcher: Any
    events: frozenset[str]
    priority: int
    writes: tuple[str, ...]
    stores: tuple[str, ...]
    may_spawn: bool
    budget_ms: int
    prepare: Callable[..., Any] | None
    enabled: bool

    def __init__(self, spec: HookSpec, family: str, fn: Callable[..., Any]) -> None:
        try:
            compiled = compile_matcher(spec.matcher)
        except RegistrationError as exc:
            raise RegistrationError(f"hook {spec.name}: {exc}") from None
        unknown = set(spec.events) - set(EVENT_NAMES)
        if unknown or not spec.events:
            raise RegistrationError(f"hook {spec.name}: bad events {sorted(unknown) or '(none)'}")
        values = {
            "name": spec.name,
            "family": family,
            "fn": fn,
            "pattern": spec.matcher,
            "matcher": compiled,
            "events": frozenset(spec.events),
            "priority": spec.priority,
            "writes": tuple(spec.writes),
            "stores": tuple(spec.stores),
            "may_spawn": spec.may_spawn,
            "budget_ms": spec.budget_ms,
            "prepare": spec.prepare,
            "enabled": spec.enabled,
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("HookRecord is immutable")

    def matches(self, tool_name: str, event_name: str) -> bool:
        return event_name in self.events and bool(self.matcher.fullmatch(tool_name))

    def __repr__(self) -> str:
        return f"HookRecord({self.name}, {self.family}, {self.priority})"


class Registry:
    """The validated hooks, in execution order (priority, name).

    `problems`: one line per hook or module that could not be registered and was skipped.
    `replaced`: built-in names a user hook took over, with the family of the built-in."""

    __slots__ = ("by_name", "hooks", "problems", "replaced")

    def __init__(
        self,
        records: Iterable[HookRecord],
        problems: Iterable[str] = (),
        replaced: dict[str, str] | None = None,
    ) -> None:
        by_name: dict[str, HookRecord] = {}
        for record in records:
            if record.name in by_name:
                raise RegistrationError(f"duplicate hook name {record.name!r}")
            by_name[record.name] = record
        self.by_name = by_name
        self.hooks = sorted(by_name.values(), key=lambda r: (r.priority, r.name))
        self.problems = list(problems)
        self.replaced = dict(replaced or {})

    def matching(self, tool_name: str, event_name: str) -> list[HookRecord]:
        return [record for record in self.hooks if record.matches(tool_name, event_name)]


def records_from_module(
    module: Any, family: str, problems: list[str] | None = None
) -> list[HookRecord]:
    """The hooks marked in `module`. With `problems`, an invalid one is skipped and described
    there instead of raising RegistrationError."""
    records = []
    for value in vars(module).values():
        if not callable(value):  # e.g. the lazy `re`, which a getattr would import
            continue
        spec = getattr(value, MARK, None)
        if not isinstance(spec, HookSpec):
            continue
        try:
            records.append(HookRecord(spec, family, value))
        except RegistrationError as exc:
            if problems is None:
                raise
            problems.append(f"{exc} (in {getattr(module, '__name__', '?')}); skipped")
    return records


def first_of_each_name(records: Iterable[HookRecord], problems: list[str]) -> list[HookRecord]:
    """The records with a name not seen before; each later duplicate is described and skipped."""
    kept: dict[str, HookRecord] = {}
    for record in records:
        if record.name in kept:
            problems.append(
                f"duplicate hook name {record.name!r} ({record.family}); "
                f"the {kept[record.name].family} one is kept"
            )
            continue
        kept[record.name] = record
    return list(kept.values())


def load_registry(
    families: Iterable[str] = FAMILY_MODULES, for_event: tuple[str, str] | None = None
) -> Registry:
    """The built-in hooks. A module that fails to import, or a hook that fails validation, is
    skipped and listed in `problems`; every other hook still registers. `for_event` (tool,
    event name): import only the modules that can have a matching hook."""
    records: list[HookRecord] = []
    problems: list[str] = []
    # a Read or a Bash need not import the modules of hooks that cannot match them
    wanted = None if for_event is None else _modules_for(*for_event)
    for module_name, family in HOOK_MODULES:
        if family not in families or (wanted is not None and module_name not in wanted):
            continue
        name = f"posttool.hooks.{module_name}"
        try:
            __import__(name)  # `importlib` would add its own imports to every call
        except Exception as exc:
            problems.append(f"module {name}: {type(exc).__name__}: {exc}; its hooks skipped")
            continue
        records.extend(records_from_module(sys.modules[name], family, problems))
    return Registry(first_of_each_name(records, problems), problems)


def _modules_for(tool_name: str, event_name: str) -> frozenset[str]:
    from posttool.hooks import modules_for

    return modules_for(tool_name, event_name, [module for module, _ in HOOK_MODULES])


# --- user hooks: the cheap test `run` makes on every call ------------------------------------

USER_HOOK_KEYS = ("plugins", "commands", "<project>.plugins", "<project>.commands")
ENTRY_POINTS_CACHE = ".entry-points.json"
ENTRY_POINT_GROUP = "posttool.hooks"


def wants_user_hooks(
    config: Any, home: str, find: Callable[[str], list[tuple[str, str]]] | None = None
) -> bool:
    """Whether config names plug-ins or commands, or an installed package advertises
    `posttool.hooks` (`find`: how to list those, `entry_points` by default)."""
    values = config.values
    if any(values.get(key) for key in USER_HOOK_KEYS):
        return True
    return bool((find or entry_points)(home))


def path_stamp() -> list[list[Any]]:
    """Each absolute folder of sys.path with its modification time (0 when missing)."""
    stamp: list[list[Any]] = []
    for folder in sys.path:
        if not folder or not os.path.isabs(folder):
            continue
        try:
            stamp.append([folder, os.stat(folder).st_mtime_ns])
        except OSError:
            stamp.append([folder, 0])
    return stamp


def entry_points(home: str) -> list[tuple[str, str]]:
    """(distribution, value) of each `posttool.hooks` entry point, from the cache when no
    folder of sys.path changed since it was written, else from a fresh scan."""
    try:
        with open(os.path.join(home, ENTRY_POINTS_CACHE), "rb") as handle:
            cached = loads(handle.read())
        if cached["stamp"] == path_stamp():
            return [(str(dist), str(value)) for dist, value in cached["entries"]]
    except (OSError, JSONDecodeError, KeyError, TypeError, ValueError):
        pass
    return refresh_entry_points(home)


def refresh_entry_points(home: str) -> list[tuple[str, str]]:
    """Scan sys.path for `posttool.hooks` entry points and cache what was found."""
    stamp = path_stamp()
    entries = scan_entry_points([folder for folder, _ in stamp])
    from posttool.lib.store import write_atomic  # already loaded by `run`

    try:
        write_atomic(
            os.path.join(home, ENTRY_POINTS_CACHE),
            dumps({"stamp": stamp, "entries": entries}).encode(),
        )
    except (OSError, UnicodeEncodeError):
        pass
    return [(dist, value) for dist, value in entries]


def scan_entry_points(folders: list[str]) -> list[tuple[str, str]]:
    """The `[posttool.hooks]` section of every `*.dist-info`/`*.egg-info` `entry_points.txt`
    in `folders`: what importlib.metadata would find, without importing it (~40 modules).
    The first distribution of a name on sys.path wins, as in importlib.metadata."""
    found: list[tuple[str, str]] = []
    seen_dists: set[str] = set()
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = name.rsplit(".", 1)[0].split("-")[0].lower().replace("_", "-")
            if dist in seen_dists:
                continue
            seen_dists.add(dist)
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, ValueError):
                continue
            found.extend((dist, value) for value in group_values(text, ENTRY_POINT_GROUP))
    return found


def group_values(text: str, group: str) -> list[str]:
    """The values (`module:attr`) of one `[group]` of an entry_points.txt (INI) file."""
    values: list[str] = []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if current == group and "=" in line:
            value = line.split("=", 1)[1].strip()
            values.append(value.split("[", 1)[0].strip())  # drop `[extras]`
    return values
