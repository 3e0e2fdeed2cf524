"""Reading Claude Code's version, and what each version means for PostToolUseFailure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.cli.claude_version import Support, detect, parse_version
from tests.cli.claude_fake import put_claude_on_path


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("2.0.59 (Claude Code)", (2, 0, 59)),
        ("2.0.59\n", (2, 0, 59)),
        ("v1.0.128", (1, 0, 128)),
        ("2.1", (2, 1, 0)),
        ("", None),
        ("Claude Code 2.0.59", None),
        ("2.0.x", None),
        ("2", None),
        ("1.2.3.4", None),
    ],
)
def test_parse_version(text: str, version: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == version


@given(st.text())
def test_parse_version_never_raises(text: str) -> None:
    found = parse_version(text)
    assert found is None or (len(found) == 3 and all(n >= 0 for n in found))


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        ((1, 0, 128), False),
        ((2, 0, 55), False),
        ((2, 0, 56), None),
        ((2, 0, 58), None),
        ((2, 0, 59), True),
        ((3, 0, 0), True),
        (None, None),
    ],
)
def test_which_builds_understand_the_failure_event(
    version: tuple[int, int, int] | None, accepted: bool | None
) -> None:
    assert Support(version, "test").failure_event is accepted


def test_detect_runs_the_claude_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_claude_on_path(tmp_path / "bin", monkeypatch, "2.0.61")
    found = detect()
    assert found.version == (2, 0, 61) and found.source == str(tmp_path / "bin" / "claude")


def test_detect_without_claude_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_claude_on_path(tmp_path / "bin", monkeypatch, None)
    found = detect()
    assert found.version is None and "no `claude`" in found.describe()


def test_a_stated_version_is_not_looked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_claude_on_path(tmp_path / "bin", monkeypatch, "1.0.0")
    assert detect("2.0.70").version == (2, 0, 70)
    with pytest.raises(ValueError):
        detect("newest")
