"""A `.py` file that starts with a UTF-8 byte-order mark is valid Python (issue 7 §2).

Claude Code decodes a file with a BOM as UTF-8 and keeps the mark: `originalFile` and the
Write `content` start with U+FEFF, and so does line 1 of a `structuredPatch` hunk that touches
the top of the file. No parser or line check may read the mark as a character.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from posttool.lib.fast.astlite import parse
from posttool.runner.normalise import build_event
from tests.conftest import Session, load_fixture
from tests.hooks.quality_payloads import edit, patch, write
from tests.hooks.state_replay import Replay
from tests.hooks.state_replay import edit as replay_edit
from tests.hooks.state_replay import write as replay_write

BOM = "\ufeff"
SOURCE = """\
import json


def load(text):
    \"\"\"Parse a config.\"\"\"
    return json.loads(text)
"""


def test_parse_accepts_a_leading_bom_like_python() -> None:
    compile((BOM + SOURCE).encode(), "app.py", "exec")  # what Python does with the file
    assert parse(BOM + SOURCE).body[0].names[0].name == "json"


def test_a_bom_in_the_middle_is_still_a_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        parse("x = 1\n" + BOM + "y = 2\n")


def test_write_and_edits_of_a_bom_file_are_not_syntax_errors(session: Session) -> None:
    (session.project / "conf.py").write_bytes((BOM + SOURCE).encode())
    created = write(session, "conf.py", BOM + SOURCE)
    after = SOURCE.replace("Parse a config.", "Parse the config.")
    edited = edit(session, "conf.py", BOM + SOURCE, "Parse a config.", "Parse the config.")
    on_line_1 = edit(session, "conf.py", BOM + after, "import json", "import logging\nimport json")
    for text in (created, edited, on_line_1):
        assert "syntax" not in text.lower()
        assert "does not parse" not in text
    record = next(iter(session.doc()["files"].values()))
    assert record["syntax_ok"] is True


def test_line_1_of_a_patch_loses_the_mark() -> None:
    raw = load_fixture("03")
    before, after = BOM + "# TODO\nx = 1\n", BOM + "# TODO: later\nx = 1\n"
    raw["tool_response"].update(
        originalFile=before,
        oldString="# TODO",
        newString="# TODO: later",
        structuredPatch=patch(before, after),
    )
    event = build_event(raw, now=0.0)
    assert event.added_lines == [(1, "# TODO: later")]
    assert event.content_after == "# TODO: later\nx = 1\n"
    assert event.py_parse()[1] is None


def test_bom_costs_no_confidence(session: Session) -> None:
    replay = Replay(session)
    first = replay.step(replay_write("conf.py", BOM + SOURCE))
    second = replay.step(replay_edit(BOM + "import json", BOM + "import json, os", "conf.py"))
    for result in (first, second):
        assert "syntax_error" not in result.log
        assert result.call["syntax_error"] is None


def test_mutable_default_is_still_found_in_a_bom_file(session: Session) -> None:
    text = write(session, "app.py", BOM + "def add(a, b=[]):\n    b.append(a)\n    return b\n")
    assert "[state_mutation_guard]" in text
    assert "mutable default" in text


def test_radon_command_line_reads_a_bom_file(
    session: Session, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The radon CLI (used when radon cannot be imported) is told the file may open with a BOM."""
    from posttool.lib import lint
    from posttool.lib.config import Config
    from posttool.lib.lint import linters

    radon = Path(sys.executable).with_name("radon")
    if not os.access(radon, os.X_OK):
        pytest.skip("radon CLI not beside python")
    monkeypatch.setattr(lint, "installed_radon_version", lambda: None)
    branchy = "def pick(x):\n" + "".join(
        f"    if x == {i}:\n        return {i}\n" for i in range(12)
    )
    target = session.project / "branchy.py"
    target.write_bytes((BOM + branchy).encode())
    raw = session.event(
        "01",
        tool_input={"file_path": str(target), "content": BOM + branchy},
        tool_response={"filePath": str(target), "content": BOM + branchy},
    )
    settings = Config(
        {
            "quality_scanner.ruff_cmd": str(session.project / "no-ruff"),
            "quality_scanner.radon_cmd": str(radon),
        }
    )
    result = lint.scan_file(build_event(raw, now=0.0), settings, str(home))
    assert result is not None
    assert result["radon"] == linters.radon_blocks(branchy)
    assert result["radon"][0][0] == "pick"
