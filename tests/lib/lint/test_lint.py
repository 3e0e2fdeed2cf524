"""quality_scanner's slow half (spec §4.13 `prepare`, §3.4 lint cache): posttool/lib/lint/.

ruff is a dependency, so the real one (beside the test interpreter) is used where the result
matters; fake rufs (shell scripts) cover the ways a tool can misbehave.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from posttool.lib import lint
from posttool.lib import log as log_module
from posttool.lib.config import Config
from posttool.lib.event import Event
from posttool.lib.lint import cache, linters
from posttool.lib.text import sha256_hex
from posttool.runner.normalise import build_event
from tests.conftest import START, Session

REAL_RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
REAL_RADON = os.path.join(os.path.dirname(sys.executable), "radon")
needs_ruff = pytest.mark.skipif(not os.access(REAL_RUFF, os.X_OK), reason="ruff not beside python")
posix_only = pytest.mark.skipif(os.name != "posix", reason="shell-script fake tools")

FIXTURE_01 = "import os\n\ndef add(a, b=[]):\n    b.append(a)\n    return b\n"
COMPLEX = (
    "def tangled(a, b, c, d, e, f):\n"
    + "".join(f"    if a == {i} or b == {i}:\n        c += {i}\n" for i in range(6))
    + "    return c\n"
)
CLASSY = (
    "class Box:\n"
    "    def pick(self, x):\n"
    + "".join(f"        if x == {i}:\n            return {i}\n" for i in range(12))
    + "        return None\n"
)


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture
def logfile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "posttool.log"
    monkeypatch.setattr(log_module, "_log_path", str(path))
    return path


def log_text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def write_event(
    session: Session, name: str = "app.py", content: str = FIXTURE_01, **changes: Any
) -> Event:
    """Fixture 01 (a Write create) retargeted at `name`, with the file written to disk."""
    target = session.project / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    raw = session.event(
        "01",
        tool_input={"file_path": str(target), "content": content},
        tool_response={"filePath": str(target), "content": content},
    )
    raw = {**raw, **changes}
    return build_event(raw, now=START)


def config(**values: Any) -> Config:
    return Config({f"quality_scanner.{k}": v for k, v in values.items()})


def fake_tool(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def counting_ruff(tmp_path: Path) -> tuple[str, Path]:
    """A ruff wrapper that counts its runs and then execs the real ruff."""
    counter = tmp_path / "ruff-runs"
    script = fake_tool(tmp_path, "ruff", f'echo run >> "{counter}"\nexec "{REAL_RUFF}" "$@"\n')
    return script, counter


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


# --- prepare: must scan ---------------------------------------------------------------------


@needs_ruff
def test_fixture_01_real_ruff_finds_unused_import(session: Session, home: Path) -> None:
    event = write_event(session)
    result = lint.scan_file(event, Config(), str(home))
    assert result is not None
    assert result["hash"] == sha256_hex(FIXTURE_01.encode())
    assert result["cached"] is False
    f401 = [f for f in result["ruff"] if f[0] == "F401"]
    assert len(f401) == 1
    _, row, message, fixable = f401[0]
    assert (row, fixable) == (1, True)
    assert "`os`" in message and "unused" in message
    assert result["radon"] == []  # nothing of rank C or worse


@needs_ruff
def test_warm_cache_answers_without_running_ruff(
    session: Session, home: Path, tmp_path: Path
) -> None:
    ruff, counter = counting_ruff(tmp_path)
    event = write_event(session)
    cold = lint.scan_file(event, config(ruff_cmd=ruff), str(home))
    warm = lint.scan_file(event, config(ruff_cmd=ruff), str(home))
    assert runs(counter) == 1
    assert cold is not None and warm is not None
    assert (warm["cached"], cold["cached"]) == (True, False)
    assert {k: warm[k] for k in ("hash", "ruff", "radon")} == {
        k: cold[k] for k in ("hash", "ruff", "radon")
    }


@needs_ruff
def test_cache_hit_spawns_nothing(
    session: Session, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = write_event(session)
    assert lint.scan_file(event, Config(), str(home)) is not None
    import subprocess

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a cache hit must not start a process")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    hit = lint.scan_file(event, Config(), str(home))
    assert hit is not None and hit["cached"] is True


@needs_ruff
def test_cache_files_are_private_and_content_addressed(session: Session, home: Path) -> None:
    event = write_event(session)
    lint.scan_file(event, Config(), str(home))
    entries = list((home / "cache" / "lint").glob("*/*.json"))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.parent.name == entry.stem[:2] and len(entry.stem) == 64
    for directory in (home / "cache", home / "cache" / "lint", entry.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert json.loads(entry.read_text())["v"] == cache.CACHE_VERSION
    assert not [p for p in entry.parent.iterdir() if p.name.endswith(".tmp")]


@needs_ruff
@posix_only
@pytest.mark.parametrize(
    "change",
    ["file bytes", "ruff binary", "project ruff config", "min_rank"],
)
def test_cache_key_changes_with_inputs_and_tools(
    session: Session, home: Path, tmp_path: Path, change: str
) -> None:
    ruff, counter = counting_ruff(tmp_path)
    cfg = config(ruff_cmd=ruff)
    event = write_event(session)
    lint.scan_file(event, cfg, str(home))
    if change == "file bytes":
        event = write_event(session, content=FIXTURE_01 + "x = 1\n")
    elif change == "ruff binary":
        later = time.time() + 5
        os.utime(ruff, (later, later))
    elif change == "project ruff config":
        (session.project / "ruff.toml").write_text('[lint]\nselect = ["F"]\n')
    else:
        cfg = config(ruff_cmd=ruff, min_rank="B")
    lint.scan_file(event, cfg, str(home))
    assert runs(counter) == 2


@needs_ruff
def test_project_config_is_respected(session: Session, home: Path) -> None:
    (session.project / "ruff.toml").write_text('[lint]\nselect = ["E4", "E7", "E9", "F"]\n')
    result = lint.scan_file(write_event(session), Config(), str(home))
    assert result is not None
    assert [f[0] for f in result["ruff"]] == ["F401"]


def test_radon_only_when_ruff_is_missing(session: Session, home: Path, logfile: Path) -> None:
    event = write_event(session, content=COMPLEX)
    result = lint.scan_file(event, config(ruff_cmd=str(session.project / "no-ruff")), str(home))
    assert result is not None
    assert result["ruff"] is None
    assert [b[0] for b in result["radon"]] == ["tangled"]
    assert "ruff not found" in log_text(logfile)


@posix_only
def test_radon_command_line_fallback(
    session: Session, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not os.access(REAL_RADON, os.X_OK):
        pytest.skip("radon CLI not beside python")
    monkeypatch.setattr(lint, "installed_radon_version", lambda: None)
    event = write_event(session, content=COMPLEX + CLASSY)
    result = lint.scan_file(
        event,
        config(ruff_cmd=str(session.project / "no-ruff"), radon_cmd=REAL_RADON),
        str(home),
    )
    assert result is not None
    assert result["radon"] == linters.radon_blocks(COMPLEX + CLASSY)


# --- prepare: must not scan -----------------------------------------------------------------


def test_neither_tool_available_gives_none(
    session: Session, home: Path, monkeypatch: pytest.MonkeyPatch, logfile: Path
) -> None:
    monkeypatch.setattr(lint, "installed_radon_version", lambda: None)
    missing = str(session.project / "missing")
    event = write_event(session)
    assert lint.scan_file(event, config(ruff_cmd=missing, radon_cmd=missing), str(home)) is None
    assert "neither ruff nor radon" in log_text(logfile)


@pytest.mark.parametrize(
    "case",
    [
        "css file",
        "skip path",
        "too large",
        "directory",
        "fifo",
        "missing file",
        "disabled",
        "failure event",
    ],
)
def test_prepare_gates(session: Session, home: Path, case: str) -> None:
    cfg = Config()
    if case == "css file":
        event = write_event(session, name="style.css", content="a { color: red }\n")
    elif case == "skip path":
        event = write_event(session, name="node_modules/pkg/mod.py")
    elif case == "too large":
        event = write_event(session)
        cfg = config(max_file_bytes=len(FIXTURE_01) - 1)
    elif case == "directory":
        event = write_event(session)
        os.unlink(event.file_path)
        os.mkdir(event.file_path)
    elif case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        event = write_event(session)
        os.unlink(event.file_path)
        os.mkfifo(event.file_path)
    elif case == "missing file":
        event = write_event(session)
        os.unlink(event.file_path)
    elif case == "disabled":
        event = write_event(session)
        cfg = config(enabled=False)
    else:
        event = write_event(
            session, hook_event_name="PostToolUseFailure", error="denied", tool_response=None
        )
    assert lint.scan_file(event, cfg, str(home)) is None


def test_project_under_a_build_folder_is_still_scanned(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "build" / "proj"
    (project / ".git").mkdir(parents=True)
    event = write_event(Session(home, project), content=COMPLEX)
    result = lint.scan_file(event, Config(), str(home))
    assert result is not None and result["radon"]


# --- misbehaving tools ----------------------------------------------------------------------


@posix_only
def test_hanging_ruff_is_killed_at_the_deadline(
    session: Session, home: Path, tmp_path: Path, logfile: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    # The script's child inherits the pipes: killing only the script would leave them open.
    ruff = fake_tool(tmp_path, "ruff-hang", f'sleep 30 &\necho $! > "{pid_file}"\nwait\n')
    event = write_event(session, content=COMPLEX)
    started = time.monotonic()
    result = lint.scan_file(event, config(ruff_cmd=ruff, timeout_s=0.5), str(home))
    elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 1.5
    assert result is not None and result["ruff"] is None and result["radon"]
    assert "ruff timed out after 0.5 s" in log_text(logfile)
    assert not list((home / "cache").glob("lint/*/*.json")), "a timeout must not be cached"
    child = int(pid_file.read_text())
    status = Path(f"/proc/{child}/status")
    if status.parent.parent.exists():
        deadline = time.monotonic() + 2
        while status.exists() and "State:\tZ" not in status.read_text():
            assert time.monotonic() < deadline, "the tool's child process survived"
            time.sleep(0.02)


@posix_only
@pytest.mark.parametrize(
    ("name", "body", "logged"),
    [
        ("garbage", "echo 'this is not json'\nexit 1\n", "unparsable JSON"),
        ("object", "echo '{\"a\": 1}'\nexit 0\n", "unparsable JSON"),
        ("exit-2", "echo 'ruff failed: bad config' >&2\nexit 2\n", "exited 2"),
        (
            "io-error",
            'echo \'[{"code": "E902", "location": {"row": 1}, "message": "x"}]\'\nexit 1\n',
            "could not read",
        ),
    ],
)
def test_broken_ruff_output_is_skipped_and_logged(
    session: Session,
    home: Path,
    tmp_path: Path,
    logfile: Path,
    name: str,
    body: str,
    logged: str,
) -> None:
    ruff = fake_tool(tmp_path, f"ruff-{name}", body)
    event = write_event(session, content=COMPLEX)
    result = lint.scan_file(event, config(ruff_cmd=ruff), str(home))
    assert result is not None and result["ruff"] is None and result["radon"]
    assert logged in log_text(logfile)
    assert not list((home / "cache").glob("lint/*/*.json"))


def test_radon_on_a_syntax_error_is_skipped(session: Session, home: Path) -> None:
    event = write_event(session, content="def f(:\n    pass\n")
    result = lint.scan_file(event, config(ruff_cmd=str(session.project / "none")), str(home))
    assert result is None  # ruff missing and radon cannot parse: no tool could run


# --- parsing --------------------------------------------------------------------------------


def ruff_item(code: str | None, row: int, message: str, fix: Any = None) -> dict[str, Any]:
    return {"code": code, "location": {"row": row, "column": 1}, "message": message, "fix": fix}


def test_parse_ruff_shapes() -> None:
    items = [
        ruff_item("F401", 1, "`os` imported but unused", {"applicability": "safe"}),
        ruff_item("B006", 3, "Do not use mutable data structures", {"applicability": "unsafe"}),
        ruff_item(None, 4, "Expected an expression"),
        ruff_item("invalid-syntax", 5, "Expected `)`,\n found newline"),
        ruff_item("E711", 6, "Comparison to `None`", {"applicability": "display-only"}),
        ruff_item("E712", 7, "old ruff without applicability", {"edits": []}),
    ]
    assert linters.parse_ruff(json.dumps(items).encode()) == [
        ["F401", 1, "`os` imported but unused", True],
        ["B006", 3, "Do not use mutable data structures", False],
        ["syntax", 4, "Expected an expression", False],
        ["syntax", 5, "Expected `)`, found newline", False],
        ["E711", 6, "Comparison to `None`", False],
        ["E712", 7, "old ruff without applicability", True],
    ]


@pytest.mark.parametrize("out", [b"", b"nope", b"{}", b'"[]"'])
def test_parse_ruff_rejects_what_ruff_does_not_print(out: bytes) -> None:
    assert linters.parse_ruff(out) is None


def test_parse_ruff_keeps_fifty_with_severe_ones_first() -> None:
    items = [ruff_item("E501", row, "long line") for row in range(1, 80)]
    items.append(ruff_item("F821", 200, "Undefined name `x`"))
    kept = linters.parse_ruff(json.dumps(items).encode())
    assert kept is not None and len(kept) == cache.MAX_KEPT
    assert kept[-1][:2] == ["F821", 200]
    assert [f[1] for f in kept] == sorted(f[1] for f in kept)


def test_radon_blocks_functions_and_methods_of_rank_c_or_worse() -> None:
    blocks = linters.radon_blocks(COMPLEX + CLASSY + "def simple():\n    return 1\n")
    names = [(b[0], b[1]) for b in blocks]
    assert names == [("tangled", "C"), ("Box.pick", "C")]
    tangled = blocks[0]
    assert tangled[2] == 1 and tangled[3] == COMPLEX.count("\n")
    assert tangled[4] == 13  # 1 + 6 ifs + 6 `or`s
    assert [b[0] for b in linters.radon_blocks(COMPLEX, "D")] == []


def test_parse_radon_json() -> None:
    out = {
        "x.py": [
            {
                "type": "method",
                "rank": "D",
                "name": "pick",
                "classname": "Box",
                "lineno": 2,
                "endline": 30,
                "complexity": 22,
            },
            {
                "type": "class",
                "rank": "C",
                "name": "Box",
                "lineno": 1,
                "endline": 30,
                "complexity": 11,
            },
            {
                "type": "function",
                "rank": "B",
                "name": "easy",
                "lineno": 40,
                "endline": 44,
                "complexity": 6,
            },
        ]
    }
    assert linters.parse_radon_json(json.dumps(out).encode(), "C") == [["Box.pick", "D", 2, 30, 22]]
    assert linters.parse_radon_json(b'{"x.py": {"error": "invalid syntax"}}') == []
    assert linters.parse_radon_json(b"[]") is None


# --- tools ----------------------------------------------------------------------------------


def test_default_ruff_is_the_one_beside_the_interpreter() -> None:
    if not os.access(REAL_RUFF, os.X_OK):
        pytest.skip("ruff not beside python")
    assert cache.resolve_ruff("") == REAL_RUFF


@posix_only
def test_ruff_falls_back_to_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = fake_tool(bindir, "ruff", "exit 0\n")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setenv("PATH", str(bindir))
    assert cache.resolve_ruff("") == fake
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cache.resolve_ruff("") is None


# --- the cache and its sweep ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b'{"v": 99, "ruff": [], "radon": []}',
        b'{"v": 1, "ruff": [["F401", "1", "m", true]], "radon": []}',
        b'{"v": 1, "ruff": [], "radon": [["f", "C", 1, 2]]}',
    ],
)
def test_unusable_cache_entries_are_misses(home: Path, content: bytes) -> None:
    key = "ab" + "0" * 62
    path = Path(cache.cache_path(str(home), key))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert cache.cache_read(str(home), key) is None


def test_cache_round_trip(home: Path) -> None:
    key = "cd" + "1" * 62
    ruff = [["F401", 1, "`os` imported but unused", True]]
    radon = [["f", "C", 1, 9, 12]]
    cache.cache_write(str(home), key, ruff, radon)
    cache.cache_write(str(home), key, [], [])  # written once: a second write changes nothing
    assert cache.cache_read(str(home), key) == (ruff, radon)


def test_prune_lint_cache_by_age_then_count(home: Path) -> None:
    now = START
    root = Path(cache.lint_cache_dir(str(home)))

    def entry(name: str, age_days: float, suffix: str = ".json") -> Path:
        path = root / name[:2] / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        stamp = now - age_days * 86400
        os.utime(path, (stamp, stamp))
        return path

    old = [entry(f"a{i}" + "0" * 62, 8 + i) for i in range(3)]
    young = [entry(f"b{i}" + "0" * 62, 1 + i / 10) for i in range(5)]
    stale_tmp = entry("c0xx", 1, ".tmp")
    fresh_tmp = entry("c1xx", 0.001, ".tmp")
    removed = cache.prune_lint_cache(str(home), now, max_age_days=7, max_files=3)
    assert removed == 3 + 2
    assert not any(p.exists() for p in old)
    assert [p.exists() for p in young] == [True, True, True, False, False]  # oldest go first
    assert not stale_tmp.exists() and fresh_tmp.exists()
    assert not (root / "a0").exists(), "an emptied shard is removed"
    assert cache.prune_lint_cache(str(home), now) == 0


def test_prune_without_a_cache(home: Path) -> None:
    assert cache.prune_lint_cache(str(home), START) == 0


def test_has_ruff_config_only_counts_real_ruff_configuration(tmp_path: Path) -> None:
    from posttool.lib.lint.linters import has_ruff_config

    pkg = tmp_path / "proj" / "pkg"
    pkg.mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert not has_ruff_config(str(pkg))
    (tmp_path / "proj" / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["F"]\n')
    assert has_ruff_config(str(pkg))


def test_a_write_enforces_the_cap_at_once(home: Path) -> None:
    """The daily sweep alone let the cache grow far past its cap within a day."""
    import time

    root = Path(cache.lint_cache_dir(str(home)))
    keys = [f"{i:02x}" + "e" * 62 for i in range(8)]
    for i, key in enumerate(keys[:6]):  # keys[0] the oldest
        cache.cache_write(str(home), key, [], [])
        stamp = time.time() - 3600 + i * 60
        os.utime(cache.cache_path(str(home), key), (stamp, stamp))
    for key in keys[6:]:
        cache.cache_write(str(home), key, [], [], max_files=5)
    left = sorted(p.stem for p in root.glob("*/*.json"))
    assert left == keys[3:]
