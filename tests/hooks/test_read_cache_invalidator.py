"""read_cache_invalidator (spec §4.3): a Write or Edit drops the file's read fingerprint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Session


def step(fixture: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    return fixture, changes


WRITE_FAILED = {
    "hook_event_name": "PostToolUseFailure",
    "tool_response": None,
    "error": "EACCES: permission denied",
}

# Each sequence reads app.py first; "fires" means its entry is gone afterwards.
FIRES = {
    "02 then 03 (Edit)": [step("02"), step("03")],
    "02 then 04 (Write update)": [step("02"), step("04")],
    "02 then 01 (Write create over it)": [step("02"), step("01")],
    "02 then a failed Write of it": [step("02"), step("04", **WRITE_FAILED)],
    "02 then a failed Edit of it": [step("02"), step("03", **WRITE_FAILED)],
    "02, 03, 02, 03": [step("02"), step("03"), step("02"), step("03")],
}

SILENT = {
    "02 then 05 (not matched)": [step("02"), step("05")],
    "02 then 06 (a Bash failure)": [step("02"), step("06")],
    "02 then 11 (another file written)": [step("02"), step("11")],
    "02 then an Edit of another file": [
        step("02"),
        step("03", tool_input={"file_path": "/home/dev/proj/other.py"}),
    ],
    "02 then a MultiEdit (outside the matcher)": [step("02"), step("03", tool_name="MultiEdit")],
    "02 then 08 (another file read)": [step("02"), step("08")],
}


def app_key(session: Session) -> str:
    return str(session.project / "app.py")


@pytest.mark.parametrize("steps", FIRES.values(), ids=FIRES.keys())
def test_fires(session: Session, steps: list) -> None:
    for fixture, changes in steps:
        session.send(fixture, **changes)
    assert app_key(session) not in session.store("read_cache")


@pytest.mark.parametrize("steps", SILENT.values(), ids=SILENT.keys())
def test_silent(session: Session, steps: list) -> None:
    for fixture, changes in steps:
        session.send(fixture, **changes)
    assert app_key(session) in session.store("read_cache")


def test_never_emits(session: Session) -> None:
    for fixture in ("02", "03", "04", "01", "11"):
        assert "[read_cache_invalidator]" not in session.send(fixture)


def test_other_entries_are_kept(session: Session) -> None:
    session.send("02")
    session.send("08")
    session.send("03")
    assert list(session.store("read_cache")) == [str(session.project / "big.txt")]
