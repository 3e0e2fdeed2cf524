"""Starting a tool without `subprocess`: output, exit code, cwd, deadline, process group."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from posttool.lib.fast.spawn import collect, start

PY = sys.executable


def test_collects_stdout_stderr_and_exit_code(tmp_path: Path) -> None:
    code = "import os, sys; print(os.getcwd()); print('oops', file=sys.stderr); sys.exit(1)"
    child = start([PY, "-c", code], str(tmp_path))
    result = collect(child, time.monotonic() + 10)
    assert result is not None
    exit_code, out, err = result
    assert exit_code == 1
    assert out.decode().strip() == str(tmp_path.resolve())
    assert err.decode().strip() == "oops"


def test_stdin_is_empty_and_our_cwd_is_restored(tmp_path: Path) -> None:
    before = os.getcwd()
    child = start([PY, "-c", "import sys; print(repr(sys.stdin.read()))"], str(tmp_path))
    result = collect(child, time.monotonic() + 10)
    assert result is not None and result[1].decode().strip() == "''"
    assert os.getcwd() == before


def test_large_output_does_not_deadlock(tmp_path: Path) -> None:
    child = start([PY, "-c", "import sys; sys.stdout.write('x' * 3_000_000)"], str(tmp_path))
    result = collect(child, time.monotonic() + 20)
    assert result is not None and len(result[1]) == 3_000_000


def test_deadline_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild-alive"
    wrapper = tmp_path / "wrapper.py"
    late = f"import time; time.sleep(1.5); open({str(marker)!r}, 'w').close()"
    wrapper.write_text(
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {late!r}])\n"
        "time.sleep(30)\n"
    )
    child = start([PY, str(wrapper)], str(tmp_path))
    started = time.monotonic()
    assert collect(child, started + 0.5) is None
    assert time.monotonic() - started < 5
    time.sleep(2)
    assert not marker.exists()  # the grandchild was in the killed group too
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # already reaped


def test_missing_executable_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        start([str(tmp_path / "no-such-tool"), "check"], str(tmp_path))


def test_with_other_threads_running_the_working_folder_is_never_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`posttool serve` lints from request threads: changing the process's working folder
    around posix_spawn would move every other thread's too."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()

    def no_chdir(path: object) -> None:
        raise AssertionError("the process's working folder was changed")

    monkeypatch.setattr(os, "chdir", no_chdir)
    try:
        child = start([PY, "-c", "import os; print(os.getcwd())"], str(tmp_path))
        result = collect(child, time.monotonic() + 30)
    finally:
        stop.set()
        other.join()
    assert result is not None
    assert result[1].decode().strip() == str(tmp_path.resolve())
