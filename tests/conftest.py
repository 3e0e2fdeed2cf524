"""Shared test fixtures. Tests never touch the real home directory: every test gets a temporary
posttool home (POSTTOOL_HOME) and a temporary project with a `.git` folder, and the real
fixture payloads are rewritten to point into that project."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from posttool.cli.bench import rewrite
from posttool.runner.registry import load_registry

# The built-in hooks declare their config keys when their modules are imported, as `run` does
# before any hook or `prepare` reads one; lib tests that build a Config directly rely on it.
load_registry()

# No wall-clock deadlines: many examples start real processes or touch files, and on a loaded
# two-core CI machine a slow example is noise, not a failure (speed is the bench's business).
settings.register_profile("posttool", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("posttool")

FIXTURES = Path(__file__).parent / "fixtures"
START = 1_800_000_000.0  # a fixed clock; sessions advance it by 1 s per event unless told
_ids = itertools.count(1)


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    if not name.endswith(".json"):
        matches = [n for n in fixture_names() if n.startswith(name)]
        assert len(matches) == 1, f"fixture {name!r} matches {matches}"
        name = matches[0]
    return json.loads((FIXTURES / name).read_text())


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `changes` into a copy of `base`; a value of None deletes the key."""
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class Session:
    """Drives the real in-process pipeline (`posttool.runner.run.handle`) for one session."""

    def __init__(self, home: Path, project: Path, session_id: str = "sess-test-1") -> None:
        self.home = home
        self.project = project
        self.session_id = session_id
        self.now = START
        self.answers: list[dict[str, Any]] = []

    def event(self, fixture: str | dict[str, Any], **changes: Any) -> dict[str, Any]:
        """A fixture (by name or number prefix, e.g. "06") rewritten into this project, with a
        fresh tool_use_id and this session's id; `changes` are deep-merged on top."""
        raw = load_fixture(fixture) if isinstance(fixture, str) else fixture
        raw = rewrite(raw, str(self.project), str(self.project.parent))
        raw["session_id"] = self.session_id
        raw["tool_use_id"] = f"toolu_test_{next(_ids)}"
        return merge(raw, changes)

    def send(
        self, fixture: str | dict[str, Any], *, now: float | None = None, **changes: Any
    ) -> str:
        """Run one event; return the additionalContext the model would read ('' for `{}`)."""
        raw = self.event(fixture, **changes) if changes or isinstance(fixture, str) else fixture
        return self.send_raw(json.dumps(raw).encode(), now=now)

    def play(self, steps: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Send `(fixture, changes)` steps in order; the context the model read after each."""
        return [self.send(fixture, **changes) for fixture, changes in steps]

    def send_raw(self, data: bytes, *, now: float | None = None) -> str:
        from posttool.runner.run import handle

        self.now = self.now + 1.0 if now is None else now
        out = handle(data, home=str(self.home), now=self.now)
        answer = json.loads(out) if out else {}
        self.answers.append(answer)
        return answer.get("hookSpecificOutput", {}).get("additionalContext", "")

    def doc(self) -> dict[str, Any]:
        from posttool.lib.paths import session_key

        path = self.home / "sessions" / f"{session_key(self.session_id)}.json"
        return json.loads(path.read_text())

    def store(self, name: str) -> dict[str, Any]:
        from posttool.lib.paths import project_key

        path = self.home / "projects" / project_key(str(self.project)) / f"{name}.json"
        if not path.exists():
            return {}
        return json.loads(path.read_text())["entries"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the real home, the user's config or a stray CLAUDE_PROJECT_DIR."""
    fake_home = tmp_path / "user-home"
    fake_home.mkdir()
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.setenv("XDG_DATA_HOME", str(fake_home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(fake_home / ".config"))
    for var in ("POSTTOOL_HOME", "POSTTOOL_DISABLE", "CLAUDE_PROJECT_DIR", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def declared_keys() -> Iterator[None]:
    """Hooks declare their config keys when they are imported or registered; a test's plug-in
    that replaces a built-in must not leave its declarations behind for the next test."""
    from posttool.lib.config import DECLARED, DECLARED_BY
    from posttool.runner.registry import load_registry

    load_registry()  # every built-in declared before the snapshot: modules import only once
    saved, owners = dict(DECLARED), dict(DECLARED_BY)
    yield
    DECLARED.clear()
    DECLARED.update(saved)
    DECLARED_BY.clear()
    DECLARED_BY.update(owners)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "posttool-home"
    monkeypatch.setenv("POSTTOOL_HOME", str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "proj"
    (path / ".git").mkdir(parents=True)
    return path


@pytest.fixture
def session(home: Path, project: Path) -> Session:
    return Session(home, project)


@pytest.fixture
def make_session(home: Path, project: Path) -> Any:
    """Factory for more sessions in the same home and project (e.g. cross-session stores)."""
    return lambda session_id: Session(home, project, session_id)


def write_config(home: Path, values: dict[str, Any]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps(values))


def run_cli(
    *args: str,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """`python -m posttool ARGS` as a real subprocess, with the current environment + `env`,
    in `cwd` (default: this process's working directory)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "posttool", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
