"""The `posttool run` hot path imports only what the event needs (see DESIGN.md)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Session

FORBIDDEN = {
    "orjson",
    "platformdirs",
    "radon",
    "ast",
    "subprocess",
    "argparse",
    "typing",
    "dataclasses",
    "logging",
    "pathlib",
    "tempfile",
    "hashlib",
    "shutil",
    "datetime",
    "inspect",
    "posttool.lib.lint",
    "posttool.cli.cli",
}
# Not even `re` and `json` (≈10 ms together): posttool parses with `_json` directly and imports
# `re` only when a hook actually runs a regex, which a Read or a plain Bash success never needs.
NOT_ON_PLAIN_EVENTS = {"re", "json", "enum", "functools", "collections"}
# All that posttool's own code may add to a bare interpreter for such an event.
# `gc` is compiled into the interpreter (no file to find): `run` turns the collector off.
ALLOWED_EXTRA_STDLIB = {"__future__", "_json", "_sha256", "fcntl", "gc"}

PROBE = """
import sys
home, out_path = sys.argv[1], sys.argv[2]
sys.argv[1:] = ["run", "--home", home]
from posttool.__main__ import main
main()
with open(out_path, "w") as out:
    out.write(repr(sorted(sys.modules)))
"""
BASELINE = "import sys; open(sys.argv[1], 'w').write(repr(sorted(sys.modules)))"


def modules_for(event: dict, home: Path, tmp: Path) -> set[str]:
    out = tmp / "modules.json"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".last-sweep").touch()  # the daily sweep is not part of the per-call path
    subprocess.run(
        [sys.executable, "-c", PROBE, str(home), str(out)],
        input=json.dumps(event).encode(),
        capture_output=True,
        check=True,
    )
    return set(ast.literal_eval(out.read_text()))


def baseline(tmp: Path) -> set[str]:
    out = tmp / "baseline.json"
    subprocess.run([sys.executable, "-c", BASELINE, str(out)], check=True)
    return set(ast.literal_eval(out.read_text()))


def test_read_event_imports(session: Session, tmp_path: Path) -> None:
    modules = modules_for(session.event("02"), session.home, tmp_path)
    assert not modules & FORBIDDEN, sorted(modules & FORBIDDEN)
    ours = {m for m in modules if m.split(".")[0] == "posttool"}
    assert ours == {
        "posttool",
        "posttool.api",
        "posttool.hooks",
        "posttool.hooks.auto_learn",
        "posttool.hooks.cache",
        "posttool.hooks.confidence",
        "posttool.hooks.state",
        "posttool.hooks.suggestions",
        "posttool.hooks.tracking",
        "posttool.lib",
        "posttool.lib.confidence",
        "posttool.lib.config",
        "posttool.lib.event",
        "posttool.lib.fast",
        "posttool.lib.fast.importer",
        "posttool.lib.fast.jsonfast",
        "posttool.lib.fast.lazy",
        "posttool.lib.transcript",
        "posttool.lib.log",
        "posttool.lib.message",
        "posttool.lib.outcomes",
        "posttool.lib.paths",
        "posttool.lib.schema",
        "posttool.lib.state",
        "posttool.lib.store",
        "posttool.lib.stores",
        "posttool.lib.text",
        "posttool.runner",
        "posttool.runner.dispatch",
        "posttool.runner.normalise",
        "posttool.__main__",
        "posttool.runner.merge",
        "posttool.runner.registry",
        "posttool.runner.run",
        "posttool.runner.stdio",
    }
    extra = modules - baseline(tmp_path) - ours
    assert extra <= ALLOWED_EXTRA_STDLIB, sorted(extra - ALLOWED_EXTRA_STDLIB)


# Shared libraries hooks may use on a Read event (kept explicit so growth is a reviewed change).
ALLOWED_POSTTOOL_EXTRAS: set[str] = set()


def test_bash_event_does_not_load_lint_or_ast(session: Session, tmp_path: Path) -> None:
    modules = modules_for(session.event("05"), session.home, tmp_path)
    assert not modules & FORBIDDEN, sorted(modules & FORBIDDEN)
    assert "posttool.lib.commands" in modules
    # No hook of these modules matches a Bash call (posttool.hooks.HOOK_MARKS).
    assert not modules & {"posttool.hooks.cache", "posttool.hooks.quality"}
    assert "posttool.hooks.quality_scanner" not in modules
