"""A realistic session replayed through real `posttool run` processes: write → read → an edit
loop on one file → a failing test run → the same failure again → a fix → passing tests.
At each step we assert what the model would read next to the tool result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import Session

V1 = "import os\n\ndef add(a, b=[]):\n    b.append(a)\n    return b\n"
FIXED = "def add(a, b=None):\n    return [a]\n"
PYTEST_FAILURE = (
    "Exit code 1\n"
    "=================================== FAILURES ===================================\n"
    "___________________________________ test_add ___________________________________\n"
    "    def test_add():\n"
    ">       assert add(1) == [1]\n"
    "E       assert [1, 1] == [1]\n"
    "tests/test_app.py:4: AssertionError\n"
    "=========================== short test summary info ============================\n"
    "FAILED tests/test_app.py::test_add - assert [1, 1] == [1]\n"
    "1 failed, 2 passed in 0.03s"
)


class Replay:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.app = session.project / "app.py"

    def run(self, raw: dict[str, Any]) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "posttool", "run", "--home", str(self.session.home)],
            input=json.dumps(raw).encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0 and result.stderr == b""
        answer = json.loads(result.stdout)
        if not answer:
            return ""
        assert answer["hookSpecificOutput"]["hookEventName"] == raw["hook_event_name"]
        return answer["hookSpecificOutput"]["additionalContext"]

    def edit(self, old: str, new: str) -> str:
        before = self.app.read_text()
        self.app.write_text(before.replace(old, new, 1))
        patch = [
            {
                "oldStart": 5,
                "oldLines": 1,
                "newStart": 5,
                "newLines": 1,
                "lines": [f"-    {old}", f"+    {new}"],
            }
        ]
        return self.run(
            self.session.event(
                "03",
                tool_input={"old_string": old, "new_string": new},
                tool_response={
                    "oldString": old,
                    "newString": new,
                    "originalFile": before,
                    "structuredPatch": patch,
                },
            )
        )

    def pytest_fails(self) -> str:
        return self.run(
            self.session.event("06", tool_input={"command": "pytest -q"}, error=PYTEST_FAILURE)
        )


def test_a_session_as_the_model_sees_it(session: Session) -> None:
    replay = Replay(session)
    replay.app.write_text(V1)

    # 1. The model writes app.py with an unused import and a mutable default.
    seen = replay.run(session.event("01"))
    lines = seen.splitlines()
    assert (
        lines[0] == "[quality_scanner] app.py: 1 new ruff finding (1 fixed by `ruff check --fix`)"
    )
    assert lines[1].startswith("- L1 F401 `os`")
    assert lines[2] == "[state_mutation_guard] app.py:"
    assert lines[3].startswith(
        "- L3 `add(b=[])`: mutable default shared across calls, and mutated at L4."
    )
    assert len(lines) == 4

    # 2. It reads the file back: nothing to add.
    assert replay.run(session.event("02")) == ""

    # 3. An edit, then one that undoes it: spinning is named (confidence drops from certainty
    # to working, which asks nothing new of the model and is not said).
    assert replay.edit("return b", "return list(b)") == ""
    seen = replay.edit("return list(b)", "return b")
    assert seen.splitlines() == [
        "[velocity_tracker] app.py: this edit undoes the one from 1 calls ago. Decide which "
        "version is right, and why, before editing again.",
    ]
    # ...and redoing it is not nagged about again right away (cooldowns).
    assert replay.edit("return b", "return list(b)") == ""

    # 4. The tests fail, twice in a row with nothing changed: recorded, not yet preached about.
    assert replay.pytest_fails() == ""
    assert replay.pytest_fails() == ""
    doc = session.doc()
    assert doc["counters"]["consecutive_failures"] == 2
    assert doc["verification"]["last_test_ok"] is False
    assert [e["count"] for e in doc["errors"]] == [2]

    # 5. The fix rewrites the file; by now the churn on app.py is pointed out.
    replay.app.write_text(FIXED)
    seen = replay.run(session.event("04"))
    assert seen == (
        "[velocity_tracker] app.py edited 5 times in the last 10 calls while commands keep "
        "failing. Step back: re-read the error and the code path, and form one hypothesis "
        "before the next edit."
    )

    # 6. The tests pass: the failure is resolved and confidence climbs back a tier, silently.
    seen = replay.run(
        session.event(
            "05",
            tool_input={"command": "pytest -q"},
            tool_response={"stdout": "...\n3 passed in 0.02s"},
        )
    )
    assert seen == ""
    doc = session.doc()
    assert doc["confidence"]["tier"] == "certainty"
    assert doc["verification"]["last_test_ok"] is True
    assert doc["counters"]["consecutive_failures"] == 0
    assert all(e["resolved_call"] == doc["counters"]["calls"] for e in doc["errors"])
    assert doc["counters"]["calls"] == 9


def test_scenario_state_files_are_private(session: Session) -> None:
    Replay(session).run(session.event("02"))
    for path in Path(session.home).rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == expected, path
