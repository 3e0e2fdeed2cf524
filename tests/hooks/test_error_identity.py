"""Error signatures identify the error: its message and the file it points at (issue 7 §2).

Shapes from real sessions: a ruff loop that fixes one file per run (each run ends with the
summary `Found 1 error.` and shows a code frame `94 |     raise …`), and a Go build whose
first line is the `# package` header. Each cycle is a different error; velocity_tracker must
not call it spinning, and auto_learn keys its lessons on the same signatures.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from posttool.lib.diagnostics import error_line, error_signature, location_file, pick_error
from posttool.lib.paths import project_key
from tests.conftest import Session, merge

LABEL = "[velocity_tracker]"


def ruff_failure(code: str, message: str, path: str, row: int, source: str) -> str:
    """`ruff check` output (ruff 0.12+ full format), as Claude Code reports the failure."""
    return (
        f"Exit code 1\n{code} {message}\n  --> {path}:{row}:10\n   |\n"
        f"{row - 1} |     def _get(self):\n{row} |         {source}\n"
        "   |          ^^^^\n   |\n\nFound 1 error."
    )


def go_failure(path: str, row: int, message: str) -> str:
    return f"Exit code 1\n# github.com/example/templar/internal/server\n{path}:{row}:8: {message}"


def bash_fail(command: str, error: str) -> tuple[str, dict[str, Any]]:
    return "06", {"tool_input": {"command": command}, "error": error}


def edit(path: str) -> tuple[str, dict[str, Any]]:
    return "03", merge(
        {"tool_input": {"file_path": path}, "tool_response": {"filePath": path}},
        {"tool_input": {"old_string": "return b", "new_string": "return list(b)"}},
    )


RUFF_ONE_FILE_PER_RUN = [
    bash_fail(
        "uv run ruff check src/",
        ruff_failure("W292", "No newline at end of file", "src/pkg/__main__.py", 12, "main()"),
    ),
    edit("src/pkg/__main__.py"),
    bash_fail(
        "uv run ruff check src/",
        ruff_failure("W292", "No newline at end of file", "src/pkg/config.py", 37, "x = 1"),
    ),
    edit("src/pkg/config.py"),
    bash_fail(
        "uv run ruff check src/",
        ruff_failure("F401", "`asyncio` imported but unused", "src/pkg/server.py", 3, "import a"),
    ),
    edit("src/pkg/server.py"),
]
GO_ONE_FILE_PER_RUN = [
    bash_fail(
        "go build ./...", go_failure("internal/server/a.go", 104, "declared and not used: r")
    ),
    edit("internal/server/a.go"),
    bash_fail("go build ./...", go_failure("internal/server/b.go", 33, "undefined: Handler")),
    edit("internal/server/b.go"),
    bash_fail("go build ./...", go_failure("internal/server/c.go", 12, "declared and not used: r")),
    edit("internal/server/c.go"),
]


@pytest.mark.parametrize("steps", [RUFF_ONE_FILE_PER_RUN, GO_ONE_FILE_PER_RUN], ids=["ruff", "go"])
def test_fixing_one_file_per_cycle_is_not_spinning(
    session: Session, steps: list[tuple[str, dict[str, Any]]]
) -> None:
    outs = session.play(steps)
    assert not any(LABEL in out and "same error" in out for out in outs), outs


def test_the_same_error_in_the_same_file_is_still_spinning(session: Session) -> None:
    error = go_failure("internal/server/a.go", 104, "declared and not used: r")
    moved = go_failure("internal/server/a.go", 106, "declared and not used: r")
    steps = [
        bash_fail("go build ./...", error),
        edit("internal/server/a.go"),
        bash_fail("go build ./...", moved),  # the line moved: still the same error
        edit("internal/server/a.go"),
        bash_fail("go build ./...", error),
    ]
    out = session.play(steps)[-1]
    assert "3 edit→run cycles ended in the same error: `declared and not used: r`" in out


@pytest.mark.parametrize(
    ("body", "line", "where"),
    [
        (go_failure("./pkg/a.go", 3, "undefined: x")[12:], "undefined: x", "pkg/a.go"),
        (
            ruff_failure("E501", "Line too long (109 > 100)", "src/a.py", 37, "x")[12:],
            "E501 Line too long (109 > 100)",
            "src/a.py",
        ),
        (
            "error[E0425]: cannot find value `x` in this scope\n --> src/main.rs:2:5\n  |\n"
            "2 |     x\n  |     ^ not found in this scope",
            "error[E0425]: cannot find value `x` in this scope",
            "src/main.rs",
        ),
        (
            "src/app.ts(12,5): error TS2345: Argument of type 'string' is not assignable.",
            "error TS2345: Argument of type 'string' is not assignable.",
            "src/app.ts",
        ),
        (
            "FAILED tests/test_app.py::test_add - assert 1 == 2\n1 failed in 0.1s",
            "FAILED tests/test_app.py::test_add - assert 1 == 2",
            "tests/test_app.py",
        ),
        (
            'Traceback (most recent call last):\n  File "/p/app.py", line 3, in <module>\n'
            "    main()\nKeyError: 'user'",
            "KeyError: 'user'",
            "/p/app.py",
        ),
        ("   94 |         raise RuntimeError('x')\nsomething failed", "something failed", ""),
    ],
)
def test_pick_error(body: str, line: str, where: str) -> None:
    assert pick_error(body) == (line, where)
    assert error_line(body) == line


def test_signatures() -> None:
    a = error_signature("bash", go_failure("internal/server/a.go", 104, "undefined: x")[12:])
    b = error_signature("bash", go_failure("internal/server/b.go", 9, "undefined: x")[12:])
    assert a == "bash:undefined: x @internal/server/a.go"
    assert a != b
    ruff = error_signature("bash", ruff_failure("F401", "`os` imported but unused", "a.py", 1, "x"))
    assert ruff == "bash:f401 `os` imported but unused @a.py"  # the rule code is kept
    long = error_signature("bash", f"{'deep/' * 40}x.go:1:1: {'word ' * 60}")
    assert len(long) <= 125 and long.endswith("/deep/deep/x.go")


@pytest.mark.parametrize("token", ["line:12", "<string>:1", "http://host:80", "12:30", "a:b"])
def test_not_a_file_location(token: str) -> None:
    assert location_file(token) == ""


def test_old_signatures_in_state_and_lessons_do_not_crash(session: Session) -> None:
    """Sessions and lesson stores written before the change hold old-format signatures."""
    old_sig = "bash:found <n> error."
    fixture, changes = bash_fail("make", "Exit code 1\nboom")
    session.send(fixture, **changes)  # creates the session file
    path = session.home / "sessions"
    doc_path = next(path.glob("*.json"))
    doc = json.loads(doc_path.read_text())
    doc["errors"][0]["sig"] = old_sig
    for record in doc["recent_tools"]:
        record["sig"] = old_sig
    doc_path.write_text(json.dumps(doc))
    lessons = session.home / "projects" / project_key(str(session.project)) / "lessons.json"
    lessons.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "sig": old_sig,
        "text": "old lesson",
        "excerpt": "Found 1 error.",
        "count": 5,
        "first_seen": session.now,
        "last_seen": session.now,
        "sessions": ["older"],
        "resolved_by": None,
    }
    lessons.write_text(json.dumps({"schema": 1, "entries": {old_sig: entry}}))
    outs = session.play(RUFF_ONE_FILE_PER_RUN)
    assert all(isinstance(out, str) for out in outs)
    assert not (session.home / "posttool.log").exists()
