"""The formatter / linter / type checker of each language, for dev_toolchain_suggest (§4.15).

The table is the default of `dev_toolchain_suggest.tools`: a list of groups, each with a name,
its extensions and, per role, the suggested command (`{f}` is the edited file's display path)
and the tool tokens that count as already run (as `state_updater` records them in `tools_run`:
a tool token, or a token and its subcommand such as `ruff check`).
"""

from __future__ import annotations

import os

from posttool.lib.paths import find_program

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ROLES = ("format", "lint", "types")
ROLE_NOUNS = {"format": "formatter", "lint": "linter", "types": "type checker"}

# A role may say how to tell that the project uses its tool (`in_use`): `configs`, file names
# looked for from the edited file's folder up to the project root; `manifests`, a file name and
# a word its text contains (package.json naming the tool); `markers`, text in the edited file
# (`eslint-disable`); `program`, an executable on PATH. Without any of them the role applies.
_PRETTIER = {
    "command": "npx prettier --write {f}",
    "tokens": ["prettier", "biome"],
    "configs": [
        ".prettierrc", ".prettierrc.json", ".prettierrc.yaml", ".prettierrc.yml",
        ".prettierrc.js", ".prettierrc.cjs", ".prettierrc.mjs", "prettier.config.js",
        "prettier.config.cjs", "prettier.config.mjs",
    ],
    "manifests": [["package.json", '"prettier']],
}  # fmt: skip
_ESLINT = {
    "command": "npx eslint --fix {f}",
    "tokens": ["eslint", "biome"],
    "configs": [
        "eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts",
        ".eslintrc", ".eslintrc.js", ".eslintrc.cjs", ".eslintrc.json", ".eslintrc.yaml",
        ".eslintrc.yml",
    ],
    "manifests": [["package.json", '"eslint']],
    "markers": ["eslint-disable", "eslint-enable"],
}  # fmt: skip
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
        "types": {"command": "npx tsc --noEmit", "tokens": ["tsc"], "configs": ["tsconfig.json"]},
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
        "lint": {"command": "shellcheck {f}", "tokens": ["shellcheck"], "program": "shellcheck"},
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


MAX_MANIFEST_BYTES = 200_000
MAX_LEVELS = 12


def in_use(spec: Any, file_path: str, root: str, text: str) -> bool:
    """Whether the project evidently uses the role's tool (see the table's comment). A
    suggestion to run ESLint in a project with no ESLint configuration only produces an error."""
    if not isinstance(spec, dict):
        return False
    configs = _strings(spec.get("configs"))
    manifests = [m for m in spec.get("manifests") or [] if _is_pair(m)]
    markers = _strings(spec.get("markers"))
    program = spec.get("program")
    if not (configs or manifests or markers or isinstance(program, str)):
        return True
    if any(marker in text for marker in markers):
        return True
    if isinstance(program, str) and find_program(program) is not None:
        return True
    for folder in _folders_up(file_path, root):
        if any(os.path.isfile(os.path.join(folder, name)) for name in configs):
            return True
        if any(_mentions(os.path.join(folder, name), word) for name, word in manifests):
            return True
    return False


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _folders_up(file_path: str, root: str) -> list[str]:
    """The file's folder and its parents up to the project root (only the file's own folder
    when the file is outside the root)."""
    folder = os.path.dirname(file_path)
    root = os.path.normpath(root) if root else ""
    folders = [folder]
    while root and folder != root and folder.startswith(root + os.sep):
        folder = os.path.dirname(folder)
        folders.append(folder)
        if len(folders) >= MAX_LEVELS:
            break
    return folders


def _mentions(path: str, word: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_MANIFEST_BYTES)
    except OSError:
        return False
    return word.encode() in head
