"""load_config reuses its last parse of config.json only while the file is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from posttool.lib.config import ConfigError, load_config


def write(home: Path, tree: object) -> None:
    (home / "config.json").write_text(json.dumps(tree))


def test_an_unchanged_file_is_parsed_once(tmp_path: Path) -> None:
    write(tmp_path, {"read_cacher": {"min_lines": 7}, "disable": ["auto_learn"]})
    first = load_config(str(tmp_path), {})
    second = load_config(str(tmp_path), {"POSTTOOL_DISABLE": "velocity_tracker"})
    assert second.values is first.values
    assert second.values["read_cacher.min_lines"] == 7
    assert second.disabled == {"auto_learn", "velocity_tracker"}
    assert first.disabled == {"auto_learn"}


def test_a_rewrite_of_the_same_size_and_mtime_is_seen(tmp_path: Path) -> None:
    write(tmp_path, {"read_cacher": {"min_lines": 7}})
    info = (tmp_path / "config.json").stat()
    assert load_config(str(tmp_path), {}).values["read_cacher.min_lines"] == 7
    write(tmp_path, {"read_cacher": {"min_lines": 8}})
    os.utime(tmp_path / "config.json", ns=(info.st_atime_ns, info.st_mtime_ns))
    assert load_config(str(tmp_path), {}).values["read_cacher.min_lines"] == 8


def test_a_file_replaced_by_rename_is_seen(tmp_path: Path) -> None:
    write(tmp_path, {"metrics": {"enabled": True}})
    assert load_config(str(tmp_path), {}).get("metrics.enabled") is True
    (tmp_path / "new.json").write_text(json.dumps({"metrics": {"enabled": False}}))
    os.replace(tmp_path / "new.json", tmp_path / "config.json")
    assert load_config(str(tmp_path), {}).get("metrics.enabled") is False


def test_a_file_broken_after_a_good_parse_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"metrics": {"enabled": True}})
    load_config(str(tmp_path), {})
    (tmp_path / "config.json").write_text('{"metrics": ')
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {})
    (tmp_path / "config.json").unlink()
    assert load_config(str(tmp_path), {}).values == {}
