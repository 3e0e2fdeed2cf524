"""quality_scanner (spec §4.13): the ruff and radon findings an edit introduced.

Its slow half (`prepare_scan`: ruff and radon, cached by content) runs before the session lock;
its imports stay local: lib/lint (ruff, radon, subprocess) is loaded only once a scannable file
was written, never for a Read or Bash event.
"""

from __future__ import annotations

from posttool import api as _scanner_registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.event import Event
    from posttool.lib.message import Message
    from posttool.lib.state import State

# Read by its prepare half in lib/lint (which must not be imported for a Read or a Bash).
SCANNER_DEFAULTS = {
    "extensions": [".py", ".pyi"],
    "timeout_s": 3.0,
    "max_file_bytes": 524_288,
    "ruff_cmd": "",  # "": the ruff installed beside the running interpreter, else PATH
    "radon_cmd": "radon",
    "min_rank": "C",
    "default_select": ["E4", "E7", "E9", "F"],  # for a project with no ruff config of its own
    "max_findings": 3,
    "ruff_server": True,  # `posttool serve`: lint through a warm `ruff server` (lib/lint/warm.py)
}


def prepare_scan(event: Event, config: Config, home: str) -> dict[str, Any] | None:
    """Before the session lock: ruff + radon on the written file, cached by content (§4.13)."""
    if not event.ok or not event.file_path:
        return None
    listed = config.get("quality_scanner.extensions")
    if event.ext not in {str(ext).lower() for ext in listed}:
        return None
    from posttool.lib.paths_match import is_generated

    if is_generated(event):  # protobuf output, a Django migration: the generator's style
        return None
    from posttool.lib.lint import scan_file

    return scan_file(event, config, home)


@_scanner_registry.hook(
    "quality_scanner",
    matcher="Edit|Write",
    priority=36,
    events=_scanner_registry.SUCCESS_ONLY,
    writes=("scan",),
    may_spawn=True,
    budget_ms=20,
    prepare=prepare_scan,
    defaults=SCANNER_DEFAULTS,
)
def quality_scanner(event: Event, state: State) -> Message | None:
    """Report what this edit introduced, from `event.prepared`; re-runs nothing."""
    if not isinstance(event.prepared, dict) or not event.path_key:
        return None
    scan = state.doc["scan"]
    previous = scan.get(event.path_key)
    digest = event.prepared.get("hash")
    if previous is not None and isinstance(digest, str) and digest and previous["hash"] == digest:
        # The skip rule (§4.13), applied before scan.py is imported: the file did not change
        # since its last scan, so there is nothing new to say; the record becomes the newest.
        scan[event.path_key] = scan.pop(event.path_key)
        return None
    from posttool.lib.lint.scan import report

    return report(event, state)
