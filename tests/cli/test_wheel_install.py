"""The install a user actually does: the built wheel in a fresh venv with the stock pip, then
`posttool install` from that venv's console script. The hook command it writes must import
neither `re` nor `json` on a Read, even with PYTHONDONTWRITEBYTECODE=1, and doctor must flag
the venv once its bytecode is removed.

Offline where it can be: the wheel is built with `--no-build-isolation` when hatchling is in
the test environment (the `test` extra installs it), and installed with `--no-deps --no-index`;
the dependencies come from this test environment's site-packages through a `.pth` file.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from posttool.cli import settings as claude_settings
from tests.cli.claude_fake import NEW, put_claude_on_path

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
HOT_PATH_FORBIDDEN = {"re", "json"}


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(args, capture_output=True, check=False, **kwargs)
    assert done.returncode == 0, (args, done.stderr.decode()[-2000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("src") / "posttool"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", ".*cache*", ".hypothesis", ".demo-home", "dist", "build"
        ),
    )
    flags = ["--no-build-isolation"] if _has_hatchling() else []  # else pip fetches hatchling
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", *flags, "-w", str(out), str(source)])
    (found,) = out.glob("posttool-*.whl")
    return found


def _has_hatchling() -> bool:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the stock pip (`python -m venv`), the wheel installed by that pip."""
    folder = tmp_path_factory.mktemp("venv") / "v"
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(folder)])
    python = folder / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    deps = Path(site.stdout.decode().strip()) / "_test_deps.pth"
    deps.write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)])
    return folder


def package_dir(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages/posttool")
    return found


def installed_command(venv: Path, home: Path, cwd: Path) -> str:
    run([str(venv / "bin" / "posttool"), "install", "--home", str(home)], cwd=cwd)
    settings = Path(os.environ["HOME"]) / ".claude" / "settings.json"
    entries = claude_settings.find(json.loads(settings.read_text()))
    assert [event for event, _ in entries] == list(claude_settings.EVENTS)
    return entries[0][1]["command"]


def imported_modules(importtime_stderr: str) -> set[str]:
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_the_written_command_imports_neither_re_nor_json_on_a_read(
    venv: Path, home: Path, session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "claude-bin", monkeypatch, NEW)
    command = installed_command(venv, home, tmp_path)
    words = shlex.split(command)
    assert words[0] == str(venv / "bin" / "python")
    assert "import re" in (venv / "bin" / "posttool").read_text()  # the stock wrapper is unused
    (home / ".last-sweep").touch()  # the daily sweep is not part of the per-call path
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    event = json.dumps(session.event("02")).encode()
    done = run([words[0], "-X", "importtime", *words[1:]], input=event, env=env)
    modules = imported_modules(done.stderr.decode())
    assert "posttool.runner.run" in modules  # the probe saw posttool's own imports
    assert not modules & HOT_PATH_FORBIDDEN, sorted(modules & HOT_PATH_FORBIDDEN)
    assert not any(name.startswith("posttool") and "cli" in name for name in modules)
    assert isinstance(json.loads(done.stdout), dict)


def test_install_compiles_the_bytecode_and_doctor_flags_it_removed(
    venv: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_claude_on_path(tmp_path / "claude-bin", monkeypatch, NEW)
    package = package_dir(venv)
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache)
    installed_command(venv, home, tmp_path)
    assert list(package.rglob("*.pyc"))  # install compiled what was missing
    doctor = [str(venv / "bin" / "posttool"), "doctor", "--json", "--home", str(home)]
    report = json.loads(subprocess.run(doctor, capture_output=True, cwd=tmp_path).stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert checks["bytecode"]["status"] == "ok"

    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    report = json.loads(subprocess.run(doctor, capture_output=True, cwd=tmp_path, env=env).stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert checks["bytecode"]["status"] == "warn"
    modules = len(list(package.rglob("*.py")))
    assert f"{modules} of {modules} module(s)" in checks["bytecode"]["detail"]  # looking wrote none
    assert "compileall" in checks["bytecode"]["fix"]
    assert checks["answers"]["status"] in ("ok", "warn")
