"""What is wrong in the user's config: unknown keys, values of the wrong type, unknown hook
names (in `disable`, `POSTTOOL_DISABLE` or `<hook>.enabled`).

`run` logs these once per version of the file and carries on (a wrong-typed value means the
default); `posttool config check` and `doctor` print them with a "did you mean". The close
matches come from difflib, which only `suggestion` imports: `run` never calls it.
"""

from __future__ import annotations

import os

from posttool.lib.config import DECLARED, Config, disabled_from_env, fits
from posttool.lib.text import clip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

UNKNOWN_KEY = "unknown key"
WRONG_TYPE = "wrong type"
UNKNOWN_HOOK = "unknown hook"
# Declared for every hook, including hooks that declare nothing (command hooks).
EVERY_HOOK_KEYS = ("enabled", "budget_ms")


class Problem:
    """One thing wrong in the config. A "did you mean" is the candidate closest to `wanted`
    (the key, or the hook name), followed by `suffix` (`.enabled` for `<hook>.enabled`)."""

    __slots__ = ("candidates", "key", "kind", "suffix", "text", "wanted")

    def __init__(
        self,
        kind: str,
        key: str,
        text: str,
        candidates: Iterable[str] = (),
        wanted: str = "",
        suffix: str = "",
    ) -> None:
        self.kind = kind
        self.key = key
        self.text = text
        self.candidates = tuple(candidates)
        self.wanted = wanted or key
        self.suffix = suffix

    def as_dict(self, suggestion: str | None) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "problem": self.text, "suggestion": suggestion}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def find_problems(
    config: Config,
    hook_names: Iterable[str],
    environ: dict[str, str] | os._Environ[str] | None = None,
) -> list[Problem]:
    hooks = frozenset(hook_names)
    problems = [_key_problem(key, value, hooks) for key, value in sorted(config.values.items())]
    found = [problem for problem in problems if problem is not None]
    from_env = disabled_from_env(os.environ if environ is None else environ)
    for name in sorted(config.disabled - hooks):
        where = "POSTTOOL_DISABLE" if name in from_env else "disable"
        text = f"{where} names {name!r}, which is not a hook"
        found.append(Problem(UNKNOWN_HOOK, where, text, hooks, wanted=name))
    return found


def _key_problem(key: str, value: Any, hooks: frozenset[str]) -> Problem | None:
    head, _, rest = key.partition(".")
    if key in DECLARED:
        default = DECLARED[key]
        if fits(value, default):
            return None
        text = (
            f"{key} is {type_name(value)} ({_short(value)}); it takes {type_name(default)},"
            f" so the default {_short(default)} applies"
        )
        return Problem(WRONG_TYPE, key, text)
    if head in hooks and rest in EVERY_HOOK_KEYS:
        return _key_problem_every_hook(key, value, rest)
    if value == {} and any(name.startswith(key + ".") for name in DECLARED):
        return None  # an empty section sets nothing
    if rest in EVERY_HOOK_KEYS and head not in hooks:
        text = f"{key}: there is no hook {head!r}"
        return Problem(UNKNOWN_HOOK, key, text, hooks, wanted=head, suffix=f".{rest}")
    candidates = [*DECLARED, *(f"{hook}.{own}" for hook in hooks for own in EVERY_HOOK_KEYS)]
    return Problem(UNKNOWN_KEY, key, f"{key} is not a setting; it is ignored", candidates)


def _key_problem_every_hook(key: str, value: Any, own: str) -> Problem | None:
    default: Any = True if own == "enabled" else 50
    if fits(value, default):
        return None
    text = f"{key} is {type_name(value)} ({_short(value)}); it takes {type_name(default)}"
    return Problem(WRONG_TYPE, key, text)


def _short(value: Any) -> str:
    return clip(repr(value), 40)


def suggestion(problem: Problem) -> str | None:
    """The closest candidate name ("did you mean"), or None."""
    if not problem.candidates:
        return None
    import difflib

    close = difflib.get_close_matches(problem.wanted, problem.candidates, n=1, cutoff=0.6)
    return close[0] + problem.suffix if close else None
