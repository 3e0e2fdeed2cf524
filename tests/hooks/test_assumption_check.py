"""assumption_check (spec §4.9): added code that silently assumes things."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.assumptions import RULES, find_assumptions
from tests.conftest import Session, write_config
from tests.hooks.quality_payloads import edit, labelled, write

HOOK = "assumption_check"
DB = "import sqlite3\n\n\ndef first(cur, q):\n    pass\n"
FETCH = "    row = cur.execute(q).fetchall()[0]"


def add_fetch(s: Session, rel: str = "db.py") -> str:
    return edit(s, rel, DB, "    pass", FETCH)


def after_31_min(s: Session) -> str:
    add_fetch(s)
    return edit(s, "db.py", DB, "    pass", FETCH, now=s.now + 31 * 60)


GUARDED = (
    "import json\n\n\ndef load(body):\n    try:\n        data = body\n"
    "    except ValueError:\n        return None\n    return data\n"
)
MULTILINE_GET = (
    "import requests\n\nresponse = requests.get(\n    'https://api.example.com/items',\n"
    "    params={'page': 1},\n    timeout=10,\n)\n"
)

Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    ("spec_example_fetchall_index", add_fetch, "assumes the call returns a non-empty sequence"),
    (
        "json_loads_unguarded",
        lambda s: write(s, "cfg.py", "import json\n\ndef load(s):\n    return json.loads(s)\n"),
        "the input is valid JSON",
    ),
    (
        "os_environ_subscript",
        lambda s: write(s, "env.py", "import os\n\nTOKEN = os.environ['API_TOKEN']\n"),
        "the environment variable is set",
    ),
    (
        "process_env_non_null_ts",
        lambda s: write(s, "env.ts", "export const token: string = process.env.API_TOKEN!;\n"),
        "the environment variable is set",
    ),
    (
        "requests_without_timeout",
        lambda s: write(
            s, "net.py", "import requests\n\nr = requests.get('https://example.com/x')\n"
        ),
        "the server answers promptly",
    ),
    (
        "re_match_group",
        lambda s: write(s, "parse.py", "import re\n\nname = re.match(r'(\\w+)', text).group(1)\n"),
        "the pattern always matches",
    ),
    (
        "string_split_index_past_the_first",
        lambda s: write(s, "kv.py", "def value(line):\n    return line.split('=')[1].strip()\n"),
        "non-empty sequence",
    ),
    (
        "json_in_the_except_branch",
        lambda s: edit(
            s, "cfg.py", GUARDED, "        return None", "        return json.loads(FALLBACK_TEXT)"
        ),
        "the input is valid JSON",
    ),
    (
        "same_rule_other_file",
        lambda s: (add_fetch(s), add_fetch(s, "db2.py"))[1],
        "non-empty sequence",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    # Issue 7 §3: the same assumption in the same file is said once per session.
    ("same_finding_after_31_min", lambda s: after_31_min(s)),
    ("fixture_03", lambda s: s.send("03")),
    ("fixture_01", lambda s: s.send("01")),
    (
        "nested_keys_removed",
        lambda s: write(s, "conf.py", "def port(cfg):\n    return cfg['server']['port'] + 0\n"),
    ),
    ("test_file", lambda s: add_fetch(s, "tests/test_db.py")),
    ("test_file_by_name", lambda s: add_fetch(s, "test_db.py")),
    ("skip_path", lambda s: add_fetch(s, "node_modules/x/db.py")),
    ("not_code", lambda s: write(s, "notes.md", "row = cur.execute(q).fetchall()[0] in prose\n")),
    ("same_rule_same_file_within_30_min", lambda s: (add_fetch(s), add_fetch(s))[1]),
    ("short_addition", lambda s: edit(s, "db.py", DB, "    pass", "    r = f()[0]")),
    (
        "json_inside_try",
        lambda s: write(
            s,
            "cfg.py",
            "import json\n\ndef load(s):\n    try:\n"
            "        return json.loads(s)\n    except ValueError:\n        return None\n",
        ),
    ),
    (
        "requests_with_timeout",
        lambda s: write(
            s, "net.py", "import requests\n\nr = requests.get('https://e.com', timeout=5)\n"
        ),
    ),
    (
        "comment_line",
        lambda s: write(s, "env.py", "# TOKEN = os.environ['API_TOKEN'] was removed on purpose\n"),
    ),
    ("removed_lines_only", lambda s: edit(s, "db.py", DB + FETCH + "\n", FETCH + "\n", "")),
    # Ordinary code that assumes nothing (issue 7, "the same kind of mistake elsewhere").
    (
        "json_line_added_inside_an_existing_try",
        lambda s: edit(
            s, "cfg.py", GUARDED, "        data = body", "        data = json.loads(body)"
        ),
    ),
    ("requests_timeout_on_a_later_line", lambda s: write(s, "net.py", MULTILINE_GET)),
    (
        "environ_assignment",
        lambda s: write(s, "run.py", "import os\n\nos.environ['PYTHONPATH'] = str(ROOT / 'src')\n"),
    ),
    (
        "fixed_tuple_results",
        lambda s: write(
            s,
            "names.py",
            "import os\n\nstem = os.path.splitext(path)[0]\n"
            "value = line.partition('=')[2].strip()\nhead = os.path.split(path)[1]\n",
        ),
    ),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]
    assert blocks[0].startswith(f"[{HOOK}] Assumptions in ")


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_message_names_line_and_snippet(session: Session) -> None:
    (block,) = labelled(add_fetch(session), HOOK)
    assert block.splitlines() == [
        f"[{HOOK}] Assumptions in db.py (added lines):",
        "- L5 `row = cur.execute(q).fetchall()[0]`: assumes the call returns a non-empty "
        "sequence; guard it or assert it if it is not guaranteed.",
    ]


def test_at_most_two_distinct_rules_in_line_order(session: Session) -> None:
    content = (
        "import json, os, requests\n"
        "A = os.environ['A']\n"
        "B = os.environ['B']\n"
        "C = json.loads(data)\n"
        "D = requests.get(url)\n"
    )
    (block,) = labelled(write(session, "many.py", content), HOOK)
    bullets = block.splitlines()[1:]
    assert [b.split()[1] for b in bullets] == ["L2", "L4"]
    assert "environment variable" in bullets[0] and "valid JSON" in bullets[1]


def test_rule_on_cooldown_lets_the_next_rule_through(session: Session) -> None:
    write(session, "a.py", "import os\nA = os.environ['A']\nB = os.environ['B']\n")
    out = edit(
        session,
        "a.py",
        "import os\nA = os.environ['A']\nB = os.environ['B']\n",
        "B = os.environ['B']",
        "B = os.environ['B']\nC = json.loads(os.environ['C'])",
    )
    (block,) = labelled(out, HOOK)
    assert "valid JSON" in block and "environment variable" not in block


def test_test_files_checked_when_skip_tests_is_false(session: Session) -> None:
    write_config(session.home, {HOOK: {"skip_tests": False}})
    assert labelled(add_fetch(session, "tests/test_db.py"), HOOK)


def test_config_min_added_chars(session: Session) -> None:
    write_config(session.home, {HOOK: {"min_added_chars": 40}})
    assert labelled(add_fetch(session), HOOK) == []


def test_disabled(session: Session) -> None:
    write_config(session.home, {HOOK: {"enabled": False}})
    assert labelled(add_fetch(session), HOOK) == []


lines = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(1, 10_000)), st.text(max_size=120)), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(lines)
def test_findings_come_from_added_lines(added: list[tuple[int | None, str]]) -> None:
    names = {name for name, _, _ in RULES}
    for line_no, rule, text in find_assumptions(added):
        assert (line_no, text) in added
        assert rule in names


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="()[]-0123456789 .'\"jsonloadsJSONparseretchgroup", max_size=200))
def test_never_raises_on_odd_text(text: str) -> None:
    list(find_assumptions([(1, text)]))


@settings(max_examples=200, deadline=None)
@given(lines, st.lists(st.text(max_size=60), max_size=40))
def test_file_context_only_removes_findings(
    added: list[tuple[int | None, str]], file_lines: list[str]
) -> None:
    """The file around the added lines can only show a guard: it never adds a finding."""
    with_context = list(find_assumptions(added, file_lines))
    assert set(with_context) <= set(find_assumptions(added))
