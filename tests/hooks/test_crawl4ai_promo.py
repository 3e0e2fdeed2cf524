"""crawl4ai_promo (spec §4.17): opt-in pointer to crawl4ai when WebFetch does poorly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import call_hook, labelled

HOOK = "crawl4ai_promo"
PAGE = "Example Domain. " * 400  # ~6 KB of ordinary text


def web_fetch(
    url: str = "https://example.com/app",
    code: int = 200,
    result: str = PAGE,
    ok: bool = True,
    error: str = "",
) -> dict[str, Any]:
    raw = load_fixture("05")
    raw["tool_name"] = "WebFetch"
    raw["tool_input"] = {"url": url, "prompt": "summarise"}
    if ok:
        raw["tool_response"] = {
            "bytes": len(result),
            "code": code,
            "codeText": "OK",
            "result": result,
            "durationMs": 80,
            "url": url,
        }
    else:
        raw["hook_event_name"] = "PostToolUseFailure"
        raw.pop("tool_response")
        raw["error"] = error
        raw["is_interrupt"] = False
    return raw


def fetch(s: Session, **kw: Any) -> str:
    return s.send(web_fetch(**kw), cwd=str(s.project))


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    (
        "spec_example_403",
        lambda s: fetch(s, code=403, result="Forbidden"),
        f"[{HOOK}] WebFetch of example.com returned little or blocked content (HTTP 403). For "
        "JavaScript-heavy or protected pages, use the crawl4ai tools (mcp__crawl4ai__…), which "
        "render the page.",
    ),
    (
        "failure",
        lambda s: fetch(s, ok=False, error="Request failed with status code 500"),
        "(failed: Request failed with status code 500)",
    ),
    ("short_result", lambda s: fetch(s, result="Loading…"), "(only 8 characters)"),
    (
        "blocked_page",
        lambda s: fetch(s, result=PAGE + "Please enable JavaScript to continue."),
        "(the page says “enable JavaScript”)",
    ),
    (
        "other_host_not_on_cooldown",
        lambda s: (fetch(s, code=403), fetch(s, url="https://docs.example.org/x", code=404))[1],
        "WebFetch of docs.example.org",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("good_page", lambda s: fetch(s)),
    (
        "same_host_within_30_min",
        lambda s: (fetch(s, code=403), fetch(s, url="https://EXAMPLE.com/other", code=500))[1],
    ),
    ("interrupted", lambda s: s.send(web_fetch(ok=False, error="interrupted"), is_interrupt=True)),
]


@pytest.fixture
def enabled(session: Session) -> Session:
    write_config(session.home, {HOOK: {"enabled": True}})
    return session


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(enabled: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(enabled), HOOK)
    assert len(blocks) == 1, blocks
    assert expected in blocks[0]


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(enabled: Session, name: str, case: Case) -> None:
    assert labelled(case(enabled), HOOK) == []


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_disabled_by_default(session: Session, name: str, case: Case, expected: str) -> None:
    assert labelled(case(session), HOOK) == []


def test_info_with_configured_prefix_and_regex() -> None:
    config = {HOOK: {"tool_prefix": "mcp__crawler__", "blocked_regex": "paywall"}}
    message, state = call_hook(HOOK, web_fetch(result=PAGE + " paywall "), config=config)
    assert message.severity == "info"
    assert "(mcp__crawler__…)" in message.text and "“paywall”" in message.text
    assert f"{HOOK}|example.com" in state.doc["cooldowns"]
    message, _ = call_hook(HOOK, web_fetch(result=PAGE), config={HOOK: {"blocked_regex": "(("}})
    assert message is None  # a broken pattern from the config matches nothing


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://user:pw@Example.COM:8443/a?b", "example.com"),
        ("http://[::1]:3000/", "[::1]"),
        ("not a url", ""),
    ],
)
def test_host(url: str, host: str) -> None:
    from posttool.hooks.suggestions import _host

    assert _host(url) == host
