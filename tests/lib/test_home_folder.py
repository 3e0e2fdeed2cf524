"""`--home` naming a folder posttool did not create: never chmod-ed, posttool works in a
`posttool/` subfolder of it; its own homes (new, or from before the marker) are used as is."""

from __future__ import annotations

import stat
from pathlib import Path

from posttool.lib.paths import HOME_MARKER, settle_home
from tests.conftest import FIXTURES, run_cli

EVENT = (FIXTURES / "05_bash_ls_ok.json").read_bytes()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_foreign_folder_is_left_alone_and_a_subfolder_used(tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir(mode=0o755)
    foreign.chmod(0o755)
    (foreign / "notes.txt").write_text("mine")
    result = run_cli("run", "--home", str(foreign), stdin=EVENT)
    assert result.returncode == 0 and result.stdout.startswith(b"{")
    assert mode(foreign) == 0o755
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt", "posttool"]
    own = foreign / "posttool"
    assert (own / HOME_MARKER).exists() and (own / "sessions").is_dir()
    assert mode(own) == 0o700


def test_an_empty_existing_folder_is_not_claimed(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert settle_home(str(empty)) == str(empty / "posttool")


def test_a_new_home_is_created_with_the_marker(tmp_path: Path) -> None:
    new = tmp_path / "new-home"
    run_cli("run", "--home", str(new), stdin=EVENT)
    assert (new / HOME_MARKER).exists() and (new / "sessions").is_dir()
    assert mode(new) == 0o700


def test_a_home_from_before_the_marker_is_adopted(tmp_path: Path) -> None:
    old = tmp_path / "old-home"
    (old / "sessions").mkdir(parents=True)
    (old / "posttool.log").write_text("")
    assert settle_home(str(old)) == str(old)
    assert (old / HOME_MARKER).exists()


def test_the_cli_refuses_when_the_subfolder_is_foreign_too(tmp_path: Path) -> None:
    foreign = tmp_path / "work"
    (foreign / "posttool").mkdir(parents=True)
    (foreign / "posttool" / "README").write_text("someone else's")
    (foreign / "notes.txt").write_text("mine")
    result = run_cli("state", "list", "--home", str(foreign))
    assert result.returncode == 1
    assert result.stderr.decode().count("\n") == 1 and "did not create" in result.stderr.decode()
    answer = run_cli("run", "--home", str(foreign), stdin=EVENT)
    assert answer.returncode == 0 and answer.stdout.strip() == b"{}"
    assert sorted(p.name for p in (foreign / "posttool").iterdir()) == ["README"]


def test_a_read_only_command_creates_nothing(tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert run_cli("state", "list", "--home", str(foreign)).returncode == 0
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
