"""The AST checks shared by code_quality_gate and state_mutation_guard (lib/pyast.py)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.pyast import Lines, enclosing_function, quality_findings
from posttool.lib.pymutation import mutation_findings

IO = ["execute", "query", "objects.get", "fetchall"]
HEADERS = {
    "for": ("for v{d} in xs{d}:", True),
    "while": ("while cond{d}:", True),
    "if": ("if cond{d}:", False),
    "with": ("with ctx{d}:", False),
    "try": ("try:", False),
}


def nest(kinds: list[str], leaf: str) -> str:
    lines = ["def f(db, xs0, xs1, xs2, xs3, xs4, xs5, xs6, xs7):"]
    for depth, kind in enumerate(kinds):
        lines.append("    " * (depth + 1) + HEADERS[kind][0].format(d=depth))
    lines.append("    " * (len(kinds) + 1) + leaf)
    for depth, kind in reversed(list(enumerate(kinds))):
        if kind == "try":
            lines.append("    " * (depth + 1) + "except E:")
            lines.append("    " * (depth + 2) + "pass")
    return "\n".join(lines) + "\n"


def all_lines(source: str) -> set[int]:
    return set(range(1, source.count("\n") + 2))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, max_size=8),
    st.sampled_from(["pass", "db.execute(q)", "db.cursor().fetchall()", "print(q)"]),
)
def test_nesting_loops_and_io_on_generated_code(kinds: list[str], leaf: str) -> None:
    source = nest(kinds, leaf)
    found = {f.check: f for f in quality_findings(ast.parse(source), all_lines(source), IO, 4)}
    loops = sum(HEADERS[k][1] for k in kinds)
    assert ("triple_loop" in found) == (loops >= 3)
    assert ("deep_nesting" in found) == (len(kinds) > 4)
    io_leaf = leaf.startswith("db.")
    # a `while` body is pagination or a retry, not a query per item
    assert ("n_plus_one" in found) == (io_leaf and "for" in kinds)
    if "deep_nesting" in found:
        assert found["deep_nesting"].line == 2 + 4  # the fifth block's header
        assert found["deep_nesting"].scope == "f"
    if "n_plus_one" in found:
        assert found["n_plus_one"].line == 2 + len(kinds)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, max_size=8),
    st.sets(st.integers(1, 30), max_size=6),
)
def test_no_finding_without_an_added_line_in_the_code(kinds: list[str], added: set[int]) -> None:
    source = "x = 1\n\n\n" + nest(kinds, "db.execute(q)")
    tree = ast.parse(source)
    span = set(range(4, source.count("\n") + 1))
    findings = quality_findings(tree, added, IO, 4)
    if not added & span:
        assert findings == []
    for finding in findings:
        assert 4 <= finding.line <= source.count("\n")


def test_elif_and_else_if() -> None:
    elifs = "def g(n):\n" + "".join(
        f"    {'if' if i == 0 else 'elif'} n > {i}:\n        return {i}\n" for i in range(8)
    )
    assert quality_findings(ast.parse(elifs), all_lines(elifs), IO, 2) == []
    else_if = (
        "def g(n):\n    if a:\n        pass\n    else:\n        if b:\n            if c:\n"
        "                pass\n"
    )
    (finding,) = quality_findings(ast.parse(else_if), all_lines(else_if), IO, 2)
    assert (finding.check, finding.line) == ("deep_nesting", 6)


def test_blocking_calls_only_in_async_bodies() -> None:
    source = (
        "import time, requests, subprocess\n"
        "async def a():\n    time.sleep(1)\n"
        "async def b():\n    requests.get(u)\n"
        "async def c():\n    def inner():\n        time.sleep(1)\n    return inner\n"
        "async def d():\n    subprocess.run(['x'])\n"
        "async def e():\n    with open(p) as fh:\n        return fh\n"
        "def f():\n    time.sleep(1)\n"
        "async def g():\n    requests.Session().get(u)\n"  # `requests.*`: Session() too
        "async def h():\n    await client.get(u)\n"
    )
    found = quality_findings(ast.parse(source), all_lines(source), IO, 4)
    assert [(f.scope, f.line) for f in found if f.check == "blocking_in_async"] == [
        ("a", 3),
        ("b", 5),
        ("d", 11),
        ("e", 13),
        ("g", 18),
    ]


def test_scope_names_are_qualified() -> None:
    source = (
        "class Repo:\n    def load(self, ids):\n        for i in ids:\n"
        "            self.db.execute(i)\n"
    )
    (finding,) = quality_findings(ast.parse(source), all_lines(source), IO, 4)
    assert (finding.scope, finding.key_name) == ("Repo.load", "Repo.load")
    module_level = "for i in ids:\n    db.execute(i)\n"
    (finding,) = quality_findings(ast.parse(module_level), {2}, IO, 4)
    assert finding.key_name == "L2"


def test_mutable_default_variants() -> None:
    source = (
        "def a(x=[]):\n    return x\n"
        "def b(x={}):\n    x['k'] = 1\n"
        "def c(x=set()):\n    x = set(x)\n    x.add(1)\n"
        "def d(*, x=list()):\n    x.append(1)\n"
        "def e(x=()):\n    x.append(1)\n"
        "lambda_ = lambda x=[]: x\n"
    )
    found = {f.scope: f for f in mutation_findings(ast.parse(source), all_lines(source))}
    assert sorted(found) == ["a.x", "b.x", "c.x", "d.x"]
    assert "mutated" not in found["a.x"].detail
    assert "mutated at L4" in found["b.x"].detail
    assert "mutated" not in found["c.x"].detail  # rebound before the mutation
    assert "mutated at L9" in found["d.x"].detail
    only_body = mutation_findings(ast.parse(source), {4})
    assert [f.scope for f in only_body] == ["b.x"]


def test_mutation_while_iterating_in_handlers_and_cases() -> None:
    source = (
        "def f(items):\n"
        "    try:\n        pass\n    except E:\n"
        "        for x in items:\n            items.pop()\n"
        "    match items:\n        case []:\n"
        "            for y in items:\n                items.clear()\n"
    )
    found = mutation_findings(ast.parse(source), all_lines(source))
    assert [(f.check, f.line) for f in found] == [
        ("mutate_while_iterating", 6),
        ("mutate_while_iterating", 10),
    ]


def test_break_in_an_inner_loop_does_not_make_it_safe() -> None:
    source = (
        "def f(items):\n    for x in items:\n        for y in other:\n"
        "            items.remove(x)\n            break\n"
    )
    (finding,) = mutation_findings(ast.parse(source), all_lines(source))
    assert finding.line == 4


def test_enclosing_function() -> None:
    source = (
        "import abc\nclass A:\n    @abc.abstractmethod\n    def run(self):\n"
        "        raise NotImplementedError\n    def go(self):\n        def inner():\n"
        "            return 1\n        return inner\n"
    )
    tree = ast.parse(source)
    assert enclosing_function(tree, 5) == ("A.run", True)
    assert enclosing_function(tree, 8) == ("A.go.inner", False)
    assert enclosing_function(tree, 1) == ("", False)


def test_lines_overlap() -> None:
    lines = Lines({3, 10})
    assert lines.overlaps(1, 3) and lines.overlaps(10, 10) and lines.overlaps(4, 12)
    assert not lines.overlaps(4, 9) and not lines.overlaps(11, 99)


def stdlib_sources() -> list[str]:
    root = os.path.dirname(os.__file__)
    names = [
        "asyncio/base_events.py",
        "json/decoder.py",
        "argparse.py",
        "textwrap.py",
        "difflib.py",
        "email/_header_value_parser.py",
    ]
    return [os.path.join(root, name) for name in names if os.path.exists(os.path.join(root, name))]


@pytest.mark.parametrize("path", stdlib_sources(), ids=os.path.basename)
def test_real_code_never_raises_and_reports_inside_the_file(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source)
    total = source.count("\n") + 1
    for added in (set(range(1, total + 1)), set(range(1, total + 1, 37)), {total // 2}):
        for finding in quality_findings(tree, added, IO, 4) + mutation_findings(tree, added):
            assert 1 <= finding.line <= total
            assert finding.detail


def test_work_is_bounded_on_a_huge_file() -> None:
    chunk = (
        "def f{i}(db, a, b, c, x=[]):\n    for p in a:\n        for q in b:\n"
        "            for r in c:\n                x.append(db.execute(p, q, r))\n"
    )
    source = "".join(chunk.format(i=i) for i in range(3000))
    tree = ast.parse(source)
    added = all_lines(source)
    capped = quality_findings(tree, added, IO, 4, max_nodes=3000)
    mutation = mutation_findings(tree, added, max_nodes=3000)
    assert 0 < len(capped) < 3 * 3000 and 0 < len(mutation) < 3000
    assert min(f.line for f in capped) == 4  # the walk starts at the top of the file


def test_importing_the_hooks_loads_no_ast() -> None:
    code = (
        "import sys; import posttool.hooks.quality, posttool.hooks.suggestions; "
        "print(any(m in sys.modules for m in ('ast', 'posttool.lib.pyast', "
        "'posttool.lib.linechecks', 'posttool.lib.assumptions', 'posttool.lib.toolchains')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
