"""state_mutation_guard (spec §4.14): shared mutable state and in-place mutation bugs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Session, load_fixture
from tests.hooks.quality_payloads import call_hook, edit, labelled, write

HOOK = "state_mutation_guard"

COUNTER = "def count(x, seen={}):\n    return len(seen)\n"
REBOUND = "def f(b=[]):\n    b = list(b)\n    return b\n"
COMPONENT = """\
function List({ initial }) {
  const [items, setItems] = useState(initial);
  const add = (x) => {
    return x;
  };
}
"""


def add_mutation(s: Session) -> str:
    return edit(
        s, "c.py", COUNTER, "    return len(seen)", "    seen[x] = True\n    return len(seen)"
    )


def js_add(body: str) -> Callable[[Session], str]:
    return lambda s: edit(s, "List.jsx", COMPONENT, "    return x;", body)


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    (
        "fixture_01",
        lambda s: s.send("01"),
        "- L3 `add(b=[])`: mutable default shared across calls, and mutated at L4. Use `b=None` "
        "and create the list inside.",
    ),
    (
        "mutation_added_to_existing_default",
        add_mutation,
        "- L1 `count(seen={})`: mutable default shared across calls, and mutated at L2. Use "
        "`seen=None` and create the dict inside.",
    ),
    (
        "new_unmutated_default",
        lambda s: edit(s, "c.py", "def f(x, s=None):\n    return x\n", "s=None", "s=set()"),
        "- L1 `f(s=set())`: mutable default shared across calls. Use `s=None` and create the set "
        "inside.",
    ),
    (
        "kwonly_default",
        lambda s: write(s, "k.py", "def memo(k, *, cache=dict()):\n    cache.setdefault(k, 0)\n"),
        "`memo(cache=dict())`: mutable default shared across calls, and mutated at L2",
    ),
    (
        "mutate_while_iterating",
        lambda s: write(
            s,
            "m.py",
            "def clean(items):\n    for x in items:\n        if x < 0:\n"
            "            items.remove(x)\n    return items\n",
        ),
        "- L4 `items` is changed inside the `for` loop over it (L2)",
    ),
    (
        "del_while_iterating_attribute",
        lambda s: write(
            s,
            "m.py",
            "class C:\n    def run(self):\n        for k in self.jobs:\n"
            "            del self.jobs[k]\n",
        ),
        "- L4 `self.jobs` is changed inside the `for` loop over it (L3)",
    ),
    (
        "react_push_then_set",
        js_add("    items.push(x);\n    setItems(items);"),
        "- L4 `items` is mutated, then passed to `setItems`: React sees the same reference and may "
        "not re-render. Copy first (`[...items, x]`).",
    ),
    (
        "react_sort_then_set",
        js_add("    items.sort();\n    setItems( items );"),
        "Copy first (`[...items].sort()`).",
    ),
    (
        "this_state_assign",
        lambda s: write(
            s,
            "C.jsx",
            "class C extends React.Component {\n  inc() {\n"
            "    this.state.count = this.state.count + 1;\n  }\n}\n",
        ),
        "- L3 `this.state.count = …` changes state in place: React does not re-render. Use "
        "`this.setState({ count: … })`.",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("fixture_04", lambda s: s.send("04")),
    ("fixture_01_then_03_cooldown", lambda s: (s.send("01"), s.send("03"))[1]),
    (
        "unmutated_default_untouched_signature",
        lambda s: edit(s, "c.py", COUNTER, "return len(seen)", "return len(seen) + 0"),
    ),
    (
        "iterating_a_copy",
        lambda s: write(
            s, "m.py", "def clean(items):\n    for x in list(items):\n        items.remove(x)\n"
        ),
    ),
    (
        "mutation_then_break",
        lambda s: write(
            s,
            "m.py",
            "def drop(items, y):\n    for x in items:\n        if x == y:\n"
            "            items.remove(x)\n            break\n",
        ),
    ),
    (
        "mutation_then_return",
        lambda s: write(
            s,
            "m.py",
            "def drop(items, y):\n    for x in items:\n        if x == y:\n"
            "            items.remove(x)\n            return True\n    return False\n",
        ),
    ),
    (
        "mutating_another_list",
        lambda s: write(
            s, "m.py", "def f(items, out):\n    for x in items:\n        out.append(x)\n"
        ),
    ),
    (
        "rebound_before_mutation",
        lambda s: edit(s, "r.py", REBOUND, "    return b", "    b.append(1)\n    return b"),
    ),
    ("js_push_without_setter", js_add("    items.push(x);\n    return items;")),
    (
        "js_copy_then_set",
        js_add("    const next = [...items];\n    next.push(x);\n    setItems(next);"),
    ),
    (
        "js_this_state_comparison",
        lambda s: write(s, "C.jsx", "if (this.state.count === 1) {\n  go();\n}\n"),
    ),
    ("python_syntax_error", lambda s: write(s, "bad.py", "def add(a, b=[]:\n    b.append(a)\n")),
    ("skip_path", lambda s: write(s, ".venv/lib/x.py", "def add(a, b=[]):\n    b.append(a)\n")),
    ("other_language", lambda s: write(s, "a.go", "func add(b []int) { b = append(b, 1) }\n")),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert blocks[0].splitlines()[0].endswith(":")
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_fixture_01_message_is_the_spec_example() -> None:
    message, state = call_hook(HOOK, load_fixture("01"))
    assert message.severity == "warn"
    assert message.text == (
        "app.py:\n- L3 `add(b=[])`: mutable default shared across calls, and mutated at L4. Use "
        "`b=None` and create the list inside."
    )
    assert f"{HOOK}|/home/dev/proj/app.py:mutable_default:add.b" in state.doc["cooldowns"]


def test_at_most_two_bullets() -> None:
    raw = load_fixture("01")
    content = "".join(f"def f{i}(a, b=[]):\n    b.append(a)\n\n\n" for i in range(4))
    raw["tool_input"]["content"] = content
    message, state = call_hook(HOOK, raw)
    assert len(message.text.splitlines()) == 3
    again, _ = call_hook(HOOK, raw, doc=state.doc, call_index=2)
    assert [line.split("`")[1] for line in again.text.splitlines()[1:]] == ["f2(b=[])", "f3(b=[])"]
