"""code_quality_gate (spec §4.12): costly patterns in the code just written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import call_hook, edit, labelled, patch, write

HOOK = "code_quality_gate"

REPORT = """\
def report(db, users):
    rows = []
    for u in users:
        rows.append(db.execute("select * from t where id = ?", (u.id,)))
    return rows
"""
TRIPLE = """\
def pairs(a, b, c):
    out = 0
    for x in a:
        for y in b:
            for z in c:
                out += x * y * z
    return out
"""
DEEP = """\
def deep(xs):
    for x in xs:
        if x:
            with open(x) as fh:
                try:
                    if fh.readable():
                        return fh.read()
                except OSError:
                    pass
    return None
"""
ELIFS = """\
def grade(n):
    if n > 90:
        return "a"
    elif n > 80:
        return "b"
    elif n > 70:
        return "c"
    elif n > 60:
        return "d"
    elif n > 50:
        return "e"
    return "f"
"""
ASYNC_SLEEP = """\
import asyncio
import time


async def poll():
    time.sleep(1)
    await asyncio.sleep(0)
"""
ABSTRACT = """\
from abc import ABC, abstractmethod


class Base(ABC):
    @abstractmethod
    def run(self):
        raise NotImplementedError
"""
BASE_STORE = """\
class BaseStore:
    def get(self, key):
        raise NotImplementedError
"""
PROTOCOL = """\
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        raise NotImplementedError
"""
SUBCLASSED = """\
class Shape:
    def area(self):
        raise NotImplementedError


class Square(Shape):
    def area(self):
        return 4
"""
LOOP_JS = """\
export async function load(ids) {
  const out = [];
  for (const id of ids) {
    out.push(await fetchOne(id));
  }
  return out;
}
"""


def big(n: int, extra: str = "") -> str:
    return "".join(f"x{i} = {i}\n" for i in range(n)) + extra


def wrap_in_loop(s: Session) -> str:
    before = "def sync(db, ids):\n    db.execute('update t set a = 1')\n"
    after = "def sync(db, ids):\n    for i in ids:\n        db.execute('update t set a = 1')\n"
    return write(s, "sync.py", after, before=before)


def touch_other_function(s: Session) -> str:
    original = REPORT + "\n\ndef other():\n    return 1\n"
    return edit(s, "report.py", original, "    return 1", "    return 2")


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    (
        "n_plus_one_write",
        lambda s: write(s, "report.py", REPORT),
        "- L4 n_plus_one: `db.execute` runs once per loop iteration",
    ),
    ("n_plus_one_new_loop_around_old_call", wrap_in_loop, "- L3 n_plus_one:"),
    (
        "n_plus_one_comprehension",
        lambda s: write(s, "c.py", "def f(cur, ids):\n    return [cur.fetchone() for i in ids]\n"),
        "- L2 n_plus_one: `cur.fetchone`",
    ),
    (
        "syntax_error_edit",
        lambda s: edit(s, "app.py", "def f():\n    return 1\n", "def f():", "def f(:"),
        "- L1 syntax_error:",
    ),
    ("triple_loop", lambda s: write(s, "t.py", TRIPLE), "- L5 triple_loop: loops nested 3 deep"),
    (
        "triple_comprehension",
        lambda s: write(
            s, "t.py", "def f(a, b, c):\n    return [x for x in a for y in b for z in c]\n"
        ),
        "- L2 triple_loop",
    ),
    ("deep_nesting", lambda s: write(s, "d.py", DEEP), "- L6 deep_nesting: blocks nested 5 deep"),
    (
        "blocking_in_async",
        lambda s: write(s, "a.py", ASYNC_SLEEP),
        "- L6 blocking_in_async: `time.sleep` blocks the event loop in `async def`; use `await "
        "asyncio.sleep(...)`",
    ),
    (
        "god_file_created",
        lambda s: write(s, "big.py", big(600)),
        "- L501 god_file: the file now has 600 lines",
    ),
    (
        "god_file_crossed",
        lambda s: write(s, "big.py", big(520), before=big(480)),
        "- L501 god_file",
    ),
    (
        "placeholder",
        lambda s: write(s, "svc.py", "def run():\n    raise NotImplementedError\n"),
        "- L2 placeholder: `raise NotImplementedError` is a stub",
    ),
    (
        "placeholder_in_a_plain_class",
        lambda s: write(
            s,
            "svc.py",
            "class Billing:\n    def charge(self):\n        raise NotImplementedError\n",
        ),
        "- L3 placeholder",
    ),
    (
        "placeholder_rust",
        lambda s: write(s, "lib.rs", "fn run() -> u32 {\n    todo!()\n}\n"),
        "- L2 placeholder",
    ),
    (
        "placeholder_todo_comment_js",
        lambda s: write(s, "a.js", "export function f() {\n  // TODO: implement\n}\n"),
        "- L2 placeholder",
    ),
    ("js_await_in_loop", lambda s: write(s, "load.js", LOOP_JS), "- L4 await_in_loop:"),
    (
        "js_await_in_forEach",
        lambda s: write(s, "f.ts", "ids.forEach(async (id) => {\n  await save(id);\n});\n"),
        "`await` inside `.forEach` is not awaited",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("fixture_04", lambda s: s.send("04")),
    ("fixture_01", lambda s: s.send("01")),
    ("fixture_03", lambda s: s.send("03")),
    ("already_over_500_lines", lambda s: write(s, "big.py", big(601), before=big(600))),
    ("edit_of_long_file", lambda s: edit(s, "big.py", big(600), "x5 = 5", "x5 = 6")),
    ("unchanged_loop_elsewhere_in_file", touch_other_function),
    (
        "iterable_is_not_the_body",
        lambda s: write(
            s, "r.py", "def f(cur, q):\n    for row in cur.execute(q):\n        print(row)\n"
        ),
    ),
    (
        "call_in_nested_def_is_not_per_iteration",
        lambda s: write(
            s,
            "r.py",
            "def f(db, xs):\n    for x in xs:\n        def g():\n"
            "            return db.execute(x)\n        yield g\n",
        ),
    ),
    ("elif_chain_is_not_nesting", lambda s: write(s, "g.py", ELIFS)),
    (
        "two_loops",
        lambda s: write(
            s,
            "t.py",
            "def f(a, b):\n    for x in a:\n        for y in b:\n            print(x, y)\n",
        ),
    ),
    (
        "sync_sleep_outside_async",
        lambda s: write(s, "a.py", "import time\n\n\ndef wait():\n    time.sleep(1)\n"),
    ),
    (
        "placeholder_in_tests",
        lambda s: write(s, "tests/test_svc.py", "def test_x():\n    raise NotImplementedError\n"),
    ),
    ("abstractmethod_stub", lambda s: write(s, "base.py", ABSTRACT)),
    # A base class's `raise NotImplementedError` is the design: subclasses override it.
    ("base_class_method", lambda s: write(s, "store.py", BASE_STORE)),
    # Generated code has its generator's shape (a Django migration, protobuf output).
    (
        "django_migration",
        lambda s: write(
            s,
            "orders/migrations/0002_auto.py",
            "# Generated by Django 5.0 on 2025-01-01\n" + big(520),
        ),
    ),
    ("protobuf_output", lambda s: write(s, "api/orders_pb2.py", big(600))),
    ("protocol_method", lambda s: write(s, "ports.py", PROTOCOL)),
    ("subclassed_in_the_same_module", lambda s: write(s, "shapes.py", SUBCLASSED)),
    (
        "same_finding_within_30_min",
        lambda s: (
            write(s, "report.py", REPORT),
            edit(s, "report.py", REPORT, "rows = []", "rows: list = []"),
        )[1],
    ),
    ("skip_path", lambda s: write(s, "build/lib/report.py", REPORT)),
    ("not_code", lambda s: write(s, "notes.txt", REPORT)),
    (
        "js_for_await_of",
        lambda s: write(
            s,
            "s.js",
            "async function f(stream) {\n"
            "  for await (const c of stream) {\n"
            "    handle(c);\n  }\n}\n",
        ),
    ),
    (
        "js_await_after_loop_closed",
        lambda s: write(
            s,
            "l.js",
            "async function f(ids) {\n  for (const id of ids) { log(id); }\n  await flush();\n}\n",
        ),
    ),
    ("js_sync_io_without_async", lambda s: write(s, "c.js", "const t = fs.readFileSync('a');\n")),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    write_config(session.home, {"quality_scanner": {"enabled": False}})
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert "code-quality finding" in blocks[0].splitlines()[0]
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def raw_write(path: str, content: str, before: str | None = None) -> dict:
    raw = load_fixture("01" if before is None else "04")
    raw["tool_input"] = {"file_path": path, "content": content}
    raw["tool_response"].update(
        filePath=path,
        content=content,
        originalFile=before,
        structuredPatch=[] if before is None else patch(before, content),
    )
    raw["cwd"] = "/proj"
    return raw


def test_syntax_error_is_action_and_has_no_cooldown() -> None:
    raw = raw_write("/proj/app.py", "def f(:\n    pass\n")
    message, state = call_hook(HOOK, raw)
    assert message.severity == "action"
    headline, bullet = message.text.splitlines()
    assert headline == "app.py: 1 code-quality finding in the changed lines:"
    assert bullet.startswith("- L1 syntax_error: ")
    assert bullet.endswith("; the file does not parse")
    assert not any(key.startswith(HOOK) for key in state.doc["cooldowns"])
    again, _ = call_hook(HOOK, raw, doc=state.doc, call_index=2)
    assert again is not None and again.severity == "action"


def test_findings_are_warn_capped_at_four_and_counted() -> None:
    stub = "def todo():\n    raise NotImplementedError\n"
    sleepy = "async def poll(time):\n    time.sleep(1)\n"
    content = "\n\n".join([TRIPLE, REPORT, DEEP, stub, sleepy])
    message, state = call_hook(HOOK, raw_write("/proj/m.py", content))
    assert message.severity == "warn"
    lines = message.text.splitlines()
    assert lines[0] == "m.py: 5 code-quality findings in the changed lines:"
    assert len(lines) == 5
    marked = [k for k in state.doc["cooldowns"] if k.startswith(HOOK)]
    assert len(marked) == 4  # the fifth was not shown, so it stays ready
    message, _ = call_hook(HOOK, raw_write("/proj/m.py", content), doc=state.doc, call_index=2)
    assert message.text.splitlines()[0] == "m.py: 1 code-quality finding in the changed lines:"
    assert "blocking_in_async" in message.text  # the last one, by line


def test_cooldown_key_names_the_function() -> None:
    _, state = call_hook(HOOK, raw_write("/proj/report.py", REPORT))
    assert f"{HOOK}|/proj/report.py:n_plus_one:report" in state.doc["cooldowns"]


def test_io_calls_and_nesting_are_configurable() -> None:
    config = {HOOK: {"io_calls": ["fetch_user"], "max_nesting": 2}}
    content = (
        "def f(api, ids):\n    for i in ids:\n        if i:\n            if i > 1:\n"
        "                api.fetch_user(i)\n                api.execute(i)\n"
    )
    message, _ = call_hook(HOOK, raw_write("/proj/f.py", content), config=config)
    assert "`api.fetch_user` runs once per loop iteration" in message.text
    assert "`api.execute`" not in message.text
    assert "deep_nesting: blocks nested 3 deep" in message.text
