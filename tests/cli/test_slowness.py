"""What doctor names as the cause of a slow hook command, and the bytecode freshness check."""

from __future__ import annotations

import os
import py_compile
import sys
import time
from pathlib import Path

import pytest

from posttool.cli import bytecode, slowness

TAG = sys.implementation.cache_tag


def package(tmp_path: Path) -> Path:
    folder = tmp_path / "pkg"
    (folder / "sub").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "sub" / "__init__.py").write_text("X = 1\n")
    return folder


def test_missing_then_compiled_then_stale(tmp_path: Path) -> None:
    folder = package(tmp_path)
    assert len(bytecode.stale(str(folder), TAG)) == 2
    assert "compiled 2 module(s)" in bytecode.compile_package(str(folder))
    assert bytecode.stale(str(folder), TAG) == []
    source = folder / "sub" / "__init__.py"
    source.write_text("X = 22\n")
    later = time.time() + 5
    os.utime(source, (later, later))
    assert bytecode.stale(str(folder), TAG) == [str(source)]
    assert "up to date" not in bytecode.compile_package(str(folder))
    assert "up to date" in bytecode.compile_package(str(folder))


def test_compiled_under_source_date_epoch_is_timestamp_based(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    folder = package(tmp_path)
    bytecode.compile_package(str(folder))
    pyc = bytecode.pyc_path(str(folder / "__init__.py"), TAG)
    assert Path(pyc).read_bytes()[4:8] == b"\0\0\0\0"  # flags 0: timestamp


def test_hash_based_bytecode_counts_as_current(tmp_path: Path) -> None:
    folder = package(tmp_path)
    for source in bytecode.sources(str(folder)):
        py_compile.compile(
            source, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH, doraise=True
        )
    assert bytecode.stale(str(folder), TAG) == []


def test_a_read_only_tree_is_not_compiled_and_says_so(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = package(tmp_path)
    for path in (folder, folder / "sub"):
        path.chmod(0o555)
    try:
        assert "not writable" in bytecode.compile_package(str(folder))
    finally:
        for path in (folder, folder / "sub"):
            path.chmod(0o755)


@pytest.mark.parametrize(
    ("prefix", "isolated", "no_site"),
    [
        (["/v/python", "-I", "-S", "/h/posttool-x.py"], True, True),
        (["/v/python", "-IS", "/h/posttool-x.py"], True, True),
        (["/v/python", "-E", "-m", "posttool"], True, False),
        (["/v/python", "-P", "-m", "posttool"], False, False),
        (["/v/bin/posttool"], False, False),
    ],
)
def test_flags(prefix: list[str], isolated: bool, no_site: bool) -> None:
    assert slowness.isolated(prefix) is isolated
    assert slowness.skips_site(prefix) is no_site


def test_the_stock_wrapper_is_named_with_its_import(tmp_path: Path) -> None:
    script = tmp_path / "posttool"
    script.write_text(f"#!{sys.executable}\nimport re\nimport sys\n")
    cause = slowness.wrapper_cause([str(script)])
    assert cause and "imports `re`" in cause
    assert slowness.wrapper_cause([sys.executable, "-I", "-S", "x.py"]) is None


def test_many_or_code_running_pth_files_are_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    found = slowness.Interpreter(None, TAG, [str(site)])
    (site / "a.pth").write_text("/some/path\n")
    assert slowness.pth_cause(found) is None
    (site / "distutils-precedence.pth").write_text("import os; x = 1\n")
    assert "1 of which run code" in (slowness.pth_cause(found) or "")
    for n in range(slowness.MANY_PTH):
        (site / f"p{n}.pth").write_text("/x\n")
    assert f"reads {slowness.MANY_PTH + 2} .pth" in (slowness.pth_cause(found) or "")


def test_causes_of_a_console_script_under_pythondontwritebytecode(tmp_path: Path) -> None:
    script = tmp_path / "posttool"
    script.write_text(f"#!{sys.executable}\nimport re\n")
    found = slowness.Interpreter(None, TAG, [])
    seen = slowness.causes([str(script)], found, ["m.py"], environ={"PYTHONDONTWRITEBYTECODE": "1"})
    assert len(seen) == 3
    assert "wrapper" in seen[0] and "bytecode" in seen[1] and "PYTHONDONTWRITEBYTECODE" in seen[2]
    launcher = [sys.executable, "-I", "-S", "posttool-x.py"]
    assert slowness.causes(launcher, found, [], environ={"PYTHONDONTWRITEBYTECODE": "1"}) == []


def test_probe_finds_posttool_and_the_cache_tag() -> None:
    found = slowness.probe(sys.executable)
    assert found.package and found.package.endswith("posttool")
    assert found.cache_tag == TAG
