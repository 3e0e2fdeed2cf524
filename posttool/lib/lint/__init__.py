"""quality_scanner's lint: ruff and radon on a written file (`linters`), their cache by content
(`cache`), and the report of what an edit introduced (`scan`).

`scan_file` is the prepare step: a cache hit loads `cache` only; a miss adds `linters`.
"""

from __future__ import annotations

import os
import sys

from posttool.lib.lint.cache import (
    HOOK,
    Settings,
    cache_key,
    cache_read,
    cache_write,
    installed_radon_version,
    read_source,
    resolve_executable,
    resolve_ruff,
    tool_identity,
    unchanged_since,
)
from posttool.lib.log import log
from posttool.lib.paths import is_within
from posttool.lib.paths_match import match_path, skip_path_matches
from posttool.lib.text import sha256_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.event import Event
    from posttool.lib.lint.linters import ToolRun


# --- the prepare step ---------------------------------------------------------------------


def extensions(config: Config) -> set[str]:
    listed = config.get(f"{HOOK}.extensions")
    return {str(ext).lower() for ext in listed}


def scan_file(event: Event, config: Config, home: str) -> dict[str, Any] | None:
    """Spec §4.13 `prepare`: the lint result for the written file, or None."""
    path = event.file_path
    if not event.ok or not path or not event.path_key or not config.hook_enabled(HOOK):
        return None
    if event.ext not in extensions(config):
        return None
    # matched like the other quality hooks: on the display path, so only the part inside the
    # project counts (a project living under a folder named `build/` is still scanned)
    if skip_path_matches(config.get("common.skip_path_regex"), match_path(event)):
        return None
    real = file_inside_project(path, event.project_root)
    if real is None:
        log(f"{HOOK}: {event.display_path or path} is not a file inside the project; not linted")
        return None
    path = real
    settings = Settings(config)
    source = read_source(path, settings.max_file_bytes)
    if source is None:
        return None
    data, before = source
    digest = sha256_hex(data)
    ruff = resolve_ruff(settings.ruff_cmd)
    radon_version = installed_radon_version()
    radon_cli = None if radon_version else resolve_executable(settings.radon_cmd)
    if ruff is None:
        log(f"{HOOK}: ruff not found (ruff_cmd={settings.ruff_cmd!r}); skipping ruff")
    if ruff is None and radon_version is None and radon_cli is None:
        log(f"{HOOK}: neither ruff nor radon is available; nothing scanned")
        return None
    cwd = event.project_root if os.path.isdir(event.project_root) else os.path.dirname(path)
    identity = tool_identity(
        ruff, radon_version, radon_cli, settings.min_rank, path, cwd, settings.default_select
    )
    key = cache_key(event.path_key, data, identity)
    hit = cache_read(home, key)
    if hit is not None:
        return {"hash": digest, "ruff": hit[0], "radon": hit[1], "cached": True}
    run = _tool_run(path, cwd, settings, event.display_path or path, config)
    ruff_result, radon_result = run.run(data, ruff, radon_version is not None, radon_cli)
    if ruff_result is None and radon_result is None:
        return None
    if run.cacheable and ruff is not None and unchanged_since(path, before):
        max_files = config.get("stores.lint_cache.max_files")
        run.defer(lambda: cache_write(home, key, ruff_result, radon_result, max_files=max_files))
    result = {"hash": digest, "ruff": ruff_result, "radon": radon_result, "cached": False}
    if run.config_error:
        result["ruff_config_error"] = run.config_error
    return result


def _tool_run(path: str, cwd: str, settings: Settings, display: str, config: Config) -> ToolRun:
    """`ruff check` and radon; under `posttool serve`, the warm ruff server in place of
    `ruff check` (`lint.warm` is loaded and enabled by the server only)."""
    warm = sys.modules.get("posttool.lib.lint.warm")
    if warm is not None and warm.ACTIVE is not None and config.get(f"{HOOK}.ruff_server"):
        return warm.ACTIVE.tool_run(path, cwd, settings, display)
    from posttool.lib.lint.linters import ToolRun

    return ToolRun(path, cwd, settings, display)


def file_inside_project(path: str, project_root: str) -> str | None:
    """The real path of `path` when it lies inside the project's real root, else None.

    Symlinks are resolved first, so a link inside the project that leads out of it (to
    `~/.ssh/…`, another checkout) is outside. The file is then read and given to ruff by this
    real path, and opened without following a final symlink.
    """
    if not path or not project_root:
        return None
    real = os.path.realpath(path)
    if is_within(real, os.path.realpath(project_root)):
        return real
    return None
