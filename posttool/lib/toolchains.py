"""The formatter / linter / type checker of each language, for dev_toolchain_suggest (§4.15).

The table is the default of `dev_toolchain_suggest.tools`: a list of groups, each with a name,
its extensions and, per role, the suggested command (`{f}` is the edited file's display path)
and the tool tokens that count as already run (as `state_updater` records them in `tools_run`:
a tool token, or a token and its subcommand such as `ruff check`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ROLES = ("format", "lint", "types")
ROLE_NOUNS = {"format": "formatter", "lint": "linter", "types": "type checker"}

_PRETTIER = {"command": "npx prettier --write {f}", "tokens": ["prettier", "biome"]}
_ESLINT = {"command": "npx eslint --fix {f}", "tokens": ["eslint", "biome"]}
DEFAULT_TOOLS: list[dict[str, Any]] = [
    {
        "group": "Python",
        "extensions": [".py", ".pyi"],
        "format": {"command": "ruff format {f}", "tokens": ["ruff format", "black"]},
        "lint": {"command": "ruff check --fix {f}", "tokens": ["ruff check", "flake8", "pylint"]},
        "types": {"command": "mypy {f}", "tokens": ["mypy", "pyright", "basedpyright"]},
    },
    {
        "group": "TypeScript",
        "extensions": [".ts", ".tsx"],
        "format": _PRETTIER,
        "lint": _ESLINT,
        "types": {"command": "npx tsc --noEmit", "tokens": ["tsc"]},
    },
    {
        "group": "JavaScript",
        "extensions": [".js", ".jsx", ".mjs", ".cjs"],
        "format": _PRETTIER,
        "lint": _ESLINT,
    },
    {
        "group": "Go",
        "extensions": [".go"],
        "format": {"command": "gofmt -w {f}", "tokens": ["gofmt", "goimports", "go fmt"]},
        "lint": {"command": "go vet ./...", "tokens": ["go vet", "golangci-lint"]},
    },
    {
        "group": "Rust",
        "extensions": [".rs"],
        "format": {"command": "cargo fmt", "tokens": ["cargo fmt", "rustfmt"]},
        "lint": {"command": "cargo clippy", "tokens": ["cargo clippy"]},
    },
    {
        "group": "shell",
        "extensions": [".sh", ".bash"],
        "lint": {"command": "shellcheck {f}", "tokens": ["shellcheck"]},
    },
]


def group_for(tools: list[Any], ext: str) -> dict[str, Any] | None:
    """The first well-formed group that lists `ext`."""
    for group in tools:
        if (
            isinstance(group, dict)
            and isinstance(group.get("group"), str)
            and isinstance(group.get("extensions"), list)
            and ext in group["extensions"]
        ):
            return group
    return None


def roles_of(group: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(role, command, tokens) for each well-formed role of the group, in ROLES order."""
    roles = []
    for role in ROLES:
        spec = group.get(role)
        if not isinstance(spec, dict) or not isinstance(spec.get("command"), str):
            continue
        tokens = spec.get("tokens")
        roles.append((role, spec["command"], [t for t in tokens or [] if isinstance(t, str)]))
    return roles


def missing_roles(
    group: dict[str, Any], tools_run: dict[str, Any], lint_scanned: bool
) -> list[tuple[str, str]]:
    """(role, command) for the roles none of whose tokens has been run. `lint_scanned` (the
    Python linter already ran through quality_scanner) counts as a run of the lint role, and so
    does a project task of that role (`task:lint` for `make lint`, `npm run lint`…)."""
    missing = []
    for role, command, tokens in roles_of(group):
        if role == "lint" and lint_scanned:
            continue
        if f"task:{role}" in tools_run:
            continue
        if not any(token in tools_run for token in tokens):
            missing.append((role, command))
    return missing


def edited_files(files: dict[str, Any], extensions: list[str]) -> int:
    """How many files with these extensions were created or edited this session."""
    wanted = set(extensions)
    count = 0
    for key, record in files.items():
        if not isinstance(record, dict) or not (record.get("creates") or record.get("edits")):
            continue
        if os.path.splitext(key)[1].lower() in wanted:
            count += 1
    return count


def shell_word(text: str) -> str:
    """`text` quoted for a POSIX shell when it needs it (paths with spaces and the like)."""
    if text and all(c.isalnum() or c in "@%+=:,./_-" for c in text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def render(command: str, display_path: str) -> str:
    return command.replace("{f}", shell_word(display_path))
