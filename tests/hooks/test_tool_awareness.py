"""tool_awareness (spec §4.18): short reminders about better tools."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.awareness import api_mismatch, file_viewer, thin_agent_answer
from posttool.lib.commands import CommandFacts
from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import bash, bash_fail, call_hook, labelled, read

HOOK = "tool_awareness"
TRACE = 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n'
HTML = "<!DOCTYPE html>\n<html><head><title>App</title></head><body>hi</body></html>"


def reads(s: Session, n: int, prefix: str = "f", **extra: object) -> str:
    out = ""
    for i in range(n):
        out = read(s, f"src/{prefix}{i}.py", f"x = {i}\n", **extra)
    return out


def agent(s: Session, text: str, **extra: object) -> str:
    return s.send("12", tool_response={"content": [{"type": "text", "text": text}]}, **extra)


def api_error(s: Session, line: str) -> str:
    return bash_fail(s, "python3 run.py", TRACE + line)


Case = Callable[[Session], str]

DELEGATE = (
    f"[{HOOK}] 12 files read this turn and none edited. To explore further, delegate to an "
    'Explore agent (Agent tool, subagent_type "Explore") and keep the main context small.'
)

MUST_FIRE: list[tuple[str, Case, str]] = [
    ("delegate_12_reads", lambda s: reads(s, 12), DELEGATE),
    (
        "docs_lookup_attribute",
        lambda s: api_error(s, "AttributeError: module 'requests' has no attribute 'gett'"),
        f"[{HOOK}] API mismatch (AttributeError: module 'requests' has no attribute 'gett'). Check "
        "the installed version's documentation (web search, or `pip show`/`npm ls` for the "
        "version) instead of guessing.",
    ),
    (
        "docs_lookup_import_name",
        lambda s: api_error(
            s,
            "ImportError: cannot import name 'soft' from 'numpy.linalg' "
            "(/usr/lib/python3/numpy/linalg/__init__.py)",
        ),
        "API mismatch (ImportError: cannot import name 'soft' from 'numpy.linalg' (/usr/lib/",
    ),
    (
        "docs_lookup_keyword",
        lambda s: api_error(
            s,
            '  File "/venv/lib/python3.12/site-packages/requests/api.py", line 73, in get\n'
            "TypeError: Session.request() got an unexpected keyword argument 'timeout_s'",
        ),
        "unexpected keyword argument 'timeout_s'",
    ),
    (
        "docs_lookup_ts_member",
        lambda s: bash_fail(
            s,
            "npx tsc --noEmit",
            "src/a.ts(1,10): error TS2305: Module '\"zod\"' has no exported member 'zstring'.",
        ),
        "has no exported member",
    ),
    (
        "docs_lookup_other_library_after_cooldown_of_first",
        lambda s: (
            api_error(s, "AttributeError: module 'requests' has no attribute 'gett'"),
            api_error(s, "AttributeError: module 'yaml' has no attribute 'load_all_safe'"),
        )[1],
        "module 'yaml'",
    ),
    (
        "use_read_cat",
        lambda s: bash(s, "cat app.py", "import os\n"),
        f"[{HOOK}] Use the Read tool for files (line numbers, offset/limit) instead of `cat`.",
    ),
    (
        "use_read_head_n",
        lambda s: bash(s, "head -n 40 docs/guide.md", "# Guide\n"),
        "instead of `head`.",
    ),
    (
        "browser_check",
        lambda s: bash(s, "curl -s http://localhost:3000/", HTML),
        f"[{HOOK}] curl shows raw HTML only; if a browser tool (e.g. Playwright) is available, use "
        "it to check the rendered page.",
    ),
    (
        "browser_check_wget_loopback",
        lambda s: bash(s, "wget -qO- 127.0.0.1:8000", HTML.lower()),
        "curl shows raw HTML only",
    ),
    (
        "agent_thin_short",
        lambda s: agent(s, "Nothing."),
        f"[{HOOK}] The agent found little; give it concrete paths, symbols or search terms, or "
        "search directly.",
    ),
    (
        "agent_thin_phrase",
        lambda s: agent(s, "I searched src/ but couldn't find any caller."),
        "The agent found little",
    ),
    ("task_tool_too", lambda s: agent(s, "No results.", tool_name="Task"), "found little"),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("fixture_06_missing_module", lambda s: s.send("06")),
    ("fixture_05", lambda s: s.send("05")),
    ("fixture_12_substantive", lambda s: s.send("12")),
    ("eleven_reads", lambda s: reads(s, 11)),
    # Issue 7 §3: once the model edits, what it read is its working set, not exploration.
    ("twelve_reads_and_an_edit", lambda s: (reads(s, 6), s.send("03"), reads(s, 6, prefix="g"))[2]),
    (
        "twelve_reads_with_an_agent",
        lambda s: (reads(s, 6), s.send("12"), reads(s, 6, prefix="g"))[2],
    ),
    (
        "reads_across_two_turns",
        lambda s: (reads(s, 6), reads(s, 6, prefix="g", prompt_id="another-prompt"))[1],
    ),
    ("same_file_read_12_times", lambda s: [read(s, "a.py", "x = 1\n") for _ in range(12)][-1]),
    ("delegate_cooldown", lambda s: (reads(s, 12), reads(s, 1, prefix="z"))[1]),
    (
        "stdlib_attribute_error",
        lambda s: api_error(s, "AttributeError: module 'os' has no attribute 'lsdir'"),
    ),
    (
        "project_module_attribute_error",
        lambda s: (s.send("01"), api_error(s, "AttributeError: module 'app' has no attribute 'x'"))[
            1
        ],
    ),
    (
        "same_library_within_cooldown",
        lambda s: (
            api_error(s, "AttributeError: module 'requests' has no attribute 'gett'"),
            api_error(s, "AttributeError: module 'requests' has no attribute 'pst'"),
        )[1],
    ),
    ("cat_two_files", lambda s: bash(s, "cat a.py b.py", "x\n")),
    ("cat_redirect", lambda s: bash(s, "cat a.py > b.py")),
    ("cat_heredoc", lambda s: bash(s, "cat <<'EOF' > x.py\nprint(1)\nEOF")),
    ("cat_in_pipeline", lambda s: bash(s, "cat app.py | wc -l", "6\n")),
    ("tail_follow", lambda s: bash(s, "tail -f server.log", "started\n")),
    ("cat_binary", lambda s: bash(s, "cat logo.png", "\x89PNG")),
    (
        "use_read_cooldown",
        lambda s: (bash(s, "cat app.py", "x\n"), bash(s, "cat util.py", "y\n"))[1],
    ),
    ("curl_remote_html", lambda s: bash(s, "curl -s https://example.com/", HTML)),
    ("curl_local_json", lambda s: bash(s, "curl -s http://localhost:3000/api", '{"ok":true}')),
    (
        "long_answer_mentioning_a_miss",
        lambda s: agent(s, "add is defined in app.py at line 3. " * 12 + "I couldn't find tests."),
    ),
    ("subagent_event", lambda s: bash(s, "cat app.py", "x\n", agent_id="a1", agent_type="Explore")),
    (
        "background_agent",
        lambda s: s.send("12", tool_response={"status": "async_launched", "content": None}),
    ),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_rules_can_be_turned_off_and_retuned(session: Session) -> None:
    write_config(
        session.home,
        {
            HOOK: {
                "rules": {"use_read": {"enabled": False}, "agent_thin": {"min_chars": 40}},
                "delegate_after_files": 3,
            }
        },
    )
    assert labelled(bash(session, "cat app.py", "x\n"), HOOK) == []
    assert labelled(session.send("12"), HOOK)  # 24 characters < 40
    assert labelled(reads(session, 3, prompt_id="next-turn"), HOOK)  # a new turn: no agent yet


def test_info_and_per_rule_cooldown_keys() -> None:
    raw = load_fixture("05")
    raw["tool_input"]["command"] = "cat app.py"
    message, state = call_hook(HOOK, raw, call_index=10)
    assert message.severity == "info"
    assert state.doc["cooldowns"][f"{HOOK}|use_read"][1] == 10
    again, _ = call_hook(HOOK, raw, doc=state.doc, call_index=209)
    assert again is None
    again, _ = call_hook(HOOK, raw, doc=state.doc, call_index=210)
    assert again is not None


def test_library_in_libraries_counts_even_if_named_like_stdlib() -> None:
    from posttool.lib.schema import new_session

    raw = load_fixture("06")
    raw["error"] = "Exit code 1\nAttributeError: module 'json' has no attribute 'loadz'"
    doc = new_session("s", "k", 0.0)
    assert call_hook(HOOK, raw, doc=doc)[0] is None
    doc["libraries"]["json"] = 3
    assert call_hook(HOOK, raw, doc=doc)[0] is not None


@pytest.mark.parametrize(
    ("command", "token"),
    [
        ("cat app.py", "cat"),
        ("cat -n app.py", "cat"),
        ("head -20 a.md", "head"),
        ("tail -n 5 a.txt", "tail"),
        ("sudo less /etc/hosts.txt", "less"),
        ("cat README", ""),
        ("cat", ""),
        ("cat -", ""),
        ("cat *.py", ""),
        ("ls a.py", ""),
        ("cat $F", ""),
        ("tail -n 50 server.log", ""),  # the end of a log: tail is the tool
        ("tail -n 5 events.jsonl", ""),
        ("head -n 5 server.log", "head"),
    ],
)
def test_file_viewer(command: str, token: str) -> None:
    exts = [".py", ".md", ".log", ".txt"]
    assert file_viewer(CommandFacts(command), command, exts) == token


def test_api_mismatch_excerpt_is_the_error_line() -> None:
    body = TRACE + "AttributeError: module 'a.b' has no attribute 'c'\n"
    assert api_mismatch(body) == ("AttributeError: module 'a.b' has no attribute 'c'", "a")
    assert api_mismatch("ModuleNotFoundError: No module named 'nosuchmod'") is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(0, 100), st.integers(0, 1000))
def test_thin_answers(text: str, min_chars: int, phrase_max: int) -> None:
    thin = thin_agent_answer(text, min_chars, phrase_max)
    if len(text.strip()) < min_chars:
        assert thin
    if len(text.strip()) >= max(min_chars, phrase_max):
        assert not thin
