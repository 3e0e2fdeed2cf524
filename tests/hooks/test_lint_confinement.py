"""Lint reads only regular files inside the event's project, never through a symlink that
leaves it: a file outside is not linted and nothing of its content reaches the answer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import Session

REAL_RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
pytestmark = [
    pytest.mark.skipif(not os.access(REAL_RUFF, os.X_OK), reason="needs ruff"),
    pytest.mark.skipif(os.name != "posix", reason="symlinks"),
]
WRITTEN = "import os\n\n\ndef add(a):\n    return a\n"
SECRET = "import secret_token_module\n"
LABEL = "[quality_scanner]"


def write_event(session: Session, path: Path) -> str:
    """A real Write of `path` with WRITTEN as the content the model sent."""
    raw = session.event("01")
    raw["tool_input"] = {"file_path": str(path), "content": WRITTEN}
    raw["tool_response"].update(filePath=str(path), content=WRITTEN)
    return session.send(raw)


def test_a_file_inside_the_project_is_linted(session: Session, project: Path) -> None:
    target = project / "inside.py"
    target.write_text(WRITTEN)
    said = write_event(session, target)
    assert LABEL in said and "`os` imported but unused" in said


def test_a_symlink_leaving_the_project_is_not_followed(
    session: Session, project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "secret.py"
    outside.parent.mkdir()
    outside.write_text(SECRET)
    link = project / "link.py"
    link.symlink_to(outside)
    said = write_event(session, link)
    assert "secret_token_module" not in said
    assert LABEL not in said
    assert "not a file inside the project" in (session.home / "posttool.log").read_text()


def test_a_file_outside_the_project_is_not_linted(
    session: Session, project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "other.py"
    outside.parent.mkdir()
    outside.write_text(SECRET)
    said = write_event(session, outside)
    assert "secret_token_module" not in said and LABEL not in said


def test_a_folder_symlink_leaving_the_project_is_not_followed(
    session: Session, project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "mod.py").write_text(SECRET)
    (project / "vendor").symlink_to(outside)
    said = write_event(session, project / "vendor" / "mod.py")
    assert "secret_token_module" not in said and LABEL not in said


def test_a_symlink_within_the_project_is_linted(session: Session, project: Path) -> None:
    (project / "real.py").write_text(WRITTEN)
    (project / "alias.py").symlink_to(project / "real.py")
    said = write_event(session, project / "alias.py")
    assert LABEL in said and "`os` imported but unused" in said
