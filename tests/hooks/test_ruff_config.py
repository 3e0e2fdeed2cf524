"""quality_scanner with a broken project ruff configuration (issue 7 §2).

ruff refuses to run at all when a configuration file it finds is invalid (exit 2, `ruff
failed` / `Cause: Failed to parse …/pyproject.toml` / `unknown field …`). quality_scanner used
to fall silent. It now says so once per session, with ruff's reason, and lints with its own
defaults (`--isolated` plus the default selection). Real ruff, real files.
"""

from __future__ import annotations

from pathlib import Path

from posttool.lib.lint.linters import ruff_config_error
from tests.conftest import Session
from tests.hooks.quality_payloads import labelled, write

HOOK = "quality_scanner"
BROKEN_PYPROJECT = '[project]\nname = "demo"\n\n[tool.ruff]\nline-lenght = 100\n'
UNUSED_IMPORT = "import os\n\n\ndef main():\n    return 1\n"


def write_on_disk(session: Session, rel: str, content: str, before: str | None = None) -> str:
    target = session.project / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    return write(session, rel, content, before)


def test_broken_config_is_said_once_and_defaults_lint(session: Session) -> None:
    (session.project / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    first = labelled(write_on_disk(session, "app.py", UNUSED_IMPORT), HOOK)
    assert len(first) == 1
    assert "F401" in first[0]  # linted with posttool's defaults
    assert "The project's ruff configuration is invalid (pyproject.toml" in first[0]
    assert "unknown field `line-lenght`" in first[0]
    second = labelled(write_on_disk(session, "util.py", "import sys\n"), HOOK)
    assert len(second) == 1 and "F401" in second[0]
    assert "configuration is invalid" not in second[0]
    assert not (session.home / "posttool.log").exists()


def test_broken_config_is_said_even_without_findings(session: Session) -> None:
    (session.project / "ruff.toml").write_text('[lint]\nselect = ["E", 3]\n')
    blocks = labelled(write_on_disk(session, "clean.py", "def f():\n    return 1\n"), HOOK)
    assert len(blocks) == 1
    assert blocks[0].startswith("[quality_scanner] The project's ruff configuration is invalid")
    assert "ruff.toml line 2: invalid type: integer `3`, expected a string" in blocks[0]


def test_valid_config_says_nothing_about_it(session: Session) -> None:
    (session.project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    blocks = labelled(write_on_disk(session, "app.py", UNUSED_IMPORT), HOOK)
    assert len(blocks) == 1 and "configuration" not in blocks[0]


def test_ruff_config_error_reason(tmp_path: Path) -> None:
    stderr = (
        "ruff failed\n"
        f"  Cause: Failed to parse {tmp_path}/pyproject.toml\n"
        "  Cause: TOML parse error at line 4, column 1\n"
        "  |\n4 | [tool.ruff]\n  | ^^^^^^^^^^^\nunknown field `line-lenght`\n"
    )
    assert ruff_config_error(stderr, str(tmp_path)) == (
        "pyproject.toml line 4: unknown field `line-lenght`"
    )
    assert ruff_config_error("ruff failed: bad config", str(tmp_path)) == ""
    assert ruff_config_error("error: unexpected argument '--bogus'", str(tmp_path)) == ""
