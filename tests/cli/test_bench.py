"""`posttool bench` and `posttool run --bench N`: real subprocesses, one run each to stay quick."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posttool.cli import bench
from tests.conftest import FIXTURES, load_fixture, run_cli, write_config


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_bundled_events_are_the_test_fixtures() -> None:
    bundled = dict(bench.bundled_events())
    assert sorted(bundled) == sorted(p.name for p in FIXTURES.glob("*.json"))
    for name, raw in bundled.items():
        assert raw == load_fixture(name), name


def test_bench_json_reports_hooks_and_the_process_ratio(home: Path) -> None:
    result = json.loads(ok(run_cli("bench", "-n", "1", "--json")))
    assert result["runs"] == 1
    assert len(result["events"]) == len(bench.bundled_events())
    names = [row["name"] for row in result["hooks"]]
    assert "state_updater" in names and names[-1] == bench.WHOLE_CALL
    for row in result["hooks"]:
        assert row["calls"] >= 1 and 0 <= row["p50_ms"] <= row["p95_ms"]
    whole = result["hooks"][-1]
    assert whole["calls"] == len(result["events"])
    process = result["process"]
    assert process["floor_command"][1:] == ["-I", "-S", "-c", "pass"]
    assert process["command"][-3:] == ["run", "--home", "<temporary home>"]
    assert process["posttool_p50_ms"] > 0 and process["floor_p50_ms"] > 0
    assert abs(process["ratio"] - process["posttool_p50_ms"] / process["floor_p50_ms"]) < 0.05


def test_bench_never_touches_the_users_home(home: Path) -> None:
    ok(run_cli("bench", "-n", "1", "--json"))
    assert not home.exists()


def test_bench_applies_the_users_config(home: Path) -> None:
    write_config(home, {"disable": ["auto_learn"]})
    before = sorted(p.name for p in home.iterdir())
    result = json.loads(ok(run_cli("bench", "-n", "1", "--json")))
    assert result["config_copied"] is True
    assert "auto_learn" not in [row["name"] for row in result["hooks"]]
    assert sorted(p.name for p in home.iterdir()) == before


def test_bench_human_output_is_plain(home: Path) -> None:
    out = ok(run_cli("bench", "-n", "1"))
    assert out.splitlines()[0].startswith("posttool bench: 13 bundled events × 1 run(s)")
    assert "HOOK (in process)" in out
    assert "× the bare interpreter" in out
    assert "\033[" not in out


def test_run_bench_is_an_alias_with_an_event_file(
    home: Path, tmp_path: Path, project: Path
) -> None:
    event = load_fixture("05")
    event["cwd"] = str(project)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    result = json.loads(ok(run_cli("run", "--bench", "2", "--event", str(path), "--json")))
    assert result["events"] == ["event.json#1"]
    assert result["runs"] == 2
    assert result["hooks"][-1]["calls"] == 2
    assert not home.exists()


def test_event_files_may_be_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(load_fixture(n)) for n in ("02", "05")) + "\n")
    assert [name for name, _ in bench.load_event_file(str(path))] == [
        "events.jsonl#1",
        "events.jsonl#2",
    ]


def test_bad_bench_arguments(home: Path, tmp_path: Path) -> None:
    for args in (
        ("bench", "-n", "0"),
        ("bench", "-n", "x"),
        ("run", "--bench", "-3"),
        ("run", "--event", "x.json"),
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert result.stderr.decode().count("\n") == 1
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = run_cli("bench", "-n", "1", "--event", str(bad))
    assert result.returncode == 1 and b"holds no event object" in result.stderr
    result = run_cli("bench", "-n", "1", "--event", str(tmp_path / "missing.json"))
    assert result.returncode == 1 and result.stderr.decode().count("\n") == 1


def test_materialise_writes_only_inside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    inside = bench.rewrite(load_fixture("01"), str(project), str(tmp_path))
    bench.materialise(inside, str(project))
    assert (project / "app.py").read_text() == inside["tool_input"]["content"]
    outside = bench.rewrite(load_fixture("01"), str(tmp_path / "elsewhere"), str(tmp_path))
    assert bench.file_after(outside) is not None
    bench.materialise(outside, str(project))
    assert not (tmp_path / "elsewhere").exists()


def test_percentile() -> None:
    assert bench.percentile([], 95) == 0.0
    assert bench.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert bench.percentile([float(i) for i in range(1, 101)], 95) == 95.0


def test_bench_serve_starts_its_server_in_a_home_of_its_own(tmp_path: Path) -> None:
    """The bench writes its launcher into a home that does not exist yet; the server must work
    in that home (where the bench looks for server.json), not in a `posttool/` subfolder."""
    from posttool.cli.bench_serve import ServeProcess

    home = tmp_path / "serve-home"
    server = ServeProcess(str(home))
    try:
        client = server.client()
        assert client.post(b'{"hook_event_name": "PostToolUse"}') >= 0
    finally:
        server.stop()
    assert (home / ".posttool-home").exists()
    assert not (home / "posttool").exists()
