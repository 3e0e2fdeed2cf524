"""The small launcher `posttool install` writes into posttool's home, and the hook command that
starts it: `<venv python> -I -S <home>/launch/posttool-<id>.py run --home <home>`.

Measured against the alternatives on a Read (interleaved runs, medians, ratio to
`python -I -S -c pass`): pip's console-script wrapper 2.69× (it imports `re`), `python -P -m`
2.40×, `python -I -m` 2.54× (runpy), this launcher with `-I` 2.06× and with `-I -S` 1.98×.
`-S` skips the `site` module (and every `.pth` file it would execute), so the launcher puts
the folders `site` would have added on `sys.path` itself. `-I` also makes the interpreter ignore
PYTHON* variables: PYTHONDONTWRITEBYTECODE cannot make every call recompile posttool, and
PYTHONPATH cannot shadow it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from posttool.lib.text import h

FOLDER = "launch"
FLAGS = ("-I", "-S")
PATH_PROBE = "import sys; print(repr(sys.path))"

TEMPLATE = """\
# Written by `posttool install` for {python}.
# The hook command runs this file with `-I -S`: no `site` module, so the folders it would
# have added are listed here. `posttool install` rewrites it; do not edit.
import sys

sys.path.extend({paths!r})
try:
    from posttool.__main__ import entry
except ImportError as exc:  # posttool was removed from this interpreter: answer, never break
    try:
        with open({log!r}, "a", encoding="utf-8") as log:
            log.write(f"launcher: cannot import posttool ({{exc}}); run `posttool install`\\n")
    except OSError:
        pass
    sys.stdout.write("{{}}\\n")
else:
    entry()
"""


def launcher_path(home: str, python: str) -> str:
    """One launcher per interpreter, so two installs from two venvs sharing a home keep theirs."""
    return os.path.join(home, FOLDER, f"posttool-{h(os.path.abspath(python))[:10]}.py")


def site_paths(python: str) -> list[str]:
    """The folders `site` adds for `python -I` (site-packages and `.pth` entries), in order."""
    with_site = _sys_path(python, ["-I"])
    without = set(_sys_path(python, ["-I", "-S"]))
    return [entry for entry in with_site if entry not in without]


def _sys_path(python: str, flags: list[str]) -> list[str]:
    done = subprocess.run(
        [python, *flags, "-c", PATH_PROBE], capture_output=True, timeout=30, check=True
    )
    value = ast.literal_eval(done.stdout.decode("utf-8", "replace").strip())
    return [str(entry) for entry in value]


def package_root() -> str:
    """The folder that holds the `posttool` package (a checkout for an editable install)."""
    import posttool

    return os.path.dirname(os.path.dirname(os.path.abspath(posttool.__file__)))


def launcher_text(python: str, paths: list[str], home: str) -> str:
    return TEMPLATE.format(python=python, paths=paths, log=os.path.join(home, "posttool.log"))


def write_launcher(home: str, python: str | None = None) -> str:
    """Write (or rewrite) the launcher of `python`; returns its path."""
    from posttool.lib.paths import ensure_private_dir
    from posttool.lib.store import write_atomic

    python = python or sys.executable
    paths = site_paths(python)
    root = package_root()
    if root not in paths:
        paths.append(root)
    path = launcher_path(home, python)
    ensure_private_dir(os.path.dirname(path))
    text = launcher_text(python, paths, home)
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return path
    except OSError:
        pass
    write_atomic(path, text.encode("utf-8"))
    return path


def prefix(python: str, launcher: str) -> list[str]:
    return [python, *FLAGS, launcher]


def is_launcher_file(word: str) -> bool:
    """`.../launch/posttool-<id>.py`: a script of the user's own is never taken for posttool's."""
    folder, name = os.path.split(word)
    return (
        os.path.basename(folder) == FOLDER and name.startswith("posttool-") and name.endswith(".py")
    )
