"""dev_toolchain_suggest (spec §4.15): name the checks not yet run for a language edited."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from posttool.lib.schema import new_session
from posttool.lib.toolchains import DEFAULT_TOOLS, missing_roles, render, shell_word
from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import bash, call_hook, labelled, write


@pytest.fixture(autouse=True)
def all_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests cover every role; by default only the linter is named (issue 7 §3, and
    tests/hooks/test_dev_toolchain_roles.py)."""
    from posttool.hooks import suggestions  # noqa: F401  (declares the hook's keys)
    from posttool.lib.config import DECLARED

    monkeypatch.setitem(DECLARED, "dev_toolchain_suggest.roles", ["format", "lint", "types"])


HOOK = "dev_toolchain_suggest"


def two_py(s: Session) -> str:
    s.send("01")
    return write(s, "util.py", "def f():\n    return 1\n")


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    (
        "spec_example_all_three_roles",
        two_py,
        "No formatter, linter or type checker has run this session on the 2 Python files edited; "
        "run `ruff format util.py` and `ruff check --fix util.py` and `mypy util.py`.",
    ),
    (
        "only_missing_roles",
        lambda s: (bash(s, "ruff format . && black --check ."), two_py(s))[1],
        "No linter or type checker has run this session",
    ),
    (
        "typescript",
        lambda s: (
            write(s, "a.ts", "export const a = 1;\n"),
            write(s, "src/b.tsx", "export {};\n"),
        )[1],
        "and `npx tsc --noEmit`.",
    ),
    (
        "javascript_has_no_type_role",
        lambda s: (write(s, "a.js", "1;\n"), write(s, "b.mjs", "2;\n"))[1],
        "No formatter or linter has run this session on the 2 JavaScript files edited;",
    ),
    (
        "go_lint_only_missing",
        lambda s: (
            bash(s, "gofmt -l ."),
            write(s, "a.go", "package a\n"),
            write(s, "b.go", "package a\n"),
        )[2],
        "No linter has run this session on the 2 Go files edited; run `go vet ./...`.",
    ),
    (
        "path_with_space_is_quoted",
        lambda s: (s.send("01"), write(s, "my dir/u.py", "x = 1\n"))[1],
        "`ruff format 'my dir/u.py'`",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("first_py_edit", lambda s: s.send("01")),
    ("same_file_twice", lambda s: (s.send("01"), s.send("03"))[1]),
    ("all_roles_ran", lambda s: (bash(s, "ruff format . && ruff check . && mypy ."), two_py(s))[1]),
    ("cooldown", lambda s: (two_py(s), write(s, "c.py", "x = 1\n"))[1]),
    # Issue 7 §3: the same missing roles are said once per session, not every two hours.
    (
        "same_roles_after_two_hours",
        lambda s: (two_py(s), write(s, "c.py", "x = 1\n", now=s.now + 7201))[1],
    ),
    (
        "sub_agent",
        lambda s: (s.send("01", agent_id="a1"), write(s, "u.py", "x = 1\n", agent_id="a1"))[1],
    ),
    ("two_languages_one_each", lambda s: (s.send("01"), write(s, "a.ts", "export {};\n"))[1]),
    ("markdown", lambda s: (write(s, "a.md", "# a\n"), write(s, "b.md", "# b\n"))[1]),
    ("skip_path", lambda s: (s.send("01"), write(s, "node_modules/p/u.py", "x = 1\n"))[1]),
    ("reads_do_not_count", lambda s: (s.send("02"), write(s, "u.py", "x = 1\n"))[1]),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    for config in ("eslint.config.js", ".prettierrc", "tsconfig.json"):  # a project using them
        (session.project / config).write_text("{}\n")
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    assert labelled(case(session), HOOK) == []


def doc_with_files(*keys: str) -> dict:
    doc = new_session("s", "k", 0.0)
    for key in keys:
        doc["files"][key] = {"path": key, "creates": 1, "edits": 0}
    return doc


def test_scanned_file_counts_as_python_lint() -> None:
    doc = doc_with_files("/home/dev/proj/app.py", "/home/dev/proj/b.py")
    doc["scan"]["/home/dev/proj/app.py"] = {"hash": "x", "findings": [], "complex": []}
    message, state = call_hook(HOOK, load_fixture("01"), doc=doc)
    assert message.severity == "info"
    assert "lint" not in message.text
    assert message.text.startswith("No formatter or type checker has run")
    assert f"{HOOK}|python" in state.doc["cooldowns"]


def test_custom_table() -> None:
    tools = [
        {
            "group": "Py",
            "extensions": [".py"],
            "lint": {"command": "pylint {f}", "tokens": ["pylint"]},
        }
    ]
    doc = doc_with_files("/home/dev/proj/app.py", "/home/dev/proj/b.py")
    message, _ = call_hook(HOOK, load_fixture("01"), doc=doc, config={HOOK: {"tools": tools}})
    assert message.text == (
        "No linter has run this session on the 2 Py files edited; run `pylint app.py`."
    )


def test_malformed_table_entries_are_ignored() -> None:
    tools = ["junk", {"group": 3}, {"group": "X", "extensions": [".py"], "lint": "no"}]
    doc = doc_with_files("/home/dev/proj/app.py", "/home/dev/proj/b.py")
    message, _ = call_hook(HOOK, load_fixture("01"), doc=doc, config={HOOK: {"tools": tools}})
    assert message is None


@pytest.mark.parametrize(
    ("tools_run", "missing"),
    [
        ({}, ["format", "lint", "types"]),
        ({"ruff": 1}, ["format", "lint", "types"]),  # a bare `ruff` is neither subcommand
        ({"ruff check": 1, "pyright": 2}, ["format"]),
        ({"black": 1, "flake8": 1, "basedpyright": 1}, []),
    ],
)
def test_missing_roles(tools_run: dict, missing: list[str]) -> None:
    python = DEFAULT_TOOLS[0]
    assert [role for role, _ in missing_roles(python, tools_run, False)] == missing


def test_shell_quoting() -> None:
    assert shell_word("src/app.py") == "src/app.py"
    assert shell_word("a b.py") == "'a b.py'"
    assert shell_word("it's.py") == "'it'\"'\"'s.py'"
    assert render("mypy {f}", "a;b.py") == "mypy 'a;b.py'"
