"""scratch_enforcer: distinct hand-written text is different work, not repetition (issue 7 §2).

The real shape: after `gh issue list`, the model closes issues one by one, each with its own
comment (`gh issue close 22 --comment "✅ **RESOLVED** - Command injection …"`). A script
would not have written those comments.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.repetition import free_text, repeated_count, split_arguments
from tests.conftest import Session
from tests.hooks.quality_payloads import bash, labelled

HOOK = "scratch_enforcer"
TOPICS = [
    "Command injection vulnerabilities in the build pipeline have been addressed",
    "Path traversal vulnerabilities in file operations have been eliminated",
    "Performance and scalability issues including memory leaks have been fixed",
    "Code quality and best practices improvements have been implemented",
    "Build system critical errors and compilation failures have been eliminated",
    "Proper configuration defaults and validation have been implemented",
]


def close(number: int, comment: str) -> str:
    return f'gh issue close {number} --comment "✅ **RESOLVED** - {comment}"'


def closed_issue(number: int) -> str:
    return f"✓ Closed issue #{number}\n"


def test_closing_issues_with_distinct_comments_is_not_repetition(session: Session) -> None:
    bash(session, "gh issue list --state open --limit 50", "22\tOPEN\tSecurity…\n")
    outs = [
        bash(session, close(number, topic), closed_issue(number))
        for number, topic in zip((22, 23, 15, 17, 18, 16), TOPICS, strict=True)
    ]
    assert all(labelled(out, HOOK) == [] for out in outs), outs


def test_creating_tasks_with_distinct_titles_is_not_repetition(session: Session) -> None:
    titles = ["Project initialization", "Database models", "API skeleton", "Schemas", "Auth"]
    outs = [
        bash(session, f'bd create "Step {i}: {title}" -t task -p 1 --json', '{"id": "bd-1"}')
        for i, title in enumerate(titles)
    ]
    assert all(labelled(out, HOOK) == [] for out in outs)


def test_the_same_comment_on_five_issues_is_repetition(session: Session) -> None:
    comment = "Fixed in the 2.0 release"
    outs = [bash(session, close(n, comment), closed_issue(n)) for n in (3, 4, 5, 6, 7)]
    assert labelled(outs[-1], HOOK) == [
        "[scratch_enforcer] 5 similar `gh issue …` commands in the last 8 calls; one small "
        "script or loop can do the rest in a single call."
    ]


def test_spec_example_still_fires(session: Session) -> None:
    outs = [bash(session, f"python fetch.py --id {n}", "ok\n") for n in range(1, 6)]
    assert len(labelled(outs[-1], HOOK)) == 1


def test_free_text() -> None:
    assert free_text(close(1, "A b")) == ("✅ **RESOLVED** - A b",)
    assert free_text("python fetch.py --id 3 'x'") == ()
    assert free_text('git log --format="%h %s"') == ("--format=%h %s",)
    body = 'gh issue create --title "T" --body "$(cat <<\'EOF\'\n## Summary\nText\nEOF\n)"'
    assert free_text(body) == ("$(cat <<'EOF' ## Summary Text EOF )",)
    assert repeated_count([close(1, "a b"), close(2, "c d"), close(3, "a b")]) == 2


@given(st.text(max_size=200))
def test_split_arguments_never_raises(command: str) -> None:
    arguments = split_arguments(command)
    assert all(isinstance(a, str) and isinstance(q, bool) for a, q in arguments)
    assert 0 <= repeated_count([command, command]) <= 1
