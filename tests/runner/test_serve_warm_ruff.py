"""`posttool serve` lints `.py` writes through a warm `ruff server` (posttool/lib/lint/warm.py):
a real server process, the real ruff, answers compared with `posttool run`'s."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from posttool.cli.bench import materialise
from tests.conftest import Session, run_cli, write_config
from tests.runner.test_serve import Server

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds ruff's pid in /proc")
WAIT_S = 60  # a bound on waiting for a background start or a kill, not a speed requirement
PATIENT = {"quality_scanner.timeout_s": 60, "runner.hook_budget_ms": 60_000}
PYPROJECT = '[tool.ruff.lint]\nselect = ["E", "F", "B"]\n'
CONTENTS = [
    "import os\n\n\ndef add(a, b=[]):\n    b.append(a)\n    return b\n",
    "import os\nimport sys\n\n\ndef add(a, b=[]):\n    l = 1\n    return b\n",
    "def add(a, b=None):\n    return [a] if b == None else b\n",
    "import sys\n\n\ndef add(a, b):\n    return a + b\n",
]


def ruff_children(pid: int) -> set[int]:
    """The `ruff` processes whose parent is `pid`."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if comm == "ruff" and int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def write_body(session: Session, project: Path, content: str) -> bytes:
    raw = session.event("01")  # a real Write of app.py, with other content
    raw["tool_input"]["content"] = content
    raw["tool_response"]["content"] = content
    materialise(raw, str(project))
    return json.dumps(raw).encode()


def test_py_writes_answer_as_run_does_and_ruff_ends_with_the_server(
    tmp_path: Path, project: Path
) -> None:
    (project / "pyproject.toml").write_text(PYPROJECT)
    server = Server(tmp_path / "serve-home")
    run_home = tmp_path / "run-home"
    write_config(server.home, PATIENT)
    write_config(run_home, PATIENT)
    session = Session(server.home, project, session_id="sess-warm-1")
    spoke = 0
    try:
        for content in [*CONTENTS, *CONTENTS[::-1], *CONTENTS]:
            body = write_body(session, project, content)
            status, served = server.post(body)
            ran = run_cli("run", "--home", str(run_home), stdin=body, cwd=project)
            assert status == 200
            assert json.loads(served) == json.loads(ran.stdout), content
            spoke += b"quality_scanner" in served
        assert spoke >= 3
        children = ruff_children(server.process.pid)
        assert len(children) == 1  # one warm server for the project
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert not any(alive(pid) for pid in children)  # SIGTERM ends ruff too
    log = (server.home / "posttool.log").read_text()
    stopped = [line for line in log.splitlines() if "ruff server for" in line]
    assert len(stopped) == 1 and "stopped after" in stopped[0]
    assert int(stopped[0].rsplit("after ", 1)[1].split()[0]) >= 1  # the warm path answered


def test_a_hung_ruff_keeps_its_own_session_waiting_only(tmp_path: Path, project: Path) -> None:
    server = Server(tmp_path / "serve-home")
    write_config(server.home, {"quality_scanner.timeout_s": 6, "runner.hook_budget_ms": 60_000})
    writer = Session(server.home, project, session_id="sess-writer")
    reader = Session(server.home, project, session_id="sess-reader")
    try:
        server.post(write_body(writer, project, CONTENTS[0]))  # `ruff check` vets; ruff starts
        wait_for(lambda: len(ruff_children(server.process.pid)) == 1, "no ruff server")
        (hung,) = ruff_children(server.process.pid)
        os.kill(hung, signal.SIGSTOP)
        answers: list[tuple[int, bytes]] = []
        slow = threading.Thread(
            target=lambda: answers.append(server.post(write_body(writer, project, CONTENTS[1])))
        )
        slow.start()
        read = reader.event("02")
        materialise(read, str(project))
        status, _answer = server.post(json.dumps(read).encode())
        assert status == 200
        assert slow.is_alive()  # the write still waits for its ruff; the Read did not
        slow.join(WAIT_S)
        assert answers and answers[0][0] == 200
        json.loads(answers[0][1])
        wait_for(lambda: not alive(hung), "the hung ruff server was not ended")
        wait_for(lambda: len(ruff_children(server.process.pid)) == 1, "ruff was not restarted")
    finally:
        code, err = server.stop()
    assert code == 0, err
    assert "ruff server timed out after 6 s" in (server.home / "posttool.log").read_text()
