"""large_file_helper (spec §4.16): line-range guidance and an outline for big reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.outline import outline
from tests.conftest import Session, load_fixture
from tests.hooks.quality_payloads import call_hook, labelled, path_in

HOOK = "large_file_helper"


def module(n_funcs: int, body: int = 60) -> str:
    parts = ["import os\n", "\n", "class Parser:\n", "    pass\n"]
    for i in range(n_funcs):
        parts.append(f"def f{i}():\n")
        parts += [f"    x = {j}\n" for j in range(body)]
    return "".join(parts)


def read_text(
    s: Session,
    rel: str,
    content: str,
    *,
    num: int | None = None,
    total: int | None = None,
    start: int = 1,
    **tool_input: object,
) -> str:
    lines = content.splitlines()
    path = path_in(s, rel)
    return s.send(
        "02",
        tool_input={"file_path": path, **tool_input},
        tool_response={
            "file": {
                "filePath": path,
                "content": content,
                "numLines": num if num is not None else len(lines),
                "startLine": start,
                "totalLines": total if total is not None else len(lines),
            }
        },
    )


Case = Callable[[Session], str]


def twice(case: Case) -> Case:
    """A whole read is advised against only the second time (issue 7 §3)."""
    return lambda s: (case(s), case(s))[1]


MUST_FIRE: list[tuple[str, Case, str]] = [
    (
        "fixture_08_twice",
        twice(lambda s: s.send("08")),
        f"[{HOOK}] big.txt (701 lines) was read whole again. Next time Read only the part you "
        "need with offset/limit.",
    ),
    (
        "python_outline",
        twice(lambda s: read_text(s, "p.py", module(9))),
        "\nOutline: L3 class Parser, L5 def f0, L66 def f1, L127 def f2,",
    ),
    (
        "outline_is_capped",
        twice(lambda s: read_text(s, "p.py", module(30, body=20))),
        ", L110 def f5, L131 def f6, …",
    ),
    (
        "truncated_read",
        lambda s: read_text(s, "p.py", "\n".join(module(40).splitlines()[:2000]), total=2450),
        f"[{HOOK}] Only lines 1–2000 of 2450 in p.py were returned; the rest was not shown. Use "
        "offset/limit to read the part you need.\nOutline: L3 class Parser,",
    ),
    (
        "go_outline",
        twice(
            lambda s: read_text(
                s,
                "m.go",
                "package m\n"
                + "".join(f"func (s *S) M{i}() {{\n" + "\t_ = 1\n" * 60 + "}\n" for i in range(9)),
            )
        ),
        "Outline: L2 func M0, L64 func M1",
    ),
    (
        "sub_agent_reads_its_own_copy_twice",
        lambda s: (s.send("08"), s.send("08", agent_id="a1"), s.send("08", agent_id="a1"))[2],
        "big.txt (701 lines) was read whole again",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("fixture_09_range", lambda s: s.send("09")),
    ("fixture_02_small", lambda s: s.send("02")),
    ("fixture_08_once", lambda s: s.send("08")),
    ("fixture_08_three_times", lambda s: (s.send("08"), s.send("08"), s.send("08"))[2]),
    ("main_then_sub_agent", lambda s: (s.send("08"), s.send("08", agent_id="a1"))[1]),
    (
        "read_edited_read_again",
        lambda s: (
            read_text(s, "p.py", module(9)),
            s.send("03", tool_input={"file_path": str(s.project / "p.py")}),
            read_text(s, "p.py", module(9)),
        )[2],
    ),
    ("499_lines", lambda s: twice(lambda t: read_text(t, "a.txt", "x\n" * 499))(s)),
    (
        "limit_only_is_a_range",
        lambda s: read_text(s, "a.txt", "x\n" * 600, num=600, total=900, limit=600),
    ),
    ("image", lambda s: s.send("02", tool_response={"type": "image", "file": None})),
    ("missing_file", lambda s: s.send("07")),
    ("skip_path", twice(lambda s: read_text(s, "node_modules/x/big.js", "x;\n" * 800))),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_severity() -> None:
    raw = load_fixture("08")
    raw["tool_response"]["file"]["numLines"] = 600
    message, _ = call_hook(HOOK, raw)
    assert message.severity == "warn"
    assert message.text.startswith("Only lines 1–600 of 701 in big.txt")


def test_outline_numbering_starts_at_start_line() -> None:
    assert outline("x = 1\ndef main():\n    pass\n", ".py", 40, 12) == (["L41 def main"], False)
    assert outline("export default async function go() {}\n", ".ts", 1, 12) == (
        ["L1 function go"],
        False,
    )
    assert outline("pub struct Foo;\nimpl Foo {}\n", ".rs", 1, 12) == (
        ["L1 struct Foo", "L2 impl Foo"],
        False,
    )
    assert outline("def a(): pass\n", ".txt", 1, 12) == ([], False)


def test_outline_stops_at_the_cut_of_a_long_text() -> None:
    text = "def a():\n    pass\n…\ndef z():\n    pass\n"
    assert outline(text, ".py", 1, 12) == (["L1 def a"], False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "def f():",
                "class C:",
                "    x = 1",
                "",
                "async def g():",
                "  def nested():",
                "#def c():",
            ]
        ),
        max_size=40,
    ),
    st.integers(1, 5000),
    st.integers(1, 15),
)
def test_outline_entries_point_at_top_level_definitions(
    lines: list[str], start: int, limit: int
) -> None:
    entries, more = outline("\n".join(lines), ".py", start, limit)
    assert len(entries) <= limit
    tops = [i for i, line in enumerate(lines) if line.startswith(("def ", "class ", "async def"))]
    assert more == (len(tops) > limit)
    for entry, index in zip(entries, tops, strict=False):
        assert entry.startswith(f"L{start + index} ")


def test_outline_with_long_names_fits_the_message() -> None:
    raw = load_fixture("08")
    names = [f"def {'very_long_function_name_' * 3}{i}():\n    pass\n" for i in range(12)]
    content = "".join(names) + "x = 1\n" * 700
    raw["tool_input"]["file_path"] = raw["tool_response"]["file"]["filePath"] = "/proj/m.py"
    raw["tool_response"]["file"].update(content=content, numLines=600, totalLines=724)
    message, _ = call_hook(HOOK, raw)  # truncated: advised on the first read
    assert len(message.text) <= 700
    assert message.text.endswith(", …")
    assert message.text.count("def very_long") >= 2  # fewer entries, never a cut message
