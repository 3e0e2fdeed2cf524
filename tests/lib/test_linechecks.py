"""Line checks without a parser (lib/linechecks.py) and the path predicates (lib/paths_match.py)
used by the quality hooks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.config import Config
from posttool.lib.linechecks import (
    await_in_loops,
    bounded,
    is_placeholder,
    mutate_then_set,
    this_state_assignments,
)
from posttool.lib.paths_match import is_skip_path, is_test_path, search
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.lib.toolchains import edited_files


@pytest.mark.parametrize(
    ("line", "stub"),
    [
        ("    raise NotImplementedError", True),
        ("    raise NotImplementedError('later')", True),
        ("    pass  # TODO", True),
        ("    ...  # TODO: fill in", True),
        ("// TODO: implement retries", True),
        ("# todo implement", False),  # the marker is upper-case TODO
        ("# TODO: Implement the cache", True),
        ('  throw new Error("Not implemented");', True),
        ("    todo!()", True),
        ("    unimplemented!()", True),
        ("    pass", False),
        ("# TODO: rename this", False),
        ("raise NotImplemented", False),
    ],
)
def test_placeholder(line: str, stub: bool) -> None:
    assert is_placeholder(line) is stub


def numbered(text: str, start: int = 1) -> list[tuple[int | None, str]]:
    return [(start + i, line) for i, line in enumerate(text.split("\n"))]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("for (const x of xs) {\n  await f(x);\n}", [2]),
        ("for (let i = 0; i < xs.length; i++)\n  await f(xs[i]);", [2]),
        ("for (let attempt = 0; attempt <= retries; attempt++) {\n  await sleep(9);\n}", []),
        ("for (const url of urls) {\n  try {\n    return await get(url);", []),
        ("for (const x of xs) await f(x);", [1]),
        ("xs.forEach(async (x) => {\n  await f(x);\n});", [2]),
        ("for (const x of xs) { g(x); }\nawait done();", []),
        ("for await (const c of s) {\n  await h(c);\n}", []),
        ("const a = 1;\nconst b = 2;\nconst c = 3;\nconst d = 4;\nawait f();", []),
        ("for (const x of xs) {\n  a();\n  b();\n  c();\n  await f(x);\n}", []),  # 4 lines back
    ],
)
def test_await_in_loops(text: str, lines: list[int]) -> None:
    assert [line for line, _, _ in await_in_loops(numbered(text))] == lines


def test_await_loop_must_be_adjacent_in_the_file() -> None:
    added = [(3, "for (const x of xs) {"), (40, "  await f(x);")]
    assert list(await_in_loops(added)) == []


def test_react_checks() -> None:
    added = numbered("items.push(x);\nsetItems(items);\nthis.state.n = 2;\nthis.state.m == 3;")
    assert list(mutate_then_set(added)) == [(1, "items", "push", "setItems")]
    assert list(this_state_assignments(added)) == [(3, "n")]
    assert list(mutate_then_set(numbered("state.items.push(x);\nsetItems(state.items);"))) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=50), max_size=30), st.integers(0, 400))
def test_bounded_is_the_longest_prefix_within_the_limit(texts: list[str], limit: int) -> None:
    added = [(i + 1, t) for i, t in enumerate(texts)]
    kept = bounded(added, limit)
    assert kept == added[: len(kept)]
    assert sum(len(t) + 1 for _, t in kept) <= limit
    if len(kept) < len(added):
        assert sum(len(t) + 1 for _, t in added[: len(kept) + 1]) > limit


def state_with(config: dict | None = None) -> State:
    return State(new_session("s", "k", 0.0), Config(config or {}))


@pytest.mark.parametrize(
    ("path", "test", "skip"),
    [
        ("tests/test_db.py", True, False),
        ("src/db_test.go", True, False),
        ("web/app.spec.tsx", True, False),
        ("test_db.py", True, False),
        ("src/latest/db.py", False, False),
        ("node_modules/react/index.js", False, True),
        ("pkg/build/out.py", False, True),
        ("builder/x.py", False, False),
        (".venv/lib/site-packages/x.py", False, True),
    ],
)
def test_common_path_regexes(path: str, test: bool, skip: bool) -> None:
    state = state_with()
    assert is_test_path(state, path) is test
    assert is_skip_path(state, path) is skip


def test_a_broken_user_regex_matches_nothing() -> None:
    state = state_with({"common.skip_path_regex": "(("})
    assert is_skip_path(state, "node_modules/x.js") is False
    assert search(None, "x") is False


def test_edited_files_counts_creates_and_edits_by_extension() -> None:
    files = {
        "/p/a.py": {"creates": 1, "edits": 0},
        "/p/B.PY": {"creates": 0, "edits": 2},
        "/p/c.py": {"creates": 0, "edits": 0, "reads": 3},
        "/p/d.ts": {"creates": 1, "edits": 0},
    }
    assert edited_files(files, [".py", ".pyi"]) == 2
    assert edited_files(files, [".ts"]) == 1


@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "src",
                "build",
                "dist",
                ".git",
                "venv",
                "x.py",
                "node_modules",
                "site-packages",
                "builds",
                ".venvs",
                "",
            ]
        ),
        min_size=1,
        max_size=6,
    )
)
def test_default_skip_paths_agree_with_the_regex(parts: list[str]) -> None:
    """The folder-name fast path answers exactly as `common.skip_path_regex` would."""
    import re as real_re

    from posttool.lib.config import COMMON_DEFAULTS, Config
    from posttool.lib.paths_match import is_skip_path
    from posttool.lib.schema import new_session
    from posttool.lib.state import State

    path = "/".join(parts)
    expected = real_re.search(COMMON_DEFAULTS["common.skip_path_regex"], path) is not None
    assert is_skip_path(State(new_session("s", "p", 0.0), Config()), path) is expected


@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "src",
                "test",
                "tests",
                "__tests__",
                "spec",
                "x.py",
                "test_x.py",
                "x_test.py",
                "x_test.go",
                "a.test.ts",
                "a.spec.mjsx",
                "a.test.py",
                "b.spec.cts",
                "testing",
                "t.test.jsx.bak",
                "",
            ]
        ),
        min_size=1,
        max_size=5,
    )
)
def test_default_test_paths_agree_with_the_regex(parts: list[str]) -> None:
    import re as real_re

    from posttool.lib.config import COMMON_DEFAULTS
    from posttool.lib.paths_match import is_default_test_path

    path = "/".join(parts)
    expected = real_re.search(COMMON_DEFAULTS["common.test_path_regex"], path) is not None
    assert is_default_test_path(path) is expected
