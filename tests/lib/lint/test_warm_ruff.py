"""The warm ruff of `posttool serve` (posttool/lib/lint/warm.py, ruffserver.py), driven in
process with the real ruff: its findings against `ruff check`'s on the same files and projects,
and what happens when the server crashes, hangs, or the configuration changes under it."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posttool.lib import log as log_module
from posttool.lib.config import Config
from posttool.lib.lint import scan_file, warm
from posttool.lib.lint.cache import Settings
from posttool.lib.lint.linters import ToolRun
from posttool.lib.lint.ruffserver import Unsupported, cli_items, cli_message
from posttool.lib.paths import lint_cache_dir
from tests.conftest import Session
from tests.lib.lint.test_lint import write_event

REAL_RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
pytestmark = [
    pytest.mark.skipif(not os.access(REAL_RUFF, os.X_OK), reason="ruff not beside python"),
    pytest.mark.skipif(os.name != "posix", reason="signals and /proc"),
]
READY_WAIT_S = 60  # a bound on waiting for a background start, not a speed requirement

# Real-shaped files: what a model writes, with the findings the rules below care about.
APP = (
    "import os\nimport sys\n\n\ndef add(a, b=[]):\n    b.append(a)\n    l = 1\n"
    "    if a == None: return b\n    return b\n\n\nprint(undefined, sys)\n"
)
BOM_CRLF = "\ufeffimport os\r\nx = 1  # noqa: F841\r\ndef f(  a ):\r\n    return a == None\r\n"
SYNTAX = "import sys, os\ndef g(:\n    pass\nprint(undefined)\n"
TANGLED = (
    "def tangled(a, b, c, d, e, f):\n"
    + "".join(f"    if a == {i} or b == {i}:\n        c += {i}\n" for i in range(6))
    + "    return c\n"
)
FILES = {"app.py": APP, "bom.py": BOM_CRLF, "broken.py": SYNTAX, "pkg/tangled.py": TANGLED}

PROJECTS: dict[str, dict[str, str]] = {
    "no-config": {},
    "pyproject": {
        "pyproject.toml": (
            "[tool.ruff]\nline-length = 100\nunsafe-fixes = true\n[tool.ruff.lint]\n"
            'select = ["E", "F", "B", "UP", "I"]\n'
            '[tool.ruff.lint.per-file-ignores]\n"pkg/*" = ["F401"]\n'
        )
    },
    # a project file that selects nothing: ruff's own defaults, not posttool's
    "config-without-select": {"ruff.toml": "line-length = 120\n"},
    "nested-config": {
        "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n',
        "pkg/ruff.toml": '[lint]\nselect = ["E", "F", "C90"]\n',
    },
    "pyproject-without-ruff": {"pyproject.toml": '[project]\nname = "demo"\n'},
    "broken-config": {"pyproject.toml": "[tool.ruff]\nline-lenght = 100\n"},
}


@pytest.fixture
def logfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "posttool.log"
    monkeypatch.setattr(log_module, "_log_path", str(path))
    return path


@pytest.fixture
def pool() -> Iterator[warm.WarmRuff]:
    active = warm.enable()
    yield active
    warm.close()


def make_project(root: Path, files: dict[str, str]) -> Path:
    """A project whose files were written a minute ago (a configuration file written in the
    very instant a server starts makes the server start again before it is used)."""
    (root / ".git").mkdir(parents=True)
    earlier = time.time_ns() - 60_000_000_000
    for rel, text in {**files, **FILES}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        os.utime(target, ns=(earlier, earlier))
    return root


def settings(**values: Any) -> Settings:
    return Settings(Config({f"quality_scanner.{k}": v for k, v in values.items()}))


def outcome(run: ToolRun, path: Path) -> dict[str, Any]:
    ruff, radon = run.run(path.read_bytes(), REAL_RUFF, True, None)
    return {"ruff": ruff, "radon": radon, "config": run.config_error, "cache": run.cacheable}


def by_cli(root: Path, rel: str, knobs: Settings) -> dict[str, Any]:
    path = os.path.realpath(root / rel)
    return outcome(ToolRun(path, str(root), knobs, rel), Path(path))


def by_pool(pool: warm.WarmRuff, root: Path, rel: str, knobs: Settings) -> dict[str, Any]:
    path = os.path.realpath(root / rel)
    return outcome(pool.tool_run(path, str(root), knobs, rel), Path(path))


def lints(pool: warm.WarmRuff) -> int:
    return sum(row["lints"] for row in pool.status())


def wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + READY_WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def ready(pool: warm.WarmRuff, root: Path, flavor: str = "") -> bool:
    real = os.path.realpath(root)
    return any(
        row["root"] == real and row["state"] == "ready" and row["flavor"].startswith(flavor)
        for row in pool.status()
    )


def warmed(pool: warm.WarmRuff, root: Path, knobs: Settings) -> None:
    """A lint in each folder by `ruff check` (which vets the configuration that applies there,
    and starts the server), then wait until the server is ready."""
    for rel in FILES:
        by_pool(pool, root, rel, knobs)
    wait_for(lambda: ready(pool, root), "no ready server")


def server_pid(pool: warm.WarmRuff) -> int:
    ready = [row["pid"] for row in pool.status() if row["state"] == "ready"]
    assert len(ready) == 1, pool.status()
    return ready[0]


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


# --- the same findings as `ruff check` ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_warm_findings_are_the_cli_findings(
    name: str, tmp_path: Path, pool: warm.WarmRuff, logfile: Path
) -> None:
    root = make_project(tmp_path / name, PROJECTS[name])
    knobs = settings()
    if name == "broken-config":
        # ruff refuses the configuration: `ruff check` reports it and lints with the defaults,
        # and the server is never asked
        for rel in FILES:
            assert by_pool(pool, root, rel, knobs) == by_cli(root, rel, knobs), rel
        assert by_pool(pool, root, "app.py", knobs)["config"].startswith("pyproject.toml")
        assert lints(pool) == 0
        return
    warmed(pool, root, knobs)
    before = lints(pool)
    for rel in FILES:
        assert by_pool(pool, root, rel, knobs) == by_cli(root, rel, knobs), rel
    assert lints(pool) == before + len(FILES)  # every one of them by the warm server


def test_user_level_config_and_default_select(tmp_path: Path, pool: warm.WarmRuff) -> None:
    root = make_project(tmp_path / "proj", {})
    knobs = settings(default_select=["E7"])  # posttool's defaults, as configured
    warmed(pool, root, knobs)
    assert by_pool(pool, root, "app.py", knobs) == by_cli(root, "app.py", knobs)
    user_config = Path(os.environ["XDG_CONFIG_HOME"]) / "ruff" / "ruff.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text('[lint]\nselect = ["F", "T20"]\n')
    expected = by_cli(root, "app.py", knobs)
    assert any(f[0] == "T201" for f in expected["ruff"])
    assert by_pool(pool, root, "app.py", knobs) == expected  # `ruff check` vets it
    wait_for(lambda: ready(pool, root, "project"), "no server for the user's configuration")
    before = lints(pool)
    assert by_pool(pool, root, "app.py", knobs) == expected
    assert lints(pool) == before + 1


def test_edited_config_is_read_again(tmp_path: Path, pool: warm.WarmRuff) -> None:
    root = make_project(tmp_path / "proj", {"ruff.toml": '[lint]\nselect = ["F"]\n'})
    knobs = settings()
    warmed(pool, root, knobs)
    old_pid = server_pid(pool)
    config = root / "ruff.toml"
    config.write_text('[lint]\nselect = ["E", "F"]\n')  # another size: another stamp
    expected = by_cli(root, "app.py", knobs)
    assert any(f[0].startswith("E7") for f in expected["ruff"])
    assert by_pool(pool, root, "app.py", knobs) == expected  # `ruff check` vets the new config
    assert by_pool(pool, root, "app.py", knobs) == expected  # the old server is replaced
    wait_for(lambda: ready(pool, root) and server_pid(pool) != old_pid, "no restart")
    wait_for(lambda: gone(old_pid), "the old server still runs")
    before = lints(pool)
    assert by_pool(pool, root, "app.py", knobs) == expected
    assert lints(pool) == before + 1


def test_many_threads_share_one_server(tmp_path: Path, pool: warm.WarmRuff) -> None:
    root = make_project(tmp_path / "proj", PROJECTS["pyproject"])
    knobs = settings(timeout_s=60)
    warmed(pool, root, knobs)
    expected = {rel: by_cli(root, rel, knobs) for rel in FILES}
    before = lints(pool)
    results: list[tuple[str, dict[str, Any]]] = []

    def work(rel: str) -> None:
        for _ in range(3):
            results.append((rel, by_pool(pool, root, rel, knobs)))

    threads = [threading.Thread(target=work, args=(rel,)) for rel in [*FILES, *FILES]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 * len(threads)
    assert all(result == expected[rel] for rel, result in results)
    assert lints(pool) == before + len(results)


# --- failures -------------------------------------------------------------------------------


def test_a_crashed_server_is_restarted_once_then_ruff_check(
    tmp_path: Path, pool: warm.WarmRuff, logfile: Path
) -> None:
    root = make_project(tmp_path / "proj", {})
    knobs = settings()
    warmed(pool, root, knobs)
    expected = by_cli(root, "app.py", knobs)
    first = server_pid(pool)
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: gone(first), "not killed")
    assert by_pool(pool, root, "app.py", knobs) == expected  # `ruff check` in the time left
    wait_for(lambda: ready(pool, root) and server_pid(pool) != first, "not restarted")
    second = server_pid(pool)
    assert by_pool(pool, root, "app.py", knobs) == expected
    os.kill(second, signal.SIGKILL)
    wait_for(lambda: gone(second), "not killed")
    assert by_pool(pool, root, "app.py", knobs) == expected
    assert [row["state"] for row in pool.status()] == ["off"]
    before = lints(pool)
    assert by_pool(pool, root, "app.py", knobs) == expected
    assert lints(pool) == before
    text = logfile.read_text()
    assert text.count("restarting it") == 1
    assert text.count("using `ruff check` for this project from now on") == 1


def test_a_hung_server_times_out_and_is_replaced(
    tmp_path: Path, pool: warm.WarmRuff, logfile: Path
) -> None:
    root = make_project(tmp_path / "proj", {})
    knobs = settings(timeout_s=1)
    warmed(pool, root, knobs)
    expected = by_cli(root, "app.py", settings(timeout_s=60))
    hung = server_pid(pool)
    os.kill(hung, signal.SIGSTOP)
    try:
        result = by_pool(pool, root, "app.py", knobs)
    finally:
        wait_for(lambda: gone(hung), "the hung server was not ended")
    assert result["ruff"] is None and result["cache"] is False  # as `ruff check` timing out
    assert result["radon"] == expected["radon"]
    assert "ruff server timed out after 1 s on app.py" in logfile.read_text()
    wait_for(lambda: ready(pool, root) and server_pid(pool) != hung, "not restarted")
    assert by_pool(pool, root, "app.py", settings(timeout_s=60)) == expected


def test_content_that_is_not_utf8_goes_to_ruff_check(tmp_path: Path, pool: warm.WarmRuff) -> None:
    root = make_project(tmp_path / "proj", {})
    (root / "latin.py").write_bytes(b"# caf\xe9\nimport os\n")
    knobs = settings()
    warmed(pool, root, knobs)
    before = lints(pool)
    assert by_pool(pool, root, "latin.py", knobs) == by_cli(root, "latin.py", knobs)
    assert lints(pool) == before


def test_close_ends_every_server(tmp_path: Path, logfile: Path) -> None:
    active = warm.enable()
    roots = [make_project(tmp_path / name, PROJECTS[name]) for name in ("no-config", "pyproject")]
    for root in roots:
        warmed(active, root, settings())
        by_pool(active, root, "app.py", settings())
    wait_for(lambda: len(active.status()) == 2, "two servers")
    pids = [row["pid"] for row in active.status()]
    warm.close()
    assert warm.ACTIVE is None
    assert all(gone(pid) for pid in pids)
    assert logfile.read_text().count(" lint(s)") == 2  # one line per server


# --- reading the server's diagnostics -----------------------------------------------------------


def test_cli_message_drops_the_help_the_server_appends() -> None:
    body = "`os` imported but unused"
    title = "Remove unused import: `os`"
    assert cli_message(f"{body}\n\nhelp: {title}", title) == body
    assert cli_message(f"{body}\n\nhelp: something else", title) == body
    assert cli_message(body, None) == body


def test_a_fix_whose_safety_is_not_told_is_unsupported() -> None:
    edit = {"range": {}, "newText": ""}
    told = {"code": "F401", "message": "m", "range": {"start": {"line": 2}}}
    items = cli_items(
        [
            {**told, "data": {"edits": [edit], "is_preferred": True, "title": "t"}},
            {**told, "data": {"edits": [edit], "is_preferred": False}},
            {**told, "data": {"edits": [], "noqa_edit": edit}},
            {"message": "SyntaxError: bad", "range": {"start": {"line": 0}}},
        ]
    )
    assert [(i["code"], i["location"]["row"], i["fix"]) for i in items] == [
        ("F401", 3, {"applicability": "safe"}),
        ("F401", 3, {"applicability": "unsafe"}),
        ("F401", 3, None),
        (None, 1, None),
    ]
    with pytest.raises(Unsupported):
        cli_items([{**told, "data": {"edits": [edit], "kind": {"name": "unused-import"}}}])


# --- the lint cache ------------------------------------------------------------------------------


def test_warm_results_reach_the_lint_cache_after_the_answer(
    session: Session, home: Path, pool: warm.WarmRuff
) -> None:
    config = Config({"quality_scanner.timeout_s": 60})
    scan_file(write_event(session, "app.py", APP), config, str(home))  # `ruff check` vets
    wait_for(lambda: ready(pool, session.project), "no ready server")
    assert pool.flush(READY_WAIT_S)
    entries = Path(lint_cache_dir(str(home)))
    cached = len(list(entries.rglob("*.json")))
    before = lints(pool)
    event = write_event(session, "app.py", APP + "\nNEW = 1\n")
    first = scan_file(event, config, str(home))
    assert first is not None and first["cached"] is False
    assert lints(pool) == before + 1
    assert pool.flush(READY_WAIT_S)  # written by the writer thread, after the answer
    assert len(list(entries.rglob("*.json"))) == cached + 1
    assert scan_file(event, config, str(home)) == {**first, "cached": True}
    assert lints(pool) == before + 1


def test_what_a_server_is_not_started_for(tmp_path: Path) -> None:
    home = os.path.realpath(os.path.expanduser("~"))
    project = str(tmp_path / "proj")
    assert warm.servable(f"{project}/app.py", project)
    assert warm.servable(f"{project}/stubs/app.pyi", project)
    assert not warm.servable(f"{project}/notes.ipynb", project)  # cells, not JSON, to a server
    assert not warm.servable("/app.py", "/")  # it would index every config file on the disk
    assert not warm.servable(f"{home}/app.py", home)


def test_the_warm_path_can_be_turned_off(session: Session, home: Path, pool: warm.WarmRuff) -> None:
    config = Config({"quality_scanner.timeout_s": 60, "quality_scanner.ruff_server": False})
    for n in range(3):
        result = scan_file(write_event(session, "app.py", f"{APP}\nN = {n}\n"), config, str(home))
        assert result is not None and result["ruff"]
    assert pool.status() == []  # `ruff check` every time, no server started
