"""The metrics log (one record per call) and `posttool stats`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from posttool.hooks import tracking
from posttool.lib.log import append_metric
from posttool.lib.metrics import metrics_paths, prune
from posttool.lib.paths import settle_home
from posttool.runner.registry import MARK
from tests.conftest import Session, run_cli, write_config


def stats(home: Path, *args: str) -> dict:
    result = run_cli("stats", "--json", "--home", str(home), *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def records(home: Path) -> list[dict]:
    return [json.loads(line) for line in (home / "metrics.jsonl").read_text().splitlines()]


def test_every_call_appends_one_record(session: Session) -> None:
    session.play([("02", {}), ("05", {}), ("06", {})])
    written = records(session.home)
    assert [r["tool"] for r in written] == ["Read", "Bash", "Bash"]
    assert [r["ev"] for r in written] == ["PostToolUse", "PostToolUse", "PostToolUseFailure"]
    assert {r["mode"] for r in written} == {"run"}
    assert all(r["s"] == session.session_id and r["ms"] > 0 for r in written)
    assert "state_updater" in written[0]["hooks"]
    assert "read_cacher" in written[0]["hooks"]
    assert oct((session.home / "metrics.jsonl").stat().st_mode & 0o777) == "0o600"


def test_duplicates_and_garbage_are_not_recorded(session: Session) -> None:
    raw = session.event("02")
    session.send(raw)
    session.send(raw)  # the same tool_use_id again: no hook runs
    session.send_raw(b"not json")
    assert len(records(session.home)) == 1


def test_stats_names_each_hook_and_tool(session: Session) -> None:
    answers = session.play([("06", {}), ("06", {}), ("06", {}), ("02", {})])
    report = stats(session.home)
    assert report["records"] == 4
    assert report["tools"]["Bash"]["calls"] == 3
    assert report["tools"]["Read"]["calls"] == 1
    for name in ("state_updater", "velocity_tracker", "read_cacher"):
        assert name in report["hooks"]
    assert report["hooks"]["state_updater"]["calls"] == 4
    spoken = sum(row["chars"] for row in report["hooks"].values())
    assert spoken >= sum(len(a) for a in answers if a) * 0.5
    assert report["hooks"]["velocity_tracker"]["spoke"] >= 1
    text = run_cli("stats", "--home", str(session.home))
    assert text.returncode == 0
    assert b"velocity_tracker" in text.stdout and b"Bash" in text.stdout


def test_failures_rollbacks_and_suspensions(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(event: object, state: object) -> None:
        raise RuntimeError("boom")

    setattr(boom, MARK, getattr(tracking.info_gain_tracker, MARK))
    monkeypatch.setattr(tracking, "info_gain_tracker", boom)
    session.play([("05", {})] * 4)
    written = records(session.home)
    assert [("info_gain_tracker" in r.get("failed", ())) for r in written] == [True] * 3 + [False]
    assert written[2]["suspended"] == ["info_gain_tracker"]
    row = stats(session.home)["hooks"]["info_gain_tracker"]
    assert (row["calls"], row["failures"], row["rollbacks"], row["suspensions"]) == (3, 3, 3, 1)


def test_since_and_session_filters(home: Path, project: Path) -> None:
    Session(home, project, "alpha-1").send("02")
    Session(home, project, "beta-1").play([("05", {}), ("05", {})])
    old = {"t": time.time() - 3 * 86400, "s": "alpha-1", "tool": "Edit", "ms": 1.0, "hooks": {}}
    append_metric(str(home), (json.dumps(old) + "\n").encode())
    assert stats(home)["records"] == 4
    assert stats(home, "--since", "1d")["records"] == 3
    assert stats(home, "--session", "beta")["records"] == 2
    assert list(stats(home, "--session", "alpha-1", "--since", "2h")["tools"]) == ["Read"]
    assert list(stats(home, "--session", "alpha-1")["tools"]) == ["Edit", "Read"]


@pytest.mark.parametrize("since", ["yesterday", "0d", "-1h", "nan"])
def test_a_bad_since_is_one_line_and_exit_2(home: Path, since: str) -> None:
    result = run_cli("stats", "--home", str(home), "--since", since)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1


def test_an_ambiguous_session_prefix_is_refused(home: Path, project: Path) -> None:
    Session(home, project, "same-1").send("02")
    Session(home, project, "same-2").send("02")
    result = run_cli("stats", "--home", str(home), "--session", "same")
    assert result.returncode == 2
    assert b"2 sessions" in result.stderr


def test_torn_lines_are_skipped(session: Session) -> None:
    session.send("02")
    with open(session.home / "metrics.jsonl", "ab") as handle:
        handle.write(b'{"t": 1, "torn\n[1,2]\n')
    assert stats(session.home)["records"] == 1


def test_the_log_rotates_by_size_and_stays_bounded(tmp_path: Path) -> None:
    home = Path(settle_home(str(tmp_path / "home")))  # a home posttool made (marked)
    line = json.dumps({"t": time.time(), "tool": "Read", "ms": 1.0, "pad": "x" * 80}) + "\n"
    for _ in range(100):
        append_metric(str(home), line.encode(), max_bytes=1000)
    rotated, live = (Path(p) for p in metrics_paths(str(home)))
    assert rotated.exists()
    assert rotated.stat().st_size <= 1000 + len(line)
    assert live.stat().st_size <= 1000 + len(line)
    assert stats(home)["records"] == (rotated.stat().st_size + live.stat().st_size) // len(line)


def test_the_sweep_prunes_metrics_untouched_for_the_ttl(tmp_path: Path) -> None:
    append_metric(str(tmp_path), b'{"t": 1}\n', max_bytes=1)  # rotated at once
    append_metric(str(tmp_path), b'{"t": 2}\n')
    rotated, live = metrics_paths(str(tmp_path))
    now = time.time()
    os.utime(rotated, (now - 8 * 86400, now - 8 * 86400))
    assert prune(str(tmp_path), now, 7) == [rotated]
    assert os.path.exists(live)


def test_metrics_can_be_turned_off(session: Session) -> None:
    write_config(session.home, {"metrics.enabled": False})
    session.send("02")
    assert not (session.home / "metrics.jsonl").exists()
