"""The `posttool run` finder loads a module only from bytecode that matches its source."""

from __future__ import annotations

import importlib.util
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from posttool.lib.fast.importer import BytecodeLoader, PosttoolFinder


def make_package(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / "posttool" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        py_compile.compile(str(path), cfile=importlib.util.cache_from_source(str(path)))


def load(spec: object) -> object:
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[attr-defined]
    return module


def test_a_module_with_fresh_bytecode_is_loaded_from_it(tmp_path: Path) -> None:
    make_package(tmp_path, {"__init__.py": "", "mod.py": "VALUE = 41 + 1\n"})
    spec = PosttoolFinder(str(tmp_path)).find_spec("posttool.mod")
    assert spec is not None and isinstance(spec.loader, BytecodeLoader)
    assert spec.origin == str(tmp_path / "posttool" / "mod.py")
    assert spec.cached == importlib.util.cache_from_source(spec.origin)
    module = load(spec)
    assert module.VALUE == 42  # type: ignore[attr-defined]
    assert module.__file__ == spec.origin  # type: ignore[attr-defined]


def test_a_package_is_found_before_a_module_of_the_same_name(tmp_path: Path) -> None:
    make_package(tmp_path, {"__init__.py": "", "sub/__init__.py": "KIND = 'package'\n"})
    make_package(tmp_path, {"sub.py": "KIND = 'module'\n"})
    spec = PosttoolFinder(str(tmp_path)).find_spec("posttool.sub")
    assert spec is not None
    assert spec.submodule_search_locations == [str(tmp_path / "posttool" / "sub")]
    assert load(spec).KIND == "package"  # type: ignore[attr-defined]


def test_stale_bytecode_goes_the_standard_way(tmp_path: Path) -> None:
    make_package(tmp_path, {"__init__.py": "", "mod.py": "VALUE = 1\n"})
    source = tmp_path / "posttool" / "mod.py"
    source.write_text("VALUE = 2  # edited after compiling\n")
    assert PosttoolFinder(str(tmp_path)).find_spec("posttool.mod") is None
    stat = source.stat()  # same size, another mtime
    source.write_text("VALUE = 1\n")
    os.utime(source, (stat.st_atime, stat.st_mtime + 5))
    assert PosttoolFinder(str(tmp_path)).find_spec("posttool.mod") is None


def test_missing_or_hash_based_bytecode_goes_the_standard_way(tmp_path: Path) -> None:
    (tmp_path / "posttool").mkdir()
    (tmp_path / "posttool" / "plain.py").write_text("X = 1\n")
    assert PosttoolFinder(str(tmp_path)).find_spec("posttool.plain") is None
    path = tmp_path / "posttool" / "hashed.py"
    path.write_text("X = 1\n")
    py_compile.compile(
        str(path),
        cfile=importlib.util.cache_from_source(str(path)),
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    assert PosttoolFinder(str(tmp_path)).find_spec("posttool.hashed") is None


@pytest.mark.parametrize("name", ["json", "posttool", "posttoolish.mod", "posttool.missing"])
def test_other_names_are_left_alone(tmp_path: Path, name: str) -> None:
    make_package(tmp_path, {"__init__.py": ""})
    assert PosttoolFinder(str(tmp_path)).find_spec(name) is None


def test_run_loads_its_modules_through_the_finder(tmp_path: Path) -> None:
    """In a real `posttool run`, the hot path's modules come from the finder (bytecode is
    compiled first, as install and `make bench` do)."""
    package = Path(__file__).resolve().parents[3] / "posttool"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    probe = (
        "import sys; sys.argv[1:] = ['run', '--home', sys.argv[1]]\n"
        "from posttool.__main__ import main\n"
        "main()\n"
        "mods = [m for n, m in sys.modules.items() if n.startswith('posttool.runner.')]\n"
        "print(sorted(type(m.__loader__).__name__ for m in mods))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "home")],
        input=b"{}",
        capture_output=True,
        check=True,
    ).stdout.decode()
    answer, loaders = out.splitlines()
    assert answer == "{}"
    assert "BytecodeLoader" in loaders and "SourceFileLoader" not in loaders
