"""verification_reminder speaks to the agent that edited, about its own edits and checks.

The real shape (a TypeScript session with sub-agents, issue 7 #375): a debug sub-agent fixed
`src/config/deal-defaults.ts` and ran `npx vitest run test/config/deal-defaults.test.ts`; a
security sub-agent then edited five other files and was told to run that vitest command, which
checks none of them. A suggested command must be one the same agent ran and that plausibly
covers the files it edited since; otherwise the reminder says "the relevant tests or checks".
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.commands import CommandFacts
from posttool.lib.verification import check_targets, covering_run
from tests.conftest import Session
from tests.hooks.quality_payloads import bash, bash_fail, edit, labelled, write

HOOK = "verification_reminder"
DEBUG = {"agent_id": "a-debug", "agent_type": "debug-specialist"}
SECURITY = {"agent_id": "a-security", "agent_type": "security-vulnerability-scanner"}
VITEST = "npx vitest run test/config/deal-defaults.test.ts --reporter=verbose 2>&1 | head -100"
VITEST_PASS = " ✓ test/config/deal-defaults.test.ts (4 tests) 6ms\n Test Files  1 passed (1)"
SECURITY_FILES = (
    "src/utils/error-sanitizer.ts",
    "src/handlers/tool-configs/universal/shared-handlers.ts",
    "src/errors/api-errors.ts",
    "src/config/security-limits.ts",
    "src/utils/secure-error-handler.ts",
)
PY_FAIL = "FAILED tests/test_stretch.py::test_hold - ImportError\n1 failed in 0.05s"


def ts_edits(s: Session, files: tuple[str, ...], **agent: str) -> str:
    out = ""
    for i, rel in enumerate(files):
        out = write(s, rel, f"export const v{i} = {i};\n", **agent)
    return out


def reminder(out: str) -> str:
    blocks = labelled(out, HOOK)
    assert len(blocks) == 1, out
    return blocks[0]


def test_a_sub_agent_is_not_told_another_agents_test(session: Session) -> None:
    write(session, "src/config/deal-defaults.ts", "export const d = 1;\n", **DEBUG)
    write(session, "test/config/deal-defaults.test.ts", "test('d', () => {});\n", **DEBUG)
    bash(session, VITEST, VITEST_PASS, **DEBUG)
    write(session, "test-deal-defaults-fix.js", "console.log(1);\n", **DEBUG)
    assert labelled(ts_edits(session, SECURITY_FILES[:4], **SECURITY), HOOK) == []  # its own 4
    text = reminder(write(session, SECURITY_FILES[4], "export const w = 1;\n", **SECURITY))
    assert "5 code edits since the last test/build/lint run" in text
    assert "run the relevant tests or checks" in text
    assert "vitest" not in text


def test_a_sub_agent_is_not_told_the_main_sessions_test(session: Session) -> None:
    bash(session, "npm test", "Tests  212 passed (212)")
    text = reminder(ts_edits(session, SECURITY_FILES, **SECURITY))
    assert "run the relevant tests or checks" in text


def test_the_main_model_is_told_its_own_whole_suite_run(session: Session) -> None:
    bash(session, "npm test", "Tests  212 passed (212)")
    ts_edits(session, SECURITY_FILES[:3], **SECURITY)  # a sub-agent's edits are not the main's
    assert labelled(ts_edits(session, SECURITY_FILES[:4]), HOOK) == []
    assert "run `npm test` before" in reminder(write(session, "src/a.ts", "export {};\n"))


def test_a_targeted_run_is_named_for_the_files_it_covers(session: Session) -> None:
    bash(session, VITEST, VITEST_PASS)
    out = ""
    for i in range(5):
        out = write(session, "src/config/deal-defaults.ts", f"export const d = {i};\n")
    assert "run `npx vitest run test/config/deal-defaults.test.ts" in reminder(out)


def test_a_targeted_run_is_not_named_for_other_files(session: Session) -> None:
    bash(session, VITEST, VITEST_PASS)
    text = reminder(ts_edits(session, SECURITY_FILES))
    assert "run the relevant tests or checks" in text


def test_the_latest_run_that_covers_every_edit_is_named(
    session: Session, make_session: Callable[[str], Session]
) -> None:
    bash(session, "npm test", "Tests  212 passed (212)")
    bash(session, "npx vitest run test/utils/error-sanitizer.test.ts", "1 passed")
    assert "run `npm test` before" in reminder(ts_edits(session, SECURITY_FILES))
    session = make_session("sess-2")
    bash(session, "npm test", "Tests  212 passed (212)")
    bash(session, "npx vitest run test/utils/error-sanitizer.test.ts", "1 passed")
    out = ""
    for i in range(5):
        out = write(session, "src/utils/error-sanitizer.ts", f"export const e = {i};\n")
    assert "run `npx vitest run test/utils/error-sanitizer.test.ts` before" in reminder(out)


def test_a_go_package_run_covers_the_files_in_its_folder(session: Session) -> None:
    bash(session, "go test ./test-components -v", "ok  \texample/test-components\t0.01s")
    out = ""
    for i in range(5):
        out = write(session, f"test-components/button{i}.go", f"package tc\n\nvar V{i} = 1\n")
    assert "run `go test ./test-components -v` before" in reminder(out)


def test_a_run_after_cd_resolves_its_targets_there(
    session: Session, make_session: Callable[[str], Session]
) -> None:
    bash(session, "cd backend && pytest tests/test_orders.py -q", "3 passed in 0.1s")
    out = ""
    for i in range(5):
        out = write(session, "backend/app/orders.py", f"X = {i}\n")
    assert "run `cd backend && pytest tests/test_orders.py -q` before" in reminder(out)
    session = make_session("sess-2")
    bash(session, "cd backend && pytest tests/test_orders.py -q", "3 passed in 0.1s")
    out = ""
    for i in range(5):
        out = write(session, "frontend/app/orders.py", f"X = {i}\n")  # another orders.py
    assert "run `cd backend" in reminder(out)  # same name: plausibly its test


def test_edits_in_generated_folders_do_not_count(session: Session) -> None:
    for i in range(5):
        write(session, f"dist/chunk{i}.js", f"var a{i} = 1;\n")
    assert labelled(write(session, "src/a.ts", "export {};\n"), HOOK) == []


def test_a_sub_agents_failing_run_is_not_the_main_models(session: Session) -> None:
    bash_fail(session, "pytest tests/test_app.py -q", PY_FAIL, **DEBUG)
    write(session, "app.py", "x = 1\n", **DEBUG)
    bash_fail(session, "pytest tests/test_app.py -q", PY_FAIL, **DEBUG)
    assert "has failed 2 times" in write(session, "app.py", "x = 2\n", **DEBUG)
    assert "has failed" not in write(session, "app.py", "x = 3\n")


def test_test_first_red_run_does_not_count_as_a_failure(session: Session) -> None:
    write(session, "tests/test_stretch.py", "from stretch import hold\n")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)  # red: expected
    write(session, "stretch.py", "def hold(): ...\n")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    assert "has failed" not in write(session, "stretch.py", "def hold(): return 1\n")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    out = write(session, "stretch.py", "def hold(): return 2\n")
    assert "`pytest tests/test_stretch.py -q` has failed 2 times" in out


def test_a_failure_after_code_edits_counts_from_the_first(session: Session) -> None:
    write(session, "stretch.py", "def hold(): ...\n")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    write(session, "stretch.py", "def hold(): return 1\n")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    assert "has failed 2 times" in write(session, "stretch.py", "def hold(): return 2\n")


def test_check_targets() -> None:
    def targets(command: str, cwd: str = "/p") -> list[str] | None:
        return check_targets(CommandFacts(command), cwd)

    assert targets("npm test") is None
    assert targets("make test") is None
    assert targets("go test ./...") is None
    assert targets("pytest tests -q") is None
    assert targets("npm run build && npm run test:offline -- test/a.test.ts") is None
    assert targets("npm run test:offline -- test/a.test.ts 2>&1 | tail") == ["/p/test/a.test.ts"]
    assert targets("npx vitest run test/a.test.ts --reporter=verbose") == ["/p/test/a.test.ts"]
    assert targets("pytest tests/test_a.py::test_x -k add") == ["/p/tests/test_a.py", "/p/add"]
    assert targets("python manage.py test orders") == ["/p/manage.py", "/p/orders"]
    assert targets("go test ./internal/...") == ["/p/internal"]
    assert targets("cd api && go test ./store") == ["/p/api/store"]
    assert check_targets(CommandFacts("cd packages/web && npm test"), "/p", "/p") == [
        "/p/packages/web"
    ]
    assert check_targets(CommandFacts("go test ./..."), "/p/svc", "/p") == ["/p/svc"]
    assert check_targets(CommandFacts("cd /p && npm test"), "/p/svc", "/p") is None


def test_covering_run_ignores_malformed_runs() -> None:
    record = {"files": ["/p/a.py"], "runs": ["junk", {"cmd": ""}, {"cmd": "pytest", "whole": 1}]}
    assert covering_run(record) == "pytest"
    assert covering_run({"files": ["/p/a.py"], "runs": [{"cmd": "x", "targets": None}]}) == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.lists(st.text(max_size=30), max_size=3))
def test_any_command_and_files_give_a_suggestion_or_none(command: str, files: list[str]) -> None:
    found = check_targets(CommandFacts(command), "/p")
    run = {"cmd": command, "whole": found is None, "targets": found or []}
    assert covering_run({"files": files, "runs": [run]}) in ("", command)


def test_a_django_app_label_covers_the_apps_files(session: Session) -> None:
    bash(session, "python manage.py test orders", "Ran 12 tests in 0.3s\n\nOK")
    out = ""
    for i in range(5):
        out = write(session, f"orders/views{i}.py", f"X = {i}\n")
    assert "run `python manage.py test orders` before" in reminder(out)


def test_fixing_an_existing_test_counts_its_first_failure(session: Session) -> None:
    original = "def test_hold():\n    assert hold() == 1\n"
    edit(session, "tests/test_stretch.py", original, "== 1", "== 2")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    edit(session, "tests/test_stretch.py", original, "== 1", "== 3")
    bash_fail(session, "pytest tests/test_stretch.py -q", PY_FAIL)
    out = edit(session, "tests/test_stretch.py", original, "== 1", "== 4")
    assert "`pytest tests/test_stretch.py -q` has failed 2 times" in out


def test_running_the_edited_script_checks_it(session: Session) -> None:
    out = ""
    for i in range(5):
        out = write(session, "analysis.py", f"print({i})\n")
        bash(session, "python analysis.py --rows 10 | head", f"{i}\n")
    assert labelled(out, HOOK) == []
    for i in range(4):
        write(session, "scripts/sync.sh", f"echo {i}\n")
    bash(session, "python -m app.cli --help", "usage")  # not what was edited
    assert "5 code edits since" in reminder(write(session, "scripts/sync.sh", "echo 5\n"))


def test_running_an_edited_module_or_go_run_checks_the_edits(
    session: Session, make_session: Callable[[str], Session]
) -> None:
    for i in range(4):
        write(session, f"app/cli{i}.py", "X = 1\n")
    write(session, "app/cli.py", "X = 1\n")
    bash(session, "uv run python -m app.cli --help", "usage")
    assert labelled(write(session, "app/cli.py", "X = 2\n"), HOOK) == []
    session = make_session("sess-2")
    for i in range(4):
        write(session, f"cmd/tool{i}.go", "package main\n")
    bash(session, "go run ./cmd/tool", "ok")
    assert labelled(write(session, "cmd/tool9.go", "package main\n"), HOOK) == []


def test_a_package_suite_in_a_monorepo_covers_that_package_only(session: Session) -> None:
    bash(session, "cd packages/web && npm test", "Tests  40 passed (40)")
    out = ""
    for i in range(5):
        out = write(session, f"packages/web/src/page{i}.ts", "export {};\n")
    assert "run `cd packages/web && npm test` before" in reminder(out)


def test_another_packages_suite_is_not_named(session: Session) -> None:
    bash(session, "cd packages/web && npm test", "Tests  40 passed (40)")
    text = reminder(ts_edits(session, tuple(f"packages/api/src/r{i}.ts" for i in range(5))))
    assert "run the relevant tests or checks" in text
