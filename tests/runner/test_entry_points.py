"""Packages advertising the `posttool.hooks` entry-point group are plug-ins; the scan is cached
and redone only when a folder of sys.path changes."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path

import pytest

from posttool.runner import registry
from tests.conftest import Session

ENTRY_POINTS = "[console_scripts]\nx = y:z\n\n[posttool.hooks]\nshout = shout_hooks\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    dist = folder / "shout_hooks-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-hooks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    (folder / "shout_hooks.py").write_text(
        "from posttool.api import hook, Message\n"
        "@hook('shout', matcher='Read', priority=3)\n"
        "def shout(event, state):\n"
        "    return Message('installed plug-in saw ' + event.tool_name)\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_scan_finds_what_importlib_metadata_finds(site: Path) -> None:
    ours = registry.scan_entry_points([str(site)])
    theirs = importlib.metadata.entry_points(group="posttool.hooks")
    assert ours == [("shout-hooks", "shout_hooks")]
    assert [(ep.dist.name, ep.value) for ep in theirs if ep.dist.name == "shout-hooks"] == [
        ("shout-hooks", "shout_hooks")
    ]


def test_installed_plugin_runs_and_the_cache_follows_sys_path(
    site: Path, session: Session, home: Path
) -> None:
    assert "[shout] installed plug-in saw Read" in session.send("02")
    cache = json.loads((home / registry.ENTRY_POINTS_CACHE).read_text())
    assert cache["entries"] == [["shout-hooks", "shout_hooks"]]
    (site / "shout_hooks-1.0.dist-info" / "entry_points.txt").unlink()
    os.utime(site, ns=(0, 0))  # the folder changed (as an uninstall changes it)
    assert "[shout]" not in session.send("02")
    assert json.loads((home / registry.ENTRY_POINTS_CACHE).read_text())["entries"] == []


def test_no_entry_points_means_no_user_hooks(home: Path, session: Session) -> None:
    session.send("02")
    from posttool.runner.run import read_config

    assert not registry.wants_user_hooks(read_config(str(home), None), str(home))
