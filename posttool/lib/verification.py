"""Per agent: the code it edited since it last checked its work, and the test runs it made.

verification_reminder speaks to the agent that made the edit (the main model, or one sub-agent
with its own context), so "N code edits since the last check" counts that agent's edits and the
command it suggests is one that agent ran and that plausibly covers those edits (issue 7: a
sub-agent was told to run another task's `npx vitest run test/config/deal-defaults.test.ts`).

Records live in `verification.agents` (key: the sub-agent's id, `""` for the main model).
Imported only for edits, check commands, and commands of an agent with unverified edits.
"""

from __future__ import annotations

import os

from posttool.lib.commands import OUTPUT_ONLY_WORDS, VERIFICATION_KINDS, segment_kind
from posttool.lib.schema import AGENT_CHECKS, coerce, default_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.commands import CommandFacts
    from posttool.lib.event import Event

MAX_FILES = 20  # edited files remembered per agent
MAX_RUNS = 5  # test runs remembered per agent
# Words of a check command that name the runner, not what it checks.
RUNNER_WORDS = frozenset({"test", "tests", "run", "exec", "--", "check", "build"})
# A target that is the whole suite: `go test ./...`, `pytest tests`, `npm test -- .`
WHOLE_SUITE_TARGETS = frozenset({".", "./...", "...", "./", "test", "tests", "spec", "__tests__"})
TEST_PREFIXES = ("test_", "tests_")
TEST_SUFFIXES = ("_test", "_spec", "-test", "-spec")


def agent_key(event: Event) -> str:
    return event.subagent_id or ""


def agent_record(verification: dict[str, Any], key: str) -> dict[str, Any]:
    """The agent's record, created on first use (a session file from before the field has no
    `agents` map; a hand-edited one is reshaped)."""
    agents = verification.get("agents")
    if not isinstance(agents, dict):
        agents = verification["agents"] = {}
    record = agents.get(key)
    if not isinstance(record, dict):
        record = default_of(AGENT_CHECKS)
    elif set(record) != set(AGENT_CHECKS):
        record = coerce(record, AGENT_CHECKS)
    agents[key] = record
    return record


def record_edit(verification: dict[str, Any], event: Event, is_test: bool) -> None:
    record = agent_record(verification, agent_key(event))
    record["edits"] += 1
    record["test_edits"] += int(is_test)
    record["new_tests"] += int(is_test and event.write_kind == "create")
    record["last"] = event.call_index
    path = event.path_key or ""
    files = record["files"]
    if path in files:
        files.remove(path)
    files.append(path)
    del files[:-MAX_FILES]


def record_check(verification: dict[str, Any], event: Event, facts: CommandFacts) -> bool:
    """A test/build/lint run by this agent: its edits are checked; a test run is remembered
    with what it covers. True when the edits it checks wrote a new test file and touched only
    tests: a test written before the code (TDD) is expected to fail its first run. Edits of
    existing tests alone are a fix of those tests, whose failures count."""
    record = agent_record(verification, agent_key(event))
    tests_first = record["new_tests"] > 0 and record["test_edits"] == record["edits"]
    _checked(record, event.call_index)
    if "test" not in facts.kinds:
        return tests_first
    runs = [run for run in record["runs"] if run.get("cmd") != event.cmd_norm]
    targets = check_targets(facts, event.cwd, event.project_root)
    runs.append({"cmd": event.cmd_norm, "whole": targets is None, "targets": targets or []})
    record["runs"] = runs[-MAX_RUNS:]
    return tests_first


INTERPRETERS = frozenset(
    {"node", "bun", "deno", "ruby", "bash", "sh", "zsh", "tsx", "ts-node", "php", "perl"}
)
COMPILE_AND_RUN = frozenset({("go", "run"), ("cargo", "run"), ("dotnet", "run")})


def record_program_run(verification: dict[str, Any], event: Event) -> None:
    """A command that runs code this agent edited since its last check (the edited script,
    the module it names, or `go run`/`cargo run` of the project) checks those edits: a script
    without tests is checked by running it. Not a test run: nothing is remembered to suggest."""
    facts = event.command_facts
    if facts is None:
        return
    record = agent_record(verification, agent_key(event))
    files = [f for f in record["files"] if f]
    if any(_runs_one_of(words, event.cwd, files) for words in facts.words):
        _checked(record, event.call_index)


def _checked(record: dict[str, Any], call: int) -> None:
    """The agent's edits so far are checked at `call`."""
    record.update(edits=0, test_edits=0, new_tests=0, files=[], verify_call=call, last=call)


def _runs_one_of(words: list[str], cwd: str, files: list[str]) -> bool:
    if len(words) < 2:
        return bool(words) and _is_edited_script(words[0], cwd, files)
    tool, sub = words[0], words[1]
    if (tool, sub) in COMPILE_AND_RUN:
        return True
    if tool == "deno" and sub == "run":
        words = words[1:]
    if not _is_interpreter(tool):
        return _is_edited_script(tool, cwd, files)
    args = [w for w in words[1:] if not w.startswith("-")]
    return bool(args) and _is_edited_script(args[0], cwd, files)


def _is_interpreter(tool: str) -> bool:
    """`node`, `bash`, `python`, `python3.12`…"""
    if tool in INTERPRETERS:
        return True
    return tool.startswith("python") and all(c in "0123456789." for c in tool[6:])


def _is_edited_script(word: str, cwd: str, files: list[str]) -> bool:
    """`report.py`, `./scripts/sync.sh`, or a module run with `python -m app.cli` (the wrapper
    is already dropped, so the module is the word) is one of the edited files."""
    if "." not in word and "/" not in word:
        return False
    path = os.path.normcase(os.path.normpath(os.path.join(cwd, word))) if cwd else word
    if path in files or any(os.path.basename(f) == word for f in files):
        return True
    if all(part.isidentifier() for part in word.split(".")):
        module = os.sep + word.replace(".", os.sep)
        return any(f.endswith((module + ".py", module + os.sep + "__main__.py")) for f in files)
    return False


def check_targets(facts: CommandFacts, cwd: str, root: str = "") -> list[str] | None:
    """What the check segments of a command name, as absolute paths; None when one of them
    checks the whole project: `npm test`, `make test`, `go test ./...`, `pytest tests`, a whole
    `npm run build`, run at the project root (`root`; unknown: any folder). Run in a folder
    below it (`cd packages/web && npm test`), a whole suite checks that folder: in a monorepo
    it covers one package, not the edits in another."""
    top = os.path.normcase(os.path.normpath(root)) if root else ""
    targets: list[str] = []
    for words in facts.words:
        if words[:1] == ["cd"] and len(words) == 2:
            cwd = _absolute(words[1], cwd)
        if not words or segment_kind(words) not in VERIFICATION_KINDS:
            continue
        named = _named_targets(words)
        if not named or any(word.rstrip("/") in WHOLE_SUITE_TARGETS for word in named):
            folder = os.path.normcase(os.path.normpath(cwd)) if cwd else ""
            if not top or not folder or folder == top or not folder.startswith(top + os.sep):
                return None
            targets.append(folder)
            continue
        targets += [_absolute(word, cwd) for word in named]
    return targets


def _named_targets(words: list[str]) -> list[str]:
    """The arguments of a check segment that name what it checks: not the tool, its
    subcommands, a JS runner's script name, options or output redirections."""
    rest = words[1:]
    if words[0] in ("npm", "yarn", "pnpm", "bun") and rest[:1] in (["run"], ["run-script"]):
        rest = rest[2:]  # `npm run test:offline -- a.test.ts`: the script name is not a target
    named = []
    for word in rest:
        if word.startswith("-") or word in RUNNER_WORDS or word in OUTPUT_ONLY_WORDS:
            continue
        if ">" in word or "=" in word:
            continue
        named.append(word.split("::")[0])
    return named


def _absolute(word: str, cwd: str) -> str:
    """The word as a path from `cwd`. A name filter (`-k deal_defaults`, `cargo test parser`,
    Django's `manage.py test orders`) becomes a path too: its name is what `_covered` compares,
    and a folder of that name holds what it tests."""
    if word.endswith("/..."):
        word = word[:-4]
    path = word if os.path.isabs(word) or not cwd else os.path.join(cwd, word)
    return os.path.normcase(os.path.normpath(path))


def covering_run(record: dict[str, Any]) -> str:
    """The most recent test command of this agent that plausibly covers every file it edited
    since its last check ('' when none does)."""
    files = [f for f in record["files"] if f]
    for run in reversed(record["runs"]):
        if not isinstance(run, dict) or not run.get("cmd"):
            continue
        if run.get("whole") or all(_covered(f, run.get("targets") or []) for f in files):
            return str(run["cmd"])
    return ""


def _covered(path: str, targets: list[str]) -> bool:
    """A target is the file, a folder holding it, or a test of the same name
    (`test/config/deal-defaults.test.ts` for `src/config/deal-defaults.ts`)."""
    name = _subject(path)
    for target in targets:
        if path == target or path.startswith(target.rstrip("/\\") + os.sep):
            return True
        other = _subject(target)
        if name and other and _same_subject(name, other):
            return True
    return False


def _same_subject(a: str, b: str) -> bool:
    """`deal-defaults` and `deal-defaults`; `stretch` and `stretching` (4 letters or more)."""
    return a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a))


def _subject(path: str) -> str:
    """What a file is about: its name without folders, extensions and test markers
    (`test_stretch.py` → `stretch`, `deal-defaults.test.ts` → `deal-defaults`)."""
    stem = os.path.basename(path.replace("\\", "/")).lower().split(".", 1)[0]
    for prefix in TEST_PREFIXES:
        if stem.startswith(prefix):
            stem = stem[len(prefix) :]
    for suffix in TEST_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem
