"""quality_scanner (spec §4.13): ruff and radon findings this edit introduced.

Unit cases run `prepare_scan` and the hook over one session document (`ScanRun`), the way the
runner does (prepare before the lock, then the hook with `event.prepared`); the spec's examples
also run end to end through `Session`. Every event's file is written into the tmp project first,
because `prepare` lints the file on disk. ruff's own wording is taken from ruff itself (an
independent run), so only posttool's formatting is pinned by these tests.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from posttool.api import SUCCESS_ONLY
from posttool.hooks.quality_scanner import prepare_scan, quality_scanner
from posttool.lib import log as log_module
from posttool.lib.config import Config
from posttool.lib.message import Message
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.normalise import build_event
from posttool.runner.registry import load_registry
from tests.conftest import START, Session, load_fixture, write_config

REAL_RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
pytestmark = pytest.mark.skipif(not os.access(REAL_RUFF, os.X_OK), reason="needs ruff")
posix_only = pytest.mark.skipif(os.name != "posix", reason="shell-script fake ruff")

FIXTURE_01 = load_fixture("01")["tool_input"]["content"]
FIXTURE_04 = load_fixture("04")["tool_input"]["content"]
CLASSIC_RULES = '[lint]\nselect = ["E4", "E7", "E9", "F"]\n'  # ruff's default set before 0.16
FIXED_1 = " (1 fixed by `ruff check --fix`)"  # the fix once in the headline (issue 7 §3)
COMPLEX = (
    "def tangled(a, b, c):\n"
    + "".join(f"    if a == {i} or b == {i}:\n        c += {i}\n" for i in range(6))
    + "    return c\n"
)


# --- helpers --------------------------------------------------------------------------------


def ruff_oracle(path: Path) -> list[dict[str, Any]]:
    """What ruff itself says about the file (run directly, not through posttool)."""
    out = subprocess.run(
        [REAL_RUFF, "check", "--output-format=json", "--no-cache", str(path)],
        cwd=path.parent,
        capture_output=True,
        check=False,
    ).stdout
    return json.loads(out)


def ruff_message(path: Path, code: str) -> str:
    messages = [item["message"] for item in ruff_oracle(path) if item["code"] == code]
    assert len(messages) == 1, messages
    return messages[0]


def patch_between(before: str, after: str) -> list[dict[str, Any]]:
    """One whole-file hunk in Claude Code's structuredPatch shape."""
    old, new = before.splitlines(), after.splitlines()
    lines: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if tag == "equal":
            lines += [" " + line for line in old[i1:i2]]
            continue
        lines += ["-" + line for line in old[i1:i2]]
        lines += ["+" + line for line in new[j1:j2]]
    return [
        {"oldStart": 1, "oldLines": len(old), "newStart": 1, "newLines": len(new), "lines": lines}
    ]


class ScanRun:
    """prepare_scan + quality_scanner over one session document, as the runner calls them."""

    def __init__(self, session: Session, values: dict[str, Any] | None = None) -> None:
        self.session = session
        self.config = Config(values or {})
        self.doc = new_session("sess", "proj", START)
        self.calls = 0
        self.state: State | None = None
        self.prepared: Any = None

    def write(self, name: str, content: str) -> Message | None:
        target = self.session.project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        kind = "update" if target.exists() else "create"
        before = target.read_text() if target.exists() else None
        target.write_text(content)
        response = {
            "type": kind,
            "filePath": str(target),
            "content": content,
            "originalFile": before,
            "structuredPatch": patch_between(before, content) if before else [],
        }
        raw = self.session.event(
            "01", tool_input={"file_path": str(target), "content": content}, tool_response=response
        )
        raw["tool_response"] = response  # `originalFile: None` must stay, not delete the key
        return self.send(raw)

    def edit(self, name: str, old: str, new: str) -> Message | None:
        target = self.session.project / name
        before = target.read_text()
        after = before.replace(old, new, 1)
        target.write_text(after)
        raw = self.session.event(
            "03",
            tool_input={"file_path": str(target), "old_string": old, "new_string": new},
            tool_response={
                "filePath": str(target),
                "oldString": old,
                "newString": new,
                "originalFile": before,
                "structuredPatch": patch_between(before, after),
            },
        )
        return self.send(raw)

    def send(self, raw: dict[str, Any]) -> Message | None:
        self.calls += 1
        event = build_event(raw, now=START + self.calls)
        self.prepared = prepare_scan(event, self.config, str(self.session.home))
        event.set_runner_fact("prepared", self.prepared)
        event.set_runner_fact("call_index", self.calls)
        event.freeze()
        state = State(self.doc, self.config, now=START + self.calls, call_index=self.calls)
        state.hook = "quality_scanner"
        self.state = state
        return quality_scanner(event, state)

    def scan(self, name: str = "app.py") -> dict[str, Any] | None:
        return self.doc["scan"].get(os.path.normcase(str(self.session.project / name)))


def classic(session: Session) -> None:
    (session.project / "ruff.toml").write_text(CLASSIC_RULES)


def block(context: str, label: str = "quality_scanner") -> str:
    """The lines of one hook's message in a rendered answer ('' when it said nothing)."""
    out: list[str] = []
    for line in context.splitlines():
        if line.startswith("["):
            if out:
                break
            if line.startswith(f"[{label}] "):
                out.append(line[len(label) + 3 :])
        elif out:
            out.append(line)
    return "\n".join(out)


@pytest.fixture
def logfile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(log_module, "_log_path", str(home / "posttool.log"))
    return home / "posttool.log"


# --- registration ---------------------------------------------------------------------------


def test_registration() -> None:
    record = load_registry(("quality",)).by_name["quality_scanner"]
    assert (record.priority, record.family, record.events) == (36, "quality", SUCCESS_ONLY)
    assert record.matches("Write", "PostToolUse") and record.matches("Edit", "PostToolUse")
    assert not record.matches("MultiEdit", "PostToolUse")
    assert not record.matches("Write", "PostToolUseFailure")
    assert (record.writes, record.may_spawn, record.budget_ms) == (("scan",), True, 20)
    assert record.prepare is prepare_scan


# --- must fire ------------------------------------------------------------------------------


def test_fires_spec_example_fixture_01(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    message = run.write("app.py", FIXTURE_01)
    f401 = ruff_message(session.project / "app.py", "F401")
    assert "`os`" in f401
    assert message is not None and message.severity == "action"
    assert message.text == f"app.py: 1 new ruff finding{FIXED_1}\n- L1 F401 {f401}"
    assert run.state is not None and run.state.call["scan_new_codes"] == ["F401"]
    record = run.scan()
    assert record is not None and record["hash"] == run.prepared["hash"]
    assert record["findings"] == [["F401", 1, f401]]


def test_fixture_01_without_ruff_config_gets_the_classic_rules(session: Session) -> None:
    """No ruff configuration in the project: posttool selects ruff's classic defaults, so the
    model hears about the unused import, not about import order (spec §4.13 example)."""
    message = ScanRun(session).write("app.py", FIXTURE_01)
    assert message is not None and message.severity == "action"
    f401 = ruff_message(session.project / "app.py", "F401")
    assert message.text.splitlines() == [
        f"app.py: 1 new ruff finding{FIXED_1}",
        f"- L1 F401 {f401}",
    ]


def test_fires_fixture_01_with_the_rules_the_project_configures(session: Session) -> None:
    (session.project / "ruff.toml").write_text('[lint]\nselect = ["F", "B", "I"]\n')
    message = ScanRun(session).write("app.py", FIXTURE_01)
    findings = ruff_oracle(session.project / "app.py")  # every line of a new file is added
    assert message is not None and message.severity == "action"
    headline, *bullets = message.text.splitlines()
    n = len(findings)
    assert n > 1
    assert headline.startswith(f"app.py: {n} new ruff finding{'s' if n != 1 else ''} (")
    f401 = ruff_message(session.project / "app.py", "F401")
    assert bullets[0] == f"- L1 F401 {f401}"  # severe findings are listed first
    assert len(bullets) == min(n, 3) + (n > 3)  # + the count of those not shown


def test_fires_on_a_second_unused_import_added_by_an_edit(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    run.write("app.py", FIXTURE_01)
    message = run.edit("app.py", "import os\n", "import os\nimport sys\n")
    assert message is not None and message.severity == "action"
    lines = message.text.splitlines()
    assert lines[0] == f"app.py: 1 new ruff finding{FIXED_1}"
    assert lines[1].startswith("- L2 F401 ") and "`sys`" in lines[1]
    assert lines[2] == "(1 other finding in this file not shown)"  # the old `os` one


def test_fires_for_an_import_left_unused_by_an_edit_elsewhere(session: Session) -> None:
    classic(session)
    (session.project / "tool.py").write_text("import os\n\nprint(os.sep)\n")  # before the session
    message = ScanRun(session).edit("tool.py", "print(os.sep)", "print('/')")
    assert message is not None  # F401 on line 1, which the edit did not touch: F4 counts anyway
    assert message.text.splitlines()[:2] == [
        f"tool.py: 1 new ruff finding{FIXED_1}",
        f"- L1 F401 {ruff_message(session.project / 'tool.py', 'F401')}",
    ]


def test_fires_info_for_a_complex_function(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    message = run.write("logic.py", COMPLEX)
    from radon.complexity import cc_rank, cc_visit

    (oracle,) = cc_visit(COMPLEX)
    assert message is not None and message.severity == "info"
    assert message.text == (
        "logic.py: 1 complex function\n"
        f"- L1 tangled: cyclomatic complexity {oracle.complexity} "
        f"(rank {cc_rank(oracle.complexity)})"
    )
    assert run.state is not None and run.state.call["scan_new_codes"] == []


def test_fires_warn_for_a_style_finding_and_radon_together(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    message = run.write("logic.py", COMPLEX + "\nif tangled(1, 2, 3) == None:\n    pass\n")
    assert message is not None and message.severity == "warn"
    assert message.text.splitlines()[0] == "logic.py: 1 new ruff finding, 1 complex function"
    assert " E711 " in message.text


def test_fires_syntax_error_when_code_quality_gate_is_off(session: Session) -> None:
    classic(session)
    run = ScanRun(session, {"code_quality_gate.enabled": False})
    message = run.write("broken.py", "def f(:\n    pass\n")
    assert message is not None and message.severity == "action"
    assert "- L1 syntax " in message.text
    assert run.state is not None and run.state.call["scan_new_codes"] == []


def test_fires_with_at_most_three_bullets(session: Session) -> None:
    classic(session)
    modules = ["os", "sys", "re", "json", "math", "time", "glob"]
    run = ScanRun(session)
    message = run.write("many.py", "".join(f"import {m}\n" for m in modules))
    assert message is not None
    assert run.state is not None and run.state.call["scan_new_codes"] == ["F401"]  # once a call
    lines = message.text.splitlines()
    assert lines[0] == "many.py: 7 new ruff findings (7 fixed by `ruff check --fix`)"
    assert [line[:5] for line in lines[1:4]] == ["- L1 ", "- L2 ", "- L3 "]
    assert lines[4] == "(4 other findings in this file not shown)"


def test_fires_radon_only_when_ruff_is_missing(session: Session, logfile: Path) -> None:
    run = ScanRun(session, {"quality_scanner.ruff_cmd": str(session.project / "no-ruff")})
    message = run.write("logic.py", COMPLEX)
    assert message is not None and message.severity == "info"
    assert "complex function" in message.text and "ruff" not in message.text
    assert run.scan("logic.py") is None  # a file ruff never linted is not recorded
    assert "ruff not found" in logfile.read_text()


@posix_only
def test_fires_once_ruff_works_again_after_a_timeout(session: Session, tmp_path: Path) -> None:
    classic(session)
    hang = tmp_path / "ruff-hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    run = ScanRun(
        session, {"quality_scanner.ruff_cmd": str(hang), "quality_scanner.timeout_s": 0.3}
    )
    assert run.write("app.py", FIXTURE_01) is None
    run.config = Config({})
    message = run.send(run.session.event("01"))  # the same bytes, linted this time
    assert message is not None and "F401" in message.text


# --- must not fire --------------------------------------------------------------------------


def test_silent_fixture_04_clean_file(session: Session) -> None:
    classic(session)  # any rule set ruff may add later stays out of it
    run = ScanRun(session)
    assert run.write("app.py", FIXTURE_04) is None
    record = run.scan()
    assert record is not None and record["findings"] == [] and record["hash"]


def test_silent_fixture_04_after_01_fixed_everything(session: Session) -> None:
    classic(session)  # any rule set ruff may add later stays out of it
    run = ScanRun(session)
    assert run.write("app.py", FIXTURE_01) is not None
    assert run.write("app.py", FIXTURE_04) is None
    assert run.state is not None and run.state.call["scan_new_codes"] == []


def test_silent_fixture_01_replayed_with_unchanged_bytes(session: Session) -> None:
    run = ScanRun(session)
    (session.project / "app.py").write_text(FIXTURE_01)
    assert run.send(session.event("01")) is not None
    assert run.send(session.event("01")) is None
    assert run.prepared["cached"] is True  # answered from the lint cache, nothing ran


def test_silent_fixture_11_css(session: Session) -> None:
    (session.project / "style.css").write_text(load_fixture("11")["tool_input"]["content"])
    run = ScanRun(session)
    assert run.send(session.event("11")) is None
    assert run.prepared is None and run.doc["scan"] == {}


def test_silent_syntax_error_reported_by_code_quality_gate(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    assert run.write("broken.py", "def f(:\n    pass\n") is None
    record = run.scan("broken.py")
    assert record is not None and record["findings"][0][0] == "syntax"


def test_silent_edit_that_adds_no_finding(session: Session) -> None:
    classic(session)  # any rule set ruff may add later stays out of it
    run = ScanRun(session)
    run.write("app.py", FIXTURE_01)
    assert run.edit("app.py", "return b", "return list(b)") is None  # fixture 03's edit


def test_silent_edit_inside_a_known_complex_function(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    assert run.write("logic.py", COMPLEX) is not None
    assert run.edit("logic.py", "c += 2", "c += 20") is None


def test_silent_first_scan_with_old_findings_on_untouched_lines(session: Session) -> None:
    classic(session)
    target = session.project / "old.py"
    target.write_text("x = 1\nif x == None:\n    pass\n")  # E711 was there before the session
    run = ScanRun(session)
    assert run.edit("old.py", "x = 1", "x = 2") is None
    record = run.scan("old.py")
    assert record is not None and [f[0] for f in record["findings"]] == ["E711"]


def test_silent_when_no_tool_can_run(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from posttool.lib import lint

    monkeypatch.setattr(lint, "installed_radon_version", lambda: None)
    missing = str(session.project / "missing")
    run = ScanRun(
        session, {"quality_scanner.ruff_cmd": missing, "quality_scanner.radon_cmd": missing}
    )
    assert run.write("app.py", FIXTURE_01) is None
    assert run.prepared is None and run.doc["scan"] == {}


@posix_only
def test_silent_when_ruff_hangs(session: Session, tmp_path: Path, logfile: Path) -> None:
    hang = tmp_path / "ruff-hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    run = ScanRun(
        session, {"quality_scanner.ruff_cmd": str(hang), "quality_scanner.timeout_s": 0.3}
    )
    started = time.monotonic()
    assert run.write("app.py", FIXTURE_01) is None
    assert time.monotonic() - started < 2.0
    assert "ruff timed out" in logfile.read_text()


# --- the scan record ------------------------------------------------------------------------


def test_scan_keeps_oldest_first_order(session: Session) -> None:
    run = ScanRun(session)
    (session.project / "app.py").write_text(FIXTURE_01)
    run.send(session.event("01"))
    run.write("b.py", FIXTURE_04)
    run.send(session.event("01"))  # unchanged bytes: silent, yet the file is the newest again
    assert [os.path.basename(k) for k in run.doc["scan"]] == ["b.py", "app.py"]


# --- end to end -----------------------------------------------------------------------------


def test_end_to_end_spec_example(session: Session) -> None:
    classic(session)
    (session.project / "app.py").write_text(FIXTURE_01)
    f401 = ruff_message(session.project / "app.py", "F401")
    context = session.send("01")
    assert f"[quality_scanner] app.py: 1 new ruff finding{FIXED_1}\n- L1 F401 {f401}" in context
    assert block(session.send("01")) == ""  # replayed, bytes unchanged
    scan = session.doc()["scan"]
    assert [os.path.basename(k) for k in scan] == ["app.py"]


def test_end_to_end_silent_css(session: Session) -> None:
    (session.project / "style.css").write_text(load_fixture("11")["tool_input"]["content"])
    assert block(session.send("11")) == ""
    assert session.doc()["scan"] == {}


@posix_only
def test_end_to_end_hanging_ruff(session: Session, home: Path, tmp_path: Path) -> None:
    hang = tmp_path / "ruff-hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    write_config(home, {"quality_scanner": {"ruff_cmd": str(hang), "timeout_s": 0.3}})
    (session.project / "app.py").write_text(FIXTURE_01)
    started = time.monotonic()
    assert block(session.send("01")) == ""
    assert time.monotonic() - started < 3.0
    assert "quality_scanner: ruff timed out" in (home / "posttool.log").read_text()


PROBE = """
import json, sys
from posttool.runner.run import handle
handle(sys.stdin.buffer.read(), home=sys.argv[1], now=1.8e9)
print(json.dumps(sorted(m for m in sys.modules
                        if m in ("posttool.lib.lint", "posttool.lib.lint.scan", "radon",
                                 "subprocess", "shutil", "threading"))))
"""


@pytest.mark.parametrize("fixture", ["02", "05", "11"])
def test_no_lint_imports_for_events_it_does_not_scan(session: Session, fixture: str) -> None:
    if fixture == "11":
        (session.project / "style.css").write_text(load_fixture("11")["tool_input"]["content"])
    session.home.mkdir(parents=True, exist_ok=True)
    (session.home / ".last-sweep").touch()  # the daily sweep is not part of the per-call path
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(session.home)],
        input=json.dumps(session.event(fixture)).encode(),
        capture_output=True,
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_silent_on_generated_files(session: Session) -> None:
    classic(session)
    run = ScanRun(session)
    assert run.write("api/orders_pb2.py", FIXTURE_01) is None
    migration = "# Generated by Django 5.0 on 2025-01-01 10:00\n" + FIXTURE_01
    assert run.write("orders/migrations/0002_auto.py", migration) is None
    assert run.write("app.py", FIXTURE_01) is not None  # the same code by hand is reported
