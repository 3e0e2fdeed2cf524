"""Shell command classifiers (spec §1.4): segments, kinds, shapes and error signatures.

Only imported for events that carry a command or an error, so its regexes cost nothing on a
plain Read.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

WRAPPERS = {"sudo", "time", "nice", "env", "command", "exec", "npx", "bunx"}
TWO_WORD_WRAPPERS = {
    ("uv", "run"),
    ("poetry", "run"),
    ("pipenv", "run"),
    ("pdm", "run"),
    ("hatch", "run"),
    ("pnpm", "exec"),
    ("pnpm", "dlx"),
    ("yarn", "dlx"),
    ("bundle", "exec"),
}
JS_RUNNERS = {"npm", "yarn", "pnpm", "bun"}

READ_ONLY_KINDS = frozenset({"inspect", "noop"})
VERIFICATION_KINDS = frozenset({"test", "build", "lint", "typecheck"})

INSPECT_TOOLS = {
    "ls",
    "cat",
    "head",
    "tail",
    "less",
    "more",
    "wc",
    "find",
    "fd",
    "grep",
    "rg",
    "ag",
    "tree",
    "pwd",
    "stat",
    "file",
    "which",
    "type",
    "du",
    "df",
    "jq",
    "awk",
}
GIT_INSPECT = {"status", "log", "diff", "show", "blame", "branch", "rev-parse", "ls-files"}
NOOP_TOOLS = {"echo", "printf", "true", "cd", "export", "set"}
TEST_TOOLS = {
    "pytest",
    "py.test",
    "tox",
    "nox",
    "unittest",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "rspec",
    "phpunit",
    "ctest",
}
LINT_TOOLS = {"flake8", "pylint", "eslint", "golangci-lint", "shellcheck", "rubocop"}
TYPECHECK_TOOLS = {"mypy", "pyright", "basedpyright"}
FORMAT_TOOLS = {"black", "isort", "prettier", "gofmt", "goimports", "rustfmt"}


MASKING_SEPARATORS = ("|", "||", ";", "\n")


def split_segments(command: str) -> list[str]:
    """Split on `&&`, `||`, `;`, `|` and newlines outside single or double quotes."""
    return [segment for segment, _ in segments_with_separators(command)]


def segments_with_separators(command: str) -> list[tuple[str, str]]:
    """Non-empty segments with the separator before each (`""` for the first): split on `&&`,
    `||`, `;`, `|` and newlines outside single or double quotes. An empty segment passes a
    masking separator (`|`, `||`, `;`, newline) on to the next one."""
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    before = ""
    quote = ""
    i, n = 0, len(command)
    while i < n:
        ch = command[i]
        if quote:
            current.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < n:
                current.append(command[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == "\\" and i + 1 < n:
            current.append(ch + command[i + 1])
            i += 1
        elif ch in ";|\n" or command.startswith("&&", i):
            sep = command[i : i + 2] if command[i : i + 2] in ("&&", "||") else ch
            segment = "".join(current).strip()
            if segment:
                parts.append((segment, before))
                before = sep
            elif sep in MASKING_SEPARATORS:
                before = sep
            current = []
            i += len(sep) - 1
        else:
            current.append(ch)
        i += 1
    segment = "".join(current).strip()
    if segment:
        parts.append((segment, before))
    return parts


def tokenize(segment: str) -> list[str]:
    """Whitespace tokens with surrounding quotes removed; never runs a shell parser that raises."""
    tokens: list[str] = []
    for raw in segment.split():
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        tokens.append(raw)
    return tokens


def segment_words(segment: str) -> list[str]:
    """The tokens of a segment after assignments and wrappers, with the tool as a basename."""
    words = tokenize(segment)
    while words:
        first = words[0]
        if _is_assignment(first) or first in WRAPPERS:
            words = words[1:]
        elif len(words) >= 2 and _is_two_word_wrapper(first, words[1]):
            words = words[2:]
        else:
            break
    if words:
        words[0] = os.path.basename(words[0]) or words[0]
    return words


def _is_assignment(token: str) -> bool:
    """`NAME=value` (checked without `re`: a plain command never needs the regex engine)."""
    name, equals, _ = token.partition("=")
    return bool(equals) and name.isidentifier() and name.isascii()


def _is_python(token: str) -> bool:
    """`python`, `python3`, `python3.12`..."""
    name = os.path.basename(token)
    return name.startswith("python") and all(c in "0123456789." for c in name[6:])


def _is_two_word_wrapper(first: str, second: str) -> bool:
    if (first, second) in TWO_WORD_WRAPPERS:
        return True
    return second == "-m" and _is_python(first)


def segment_kind(words: list[str]) -> str:
    if not words:
        return "noop"
    tool = words[0]
    sub = words[1] if len(words) > 1 else ""
    rest = words[1:]
    for classify in (_test_kind, _build_kind, _lint_kind, _format_kind, _git_kind, _install_kind):
        kind = classify(tool, sub, rest)
        if kind:
            return kind
    if tool in INSPECT_TOOLS:
        return "inspect"
    if tool == "sed":
        return "run" if any(w.startswith("-i") or w == "--in-place" for w in rest) else "inspect"
    if tool in NOOP_TOOLS:
        return "noop"
    return "run"


def _js_run_script(tool: str, sub: str, rest: list[str]) -> str:
    if tool in JS_RUNNERS and sub == "run" and len(rest) > 1:
        return rest[1]
    return ""


TASK_TEST_RUNNERS = {"just", "task", "mage", "invoke", "inv", "rake"}
SCRIPT_RUNNERS = {"bash", "sh", "zsh", "node", "bun", "tsx", "ts-node", "ruby", "php"}
TEST_NAME_PARTS = {"test", "tests", "spec", "specs"}


def _is_test_script(word: str) -> bool:
    """A script file named for tests: `./test.sh`, `scripts/run-tests.sh`, `test_api.py`,
    `bin/test-quick`. A bare word is not one (`test -f x` is the shell's `test`)."""
    if "/" not in word and "." not in word:
        return False
    name = os.path.basename(word).lower()
    for separator in "-_.":
        name = name.replace(separator, " ")
    return bool(TEST_NAME_PARTS & set(name.split()))


def _project_test_kind(tool: str, sub: str, rest: list[str]) -> str:
    """The project's own test entry points: `python manage.py test`, `php artisan test`,
    `just test`, `pnpm vitest`, `./scripts/test.sh`, `bash scripts/run-tests.sh`."""
    if (_is_python(tool) and sub == "manage.py") or (tool == "php" and sub == "artisan"):
        return "test" if rest[1:2] == ["test"] else ""
    if tool in JS_RUNNERS and sub in TEST_TOOLS:
        return "test"
    if tool in TASK_TEST_RUNNERS and sub.startswith("test"):
        return "test"
    if (tool, sub) == ("swift", "test"):
        return "test"
    if _is_test_script(tool):
        return "test"
    if (tool in SCRIPT_RUNNERS or _is_python(tool)) and _is_test_script(sub):
        return "test"
    return ""


def _test_kind(tool: str, sub: str, rest: list[str]) -> str:
    if tool in TEST_TOOLS:
        return "test"
    if tool in JS_RUNNERS and sub == "test":
        return "test"
    if _project_test_kind(tool, sub, rest):
        return "test"
    if _js_run_script(tool, sub, rest).startswith("test"):
        return "test"
    pairs = {
        ("deno", "test"),
        ("go", "test"),
        ("cargo", "test"),
        ("cargo", "nextest"),
        ("mix", "test"),
        ("dotnet", "test"),
        ("gradle", "test"),
        ("mvn", "test"),
    }
    if (tool, sub) in pairs:
        return "test"
    if tool == "make" and sub in ("test", "check", "tests"):
        return "test"
    if tool in ("gradlew", "./gradlew") and sub == "test":
        return "test"
    return ""


# Compilers and framework checks of other ecosystems (a Rust session checks with `cargo check`).
BUILD_PAIRS = {
    ("cargo", "check"),
    ("swift", "build"),
    ("zig", "build"),
    ("mix", "compile"),
    ("next", "build"),
    ("nuxt", "build"),
    ("astro", "build"),
}
TYPECHECK_TOOLS_JS = {"vue-tsc", "svelte-check"}
TYPECHECK_PAIRS = {("deno", "check"), ("astro", "check")}


def _build_kind(tool: str, sub: str, rest: list[str]) -> str:
    if _js_run_script(tool, sub, rest).startswith("build"):
        return "build"
    if tool in JS_RUNNERS and sub in ("tsc", *TYPECHECK_TOOLS_JS):  # `pnpm tsc --noEmit`
        tool, sub, rest = sub, (rest[1] if len(rest) > 1 else ""), rest[1:]
    if tool in TYPECHECK_TOOLS_JS or (tool, sub) in TYPECHECK_PAIRS:
        return "typecheck"
    if (tool, sub) in BUILD_PAIRS or (tool in ("py_compile", "compileall") and rest):  # python -m
        return "build"
    if tool == "tsc":
        return "typecheck" if "--noEmit" in rest else "build"
    if tool == "webpack" or (tool == "vite" and sub == "build"):
        return "build"
    pairs = {
        ("cargo", "build"),
        ("go", "build"),
        ("dotnet", "build"),
        ("gradle", "build"),
        ("gradle", "assemble"),
    }
    if (tool, sub) in pairs:
        return "build"
    if tool == "make" and sub in ("", "all", "build"):
        return "build"
    if tool == "mvn" and sub in ("package", "compile", "install"):
        return "build"
    if tool == "build":  # `python -m build`, after the wrapper is dropped
        return "build"
    if tool == "cmake" and sub == "--build":
        return "build"
    return ""


def _lint_kind(tool: str, sub: str, rest: list[str]) -> str:
    if tool in LINT_TOOLS or (tool == "ruff" and sub == "check"):
        return "lint"
    if tool in TYPECHECK_TOOLS:
        return "typecheck"
    if (tool == "biome" and sub in ("lint", "check")) or (tool, sub) in {
        ("cargo", "clippy"),
        ("go", "vet"),
    }:
        return "lint"
    script = _js_run_script(tool, sub, rest)
    if script in ("typecheck", "type-check"):
        return "typecheck"
    if script.startswith("lint"):
        return "lint"
    return ""


def _format_kind(tool: str, sub: str, rest: list[str]) -> str:
    if tool in FORMAT_TOOLS or (tool, sub) in {("ruff", "format"), ("go", "fmt"), ("cargo", "fmt")}:
        return "format"
    return ""


def _git_kind(tool: str, sub: str, rest: list[str]) -> str:
    if tool != "git":
        return ""
    if sub == "commit":
        return "git_commit"
    if sub == "push":
        return "git_push"
    if sub in GIT_INSPECT:
        return "inspect"
    return "run"


def _install_kind(tool: str, sub: str, rest: list[str]) -> str:
    if tool in ("pip", "pip3") and sub == "install":
        return "install"
    if tool == "uv" and sub in ("add", "pip", "sync"):
        return "install"
    if tool == "poetry" and sub in ("add", "install"):
        return "install"
    if tool in JS_RUNNERS and sub in ("install", "add", "i"):
        return "install"
    if (tool, sub) in {("cargo", "add"), ("go", "get"), ("brew", "install")}:
        return "install"
    if tool in ("apt", "apt-get") and sub == "install":
        return "install"
    return ""


class CommandFacts:
    """Everything derived from one shell command, computed once."""

    __slots__ = ("kinds", "norm", "segments", "shape", "words")

    def __init__(self, command: str) -> None:
        self.segments = split_segments(command)
        self.words = [segment_words(seg) for seg in self.segments]
        each = [segment_kind(words) for words in self.words]
        self.kinds = frozenset(each) or frozenset({"noop"})
        self.norm = " ".join(command.split())[:300]
        self.shape = command_shape(self.words, each)

    @property
    def read_only(self) -> bool:
        return self.kinds <= READ_ONLY_KINDS

    @property
    def verification(self) -> bool:
        return bool(self.kinds & VERIFICATION_KINDS)

    def tokens(self) -> list[str]:
        """Tool tokens, one per segment."""
        return [words[0] for words in self.words if words]


def command_shape(all_words: list[list[str]], kinds: list[str]) -> str:
    """The tool token plus the next token of the first non-noop segment (`kinds`: one per
    segment, as `segment_kind` gave them)."""
    for words, kind in zip(all_words, kinds, strict=True):
        if words and kind != "noop":
            return " ".join(words[:2])
    return ""


# --- test targets ---------------------------------------------------------------------------

OUTPUT_ONLY_WORDS = {"2>&1", "1>&2", "&>/dev/null", ">/dev/null", "2>/dev/null"}


def run_under_test(facts: CommandFacts) -> str:
    """What a test command runs, so that failures of different runs are not counted together:
    the test segments' tool and arguments, without the `cd` before them, the pipes after them
    (`| tail -20`) and output redirections. `pytest -q 2>&1 | tail` and `pytest -q` are one
    run; `go test ./a ./b` and `go test ./b` are two."""
    parts: list[str] = []
    for words in facts.words:
        if not words or segment_kind(words) != "test":
            continue
        parts.append(" ".join(w for w in words if w not in OUTPUT_ONLY_WORDS and ">" not in w))
    return " && ".join(parts)[:300] or facts.norm


# --- the project's own check tasks -------------------------------------------------------
# `make lint`, `npm run typecheck`, `tox -e lint`, `pre-commit run`: the project's task runner
# runs its own linter/formatter/type checker; dev_toolchain_suggest counts them as run
# (recorded as `task:<role>` in `tools_run`). The roles are the toolchain table's.

TASK_RUNNERS = {"make", "just", "task", "mage", "invoke", "inv", "rake", "deno"}
JS_BUILTINS = {"install", "i", "add", "remove", "ci", "exec", "dlx", "x", "create", "init"}
ROLE_WORDS = {
    "lint": {"lint", "lints", "linter", "linting", "eslint", "ruff", "flake8", "pylint", "clippy"},
    "format": {"format", "formatting", "fmt", "prettier", "black", "isort", "style"},
    "types": {"typecheck", "typechecks", "type", "types", "typing", "tsc", "mypy", "pyright"},
}
ALL_ROLES = ("format", "lint", "types")
AGGREGATE_WORDS = {"check", "checks", "ci", "verify", "validate", "qa", "precommit", "static"}


def target_roles(target: str, aggregate: bool = True) -> set[str]:
    """The roles a task name stands for: `lint:fix` → lint, `check:format` → format,
    `type-check` → types; a whole-check name (`check`, `ci`, `verify`) → every role."""
    name = target.lower()
    for joined in ("type-check", "type_check", "type:check"):
        name = name.replace(joined, "typecheck")
    parts = set(name.replace(":", " ").replace("-", " ").replace("_", " ").split())
    roles = {role for role, words in ROLE_WORDS.items() if parts & words}
    if not roles and aggregate and parts & AGGREGATE_WORDS:
        roles = set(ALL_ROLES)
    return roles


def _option_values(rest: list[str], flags: tuple[str, ...]) -> list[str]:
    """Values of `-e lint,types` / `-elint` / `--session=lint`-style options."""
    values: list[str] = []
    for i, word in enumerate(rest):
        for flag in flags:
            if word == flag and i + 1 < len(rest):
                values += rest[i + 1].split(",")
            elif word.startswith(flag + "=") or (len(flag) == 2 and word.startswith(flag)):
                values += word[len(flag) :].lstrip("=").split(",")
    return values


def task_targets(words: list[str]) -> tuple[list[str], bool]:
    """(task names a segment runs through a task runner, runs the project's whole hook set)."""
    if not words:
        return [], False
    tool, rest = words[0], words[1:]
    args = [w for w in rest if not w.startswith("-") and "=" not in w]
    if tool in ("pre-commit", "prek") and rest[:1] == ["run"]:
        return [], True
    if tool == "hatch" and rest[:1] == ["fmt"]:
        return ["format", "lint"], False
    if tool in TASK_RUNNERS:
        return args, False
    if tool in JS_RUNNERS and args:
        if args[0] in ("run", "run-script"):
            return args[1:2], False
        return ([] if tool == "npm" or args[0] in JS_BUILTINS else args[:1]), False
    if tool == "tox":
        return _option_values(rest, ("-e",)), False
    if tool == "nox":
        return _option_values(rest, ("-s", "-e", "--session", "--sessions")), False
    if tool == "ruff":  # `ruff .` is the old spelling of `ruff check .`
        return ([] if rest[:1] == ["format"] else ["lint"]), False
    if tool in INSPECT_TOOLS or tool in NOOP_TOOLS:  # `type ls` is the shell's builtin
        return [], False
    return [tool], False  # `poetry run lint`, `uv run ruff` (the wrapper is already dropped)


def task_roles(words: list[str]) -> set[str]:
    """The formatter/linter/type-checker roles one segment ran through the project's tools."""
    targets, whole_hook_set = task_targets(words)
    if whole_hook_set:
        return set(ALL_ROLES)
    through_runner = bool(words) and targets != [words[0]]
    roles: set[str] = set()
    for target in targets:
        roles |= target_roles(target, aggregate=through_runner)
    return roles


def is_benign_failure(
    command: str, facts: CommandFacts, exit_code: int | None, body: str, tools: list[str]
) -> bool:
    if exit_code != 1:
        return False
    if sum(1 for line in body.splitlines() if line.strip()) > 1:
        return False
    if not facts.words or not facts.words[-1]:
        return False
    last = facts.words[-1]
    if last[0] in tools:
        return True
    return " ".join(last[:3]) == "git diff --exit-code" or (
        last[:2] == ["git", "diff"] and "--exit-code" in last
    )
