"""dev_toolchain_suggest knows the project's own check tasks (issue 7 §2).

`make lint`, `npm run typecheck`, `tox -e lint`, `pre-commit run`… run the project's linter,
formatter or type checker; after them, "no linter run yet" is false.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.commands import CommandFacts, run_under_test, task_roles
from tests.conftest import Session, write_config
from tests.hooks.quality_payloads import bash, labelled, write


@pytest.fixture(autouse=True)
def all_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests cover every role; by default only the linter is named (issue 7 §3, and
    tests/hooks/test_dev_toolchain_roles.py)."""
    from posttool.hooks import suggestions  # noqa: F401  (declares the hook's keys)
    from posttool.lib.config import DECLARED

    monkeypatch.setitem(DECLARED, "dev_toolchain_suggest.roles", ["format", "lint", "types"])


HOOK = "dev_toolchain_suggest"
ALL = {"format", "lint", "types"}

ROLES = [
    ("make lint", {"lint"}),
    ("npm run lint", {"lint"}),
    ("npm run typecheck", {"types"}),
    ("npm run format 2>&1", {"format"}),
    ("pnpm lint", {"lint"}),
    ("pnpm run type-check", {"types"}),
    ("yarn format", {"format"}),
    ("yarn run lint:fix", {"lint"}),
    ("bun run typecheck", {"types"}),
    ("just lint", {"lint"}),
    ("task fmt", {"format"}),
    ("tox -e lint", {"lint"}),
    ("tox -e py312,type", {"types"}),
    ("nox -s lint", {"lint"}),
    ("pre-commit run --all-files", ALL),
    ("uv run ruff check src/", {"lint"}),
    ("poetry run lint", {"lint"}),
    ("hatch run lint:check", {"lint"}),
    ("hatch fmt", {"format", "lint"}),
    ("npm run lint:check && npm run check:format", {"lint", "format"}),
    ("make check", ALL),
    ("npm run check", ALL),
    ("make -C backend fmt", {"format"}),
    ("cd web && npm run lint 2>&1 | head -50", {"lint"}),
]
NO_ROLE = [
    "make",
    "make build",
    "make test",
    "npm test",
    "npm install",
    "npm run build",
    "pnpm add lint",
    "yarn",
    "git commit -m lint",
    "echo lint",
    "type ls",
    "gh issue close 3 --comment 'format fixed'",
    "python app.py check",
]


@pytest.mark.parametrize(("command", "roles"), ROLES, ids=[c for c, _ in ROLES])
def test_task_roles(command: str, roles: set[str]) -> None:
    facts = CommandFacts(command)
    found = set().union(*(task_roles(words) for words in facts.words))
    assert found >= roles
    if roles != ALL:
        assert found <= roles


@pytest.mark.parametrize("command", NO_ROLE)
def test_no_task_role(command: str) -> None:
    facts = CommandFacts(command)
    assert set().union(*(task_roles(words) for words in facts.words)) == set()


def two_py_writes(session: Session) -> str:
    write(session, "app.py", "def add(a, b):\n    return a + b\n")
    return write(session, "util.py", "def f():\n    return 1\n")


@pytest.mark.parametrize(
    "commands",
    [
        ["make lint", "make fmt", "make typecheck"],
        ["pre-commit run --all-files"],
        ["uv run ruff check src/ && uv run ruff format src/", "npm run typecheck"],
        ["just lint", "just format", "tox -e type"],
    ],
)
def test_silent_after_the_projects_tasks(session: Session, commands: list[str]) -> None:
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    for command in commands:
        bash(session, command, "All checks passed!\n")
    assert labelled(two_py_writes(session), HOOK) == []


def test_names_only_the_role_no_task_ran(session: Session) -> None:
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    bash(session, "make lint", "ok\n")
    bash(session, "npm run format", "ok\n")
    blocks = labelled(two_py_writes(session), HOOK)
    assert len(blocks) == 1
    assert "No type checker has run this session on the 2 Python files edited" in blocks[0]
    assert "ruff check" not in blocks[0] and "ruff format" not in blocks[0]


def test_failed_task_still_ran(session: Session) -> None:
    """A lint task that reports findings exits non-zero: the linter ran all the same."""
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    session.send(
        "06", tool_input={"command": "npm run lint"}, error="Exit code 1\n  3:1  error  x  no-undef"
    )
    blocks = labelled(two_py_writes(session), HOOK)
    assert len(blocks) == 1 and "- lint:" not in blocks[0]


@given(st.text(max_size=120))
def test_task_roles_never_raise(command: str) -> None:
    facts = CommandFacts(command)
    for words in facts.words:
        assert task_roles(words) <= ALL
    assert isinstance(run_under_test(facts), str)
