"""ui_verification_gate (spec §4.11): look at the rendered result after UI changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from posttool.lib.schema import new_session
from tests.conftest import Session, load_fixture, write_config
from tests.hooks.quality_payloads import bash, call_hook, edit, labelled, write

HOOK = "ui_verification_gate"
SHOT_TOOL = "mcp__playwright__browser_take_screenshot"
APP_TSX = "export function App() {\n  return <div>hi</div>;\n}\n"


def screenshot(s: Session) -> str:
    return s.send(
        "05",
        tool_name=SHOT_TOOL,
        tool_input={"fullPage": True},
        tool_response=[{"type": "text", "text": "Took the screenshot"}],
    )


def idle(s: Session, n: int) -> str:
    out = ""
    for _ in range(n):
        out = s.send("05")
    return out


def css(s: Session, name: str = "style.css") -> str:
    return write(s, name, ".a { color: red; margin: 0 }\n")


def tsx_classname(s: Session) -> str:
    return edit(s, "App.tsx", APP_TSX, "<div>hi</div>", '<div className="p-4">hi</div>')


Case = Callable[[Session], str]

MUST_FIRE: list[tuple[str, Case, str]] = [
    ("fixture_11", lambda s: s.send("11"), "(style.css)"),
    ("tsx_className", tsx_classname, "(App.tsx)"),
    (
        "tsx_styled",
        lambda s: write(s, "Box.tsx", "const Box = styled.div`\n  color: red;\n`;\n"),
        "(Box.tsx)",
    ),
    (
        "scss_edit",
        lambda s: write(s, "theme/_vars.scss", "$brand: #123456;\n"),
        "(theme/_vars.scss)",
    ),
    (
        "again_after_20_calls",
        lambda s: (css(s), idle(s, 19), css(s, "b.css"))[2],
        "(b.css, style.css)",
    ),
    ("after_screenshot_grace", lambda s: (screenshot(s), idle(s, 19), css(s))[2], "(style.css)"),
    (
        "vue_multiedit",
        lambda s: s.send(
            "03",
            tool_name="MultiEdit",
            tool_input={
                "file_path": str(s.project / "App.vue"),
                "edits": [{"old_string": "red", "new_string": "blue"}],
            },
            tool_response={"filePath": str(s.project / "App.vue")},
        ),
        "(App.vue)",
    ),
]

MUST_NOT_FIRE: list[tuple[str, Case]] = [
    ("fixture_01_py", lambda s: s.send("01")),
    ("fixture_11_right_after_screenshot", lambda s: (screenshot(s), s.send("11"))[1]),
    ("second_css_edit_within_20_calls", lambda s: (css(s), idle(s, 17), css(s, "b.css"))[2]),
    (
        "tsx_without_ui_markers",
        lambda s: edit(s, "App.tsx", APP_TSX, "<div>hi</div>", "<div>{greeting}</div>"),
    ),
    ("plain_ts", lambda s: write(s, "util.ts", "export const className = 'x';\n")),
    ("skip_path_css", lambda s: css(s, "dist/style.css")),
    # A component test or an HTML fixture is checked by the tests, not by a screenshot.
    (
        "component_test",
        lambda s: write(s, "src/Button.test.tsx", 'render(<Button className="p-4" />);\n'),
    ),
    (
        "html_fixture",
        lambda s: write(s, "tests/fixtures/page.html", "<html><body></body></html>\n"),
    ),
    (
        "screenshot_by_bash_then_css",
        lambda s: (bash(s, "npx playwright screenshot http://localhost:3000 shot.png"), css(s))[1],
    ),
]


@pytest.mark.parametrize(("name", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE])
def test_fires(session: Session, name: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), HOOK)
    assert len(blocks) == 1, blocks
    assert blocks[0] == (
        f"[{HOOK}] UI files changed with no screenshot since {expected}. Check the rendered "
        "result (a browser or screenshot tool, if available) before calling the UI change done."
    )


@pytest.mark.parametrize(("name", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, case: Case) -> None:
    assert labelled(case(session), HOOK) == []


def test_counts_ui_edits_and_files(session: Session) -> None:
    css(session)
    css(session, "b.css")
    css(session)
    session.send("01")
    ui = session.doc()["ui"]
    assert ui["edits_since_shot"] == 3
    assert ui["files"] == ["b.css", "style.css"]
    screenshot(session)
    ui = session.doc()["ui"]
    assert (ui["edits_since_shot"], ui["files"]) == (0, [])


def test_screenshot_rearms_the_reminder_when_there_is_no_grace(session: Session) -> None:
    write_config(session.home, {HOOK: {"screenshot_grace_calls": 0}})
    assert labelled(css(session), HOOK)
    assert labelled(css(session), HOOK) == []
    screenshot(session)
    assert labelled(css(session), HOOK)


def test_escalates_to_warn_after_five_edits() -> None:
    doc = new_session("s", "k", 0.0)
    doc["ui"]["edits_since_shot"] = 3
    message, state = call_hook(HOOK, load_fixture("11"), doc=doc, call_index=30)
    assert message.severity == "info"
    assert state.doc["ui"]["edits_since_shot"] == 4
    doc["cooldowns"].clear()
    message, state = call_hook(HOOK, load_fixture("11"), doc=doc, call_index=31)
    assert message.severity == "warn"
    assert state.doc["ui"]["files"] == ["style.css"]


def test_files_list_is_bounded() -> None:
    doc = new_session("s", "k", 0.0)
    doc["ui"]["files"] = [f"f{i}.css" for i in range(10)]
    _, state = call_hook(HOOK, load_fixture("11"), doc=doc, call_index=3)
    assert len(state.doc["ui"]["files"]) == 10
    assert state.doc["ui"]["files"][-1] == "style.css"
