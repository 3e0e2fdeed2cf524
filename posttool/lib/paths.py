"""Where posttool keeps its files, and how events map to projects and sessions."""

from __future__ import annotations

import os

from posttool.lib.text import sha256_hex

HOME_ENV = "POSTTOOL_HOME"
PROJECT_DIR_ENV = "CLAUDE_PROJECT_DIR"
MAX_ROOT_LEVELS = 40
_SESSION_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
ANONYMOUS_SESSION = "_anonymous"
LAST_EVENT_SUFFIX = ".last-event"  # not `.json`: whatever lists sessions by `*.json` skips it


def resolve_home(
    explicit: str | None = None, environ: dict[str, str] | os._Environ[str] | None = None
) -> str:
    """`--home`, else `$POSTTOOL_HOME`, else the platform's user data directory.

    platformdirs costs ~55 module imports, so it is loaded only when no home was given;
    `posttool install` writes the resolved home into the hook command for that reason.
    """
    environ = os.environ if environ is None else environ
    chosen = explicit or environ.get(HOME_ENV)
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    from platformdirs import user_data_dir

    return user_data_dir("posttool", appauthor=False)


def ensure_private_dir(path: str) -> None:
    """Create `path` and any missing parents as 0700; tighten `path` if it already exists.

    `os.makedirs(mode=0o700)` applies the mode to the last folder only, which would leave
    e.g. `<home>/projects` readable by others.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        parent = os.path.dirname(path)
        if parent and parent != path and not os.path.isdir(parent):
            ensure_private_dir(parent)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        mode = os.stat(path).st_mode
    if mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass


def find_program(name: str) -> str | None:
    """The absolute path of the executable `name` found first on PATH, as a shell finds it
    (`shutil.which` for a bare name, without importing shutil on the hook path)."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(folder or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    return None


def sessions_dir(home: str) -> str:
    return os.path.join(home, "sessions")


def last_event_path(home: str, session_key: str) -> str:
    """The raw bytes of the session's last event, kept for `posttool explain --last`."""
    return os.path.join(sessions_dir(home), f"{session_key}{LAST_EVENT_SUFFIX}")


def project_dir(home: str, project_key: str) -> str:
    return os.path.join(home, "projects", project_key)


def lint_cache_dir(home: str) -> str:
    return os.path.join(home, "cache", "lint")


def session_key(session_id: str) -> str:
    if not session_id:
        return ANONYMOUS_SESSION
    if len(session_id) <= 100 and _SESSION_ID_CHARS.issuperset(session_id):
        return session_id
    return sha256_hex(session_id.encode("utf-8", "surrogatepass"))[:32]


def project_root(cwd: str, environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """`$CLAUDE_PROJECT_DIR` when it contains cwd, else the nearest ancestor holding `.git`,
    else cwd."""
    environ = os.environ if environ is None else environ
    declared = environ.get(PROJECT_DIR_ENV)
    if declared:
        declared = os.path.normpath(declared)
        if is_within(cwd, declared):
            return declared
    start = os.path.normpath(cwd)
    return _git_folder(start) or start


def _git_folder(folder: str) -> str | None:
    """The nearest of folder and its ancestors holding `.git`, else None."""
    for _ in range(MAX_ROOT_LEVELS):
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


PROJECT_CONFIG = os.path.join(".claude", "posttool.json")


def find_project_config(cwd: object) -> str | None:
    """`.claude/posttool.json` in cwd or an ancestor up to the git root (the nearest folder
    holding `.git`); outside a git repository, only cwd's own. Two stats for a project whose
    root is cwd: this runs on every call."""
    if not isinstance(cwd, str) or not os.path.isabs(cwd):
        return None
    start = current = os.path.normpath(cwd)
    for _ in range(MAX_ROOT_LEVELS):
        candidate = os.path.join(current, PROJECT_CONFIG)
        if os.path.isfile(candidate):
            return candidate if current == start or _git_folder(current) else None
        if os.path.lexists(os.path.join(current, ".git")):
            return None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def project_key(root: str) -> str:
    real = os.path.normcase(os.path.realpath(root))
    return sha256_hex(real.encode("utf-8", "surrogatepass"))[:16]


def is_within(path: str, root: str) -> bool:
    path = os.path.normpath(path)
    root = os.path.normpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def display_path(path: str, root: str) -> str:
    """Relative to the project root with `/` separators when inside it, else absolute."""
    if is_within(path, root) and os.path.normpath(path) != os.path.normpath(root):
        return os.path.relpath(path, root).replace(os.sep, "/")
    return path


# --- whose folder the home is -----------------------------------------------------------------
# posttool tightens its home to 0700. A `--home` (or POSTTOOL_HOME) naming a folder posttool
# did not create (the user's home, a project) must not be chmod-ed or filled: posttool then
# works in a `posttool/` subfolder of it. A marker file tells the folders posttool created;
# a home created by an older posttool (no marker yet) is known by its layout and adopted.

HOME_MARKER = ".posttool-home"
SUBFOLDER = "posttool"
_LAYOUT = frozenset(
    (
        *("sessions", "projects", "cache", "backups", "launch", "config.json", ".last-sweep"),
        *("server.json", "server.token", ".config-reported", ".config-validated"),
        *(".entry-points.json", ".hooks-reported", ".project-config-reported", "trusted.json"),
    )
)
_LAYOUT_PREFIXES = ("posttool.log", "config.json.", "metrics.jsonl", "server.json.")


class HomeError(Exception):
    """No folder posttool may use was found at or under the given home."""


def settle_home(home: str, create: bool = True) -> str:
    """The folder posttool works in for `home`: itself when posttool created it (or it does not
    exist yet: then it is created, with the marker), else its `posttool/` subfolder."""
    if os.path.exists(os.path.join(home, HOME_MARKER)):
        return home
    chosen = home
    for candidate in (home, os.path.join(home, SUBFOLDER)):
        chosen = candidate
        try:
            names = os.listdir(candidate)
        except FileNotFoundError:
            break  # a new folder: posttool's own
        except NotADirectoryError:
            raise HomeError(f"{candidate} is not a folder") from None
        if HOME_MARKER in names or (names and all(map(_is_posttool_name, names))):
            break  # posttool's, perhaps from before the marker existed
    else:
        raise HomeError(
            f"{home} and {chosen} are folders posttool did not create; give another --home"
        )
    if create:
        ensure_private_dir(chosen)
        _write_marker(chosen)
    return chosen


def _is_posttool_name(name: str) -> bool:
    return name in _LAYOUT or name.startswith(_LAYOUT_PREFIXES)


def _write_marker(folder: str) -> None:
    try:
        fd = os.open(os.path.join(folder, HOME_MARKER), os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    except OSError:
        pass
