"""The bounded transcript tail and the ISO-8601 parser used by thinking_quality_boost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.transcript import parse_timestamp, size_of, tail_entries


def write_lines(path: Path, entries: list[object], tail: str = "") -> int:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries) + tail, encoding="utf-8")
    return path.stat().st_size


def test_size_of(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    assert size_of(str(path)) is None
    assert size_of(None) is None and size_of("") is None
    assert size_of(str(tmp_path)) is None  # a directory
    path.write_bytes(b"abc")
    assert size_of(str(path)) == 3


def test_whole_file_when_small(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    size = write_lines(path, [{"n": 1}, {"n": 2}, [3], "four"], tail='not json\n{"n": 5')
    assert tail_entries(str(path), size, 65536) == [{"n": 1}, {"n": 2}]


def test_tail_drops_the_partial_first_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    entries = [{"n": i, "pad": "x" * 50} for i in range(100)]
    size = write_lines(path, entries)
    found = tail_entries(str(path), size, 500)
    assert found and found[-1]["n"] == 99
    assert len(found) < 10
    assert [e["n"] for e in found] == list(range(100 - len(found), 100))


def test_tail_reads_up_to_the_given_size(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    size = write_lines(path, [{"n": 1}])
    with path.open("a") as handle:
        handle.write(json.dumps({"n": 2}) + "\n")
    assert tail_entries(str(path), size, 65536) == [{"n": 1}]


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a": "\xff"}\n{"b": 1}\n')
    assert tail_entries(str(path), path.stat().st_size, 100) == [{"a": "\ufffd"}, {"b": 1}]


def test_missing_file_reads_nothing(tmp_path: Path) -> None:
    assert tail_entries(str(tmp_path / "nope"), 10, 100) == []


TIMESTAMPS = [
    ("2026-11-20T10:00:00.000Z", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC).timestamp()),
    ("1970-01-01T00:00:00Z", 0.0),
    (
        "2024-02-29T23:59:59.5Z",
        dt.datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=dt.UTC).timestamp(),
    ),
    ("2026-11-20T12:00:00+02:00", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC).timestamp()),
    ("2026-11-20 10:00:00-0130", dt.datetime(2026, 11, 20, 11, 30, tzinfo=dt.UTC).timestamp()),
    ("2026-11-20T10:00:00", dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC).timestamp()),
]


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS)
def test_parse_timestamp(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        None,
        17,
        "",
        "2026-11-20",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-11-20T10:00:00Q",
        "2026-11-20T10:00:00.Z",
        "2026/11/20T10:00:00Z",
        "2026-11-20T25:00:00Z",
    ],
)
def test_parse_timestamp_rejects(text: object) -> None:
    assert parse_timestamp(text) is None


@given(
    st.datetimes(
        min_value=dt.datetime(1970, 1, 2),
        max_value=dt.datetime(9998, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_parse_timestamp_agrees_with_datetime(moment: dt.datetime) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"
    assert parse_timestamp(text) == pytest.approx(moment.timestamp(), abs=1e-6)


@given(st.text(max_size=40))
def test_parse_timestamp_never_raises(text: str) -> None:
    result = parse_timestamp(text)
    assert result is None or isinstance(result, float | int)
