"""Claude Code runs hooks for parallel tool calls at the same time: nothing may be lost."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import Session, run_cli, write_config

PROCESSES = 8
EVENTS_EACH = 25
FIXTURES = ["02", "05", "06", "03", "09"]


def test_parallel_runs_lose_no_update(home: Path, project: Path) -> None:
    # A generous lock timeout: this test is about lost updates, not about timeouts on a busy
    # machine (the 2 s default is covered elsewhere).
    write_config(home, {"state": {"lock_timeout_s": 60}})
    session = Session(home, project)
    payloads = [
        [
            json.dumps(session.event(FIXTURES[(w + i) % len(FIXTURES)])).encode()
            for i in range(EVENTS_EACH)
        ]
        for w in range(PROCESSES)
    ]

    def worker(batch: list[bytes]) -> list[int]:
        codes = []
        for data in batch:
            result = run_cli("run", "--home", str(home), stdin=data, timeout=120)
            json.loads(result.stdout)
            codes.append(result.returncode)
        return codes

    with ThreadPoolExecutor(PROCESSES) as pool:
        codes = [code for batch in pool.map(worker, payloads) for code in batch]
    assert codes == [0] * PROCESSES * EVENTS_EACH
    doc = session.doc()
    assert doc["counters"]["calls"] == PROCESSES * EVENTS_EACH
    assert sum(doc["counters"]["tool_counts"].values()) in (0, PROCESSES * EVENTS_EACH)
    log = home / "posttool.log"
    assert not log.exists() or "internal error" not in log.read_text()
